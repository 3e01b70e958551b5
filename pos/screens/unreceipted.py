"""A refund without a receipt (issue 21, item 6): scan or find what comes back, a lower
price if need be, then cash or card, a reason, and a manager's say-so."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from pos.auth.guard import Guard, LoginRequired
from pos.domain.money import MoneyError, format_money
from pos.domain.receipt import format_qty_text
from pos.domain.returns import (
    UNRECEIPTED_SCOPE,
    UNRECEIPTED_TITLE,
    ReturnError,
    ReturnLine,
    check_return,
)
from pos.screens.approval import ApprovalFlow
from pos.screens.history import SaleReceiptModal
from pos.screens.refund import SESSION_ENDED, refund_summary
from pos.screens.refund_reason import RefundReasonModal
from pos.screens.requests import LockTill, OpenFind
from pos.services.approvals import Approvals
from pos.services.outcomes import Outcome
from pos.services.refunds import RefundDone, RefundFailed
from pos.services.returns import ReturnService
from pos.services.sales import SaleService
from pos.widgets import EntryLine, MessageLine
from pos.widgets.entry_line import typing_keys
from pos.widgets.type_ahead import AnswersOnce

MAX_QTY = 999
"""The most items of one line (a refund without a receipt is a few items)."""


class UnreceiptedRefundScreen(AnswersOnce, Screen[None]):
    """Scan (or type a barcode and Enter, or F6 Find) what comes back: each at today's
    price. Type a lower price and F4 for the chosen line, or a quantity and F5; Del
    takes a line off. F2 cash or F3 card asks the reason, then the manager's approval
    unless the operator may (``refund:unreceipted``).

    Like the scanning screen it has no text field: the number keys fill one entry line.
    Once the refund is saved the screen closes on its receipt, which prints.
    """

    BINDINGS = [
        *typing_keys("0123456789."),
        Binding("enter", "scan", "Add", key_display="Enter", priority=True),
        Binding("f4", "price", "Price", key_display="F4", priority=True),
        Binding("f5", "qty", "Qty", key_display="F5", priority=True),
        Binding("delete", "remove", "Remove", key_display="Del", priority=True),
        Binding("f6", "find", "Find", key_display="F6", priority=True),
        Binding("f2", "refund('cash')", "Refund cash", key_display="F2", priority=True),
        Binding("f3", "refund('card')", "Refund card", key_display="F3", priority=True),
        Binding("escape", "back", "Back", key_display="Esc", priority=True),
    ]

    def __init__(
        self, returns: ReturnService, sales: SaleService, guard: Guard, approvals: Approvals
    ) -> None:
        super().__init__()
        self.returns = returns
        self.sales = sales
        self.guard = guard
        self.approvals = approvals
        self.lines: list[ReturnLine] = []

    def compose(self) -> ComposeResult:
        yield Label(UNRECEIPTED_TITLE, id="refund-title")
        yield DataTable(id="refund-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="refund-amount")
        yield EntryLine(id="entry")
        yield MessageLine("Scan or find what comes back (each at today's price).", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(EntryLine).prompt = "Barcode"
        table = self.query_one(DataTable)
        for key, label in (
            ("no", "#"),
            ("name", "Item"),
            ("qty", "Qty"),
            ("today", "Today"),
            ("price", "Price"),
            ("amount", "Refund"),
        ):
            table.add_column(label, key=key)
        table.focus()
        self._show()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.query_one(MessageLine).show(text, error=error)
        if error:
            self.app.bell()

    def _ended(self, exc: LoginRequired) -> None:
        self._say(str(exc), error=True)
        self.post_message(LockTill())

    def _show(self) -> None:
        """The lines, and what they pay back against what is left of today's limit."""
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for n, line in enumerate(self.lines, 1):
            table.add_row(
                Text(str(n)),
                Text(line.name),
                Text(format_qty_text(line.unit, line.qty)),
                Text(format_money(line.today)),
                Text("" if line.price is None else format_money(line.price)),
                Text(format_money(line.amount)),
            )
        if self.lines:
            table.move_cursor(row=min(row, len(self.lines) - 1))
        try:
            left = self.returns.left_today()
        except LoginRequired as exc:
            self._ended(exc)
            return
        except RefundFailed as exc:
            self._say(str(exc), error=True)
            return
        total = sum(line.amount for line in self.lines)
        text = Text()
        text.append(f"Pays back {format_money(total)}", style="bold")
        text.append(f"   (this till may pay back {format_money(left)} more today)")
        self.query_one("#refund-amount", Label).update(text)

    def action_type(self, char: str) -> None:
        self.query_one(EntryLine).type(char)

    def action_backspace(self) -> None:
        self.query_one(EntryLine).backspace()

    def action_scan(self) -> None:
        code = self.query_one(EntryLine).take()
        if not code:
            self._say("Scan or type a barcode, then Enter", error=True)
            return
        self._add(code)

    def _add(self, code: str) -> None:
        try:
            found = self.returns.item(code)
        except LoginRequired as exc:
            self._ended(exc)
            return
        if isinstance(found, Outcome):
            self._say(found.message, error=True)
            return
        for n, line in enumerate(self.lines):  # the same item again: one more of it
            if line.code == found.code and line.unit == "each" and line.price is None:
                if line.qty >= MAX_QTY:
                    self._say(f"At most {MAX_QTY} of {line.name}", error=True)
                    return
                self.lines[n] = replace(found, qty=line.qty + 1)  # at today's price now
                self._show()
                self._say(f"{line.name}: {line.qty + 1}")
                return
        if len(self.lines) >= 99:
            self._say("At most 99 lines in one refund: make two", error=True)
            return
        self.lines.append(found)
        self._show()
        self.query_one(DataTable).move_cursor(row=len(self.lines) - 1)
        self._say(f"{found.name} at {format_money(found.today)}")

    def _selected(self) -> int | None:
        if not self.lines:
            self._say("Scan or find what comes back first", error=True)
            return None
        return min(self.query_one(DataTable).cursor_row, len(self.lines) - 1)

    def action_price(self) -> None:
        typed = self.query_one(EntryLine).take()
        n = self._selected()
        if n is None:
            return
        line = self.lines[n]
        try:
            price = self.returns.settings.entry.parse_amount(typed or "0", what="price")
        except MoneyError as exc:
            self._say(f"Type the price, then F4 ({exc})", error=True)
            return
        try:
            self.lines[n] = line.priced(price)
        except ReturnError as exc:
            self._say(str(exc), error=True)
            return
        self._show()
        self._say(f"{line.name} at {format_money(price)}")

    def action_qty(self) -> None:
        typed = self.query_one(EntryLine).take()
        n = self._selected()
        if n is None:
            return
        line = self.lines[n]
        if line.unit != "each":
            self._say(f"{line.name} is weighed: its label says how much", error=True)
            return
        if not typed.isdigit() or not 1 <= int(typed) <= MAX_QTY:
            self._say(f"Type how many (1 to {MAX_QTY}), then F5", error=True)
            return
        self.lines[n] = replace(line, qty=int(typed))
        self._show()
        self._say(f"{line.name}: {typed}")

    def action_remove(self) -> None:
        n = self._selected()
        if n is None:
            return
        gone = self.lines.pop(n)
        self._show()
        self._say(f"{gone.name} taken off")

    def action_find(self) -> None:
        text = self.query_one(EntryLine).take()
        self.post_message(OpenFind(text, lambda code: None if code is None else self._add(code)))

    def action_refund(self, method: str) -> None:
        lines = list(self.lines)
        try:
            check_return(lines)
            reasons = self.returns.reasons()
        except ReturnError as exc:
            self._say(str(exc), error=True)
            return
        except LoginRequired as exc:
            self._ended(exc)
            return
        title = f"{UNRECEIPTED_TITLE} by {method}"
        self.app.push_screen(
            RefundReasonModal(title, reasons),
            lambda reason: None if reason is None else self._approve(lines, method, reason),
        )

    def _approve(self, lines: list[ReturnLine], method: str, reason: str) -> None:
        """The reason is chosen: the scope, or a manager's approval of this refund."""

        def ended(exc: LoginRequired, approved: bool) -> None:
            if approved:  # the session ended while the manager was typing
                self.post_message(LockTill(SESSION_ENDED))
            else:
                self._ended(exc)

        def act(token: str | None) -> None:
            try:  # the service asks the guard again
                done = self.returns.refund(lines, method, reason, token)
            except RefundFailed as failed:
                self._say(str(failed), error=True)
                return
            self._refunded(done)

        total = format_money(sum(line.amount for line in lines))
        ApprovalFlow(self.app, self.approvals, ended=ended, declined=lambda: None).run(
            self.guard,
            UNRECEIPTED_SCOPE,
            self.returns.action(lines, method, reason),
            f"{UNRECEIPTED_TITLE}: {total} by {method} ({reason})",
            act,
        )

    def _refunded(self, done: RefundDone) -> None:
        """Saved: close, and show its receipt, which prints in the background."""
        self.dismiss(None)
        sales = self.sales
        job = sales.receipt_job(done.receipt_text, open_drawer=done.method == "cash")
        self.app.push_screen(
            SaleReceiptModal(done.receipt_no, done.receipt_text, sales.reprint, job=job)
        )
        self.app.notify(refund_summary(done.amount, done.method, done.receipt_no))

    def action_back(self) -> None:
        self.dismiss(None)

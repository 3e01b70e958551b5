"""Refunding lines of a past sale: choose what comes back, then cash or card."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from pos.auth.guard import Guard, LoginRequired, OverrideRequired
from pos.domain.history import RefundableLine
from pos.domain.money import format_money
from pos.domain.receipt import format_qty_text
from pos.domain.refunds import RefundPlan
from pos.domain.text import plural
from pos.screens.approval import ApprovalFlow
from pos.screens.history import SaleReceiptModal
from pos.screens.refund_reason import RefundReasonModal
from pos.screens.requests import LockTill
from pos.services.approvals import Approvals
from pos.services.errors import StorageError
from pos.services.refunds import RefundDone, RefundFailed, RefundService
from pos.services.sales import SaleService
from pos.widgets import EntryLine, MessageLine
from pos.widgets.entry_line import typing_keys
from pos.widgets.type_ahead import AnswersOnce

SESSION_ENDED = "Refund NOT made: the session has ended. Log in again."


class RefundScreen(AnswersOnce, Screen[None]):
    """Up/Down choose a line, type how many come back and Enter; F2 cash, F3 card.

    What the refund pays back (the sale priced again without what comes back) and the
    deals it costs are shown as soon as a quantity is set, before F2 or F3 makes it.
    Like the scanning screen it has no text field: the number keys fill one entry
    line, so a stray scan cannot become a quantity (it is refused as too many).

    F2 or F3 asks the refund's reason first (the ``refund_reasons`` setting). The refund
    needs the ``refund`` scope, or a manager's approval of this one refund; once it is
    saved the screen closes on the refund's receipt, which prints.
    """

    BINDINGS = [
        *typing_keys(),
        Binding("enter", "set_qty", "Set qty", key_display="Enter", priority=True),
        Binding("f2", "refund('cash')", "Refund cash", key_display="F2", priority=True),
        Binding("f3", "refund('card')", "Refund card", key_display="F3", priority=True),
        # shown only for a sale paid by gift voucher (issue 22): back onto its vouchers
        Binding("f4", "refund('voucher')", "Refund voucher", key_display="F4", priority=True),
        Binding("escape", "back", "Back", key_display="Esc", priority=True),
    ]

    def __init__(
        self,
        receipt_no: int,
        lines: list[RefundableLine],
        refunds: RefundService,
        sales: SaleService,
        guard: Guard,
        approvals: Approvals,
        *,
        till: str | None = None,
    ) -> None:
        super().__init__()
        self.receipt_no = receipt_no
        self.till = till
        """The till the sale was made on, when it is another till's (copied here)."""
        self.lines = lines
        self.refunds = refunds
        self.sales = sales
        self.guard = guard
        self.approvals = approvals
        self.chosen: dict[int, int] = {}
        self.plan: RefundPlan | None = None
        self.onto_vouchers = 0
        """What may go back onto the gift vouchers that paid the sale (F4 then shows)."""

    def compose(self) -> ComposeResult:
        yield Label(f"Refund from {self._sale_name()}", id="refund-title")
        yield DataTable(id="refund-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="refund-amount")
        yield EntryLine(id="entry")
        yield MessageLine("Choose a line, type how many come back, Enter.", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        try:
            self.onto_vouchers = self.refunds.onto_vouchers(self.receipt_no, self.till)
        except (LoginRequired, OverrideRequired, StorageError):
            self.onto_vouchers = 0  # F4 stays hidden; cash and card work as ever
        self.refresh_bindings()
        self.query_one(EntryLine).prompt = "Quantity"
        table = self.query_one(DataTable)
        for key, label in (
            ("no", "#"),
            ("name", "Item"),
            ("sold", "Sold"),
            ("done", "Refunded"),
            ("left", "Left"),
            ("back", "Refund"),
        ):
            table.add_column(label, key=key)
        for line in self.lines:
            table.add_row(
                Text(str(line.line_no)),
                Text(line.name),
                Text(format_qty_text(line.unit, line.sold)),
                Text(format_qty_text(line.unit, line.refunded)),
                Text(format_qty_text(line.unit, line.left)),
                Text(""),
                key=str(line.line_no),
            )
        table.focus()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.query_one(MessageLine).show(text, error=error)
        if error:
            self.app.bell()

    def action_type(self, char: str) -> None:
        self.query_one(EntryLine).type(char)

    def action_backspace(self) -> None:
        self.query_one(EntryLine).backspace()

    def action_set_qty(self) -> None:
        typed = self.query_one(EntryLine).take()
        table = self.query_one(DataTable)
        if not self.lines:
            return
        line = self.lines[min(table.cursor_row, len(self.lines) - 1)]
        if line.unit == "kg":  # a weighed line comes back whole, or not at all
            qty = 0 if self.chosen.get(line.line_no) else line.left
        elif not typed.isdigit() or len(typed) > 4:
            self._say("Type how many (a whole number), then Enter", error=True)
            return
        else:
            qty = int(typed)
        if qty > line.left:
            self._say(f"At most {format_qty_text(line.unit, line.left)} of {line.name}", error=True)
            return
        self.chosen[line.line_no] = qty
        table.update_cell(
            str(line.line_no), "back", Text(format_qty_text(line.unit, qty) if qty else "")
        )
        self._say(f"{plural(len([q for q in self.chosen.values() if q]), 'line')} chosen")
        self._show_amount()

    def _show_amount(self) -> None:
        """What the chosen quantities pay back, and the deals they cost."""
        label = self.query_one("#refund-amount", Label)
        chosen = {k: v for k, v in self.chosen.items() if v}
        self.plan = None
        if not chosen:
            label.update("")
            return
        try:
            found = self.refunds.quote(self.receipt_no, chosen, self.till)
        except RefundFailed as exc:
            label.update("")
            self._say(str(exc), error=True)
            return
        self.plan = found
        text = Text()
        if found.total > 0:
            text.append(f"Pays back {format_money(found.total)}", style="bold")
        else:
            text.append(
                "Nothing to pay back: what is kept now costs all that was paid", style="bold"
            )
        for name in found.lost:
            text.append(f"\n{name} no longer applies", style="italic")
        label.update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F4 (back onto the vouchers) only for a sale paid by gift voucher."""
        if action == "refund" and parameters == ("voucher",):
            return self.onto_vouchers > 0
        return True

    def action_refund(self, method: str) -> None:
        chosen = {k: v for k, v in self.chosen.items() if v}
        if not chosen:
            self._say("Choose what comes back first", error=True)
            return
        try:
            reasons = self.refunds.reasons()
        except LoginRequired as exc:
            self._say(str(exc), error=True)
            self.post_message(LockTill())
            return
        title = f"Refund from {self._sale_name()} by {method}"
        self.app.push_screen(
            RefundReasonModal(title, reasons),
            lambda reason: None if reason is None else self._approve(chosen, method, reason),
        )

    def _approve(self, chosen: dict[int, int], method: str, reason: str) -> None:
        """The reason is chosen: the scope, or a manager's approval of this refund."""
        receipt_no = self.receipt_no

        def ended(exc: LoginRequired, approved: bool) -> None:
            if approved:  # the session ended while the manager was typing
                self.post_message(LockTill(SESSION_ENDED))
            else:
                self._say(str(exc), error=True)
                self.post_message(LockTill())

        def act(token: str | None) -> None:
            try:  # the refund service asks the guard again
                done = self.refunds.refund(
                    receipt_no, chosen, method, token, self.till, reason=reason
                )
            except RefundFailed as failed:
                self._say(str(failed), error=True)
                return
            self._refunded(done)

        ApprovalFlow(self.app, self.approvals, ended=ended, declined=lambda: None).run(
            self.guard,
            "refund",
            self.refunds.action(receipt_no, chosen, method, self.till, reason=reason),
            f"Refund from {self._sale_name()} ({reason})",
            act,
        )

    def _sale_name(self) -> str:
        of = "" if self.till is None else f" of {self.till}"
        return f"sale {self.receipt_no:04d}{of}"

    def _refunded(self, done: RefundDone) -> None:
        """The refund is saved: close, and show its receipt, which prints in the
        background (a copy is a reprint like any other, through the guard, audited)."""
        self.dismiss(None)
        sales = self.sales
        job = sales.receipt_job(done.receipt_text, open_drawer=done.method == "cash")
        self.app.push_screen(
            SaleReceiptModal(done.receipt_no, done.receipt_text, sales.reprint, job=job)
        )
        self.app.notify(refund_summary(done.amount, done.method, done.receipt_no))

    def action_back(self) -> None:
        self.dismiss(None)


def refund_summary(amount: int, method: str, number: int) -> str:
    return f"Refund {number:04d}: {format_money(amount)} paid back by {method}"

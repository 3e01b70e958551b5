"""The cash office (issue 21): "No sale", "Paid in", "Paid out" and "Cash pickup".

Ctrl+O on the scanning screen opens :class:`CashMenuModal` (a key per movement), and each
movement is also a command of the palette. :class:`CashMovementModal` asks the amount (not
for a "No sale") and the reason, checked by the service as it will record them, so a bad
one is refused in the dialog, which stays open. Then the one approval flow
(:class:`~pos.screens.approval.ApprovalFlow`: the scope, or a manager's approval of that
movement), the record, and the slip printed off the event loop with the drawer kick.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from pos.auth.guard import Guard, LoginRequired
from pos.domain.cash import KINDS, NO_SALE, PAID_IN, PAID_OUT, PICKUP, SCOPES, TITLES, listing
from pos.domain.manual_discounts import LINE, SALE
from pos.domain.manual_discounts import TITLES as DISCOUNT_TITLES
from pos.domain.money import MoneyError, format_money, parse_money
from pos.domain.returns import UNRECEIPTED, UNRECEIPTED_TITLE
from pos.domain.text import sentence
from pos.screens.approval import ApprovalFlow
from pos.screens.modals import GuardedModal
from pos.screens.voucher_balance import (
    VOUCHER_BALANCE,
    VOUCHER_BALANCE_ABOUT,
    VOUCHER_BALANCE_TITLE,
)
from pos.services.approvals import Approvals
from pos.services.cash_office import CashDone, CashOffice, CashRefused
from pos.services.outcomes import Outcome
from pos.services.printing import PrinterError
from pos.widgets.type_ahead import AnswersOnce

CASH_COMMANDS = {
    NO_SALE: "Open the drawer without a sale, with a reason (Ctrl+O N)",
    PAID_IN: "Cash put in the drawer: an amount and a reason (Ctrl+O I)",
    PAID_OUT: "Cash paid out of the drawer: an amount and a reason (Ctrl+O O)",
    PICKUP: "Cash taken from the drawer to the safe (Ctrl+O P)",
    UNRECEIPTED: "A manager's refund of items with no receipt, for a reason (Ctrl+O U)",
    VOUCHER_BALANCE: VOUCHER_BALANCE_ABOUT,
}
"""The palette's commands (under the names the issue gives them) and what each does."""

COMMAND_TITLES = {
    **TITLES,
    UNRECEIPTED: UNRECEIPTED_TITLE,
    **DISCOUNT_TITLES,
    VOUCHER_BALANCE: VOUCHER_BALANCE_TITLE,
}
"""The name of each of the cash office's commands and menu choices."""

MENU_KEYS = {
    NO_SALE: "n",
    PAID_IN: "i",
    PAID_OUT: "o",
    PICKUP: "p",
    UNRECEIPTED: "u",
    LINE: "l",
    SALE: "s",
    VOUCHER_BALANCE: "v",
}
"""The key of each movement in the cash menu, of the refund without a receipt and of the
cashier's discounts (issue 21)."""


class CashMenuModal(GuardedModal[str | None]):
    """The cash office's movements, one key each (a scanner's digits do nothing here).
    The dialog lists each choice with its key; the key bar keeps to Esc (eight choices
    do not fit in it at 100 columns)."""

    BINDINGS = [
        *(
            Binding(
                f"{key},{key.upper()}",
                f"choose('{kind}')",
                COMMAND_TITLES[kind],
                key_display=key.upper(),
                show=False,
            )
            for kind, key in MENU_KEYS.items()
        ),
        Binding("escape", "cancel", "Back", key_display="Esc"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Cash office", id="title")
            for kind, key in MENU_KEYS.items():
                yield Label(f"{key.upper()}  {COMMAND_TITLES[kind]}", classes="choice")
            yield Label("", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def action_choose(self, kind: str) -> None:
        self.dismiss(kind)

    def action_cancel(self) -> None:
        self.dismiss(None)


Check = Callable[[int, str], tuple[int, str]]
"""The service's check of an amount and a reason (raises CashRefused)."""


class CashMovementModal(AnswersOnce, ModalScreen[tuple[int, str] | None]):
    """Asks a movement's amount (not for a "No sale") and its reason; answers the checked
    pair, or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, kind: str, reasons: tuple[str, ...], check: Check) -> None:
        super().__init__()
        self.kind = kind
        self.reasons = reasons
        self.check = check

    @property
    def asks_amount(self) -> bool:
        return self.kind != NO_SALE

    def compose(self) -> ComposeResult:
        title = TITLES[self.kind]
        with Vertical(id="dialog"):
            if self.asks_amount:
                yield Label(Text(f"{title}: the amount, then the reason"), id="question")
                yield Label("Amount", classes="field")
                yield Input(id="amount", restrict=r"[0-9.]*", max_length=10, placeholder="0.00")
            else:
                yield Label(Text(f"{title}: why does the drawer open?"), id="question")
            yield Label("Reason", classes="field")
            # no max_length: a reason too long is refused with a message, never cut short
            yield Input(id="reason", placeholder="a number from the list, or words")
            pick = "Choose one" if self.kind == NO_SALE else "A number picks one"
            listed = f"{pick}: {listing(self.reasons)}" if self.reasons else "Type the reason"
            yield Label(Text(listed), id="reasons")
            yield Label("", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#amount" if self.asks_amount else "#reason", Input).focus()

    def _hint(self, text: str) -> None:
        self.query_one("#hint", Label).update(Text(text))
        self.app.bell()

    def _amount(self) -> int | None:
        if not self.asks_amount:
            return 0
        try:
            return parse_money(self.query_one("#amount", Input).value or "0", what="amount")
        except MoneyError as exc:
            self._hint(sentence(str(exc)))
            return None

    @on(Input.Submitted, "#amount")
    def _amount_given(self, event: Input.Submitted) -> None:
        event.stop()
        if self._amount() is not None:
            self._hint_clear()
            self.query_one("#reason", Input).focus()

    def _hint_clear(self) -> None:
        self.query_one("#hint", Label).update("")

    @on(Input.Submitted, "#reason")
    def _reason_given(self, event: Input.Submitted) -> None:
        event.stop()
        amount = self._amount()
        if amount is None:
            self.query_one("#amount", Input).focus()
            return
        try:
            checked = self.check(amount, event.value)
        except CashRefused as exc:
            self._hint(str(exc))
            return
        self.dismiss(checked)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CashOfficeFlow:
    """One movement from the menu (or the palette) to its slip, on ``app``.

    Args:
        report: Shows an outcome where the cashier looks (the scanning screen's line).
        ended: The session ended on the way (why): nothing was recorded.
        unreceipted: Opens the refund without a receipt (the menu's U).
    """

    def __init__(
        self,
        app: App[Any],
        cash: CashOffice,
        approvals: Approvals,
        guard: Guard,
        *,
        report: Callable[[Outcome], None],
        ended: Callable[[str], None],
        unreceipted: Callable[[], None] = lambda: None,
        other: Callable[[str], None] | None = None,
        balance: Callable[[], None] = lambda: None,
    ) -> None:
        self.app = app
        self.unreceipted = unreceipted
        self.balance = balance  # the gift voucher balance dialog (issue 22)
        self.other = other  # what the menu's other choices (the discounts) go to
        self.cash = cash
        self.approvals = approvals
        self.guard = guard
        self.report = report
        self.ended = ended

    def open(self, kind: str | None) -> None:
        """The movement ``kind``, or (None) the menu first."""
        if kind is not None:
            self.start(kind)
            return
        self.app.push_screen(CashMenuModal(), self._chosen)

    def _chosen(self, kind: str | None) -> None:
        if kind in KINDS or kind in (UNRECEIPTED, VOUCHER_BALANCE):
            self.start(kind)
        elif kind is not None and self.other is not None:
            self.other(kind)

    def start(self, kind: str) -> None:
        """Ask for the movement's amount and reason, then record it (a refund without a
        receipt: its own screen)."""
        if kind == UNRECEIPTED:
            self.unreceipted()
            return
        if kind == VOUCHER_BALANCE:
            self.balance()
            return
        try:
            reasons = self.cash.reasons(kind)
        except LoginRequired as exc:
            self.ended(str(exc))
            return

        def check(amount: int, reason: str) -> tuple[int, str]:
            try:
                return self.cash.check(kind, amount, reason)
            except LoginRequired as exc:  # the app's next tick locks the till
                raise CashRefused(str(exc)) from None

        self.app.push_screen(CashMovementModal(kind, reasons, check), partial(self._entered, kind))

    def _entered(self, kind: str, answer: tuple[int, str] | None) -> None:
        if answer is None:
            self.report(Outcome.info(f"{TITLES[kind]}: nothing recorded"))
            return
        amount, reason = answer
        what = TITLES[kind] + ("" if kind == NO_SALE else f" {format_money(amount)}")
        ApprovalFlow(
            self.app,
            self.approvals,
            ended=lambda exc, _approved: self.ended(str(exc)),
            declined=lambda: self.report(Outcome.info("Not approved: nothing recorded")),
        ).run(
            self.guard,
            SCOPES[kind],
            self.cash.action(kind, amount, reason),
            f"{what}: {reason}",
            lambda token: self._record(kind, amount, reason, token),
        )

    def _record(self, kind: str, amount: int, reason: str, token: str | None) -> None:
        try:
            done = self.cash.record(kind, amount, reason, token)
        except CashRefused as exc:
            self.report(Outcome.fail(f"{TITLES[kind]} NOT recorded: {exc}"))
            return
        if done.job is None:
            drawer = " (no printer is set up to open the drawer)" if kind == NO_SALE else ""
            self.report(Outcome.info(done.summary() + drawer))
            return
        self.report(Outcome.info(f"{done.summary()}; printing the slip…"))
        self.app.run_worker(
            partial(self._print, done),
            name="print slip",
            group="print",
            thread=True,
            exclusive=False,  # never cancel a slip that is printing
            exit_on_error=False,
        )

    def _print(self, done: CashDone) -> None:
        """In the worker thread: only the printer, never a widget."""
        assert done.job is not None
        try:
            done.job.send()
        except PrinterError as exc:
            outcome = Outcome.fail(f"{done.summary()}; the slip was NOT printed: {exc}")
        else:
            outcome = Outcome.info(f"{done.summary()}; slip printed")
        self.app.call_from_thread(self.report, outcome)

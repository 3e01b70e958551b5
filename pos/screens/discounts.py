"""Cashier discounts (issue 21, item 8): "Line discount" (the selected line) and "Sale
discount".

Each is a command of the palette and a key of the cash office's menu (Ctrl+O, then L or
S). :class:`ManualDiscountModal` asks the discount (``10%`` or ``2.00`` off a line; a
percentage off the sale) and the reason, checked by the service as it will give them, so
a bad one is refused in the dialog, which stays open. Within the operator's cap it is
given at once; above it a manager approves that one discount (the one approval flow,
:class:`~pos.screens.approval.ApprovalFlow`), and the cart shows it as a row of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from pos.auth.guard import Guard, LoginRequired
from pos.domain.cash import listing
from pos.domain.manual_discounts import LINE, SALE, TITLES
from pos.screens.approval import ApprovalFlow
from pos.services.approvals import Approvals
from pos.services.manual_discounts import SCOPE, DiscountRefused, ManualDiscounts, Offer
from pos.services.outcomes import Outcome
from pos.widgets.type_ahead import AnswersOnce

DISCOUNT_COMMANDS = {
    LINE: "A percentage or an amount off the selected line, with a reason (Ctrl+O L)",
    SALE: "A percentage off the whole sale, with a reason (Ctrl+O S)",
}
"""The palette's commands (under the names the issue gives them) and what each does."""

discount_titles = TITLES
"""Their names."""

Check = Callable[[str, str], Offer]
"""The service's check of what was typed and the reason (raises DiscountRefused)."""


class ManualDiscountModal(AnswersOnce, ModalScreen[tuple[str, str] | None]):
    """Asks a discount and its reason; answers them as typed once the service has checked
    them, or None (Esc)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, kind: str, what: str, reasons: tuple[str, ...], check: Check) -> None:
        super().__init__()
        self.kind = kind
        self.what = what
        self.reasons = reasons
        self.check = check

    def compose(self) -> ComposeResult:
        line = self.kind == LINE
        with Vertical(id="dialog"):
            yield Label(Text(f"{TITLES[self.kind]}: {self.what}"), id="question")
            yield Label("10% for a percentage, 2.00 for an amount off" if line else
                        "Percentage off the sale", classes="field")  # fmt: skip
            yield Input(id="value", restrict=r"[0-9.%]*", max_length=10,
                        placeholder="10%" if line else "10")  # fmt: skip
            yield Label("Reason", classes="field")
            yield Input(id="reason", placeholder="a number from the list")
            listed = f"Choose one: {listing(self.reasons)}" if self.reasons else "Type the reason"
            yield Label(Text(listed), id="reasons")
            yield Label("", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    def _hint(self, text: str) -> None:
        self.query_one("#hint", Label).update(Text(text))
        self.app.bell()

    @on(Input.Submitted, "#value")
    def _value_given(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self._hint("Type the discount first")
            return
        self.query_one("#hint", Label).update("")
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _reason_given(self, event: Input.Submitted) -> None:
        event.stop()
        value = self.query_one("#value", Input).value
        try:
            self.check(value, event.value)
        except DiscountRefused as exc:
            self._hint(str(exc))
            return
        self.dismiss((value, event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ManualDiscountFlow:
    """One discount from the menu (or the palette) to the cart, on ``app``.

    Args:
        report: Shows an outcome where the cashier looks (the scanning screen).
        ended: The session ended on the way (why): nothing was given.
    """

    def __init__(
        self,
        app: App[Any],
        discounts: ManualDiscounts,
        approvals: Approvals,
        guard: Guard,
        *,
        report: Callable[[Outcome], None],
        ended: Callable[[str], None],
    ) -> None:
        self.app = app
        self.discounts = discounts
        self.approvals = approvals
        self.guard = guard
        self.report = report
        self.ended = ended

    def open(self, kind: str, line_no: int | None) -> None:
        """Ask a discount on line ``line_no`` (``kind`` LINE) or on the sale (SALE)."""
        cart = self.discounts.checkout.cart
        if not len(cart):
            self.report(Outcome.fail("The cart is empty: scan an item first"))
            return
        line = cart.get(line_no) if kind == LINE and line_no is not None else None
        if kind == LINE and line is None:
            self.report(Outcome.fail("Select an item line (Up/Down), then Line discount"))
            return
        target = None if line is None else line.line_no
        try:
            reasons = self.discounts.reasons()
        except LoginRequired as exc:
            self.ended(str(exc))
            return

        def check(value: str, reason: str) -> Offer:
            try:
                return self.discounts.offer(target, value, reason)
            except LoginRequired as exc:  # the app's next tick locks the till
                raise DiscountRefused(str(exc)) from None

        what = "the sale" if line is None else line.name
        modal = ManualDiscountModal(kind, what, reasons, check)
        self.app.push_screen(modal, lambda answer: self._entered(target, answer))

    def _entered(self, line_no: int | None, answer: tuple[str, str] | None) -> None:
        if answer is None:
            self.report(Outcome.info("No discount given"))
            return
        value, reason = answer
        try:
            offer = self.discounts.offer(line_no, value, reason)
        except DiscountRefused as exc:  # the cart changed meanwhile
            self.report(Outcome.fail(f"No discount given: {exc}"))
            return
        except LoginRequired as exc:
            self.ended(str(exc))
            return
        flow = ApprovalFlow(
            self.app,
            self.approvals,
            ended=lambda exc, _approved: self.ended(str(exc)),
            declined=lambda: self.report(Outcome.info("Not approved: no discount given")),
        )

        def give(token: str | None) -> None:
            self.report(self.discounts.give(line_no, value, reason, token))

        identity = self.guard.identity
        if not offer.needs_approval or identity is None:
            flow.attempt(give)  # (no identity: the service says the session ended)
            return
        flow.ask(identity, SCOPE, self.discounts.action(offer), f"{offer.what()}", give)

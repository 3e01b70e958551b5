"""The customer display: what the customer sees of the till on a second screen.

It shows the till's open cart as :class:`~pos.services.display.CustomerDisplay` reads it:
the last item and its price, the running total in the till's large digits (the till's
own :class:`~pos.widgets.TotalsPanel`), the savings; after a sale the amount paid, the
change and thanks; "Waiting for" the till while there is nothing to show. It polls the
till's file every ``interval`` seconds (the poll is cheap: the cart is read again only
when the file changed). No keys: it is for looking at.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from pos.domain.money import format_money
from pos.services.display import CustomerDisplay, DisplayState, Showing
from pos.widgets import TotalsPanel
from pos.widgets.type_ahead import AnswersOnce

POLL_SECONDS = 0.05
"""How often the till's file is looked at: a change shows within about this long."""


class CustomerDisplayScreen(AnswersOnce, Screen[None]):
    """The till's open cart, as the customer sees it."""

    def __init__(self, display: CustomerDisplay, *, interval: float = POLL_SECONDS) -> None:
        super().__init__()
        self._display = display
        self._interval = interval
        self._shown: DisplayState | None = None

    def compose(self) -> ComposeResult:
        # names are shown as they are: "[" in a product's name is not markup
        yield Static(id="store", markup=False)
        yield Static(id="item", markup=False)
        yield TotalsPanel(id="display-totals")
        yield Static(id="message", markup=False)

    def on_mount(self) -> None:
        self._display.poll()
        self.show(self._display.state)
        self.set_interval(self._interval, self._poll)

    def _poll(self) -> None:
        if self._display.poll():
            self.show(self._display.state)

    def show(self, state: DisplayState) -> None:
        """Draw ``state`` (nothing is redrawn when it is what is shown already)."""
        if state == self._shown:
            return
        self._shown = state
        self.set_class(state.showing is Showing.WAITING, "-waiting")
        self.query_one("#store", Static).update(state.store)
        self.query_one("#display-totals", TotalsPanel).show(
            items=state.items, subtotal=state.subtotal, discounts=state.savings, total=state.total
        )
        item = self.query_one("#item", Static)
        message = self.query_one("#message", Static)
        if state.showing is Showing.CART:
            name = state.last_item
            if state.last_count > 1:
                name = f"{state.last_count} x {name}"
            item.update(_row(name, format_money(state.last_price), self._width()))
            message.update("")
        elif state.showing is Showing.PAID:
            width = self._width()
            paid = _row("Paid", format_money(state.paid), width)
            item.update(f"{paid}\n{_row('Change', format_money(state.change), width)}")
            message.update("Thank you")
        else:
            item.update("")
            message.update(f"Waiting for {state.till}")

    def on_resize(self) -> None:
        shown, self._shown = self._shown, None
        if shown is not None:
            self.show(shown)  # the rows are laid out to the width

    def _width(self) -> int:
        item = self.query_one("#item", Static)
        return max(item.content_region.width or self.size.width - 4, 20)


def _row(label: str, value: str, width: int) -> str:
    """``label`` on the left (cut to fit), ``value`` flush right."""
    room = max(width - len(value) - 1, 1)
    if len(label) > room:
        label = label[: room - 1] + "…"
    return f"{label:<{room}} {value}"

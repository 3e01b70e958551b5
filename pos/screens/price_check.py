"""Price check (F1 on the scanning screen): scan an item, or type its barcode and press
Enter, or find it by name (F2), to see its name, its price and the deals it is in right
now. The cart is never touched. Once an item is shown, any key closes the check; a scan
(or ``3*``) closes it and goes on into the cart, as if typed on the scanning screen."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from pos.auth.guard import LoginRequired
from pos.domain.catalog import Unit
from pos.domain.money import format_money
from pos.domain.receipt import format_qty
from pos.screens.find import FindScreen, Search
from pos.screens.modals import SCANNER_KEY_NAMES
from pos.screens.requests import LockTill
from pos.services.outcomes import Outcome
from pos.services.price_check import PriceCheck, PriceCheckService
from pos.widgets import EntryLine, MessageLine
from pos.widgets.entry_line import typing_keys
from pos.widgets.type_ahead import AnswersOnce, PassesKeysOn, Typed

ASKING = "Scan, or type the barcode and Enter; F2 finds by name"


def describe(found: PriceCheck) -> Text:
    """The check's panel: the name, the price (per kg for a weighed item, and a label's
    own price or weight), the barcode and the deals of the moment."""
    product = found.product
    text = Text()
    text.append(f"{product.name}\n", style="bold")
    per = "per kg" if product.unit is Unit.KG else "each"
    text.append(f"{format_money(product.price)} {per}\n", style="bold")
    if found.label_price is not None:
        text.append(f"This label: {format_money(found.label_price)}\n")
    elif found.label_grams is not None:
        text.append(f"This label: {format_qty(Unit.KG, found.label_grams)}\n")
    text.append(f"Barcode {product.barcode}\n\n", style="dim")
    if found.deals:
        text.append("Deals now:\n")
        for deal in found.deals:
            text.append(f"  {deal}\n")
    else:
        text.append("No deal on this item now\n")
    return text


class PriceCheckScreen(PassesKeysOn, AnswersOnce, ModalScreen[object]):
    """The price check dialog (see the module docstring)."""

    BINDINGS = [
        *typing_keys(),
        Binding("enter,ctrl+j,tab", "check", show=False, priority=True),
        Binding("f2", "find", "Find", key_display="F2", priority=True),
        Binding("escape", "close", "Back", key_display="Esc", priority=True),
    ]

    def __init__(self, price_check: PriceCheckService, search: Search) -> None:
        super().__init__()
        self.price_check = price_check
        self.search = search
        self.found: PriceCheck | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Price check", id="title")
            entry = EntryLine(id="pc-entry")
            entry.prompt = ASKING
            yield entry
            yield Static("", id="pc-result")
            yield Label("The cart is not changed. Esc goes back.", id="keys")
            yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    @property
    def entry(self) -> EntryLine:
        return self.query_one("#pc-entry", EntryLine)

    def passes_on(self, event: Typed) -> bool:
        """With an item shown, the next scan (or ``3*``) closes the check and goes on
        into the cart."""
        return (
            self.found is not None
            and isinstance(event, events.Key)
            and event.key in SCANNER_KEY_NAMES
        )

    def on_key(self, event: events.Key) -> None:
        """With an item shown any other key closes the check; before, a key that is not
        a digit is refused (a barcode is digits)."""
        event.stop()
        event.prevent_default()
        if self.found is not None:
            self.dismiss(None)
            return
        self._say(f"{ASKING} (Esc goes back)")

    def action_type(self, char: str) -> None:
        self.entry.type(char)

    def action_backspace(self) -> None:
        if self.found is not None:  # any key closes a check that is shown
            self.dismiss(None)
            return
        self.entry.backspace()

    def action_check(self) -> None:
        if self.found is not None:
            self.dismiss(None)
            return
        code = self.entry.take()
        if not code:
            self._say(f"{ASKING} (Esc goes back)")
            return
        try:
            found = self.price_check.look_up(code)  # the service asks the guard
        except LoginRequired as exc:
            self._say(str(exc))
            self.post_message(LockTill())
            return
        if isinstance(found, Outcome):
            self._say(found.message)
            return
        self.found = found
        self.entry.prompt = "Any key closes; a scan goes into the cart"
        self.query_one("#pc-result", Static).update(describe(found))
        self.query_one(MessageLine).show("")

    def action_find(self) -> None:
        """F2: find the item by name, PLU or barcode; the chosen one is checked."""
        if self.found is not None:  # any key closes a check that is shown
            self.dismiss(None)
            return

        def chosen(code: str | None) -> None:
            if code is not None:
                self.entry.buffer = code
                self.action_check()

        self.app.push_screen(FindScreen(self.search, self.entry.take(), taking="Check"), chosen)

    def action_close(self) -> None:
        self.dismiss(None)

    def _say(self, text: str) -> None:
        self.query_one(MessageLine).show(text, error=True)
        self.app.bell()

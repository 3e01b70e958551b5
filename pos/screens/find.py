"""Find (F2 on the scanning screen, and in the price check): an item that has no barcode, or
whose barcode will not scan, found by part of its name, its PLU or its barcode.

Every key with a character goes into the search at once, and the results follow each key;
Up and Down choose, Enter takes the chosen item, Esc goes back with nothing changed. The
scanner always wins: digits that end in Enter and are long enough to be a barcode (typed into
an empty search, or after some letters) close Find and go on as that scan, so an item whose
barcode is unknown is refused by the scanning screen's own rules, as a scan would be.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label

from pos.auth.guard import LoginRequired
from pos.domain.catalog import Unit
from pos.domain.entry import scanned_at_end
from pos.domain.money import format_money
from pos.domain.search import Found, SearchError
from pos.domain.text import sentence
from pos.screens.requests import LockTill
from pos.services.errors import StorageError
from pos.services.outcomes import unreadable
from pos.services.search import Results
from pos.widgets import EntryLine, MessageLine
from pos.widgets.type_ahead import AnswersOnce, TakesText, Typed

ASKING = "Name, PLU or barcode"
HINT = "Words in any order, or their first letters: 'sem sk' finds semi-skimmed milk."
LIMIT = 50
"""Results shown at most (a search that finds more says to type more)."""
NAME_WIDTH = 44
"""The name column's width (a longer name is cut short in the list, never wrapped)."""
PRICE_WIDTH = 10
MAX_QUERY = 60
"""Characters kept in the search (a stuck key cannot grow it forever)."""


Search = Callable[[str, int], Results]
"""What Find asks: the products for the text, best first, at most so many."""


class FindScreen(TakesText, AnswersOnce, ModalScreen[str | None]):
    """The Find dialog (see the module docstring). Answers the barcode to go on with (the
    chosen item's, or the one scanned), or None after Esc."""

    BINDINGS = [
        Binding("backspace", "backspace", show=False, priority=True),
        Binding("enter,ctrl+j,tab", "choose", "Choose", key_display="Enter", priority=True),
        Binding("up", "move(-1)", "Up/Down", key_display="↑↓", priority=True),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("pageup", "move(-10)", show=False, priority=True),
        Binding("pagedown", "move(10)", show=False, priority=True),
        Binding("escape", "close", "Back", key_display="Esc", priority=True),
    ]

    def __init__(self, search: Search, text: str = "", *, taking: str = "Add") -> None:
        super().__init__()
        self.search = search
        self.text = text[:MAX_QUERY]
        self.taking = taking
        self.found: list[Found] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Find a product", id="title")
            entry = EntryLine(id="find-entry")
            entry.prompt = ASKING
            yield entry
            table: DataTable[str] = DataTable(
                id="find-results", cursor_type="row", zebra_stripes=True, show_cursor=True
            )
            table.can_focus = False  # the keys are this screen's, whatever the mouse does
            yield table
            yield Label(HINT, id="keys")
            yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Name", key="name", width=NAME_WIDTH)
        table.add_column("Price".rjust(PRICE_WIDTH), key="price", width=PRICE_WIDTH)
        table.add_column("PLU / barcode", key="code", width=14)
        self._refresh()

    @property
    def entry(self) -> EntryLine:
        return self.query_one("#find-entry", EntryLine)

    # ------------------------------------------------------------------ keys

    def intercept(self, event: Typed) -> bool:
        """Every key with a character (letters, digits, a space, ``-``) goes into the search,
        before any binding, in the order typed; a paste is refused (a block of text is not
        a search a cashier types)."""
        if isinstance(event, events.Paste):
            self._say("Pasted text ignored: type part of the name")
            return True
        if event.key in self._bindings.key_to_bindings:
            return False
        char = event.character
        if char is None or not char.isprintable() or len(char) != 1:
            return False
        if len(self.text) >= MAX_QUERY:
            self._say(f"At most {MAX_QUERY} characters: Backspace, or Esc to go back")
            return True
        self.text += char
        self._refresh()
        return True

    def action_backspace(self) -> None:
        if self.text:
            self.text = self.text[:-1]
            self._refresh()

    def action_move(self, rows: int) -> None:
        table = self.query_one(DataTable)
        if self.found:
            row = max(0, min(len(self.found) - 1, table.cursor_row + rows))
            table.move_cursor(row=row)

    def action_choose(self) -> None:
        codes = scanned_at_end(self.text)
        if codes:  # the scanner always wins
            self.dismiss(self._known(codes) or codes[0])
            return
        if self.found:
            self.dismiss(self.found[self.query_one(DataTable).cursor_row].barcode)
            return
        if not self.text.strip():
            self._say("Type part of the name, a PLU or a barcode first (Esc goes back)")
        else:
            self._say(f"Nothing found for '{self.text.strip()}': fewer letters, or Esc")

    def action_close(self) -> None:
        self.dismiss(None)

    def _known(self, codes: list[str]) -> str | None:
        """The first of ``codes`` that is a product's barcode: the digits typed before a
        scan (a PLU, a size) can make a longer run look like another barcode too."""
        for code in codes:
            try:
                results = self.search(code, 1)
            except (SearchError, StorageError, LoginRequired):
                return None
            if results.found and results.found[0].match == "barcode":
                return code
        return None

    # ------------------------------------------------------------------ results

    def _refresh(self) -> None:
        """Search again for what is typed now, and show the results, best first."""
        self.entry.buffer = self.text
        table = self.query_one(DataTable)
        table.clear()
        text = self.text.strip()
        message = self.query_one(MessageLine)
        if not text:
            self.found = []
            message.show("")
            return
        try:
            results = self.search(text, LIMIT)  # the service asks the guard
        except LoginRequired as exc:
            self.found = []
            self._say(str(exc))
            self.post_message(LockTill())
            return
        except SearchError as exc:  # punctuation only, too long: said, not rung
            self.found = []
            message.show(sentence(str(exc)))
            return
        except StorageError as exc:  # a busy or damaged file: said, and Find stays open
            self.found = []
            self._say(unreadable(exc).message)
            return
        self.found = list(results)
        for product in self.found:
            per = "/kg" if product.unit is Unit.KG else ""
            table.add_row(
                product.name,
                f"{format_money(product.price)}{per}".rjust(PRICE_WIDTH),
                product.plu or product.barcode,
            )
        if not self.found:
            message.show(f"Nothing found for '{text}': fewer letters, or Esc to go back")
        elif results.more:
            message.show(f"The first {len(self.found)} found: type more of the name to narrow them")
        else:
            message.show(f"Enter: {self.taking.lower()} the chosen item")
        if self.found:
            table.move_cursor(row=0)

    def _say(self, text: str) -> None:
        self.query_one(MessageLine).show(text, error=True)
        self.app.bell()

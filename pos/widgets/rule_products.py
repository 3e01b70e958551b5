"""The products of a rule's condition, as a table: `+`/`-` change a count, Del removes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from pos.domain.rule_format import MAX_SET_COUNT


class RuleProducts(DataTable[Text]):
    """Barcode, name and count of each product in the rule (in the order added).

    Styled in ``pos/styles/discount_editor.tcss``."""

    BINDINGS = [
        Binding("plus", "count(1)", "More", key_display="+"),
        Binding("minus", "count(-1)", "Fewer", key_display="-"),
        Binding("delete", "remove", "Remove", key_display="Del"),
    ]

    @dataclass
    class Changed(Message):
        """The list changed (a product added, removed or counted)."""

        products: RuleProducts

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_cursor=True)
        self._items: list[tuple[str, str, int]] = []
        self.counted = True

    def on_mount(self) -> None:
        self.add_column("Barcode", key="code", width=13)
        self.add_column("Product", key="name", width=24)
        self.add_column("Count", key="count", width=5)

    @property
    def items(self) -> list[tuple[str, int]]:
        """Barcode and count of each product, in order."""
        return [(code, count) for code, _, count in self._items]

    def set_items(self, items: list[tuple[str, str, int]]) -> None:
        """Show these products (barcode, name, count)."""
        self._items = list(items)
        self._redraw()

    def add_product(self, barcode: str, name: str, count: int = 1) -> None:
        """Add a product, or add to its count if it is listed already."""
        for i, (code, shown, n) in enumerate(self._items):
            if code == barcode:
                self._items[i] = (code, shown, min(MAX_SET_COUNT, n + count))
                break
        else:
            self._items.append((barcode, name, min(MAX_SET_COUNT, count)))
        self._redraw(select=barcode)
        self.post_message(self.Changed(self))

    def show_counts(self, counted: bool) -> None:
        """A set counts each product; "any N of the list" does not."""
        self.counted = counted
        self._redraw()

    def _redraw(self, select: str | None = None) -> None:
        row = self.cursor_row
        self.clear()
        for code, name, count in self._items:
            self.add_row(
                Text(code),
                Text(name, no_wrap=True, overflow="ellipsis"),
                Text(str(count).rjust(5) if self.counted else "    -"),
                key=code,
            )
        if select is not None:
            row = [code for code, _, _ in self._items].index(select)
        if self._items:
            self.move_cursor(row=min(max(row, 0), len(self._items) - 1))

    def action_count(self, delta: int) -> None:
        if not self._items or not self.counted:
            return
        i = min(self.cursor_row, len(self._items) - 1)
        code, name, count = self._items[i]
        self._items[i] = (code, name, max(1, min(MAX_SET_COUNT, count + delta)))
        self._redraw()
        self.post_message(self.Changed(self))

    def action_remove(self) -> None:
        if not self._items:
            return
        del self._items[min(self.cursor_row, len(self._items) - 1)]
        self._redraw()
        self.post_message(self.Changed(self))

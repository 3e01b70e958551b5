"""The cart as a table: one row per line, updated one row at a time."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from pos.domain.cart import CartLine
from pos.domain.money import format_money
from pos.domain.receipt import format_qty

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("no", "#", 3),
    ("name", "Item", 32),
    ("qty", "Qty", 9),
    ("price", "Price", 8),
    ("total", "Total", 9),
)
"""Column key, heading and width. Fixed widths: a scan never re-measures the table."""


def _right(text: str) -> Text:
    return Text(text, justify="right", no_wrap=True)


class CartTable(DataTable[Text]):
    """The cart lines. Product names are shown literally (never parsed as markup)."""

    DEFAULT_CSS = """
    CartTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            justify = "left" if key == "name" else "right"
            self.add_column(Text(label, justify=justify), key=key, width=width)

    @staticmethod
    def _cells(line: CartLine) -> dict[str, Text]:
        return {
            "no": _right(str(line.line_no)),
            "name": Text(line.name, no_wrap=True, overflow="ellipsis"),
            "qty": _right(format_qty(line.unit, line.qty)),
            "price": _right(format_money(line.unit_price)),
            "total": _right(format_money(line.total)),
        }

    def show_line(self, line: CartLine, *, is_new: bool) -> None:
        """Add a new line, or update the changed cells of an existing one, and select it."""
        key = str(line.line_no)
        cells = self._cells(line)
        if is_new or key not in self.rows:
            self.add_row(*(cells[k] for k, _, _ in COLUMNS), key=key)
        else:
            self.update_cell(key, "qty", cells["qty"])
            self.update_cell(key, "total", cells["total"])
        self.move_cursor(row=self.get_row_index(key), scroll=True)

    def drop_line(self, line_no: int) -> None:
        """Remove a voided line."""
        key = str(line_no)
        if key in self.rows:
            self.remove_row(key)

    def load(self, lines: Iterable[CartLine]) -> None:
        """Show a whole cart (start-up, park, recall, void cart)."""
        self.clear()
        for line in lines:
            cells = self._cells(line)
            self.add_row(*(cells[k] for k, _, _ in COLUMNS), key=str(line.line_no))
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, scroll=True)

    @property
    def selected_line_no(self) -> int | None:
        """The line under the cursor, if any."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None

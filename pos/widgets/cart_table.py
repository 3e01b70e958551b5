"""The cart as a table: one row per line, updated one row at a time."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from pos.domain.cart import CartLine
from pos.domain.money import format_money
from pos.domain.pricing import AppliedDiscount
from pos.domain.receipt import discount_label, format_qty

DISCOUNT_PREFIX = "discount:"

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("no", "#", 3),
    ("name", "Item", 20),
    ("qty", "Qty", 8),
    ("price", "Price", 8),
    ("total", "Total", 9),
)
"""Column key, heading and width. Fixed widths (the name column takes the rest of the
table's width on resize), so a scan never makes the table re-measure its columns."""

WIDTH = {key: width for key, _, width in COLUMNS}
MIN_NAME_WIDTH = 12


def _right(text: str, key: str) -> Text:
    # DataTable ignores Text.justify, so figures are padded to the column width.
    return Text(text.rjust(WIDTH[key]), no_wrap=True)


class CartTable(DataTable[Text]):
    """The cart lines. Product names are shown literally (never parsed as markup)."""

    DEFAULT_CSS = """
    CartTable {
        height: 1fr;
        overflow-x: hidden;
        scrollbar-gutter: stable;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._discount_rows: dict[str, AppliedDiscount] = {}

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            heading = label if key == "name" else label.rjust(width)
            self.add_column(Text(heading), key=key, width=width)

    def on_resize(self) -> None:
        """Give the name column whatever width the figures leave."""
        others = sum(width + 2 * self.cell_padding for key, _, width in COLUMNS if key != "name")
        room = self.scrollable_content_region.width - others - 2 * self.cell_padding
        column = self.columns["name"]  # type: ignore[index]
        new_width = max(MIN_NAME_WIDTH, room)
        if column.width != new_width:
            column.width = new_width
            # DataTable has no public way to re-measure after a column width change.
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    @staticmethod
    def _cells(line: CartLine) -> dict[str, Text]:
        return {
            "no": _right(str(line.line_no), "no"),
            "name": Text(line.name, no_wrap=True, overflow="ellipsis"),
            "qty": _right(format_qty(line.unit, line.qty), "qty"),
            "price": _right(format_money(line.unit_price), "price"),
            "total": _right(format_money(line.total), "total"),
        }

    def show_line(self, line: CartLine, *, is_new: bool) -> None:
        """Add a new line, or update the changed cells of an existing one, and select it."""
        key = str(line.line_no)
        cells = self._cells(line)
        if is_new or key not in self.rows:
            self.add_row(*(cells[k] for k, _, _ in COLUMNS), key=key)
        else:
            for column in ("qty", "price", "total"):  # F5 changes the price
                self.update_cell(key, column, cells[column])
        self.move_cursor(row=self.get_row_index(key), scroll=True)

    def drop_line(self, line_no: int) -> None:
        """Remove a voided line."""
        key = str(line_no)
        if key in self.rows:
            self.remove_row(key)

    def load(self, lines: Iterable[CartLine]) -> None:
        """Show a whole cart (start-up, park, recall, void cart)."""
        self.clear()
        self._discount_rows.clear()
        for line in lines:
            cells = self._cells(line)
            self.add_row(*(cells[k] for k, _, _ in COLUMNS), key=str(line.line_no))
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, scroll=True)

    def show_discounts(self, discounts: Iterable[AppliedDiscount]) -> None:
        """Show each applied discount as a row of its own, added when it triggers,
        updated when it changes and removed when a change breaks it."""
        wanted = {DISCOUNT_PREFIX + d.name: d for d in discounts}
        for key in [k for k in self._discount_rows if k not in wanted]:
            self._discount_rows.pop(key)
            if key in self.rows:
                self.remove_row(key)
        for key, discount in wanted.items():
            label = Text(
                "  " + discount_label(discount), style="italic", no_wrap=True, overflow="ellipsis"
            )
            amount = _right("-" + format_money(discount.amount), "total")
            amount.stylize("bold")
            shown = self._discount_rows.get(key)
            if shown is None:
                self.add_row(Text(""), label, Text(""), Text(""), amount, key=key)
            elif shown != discount:
                self.update_cell(key, "name", label)
                self.update_cell(key, "total", amount)
            self._discount_rows[key] = discount

    @property
    def selected_line_no(self) -> int | None:
        """The item line under the cursor, if any (None on a discount row)."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        value = row_key.value
        if value is None or value.startswith(DISCOUNT_PREFIX):
            return None
        return int(value)

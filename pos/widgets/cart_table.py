"""The cart as a table: one row per line, drawn with Textual's line API.

A scan adds or changes one row. A ``DataTable`` would re-render every visible cell on any
change (its cell cache is keyed on an update counter) and re-lay out the whole screen on
every new or removed row; at a few hundred lines that is most of a frame. This widget keeps
its rows in a list, renders a row only when it is drawn and caches the result per row and
state, so a scan costs the lines that actually change on screen, however long the cart.

The header stays on the first line; the rows scroll under it. The widget keeps the row at
the top itself (it is not a ``ScrollView``: no virtual size, scroll offsets or scrollbar to
update on each scan), and a row that only moved up a line when the view scrolled is drawn
from the cache, border and all. There is no scrollbar (repainting one on every scan costs
more than the row): the border says how many rows are out of view above and below, and the
mouse wheel and the cursor keys scroll.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import count
from operator import attrgetter
from typing import TypeVar, cast, overload

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from pos.domain.cart import CartLine
from pos.domain.coupons import Coupon
from pos.domain.money import format_money
from pos.domain.pricing import AppliedDiscount
from pos.domain.receipt import discount_label, format_qty

DISCOUNT_PREFIX = "discount:"
COUPON_PREFIX = "coupon:"
"""The key of a coupon's row (issue 22): the prefix and the code."""

COLUMNS: tuple[tuple[str, str, int, bool], ...] = (
    ("no", "#", 3, True),
    ("name", "Item", 20, False),
    ("qty", "Qty", 8, True),
    ("price", "Price", 8, True),
    ("total", "Total", 9, True),
)
"""Column key, heading, width and whether it is right-aligned. The name column takes the
width the others leave; the others are fixed, so no change ever re-measures a column."""

PADDING = 1
"""Blank cells either side of every column."""
MIN_NAME_WIDTH = 12
CACHED_ROWS = 256
"""Rendered rows kept: a few screens' worth. Every kept row is an object the garbage
collector walks, so the cache must not grow with the cart."""


@dataclass(slots=True)
class CartRow:
    """One row as shown: an item line (``key`` is its line number) or a discount."""

    key: str
    cells: tuple[str, str, str, str, str]
    discount: bool = False
    serial: int = field(default_factory=lambda: next(_SERIALS))
    """Names this content: a row is replaced, never changed, when its line changes."""
    place: float = 0
    """Where the row stands: set when it is added, kept when it is replaced, and rising
    down the table, so a row's index is found by bisection (no index to rebuild when a
    row in the middle goes or comes: a row put between two gets a place between theirs)."""


_SERIALS: Iterator[int] = count()
_PLACES: Iterator[int] = count()
_PLACE = attrgetter("place")
_T = TypeVar("_T")


class RowIndex(Mapping[str, int]):
    """Row keys to their position, worked out when asked (a void never renumbers)."""

    __slots__ = ("_keys", "_rows")

    def __init__(self, rows: list[CartRow], keys: dict[str, CartRow]) -> None:
        self._rows = rows
        self._keys = keys

    def __getitem__(self, key: str) -> int:
        return bisect_left(self._rows, self._keys[key].place, key=_PLACE)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return (row.key for row in self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def get(self, key: str, /) -> int | None: ...
    @overload
    def get(self, key: str, default: int, /) -> int: ...
    @overload
    def get(self, key: str, default: _T, /) -> int | _T: ...
    def get(self, key: str, default: object = None) -> object:
        return self[key] if key in self._keys else default


def _fit(text: str, width: int, right: bool) -> str:
    """``text`` in exactly ``width`` terminal cells (wide characters count twice), cut with
    an ellipsis when it is too long."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    if right:
        return " " * (width - length) + text
    return text + " " * (width - length)


class CartTable(Widget, can_focus=True):
    """The cart lines and the discounts they trigger. Names are shown literally."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(0)", "First line", show=False),
        Binding("end", "edge(1)", "Last line", show=False),
    ]

    COMPONENT_CLASSES = {
        "cart-table--header",
        "cart-table--odd-row",
        "cart-table--even-row",
        "cart-table--cursor",
        "cart-table--discount",
    }

    DEFAULT_CSS = """
    CartTable {
        height: 1fr;
        overflow: hidden hidden;
    }
    """
    """Only what the widget needs to work (no scrollbar: the border counts the rows out of
    view). Its colours, striping and cursor are in pos/styles/scan.tcss."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._rows: list[CartRow] = []
        self._keys: dict[str, CartRow] = {}
        self._index = RowIndex(self._rows, self._keys)
        self._discounts: dict[str, AppliedDiscount] = {}
        self._coupons: set[str] = set()  # the keys of the coupon rows shown
        self.cursor_row = 0
        self._widths: tuple[int, ...] = ()
        self._header: Strip | None = None
        self._cache: dict[tuple[int, int, bool], Strip] = {}
        """Finished rows, border included, by (serial, parity, cursor); cleared on resize,
        focus and style changes."""
        self._styles: dict[str, Style] = {}
        self._base: Style | None = None
        """The widget's own style (``rich_style`` walks every ancestor: too dear per line)."""
        self._blank: Strip | None = None
        self._shown_range: tuple[int, int] = (0, 0)
        self._top = 0
        """The row on the first line under the header."""

    # ------------------------------------------------------------------ reading

    @property
    def row_count(self) -> int:
        return len(self._rows)

    @property
    def rows(self) -> Mapping[str, int]:
        """Row keys (line numbers, and ``discount:`` + rule name) to their position."""
        return self._index

    def get_row_index(self, key: str) -> int:
        return self._index[key]

    def get_row_at(self, index: int) -> tuple[str, str, str, str, str]:
        """The cells of a row as text."""
        return self._rows[index].cells

    @property
    def selected_line_no(self) -> int | None:
        """The item line under the cursor, if any (None on a discount row)."""
        if not self._rows:
            return None
        row = self._rows[min(self.cursor_row, len(self._rows) - 1)]
        return None if row.discount else int(row.key)

    @property
    def selected_coupon(self) -> str | None:
        """The code of the coupon row under the cursor, if it is on one."""
        if not self._rows:
            return None
        key = self._rows[min(self.cursor_row, len(self._rows) - 1)].key
        return key.removeprefix(COUPON_PREFIX) if key.startswith(COUPON_PREFIX) else None

    # ----------------------------------------------------------------- changing

    @staticmethod
    def _item_row(line: CartLine) -> CartRow:
        return CartRow(
            str(line.line_no),
            (
                str(line.line_no),
                line.name,
                format_qty(line.unit, line.qty),
                format_money(line.unit_price),
                format_money(line.total),
            ),
        )

    @staticmethod
    def _discount_row(key: str, discount: AppliedDiscount) -> CartRow:
        cells = ("", "  " + discount_label(discount), "", "", "-" + format_money(discount.amount))
        return CartRow(key, cells, discount=True)

    def show_line(self, line: CartLine, *, is_new: bool) -> None:
        """Add a new line, or replace an existing one, and put the cursor on it."""
        row = self._item_row(line)
        index = self._index.get(row.key)
        if is_new or index is None:
            index = self._append(row)
        else:
            self._replace(index, row)
        self.move_cursor(row=index)

    def drop_line(self, line_no: int) -> None:
        """Remove a voided line."""
        index = self._index.get(str(line_no))
        if index is not None:
            self._remove(index)

    def load(self, lines: Iterable[CartLine]) -> None:
        """Show a whole cart (start-up, park, recall, void cart)."""
        self._rows[:] = [self._item_row(line) for line in lines]
        self._discounts.clear()
        self._coupons.clear()
        self._keys.clear()
        for row in self._rows:
            row.place = next(_PLACES)
            self._keys[row.key] = row
        self._cache.clear()
        self._set_height()
        self.refresh()
        self.move_cursor(row=max(0, len(self._rows) - 1))

    def show_discounts(
        self, discounts: Iterable[AppliedDiscount], coupons: Iterable[Coupon] = ()
    ) -> None:
        """Show each applied discount as a row of its own, under the last line it uses
        (a basket discount at the end), updated when it changes and removed when a change
        breaks it. The row goes to the same place whether the discount triggers while
        scanning or the cart is loaded whole (a recall, a restart)."""
        wanted = {DISCOUNT_PREFIX + d.name: d for d in discounts}
        for key in [k for k in self._discounts if k not in wanted]:
            self._discounts.pop(key)
            index = self._index.get(key)
            if index is not None:
                self._remove(index)
        for key, discount in wanted.items():
            shown = self._discounts.get(key)
            if shown is discount or shown == discount:  # a kept result is the same object
                continue
            row = self._discount_row(key, discount)
            index = self._index.get(key)
            if index is not None and shown is not None and shown.last_line == discount.last_line:
                self._replace(index, row)
            else:
                if index is not None:  # it uses a later line now: it moves under that
                    self._remove(index)
                self._insert_under(row, discount.last_line)
            self._discounts[key] = discount
        self._show_coupons(coupons)

    def _show_coupons(self, coupons: Iterable[Coupon]) -> None:
        """A row (0.00, named after its rule) for each coupon in the cart, at the end when
        it is scanned; gone when it is taken off."""
        wanted = {COUPON_PREFIX + c.code: c for c in coupons}
        for key in [k for k in self._coupons if k not in wanted]:
            self._coupons.discard(key)
            index = self._index.get(key)
            if index is not None:
                self._remove(index)
        for key, coupon in wanted.items():
            if key not in self._coupons:
                self._append(CartRow(key, ("", f"Coupon: {coupon.rule}", "", "", "0.00"), True))
                self._coupons.add(key)

    def _insert_under(self, row: CartRow, line_no: int) -> None:
        """Put a discount row under the row of ``line_no`` and the discount rows already
        under it; at the end if there is no such line (a basket discount)."""
        anchor = self._index.get(str(line_no)) if line_no else None
        if anchor is None:
            self._append(row)
            return
        index = anchor + 1
        while index < len(self._rows) and self._rows[index].discount:
            index += 1
        if index == len(self._rows):
            self._append(row)
            return
        row.place = (self._rows[index - 1].place + self._rows[index].place) / 2
        self._rows.insert(index, row)
        self._keys[row.key] = row
        if self.cursor_row >= index:
            self.cursor_row += 1  # the cursor stays on its row
        self._set_height()
        self._refresh_from(index)

    def _append(self, row: CartRow) -> int:
        index = len(self._rows)
        row.place = next(_PLACES)
        self._rows.append(row)
        self._keys[row.key] = row
        self._set_height()
        self._refresh_row(index)
        return index

    def _replace(self, index: int, row: CartRow) -> None:
        row.place = self._rows[index].place
        self._rows[index] = row
        self._keys[row.key] = row
        self._refresh_row(index)

    def _remove(self, index: int) -> None:
        row = self._rows.pop(index)
        del self._keys[row.key]
        self._set_height()
        if self.cursor_row >= len(self._rows):
            self.cursor_row = max(0, len(self._rows) - 1)
            self._refresh_row(self.cursor_row)  # the row above the last now has the cursor
        self._refresh_from(index)

    @property
    def top_row(self) -> int:
        """The row shown first, under the header."""
        return self._top

    @property
    def last_top_row(self) -> int:
        """The furthest the rows scroll: the last row on the bottom line."""
        return max(0, len(self._rows) - self._visible)

    @property
    def _visible(self) -> int:
        """How many rows fit under the header."""
        return max(1, self.content_region.height - 1)

    def scroll_rows(self, top: int) -> None:
        """Show the rows from ``top`` (clamped) under the header."""
        top = max(0, min(top, self.last_top_row))
        if top != self._top:
            self._top = top
            self.refresh()  # every line shows another row (each is drawn once: the cache)
        self._show_range()

    def _show_range(self) -> None:
        """Say on the border how many rows are out of view."""
        top = self._top
        shown = (top, max(0, len(self._rows) - top - self._visible))
        if shown != self._shown_range:
            self._shown_range = shown
            above, below = shown
            parts = [f"↑ {above} more"] if above else []
            parts += [f"↓ {below} more"] if below else []
            self.border_subtitle = "  ".join(parts)

    def _set_height(self) -> None:
        """After rows came or went: keep the view inside the rows and update the border's
        count. The widget's own size does not change, so the screen is never asked for a new
        layout."""
        if self._top > self.last_top_row:
            self.scroll_rows(self.last_top_row)
        else:
            self._show_range()

    # ------------------------------------------------------------------- cursor

    def move_cursor(self, *, row: int, scroll: bool = True) -> None:
        """Put the cursor on ``row`` (clamped) and scroll it into view."""
        row = max(0, min(row, len(self._rows) - 1))
        old, self.cursor_row = self.cursor_row, row
        if old != row:
            self._refresh_row(old)
        self._refresh_row(row)
        if scroll:
            self._scroll_to_row(row)

    def _scroll_to_row(self, row: int) -> None:
        if row < self._top:
            self.scroll_rows(row)
        elif row >= self._top + self._visible:
            self.scroll_rows(row - self._visible + 1)

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(row=self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(row=self.cursor_row + direction * self._visible)

    def action_edge(self, end: int) -> None:
        self.move_cursor(row=len(self._rows) - 1 if end else 0)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.scroll_rows(self._top + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.scroll_rows(self._top - 3)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # None on the border
        if offset is not None and offset.y >= 1:  # line 0 is the header
            row = self._top + offset.y - 1
            if row < len(self._rows):
                self.move_cursor(row=row)

    # --------------------------------------------------------------- rendering

    def _refresh_row(self, index: int) -> None:
        line = index - self._top + 1  # the header is line 0
        if 1 <= line <= self._visible:
            self.refresh(Region(0, line, self.content_region.width, 1))

    def _refresh_from(self, index: int) -> None:
        line = max(1, index - self._top + 1)
        if line <= self._visible:
            self.refresh(Region(0, line, self.content_region.width, self._visible - line + 1))

    def on_resize(self) -> None:
        self._cache.clear()  # rows are drawn to the full width
        self._blank = None
        self._layout_columns()
        self._set_height()
        if self._rows:
            self._scroll_to_row(self.cursor_row)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()
        self._header = None
        self._base = None
        self._blank = None

    def _on_focus(self, event: events.Focus) -> None:
        super()._on_focus(event)
        self._forget_styles()

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        self._forget_styles()

    def _forget_styles(self) -> None:
        self._cache.clear()
        self._base = None
        self._blank = None

    def _layout_columns(self) -> None:
        width = self.content_region.width
        others = sum(w + 2 * PADDING for key, _, w, _ in COLUMNS if key != "name")
        name = max(MIN_NAME_WIDTH, width - others - 2 * PADDING)
        widths = tuple(name if key == "name" else w for key, _, w, _ in COLUMNS)
        if widths != self._widths:
            self._widths = widths
            self._cache.clear()
            self._header = None
            self._blank = None
            self.refresh()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_styles(name).rich_style
        return style

    def _strip(self, cells: Iterable[str], style: Style, bold_total: bool = False) -> Strip:
        if not self._widths:
            self._layout_columns()
        pad = " " * PADDING
        segments: list[Segment] = []
        for (key, _, _, right), width, text in zip(COLUMNS, self._widths, cells, strict=True):
            cell = pad + _fit(text, width, right) + pad
            if bold_total and key == "total":
                segments.append(Segment(cell, style + Style(bold=True, italic=False)))
            else:
                segments.append(Segment(cell, style))
        width = self.content_region.width
        # one segment per run of one style: every later step of the paint (the border,
        # the crop, the compositor's cuts) works segment by segment
        return Strip(segments).adjust_cell_length(width, style).simplify()

    def render_line(self, y: int) -> Strip:
        base = self._base
        if base is None:
            base = self._base = self.rich_style
        if y == 0:
            if self._header is None:
                headings = [label for _, label, _, _ in COLUMNS]
                self._header = self._strip(headings, base + self._style("cart-table--header"))
            return self._header
        index = self._top + y - 1
        if index >= len(self._rows):
            if self._blank is None:
                self._blank = Strip.blank(self.content_region.width, base)
            return self._blank
        row = self._rows[index]
        style = base + self._style("cart-table--odd-row" if index % 2 else "cart-table--even-row")
        if row.discount:
            style += self._style("cart-table--discount")
        if index == self.cursor_row:
            style += self._style("cart-table--cursor")
        return self._strip(row.cells, style, bold_total=row.discount)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines of ``crop``, a row taken whole from the cache when it was drawn before.

        Textual styles every line it repaints (the border either side, the background) and
        repaints every visible line when the view scrolls, which a scan into a full view
        does: a row that only moved up is the same finished line as before, so it is kept
        by its content, not by where it is on screen. The border, the header and the blank
        lines are left to Textual (which keeps them itself until they change)."""
        width = self.outer_size.width  # the border's lines too
        rows, cache = self._rows, self._cache
        header = self.gutter.top  # the lines above it are the border's
        first = self._top - 1 - header  # line y shows row y + first
        end = header + self.content_region.height
        lines: list[Strip | None] = []
        keys: list[tuple[int, int, bool] | None] = []
        for y in crop.line_range:
            index = y + first
            if y <= header or y >= end or index >= len(rows):
                key = None
            else:
                key = (rows[index].serial, index % 2, index == self.cursor_row)
                if key not in cache:
                    # drawn afresh, never taken from Textual's cache of that screen line
                    # (which may hold what the line showed before): what is kept must be
                    # what the key says
                    self._styles_cache.set_dirty(Region(0, y, width, 1))
            keys.append(key)
            lines.append(None if key is None else cache.get(key))
        # the rest from Textual, a run of neighbouring lines at a time
        start = crop.y
        y = 0
        while y < len(lines):
            if lines[y] is not None:
                y += 1
                continue
            run = y
            while y < len(lines) and lines[y] is None:
                y += 1
            drawn = self._styles_cache.render_widget(self, Region(0, start + run, width, y - run))
            for offset, strip in enumerate(drawn, run):
                lines[offset] = strip
                key = keys[offset]
                if key is not None:
                    if len(cache) > CACHED_ROWS:
                        cache.clear()
                    cache[key] = strip
        done = cast("list[Strip]", lines)
        if crop.column_span != (0, width):
            x1, x2 = crop.column_span
            done = [strip.crop(x1, x2) for strip in done]
        return done


__all__ = ["COLUMNS", "CartRow", "CartTable"]

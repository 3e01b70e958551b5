"""The cart table on its own: rows, cursor, scrolling, alignment and what a change costs."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual import events
from textual._styles_cache import StylesCache
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.pricing import AppliedDiscount
from pos.widgets import CartTable
from pos.widgets.cart_table import CACHED_ROWS

# what is drawn, read from the screen: painted after every message (tests/painting.py)
pytestmark = pytest.mark.paints

SIZE = (60, 12)  # 12 lines: the header and 11 rows


def line(no: int, name: str = "", qty: int = 1, price: int = 100) -> CartLine:
    return CartLine(no, f"{no:013d}", name or f"Item {no}", Unit.EACH, price, qty, 2000)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield CartTable(id="cart")


def wheel(kind: type[events.MouseEvent], widget: Widget) -> events.MouseEvent:
    return kind(widget, 5, 3, 0, 1, 0, False, False, False)


def text(table: CartTable, y: int) -> str:
    return table.render_line(y).text


async def scanned(
    pilot: Pilot[None], table: CartTable, last: int, first: int = 1, *, each: bool = False
) -> None:
    """Lines ``first`` to ``last`` added as scans would, then painted (after each one with
    ``each``: a scan into a full view then scrolls it by one row)."""
    for no in range(first, last + 1):
        table.show_line(line(no), is_new=True)
        if each:
            await pilot.pause()
    await pilot.pause()


async def test_rows_cursor_and_void_in_the_middle() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        await scanned(pilot, table, 5)
        assert table.row_count == 5
        assert table.cursor_row == 4
        assert table.selected_line_no == 5
        assert "Item 1" in text(table, 1)
        assert "Item 5" in text(table, 5)
        table.move_cursor(row=2)
        table.drop_line(3)
        await pilot.pause()
        assert [table.get_row_at(i)[1] for i in range(table.row_count)] == [
            "Item 1",
            "Item 2",
            "Item 4",
            "Item 5",
        ]
        assert table.rows == {"1": 0, "2": 1, "4": 2, "5": 3}
        assert "Item 4" in text(table, 3)  # the rows below moved up on screen
        assert text(table, 5).strip() == ""
        table.move_cursor(row=3)
        table.drop_line(5)  # the last row, under the cursor: the cursor stays in the table
        assert table.cursor_row == 2
        assert table.selected_line_no == 4
        table.drop_line(99)  # not shown: nothing happens
        assert table.row_count == 3


async def test_a_changed_line_replaces_its_row() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        table.show_line(line(1), is_new=True)
        table.show_line(line(2), is_new=True)
        table.show_line(line(1, qty=3, price=250), is_new=False)
        await pilot.pause()
        assert table.row_count == 2
        assert table.cursor_row == 0
        assert table.get_row_at(0)[2:] == ("3", "2.50", "7.50")
        assert "7.50" in text(table, 1)


async def test_discount_rows_follow_their_rule() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        table.show_line(line(1), is_new=True)
        deal = AppliedDiscount("Two for one", "free_items", 100, 1, ((1, 2),))
        table.show_discounts([deal])
        table.show_line(line(2), is_new=True)
        await pilot.pause()
        assert table.rows == {"1": 0, "discount:Two for one": 1, "2": 2}
        assert table.get_row_at(1)[4] == "-1.00"
        table.move_cursor(row=1)
        assert table.selected_line_no is None  # a discount row is not a line
        bigger = AppliedDiscount("Two for one", "free_items", 200, 2, ((1, 4),))
        table.show_discounts([bigger])
        assert table.get_row_at(1)[4] == "-2.00"
        table.show_discounts([])
        assert table.rows == {"1": 0, "2": 1}


async def test_the_newest_line_is_always_in_view() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        await scanned(pilot, table, 40)
        visible = table.content_region.height - 1
        assert table.top_row == 40 - visible
        assert "Item 40" in text(table, visible)  # the bottom line
        assert "Item" in text(table, 0)
        assert "Total" in text(table, 0)
        assert str(table.border_subtitle) == f"↑ {40 - visible} more"
        await pilot.press("home")
        assert table.cursor_row == 0
        assert table.top_row == 0
        assert str(table.border_subtitle) == f"↓ {40 - visible} more"
        await pilot.press("pagedown")
        assert table.cursor_row == visible
        await pilot.press("down", "down", "up")
        assert table.cursor_row == visible + 1
        await pilot.press("end")
        assert table.cursor_row == 39
        await pilot.click(CartTable, offset=(5, 3))  # the third row on screen
        assert table.cursor_row == table.top_row + 2
        clicked = table.cursor_row
        table.post_message(wheel(events.MouseScrollUp, table))  # three rows; cursor stays
        await pilot.pause()
        assert table.top_row == 40 - visible - 3
        assert table.cursor_row == clicked
        assert str(table.border_subtitle) == f"↑ {40 - visible - 3} more  ↓ 3 more"
        for _ in range(20):
            table.post_message(wheel(events.MouseScrollDown, table))
        await pilot.pause()
        assert table.top_row == 40 - visible  # never past the last row


async def test_wide_and_combining_names_stay_aligned() -> None:
    names = [
        "Plain name",
        "日本の緑茶ティーバッグ 大容量パック",  # wide: two cells a character
        "Crème brûlée",  # combining accents: no width of their own
        "Pizza 🍕🍕🍕 party pack with extra cheese",
        "[bold]not markup[/]",
    ]
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        for no, name in enumerate(names, 1):
            table.show_line(line(no, name=name, price=12345), is_new=True)
        await pilot.pause()
        width = table.content_region.width
        for y in range(len(names) + 1):
            strip = table.render_line(y)
            assert strip.cell_length == width
        for y in range(1, len(names) + 1):
            shown = text(table, y)
            # the price ends in the same terminal column on every row
            assert cell_len(shown[: shown.index("123.45") + 6]) == cell_len(
                text(table, 1)[: text(table, 1).index("123.45") + 6]
            )
        assert "…" in text(table, 2)  # cut, not wrapped
        assert "[bold]not markup[/]" in text(table, 5)


async def test_a_scan_does_not_lay_out_the_screen_again() -> None:
    """Adding or removing a row changes what the table shows, not its size: no screen
    layout."""
    layouts: list[str] = []
    reflows: list[bool] = []
    original = Widget.refresh
    reflow = Screen._refresh_layout

    def spy(self: Widget, *regions: object, layout: bool = False, **kw: bool) -> Widget:
        if layout:
            layouts.append(type(self).__name__)
        return original(self, *regions, layout=layout, **kw)  # type: ignore[arg-type]

    def spy_reflow(self: Screen, size: object = None, scroll: bool = False) -> None:
        reflows.append(scroll)
        reflow(self, size, scroll)  # type: ignore[arg-type]

    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        await scanned(pilot, table, 14)
        Widget.refresh = spy  # type: ignore[method-assign]
        Screen._refresh_layout = spy_reflow  # type: ignore[method-assign]
        try:
            await scanned(pilot, table, 29, first=15, each=True)  # each scrolls by one row
            table.drop_line(10)
            await pilot.pause()
        finally:
            Widget.refresh = original  # type: ignore[method-assign]
            Screen._refresh_layout = reflow  # type: ignore[method-assign]
        assert layouts == []
        assert reflows == []  # not even the scroll kind: the table scrolls its own rows
        assert table.row_count == 28
        visible = table.content_region.height - 1  # less the header
        assert table.top_row == table.last_top_row == 28 - visible  # the newest in view


Cells = list[tuple[str, Style | None]]


def cells(strip: Strip) -> Cells:
    """A line as characters and their styles, however it is cut into segments."""
    return [(char, segment.style) for segment in strip for char in segment.text]


def on_screen(app: App[None]) -> list[Cells]:
    """The table's part of the screen, as the terminal gets it (every widget composed)."""
    region = app.query_one(CartTable).region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    return [cells(strip.crop(region.x, region.right)) for strip in strips]


def drawn_fresh(table: CartTable) -> list[Cells]:
    """What the table's lines would be if nothing had been drawn before (its caches are
    set aside for the draw, then put back as they were)."""
    kept = table._cache, table._styles_cache
    table._cache, table._styles_cache = {}, StylesCache()
    try:
        return [cells(strip) for strip in table.render_lines(table.outer_size.region)]
    finally:
        table._cache, table._styles_cache = kept


class Boxed(App[None]):
    """The table with a border, padding and the till's kinds of row told apart."""

    CSS = """
    CartTable {
        border: round red;
        padding: 0 1;
        & > .cart-table--even-row { background: blue; }
        & > .cart-table--cursor { background: green; }
        & > .cart-table--discount { text-style: italic; }
    }
    """

    def compose(self) -> ComposeResult:
        yield CartTable(id="cart")
        yield Input(id="elsewhere")  # somewhere for the focus to go (a dialog's field)


async def test_what_the_screen_shows_is_what_a_fresh_draw_shows() -> None:
    """Rows kept from an earlier paint (a scroll, a cursor move, a void, a discount row put
    in, a focus that went and came back) land on the lines they belong on, inside the
    border, and show the cursor where it is."""
    app = Boxed()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        await scanned(pilot, table, 30, each=True)
        steps = [
            lambda: table.drop_line(25),
            lambda: table.show_discounts(
                [AppliedDiscount("Deal", "free_items", 100, 1, ((27, 1),))]
            ),
            lambda: table.action_edge(0),
            lambda: table.action_cursor(1),  # the cursor leaves a row drawn with it
            lambda: table.action_cursor(-1),  # and comes back to it
            lambda: table.move_cursor(row=3),
            lambda: table.post_message(wheel(events.MouseScrollDown, table)),
            lambda: table.show_line(line(4, qty=9), is_new=False),
            lambda: table.drop_line(1),  # every row below moves up: stripes swap
            lambda: table.action_edge(1),
            lambda: app.query_one("#elsewhere").focus(),  # an override dialog takes it
            lambda: table.focus(),  # and gives it back: every kept row is dropped
            lambda: table.drop_line(30),  # the last row, under the cursor: it moves up
            lambda: table.refresh(),
        ]
        for step in steps:
            step()
            await pilot.pause()
            shown = on_screen(app)
            assert shown[0][0][0] == "╭"
            assert shown[-1][0][0] == "╰"
            assert shown == drawn_fresh(table)
        bottom = "".join(char for char, _ in on_screen(app)[-2])  # above the border
        assert "Item 29" in bottom  # the last line left, with the cursor


async def test_the_cursor_shows_on_the_line_above_a_voided_last_line() -> None:
    """A cart that fits: after a focus went and came back (an override dialog), voiding the
    last line moves the cursor to the line above, and that line shows it, then and after."""
    app = Boxed()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        await scanned(pilot, table, 5, each=True)
        app.query_one("#elsewhere").focus()
        await pilot.pause()
        table.focus()
        await pilot.pause()
        table.drop_line(5)
        await pilot.pause()
        assert table.selected_line_no == 4
        assert on_screen(app) == drawn_fresh(table)
        table.refresh()
        await pilot.pause()
        assert on_screen(app) == drawn_fresh(table)


async def test_a_click_selects_the_row_under_it_inside_a_border() -> None:
    app = Boxed()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(CartTable)
        await scanned(pilot, table, 5)
        # the border is line 0 and the header line 1: the first row is line 2
        await pilot.click(CartTable, offset=(5, 3))
        assert table.selected_line_no == 2
        await pilot.click(CartTable, offset=(5, 2))
        assert table.selected_line_no == 1
        await pilot.click(CartTable, offset=(5, 1))  # the header: the cursor stays
        await pilot.click(CartTable, offset=(5, 0))  # the border too
        assert table.selected_line_no == 1


async def test_the_render_cache_does_not_grow_with_the_cart() -> None:
    app = Host()
    async with app.run_test(size=SIZE):
        table = app.query_one(CartTable)
        for no in range(1, 2 * CACHED_ROWS):
            table.show_line(line(no), is_new=True)  # the view scrolls by one row each time
            table.render_lines(table.outer_size.region)
            assert len(table._cache) <= CACHED_ROWS + 1

"""The parked-cart list names the first items of each cart, fitted to its row."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import OptionList

from pos.app import PosApp
from pos.domain.text import cell_len
from pos.screens import RecallModal
from tests.ui.helpers import scan, settle, until

CODES = (  # six different products of the demo catalog
    "4006381333931",
    "5000000000012",
    "5010000123451",
    "5012345678900",
    "0036000291452",
    "5000000000043",
)
AppFactory = Callable[..., PosApp]


async def test_each_cart_names_its_first_items(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        for code in CODES:
            await scan(pilot, code)
        await pilot.press("f6")
        await scan(pilot, CODES[1])
        await pilot.press("f6", "f7")
        await until(pilot, lambda: isinstance(app.screen, RecallModal))
        await settle(pilot)
        options = app.screen.query_one(OptionList)
        width = options.scrollable_content_region.width
        assert width == RecallModal.ROW_WIDTH  # the names are fitted to the real row
        rows = [str(options.get_option_at_index(i).prompt).split("\n") for i in range(2)]
        many, one = rows[0][1], rows[1][1]
        assert many.startswith("  Highlighter pen yellow, Lemons unwaxed, ")
        assert many.endswith(" more")
        assert cell_len(many) <= width
        assert cell_len(many) > width - 20  # as many names as fit, not one and a count
        assert one == "  Lemons unwaxed"
        await pilot.press("down", "enter")  # the list still recalls the cart chosen
        await settle(pilot)
        assert len(app.services.checkout.cart) == 1


async def test_the_row_is_as_wide_on_the_smallest_terminal(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, CODES[0])
        await pilot.press("f6", "f7")
        await until(pilot, lambda: isinstance(app.screen, RecallModal))
        await settle(pilot)
        width = app.screen.query_one(OptionList).scrollable_content_region.width
        assert width == RecallModal.ROW_WIDTH

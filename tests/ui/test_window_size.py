"""A terminal smaller than the layouts need gets a clear notice, not a broken screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.screens import ScanScreen
from pos.screens.payment import PaymentScreen
from pos.widgets import CartTable, TooSmall
from tests.ui.helpers import burst, scan, settle

# what is drawn, read from the screen: painted after every message (tests/painting.py)
pytestmark = pytest.mark.paints

AppFactory = object


async def test_a_small_window_is_covered_and_restored(app_factory, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await scan(pilot, "5000000000012")
        assert not app.screen.query(TooSmall)
        await pilot.resize_terminal(60, 20)
        await settle(pilot)
        notice = app.screen.query_one(TooSmall)
        shown = str(notice.render())
        assert "at least 80 x 24" in shown
        assert "60 x 20" in shown
        # the till keeps working underneath: a scan typed now is taken, not lost
        burst(app, "5000000000012\n")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert app.screen.checkout.cart.item_count == 2
        await pilot.resize_terminal(79, 40)  # still too narrow: the figures follow
        await settle(pilot)
        assert "79 x 40" in str(app.screen.query_one(TooSmall).render())
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert not app.screen.query(TooSmall)
        table = app.screen.query_one(CartTable)
        assert table.get_row_at(0)[2] == "2"
        assert "Lemons" in table.render_line(1).text


async def test_the_notice_follows_the_screen_that_opens(app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory()
    async with app.run_test(size=(70, 20)) as pilot:
        await settle(pilot)
        assert app.screen.query(TooSmall)  # from the start
        await scan(pilot, "5000000000012")
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.query(TooSmall)
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert not app.screen.query(TooSmall)
        await pilot.press("escape")  # back to the cart: its notice went too
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert not app.screen.query(TooSmall)

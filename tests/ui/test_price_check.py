"""Pilot tests of the price check (issue 20, item 4): F1, then a scan or a typed
barcode; the cart never changes; any key closes it, and the next scan goes on into the
cart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Static

from pos.app import PosApp
from pos.screens import ScanScreen
from pos.screens.price_check import PriceCheckScreen
from pos.widgets import MessageLine
from tests.conftest import CASHIER
from tests.ui.helpers import at_once, burst, scan, settle, until

SIZE = (100, 30)
PEN = "4006381333931"
LEMON = "5000000000012"
AppFactory = Callable[..., PosApp]


def _names(app: PosApp) -> list[str]:
    return [line.name for line in app.services.checkout.cart.lines]


def _shown(app: PosApp) -> str:
    return str(app.screen.query_one("#pc-result", Static).render())


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def _check(pilot, code: str) -> None:  # type: ignore[no-untyped-def]
    """F1 on the scanning screen, then ``code`` scanned into the check."""
    await pilot.press("f1")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PriceCheckScreen)
    await scan(pilot, code)


async def test_f1_and_a_scan_show_the_price_and_deals_and_leave_the_cart(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db, login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await _check(pilot, LEMON)
        shown = _shown(app)
        assert "Lemons unwaxed" in shown
        assert "0.50 each" in shown
        assert "Lemons 3 for 1.30: 3 x Lemons unwaxed, set for 1.30" in shown
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["Highlighter pen yellow"]


async def test_the_next_scan_closes_the_check_and_goes_into_the_cart(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _check(pilot, LEMON)
        assert "Lemons unwaxed" in _shown(app)
        burst(app, PEN + "\n")  # the next customer's item, at scanner speed
        await until(pilot, lambda: len(app.services.checkout.cart) == 1)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["Highlighter pen yellow"]


@pytest.mark.parametrize("key", ["x", "backspace", "enter", "escape", "f10"])
async def test_any_other_key_closes_it_and_adds_nothing(app_factory: AppFactory, key: str) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _check(pilot, LEMON)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == []


async def test_a_code_that_is_no_product_says_so_and_the_check_stays(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _check(pilot, "5000000000098")
        assert isinstance(app.screen, PriceCheckScreen)
        assert "No product with barcode 5000000000098" in _message(app)
        await pilot.press("a")  # a letter is no barcode: refused, the check stays
        await settle(pilot)
        assert isinstance(app.screen, PriceCheckScreen)
        assert "F2 finds by name" in _message(app)
        await scan(pilot, LEMON)  # and the next scan is checked
        assert "Lemons unwaxed" in _shown(app)
        assert _names(app) == []


async def test_f1_typed_ahead_with_a_scan_checks_that_scan(app_factory: AppFactory) -> None:
    """F1 and a scan in one read: the scan lands in the check, as it would typed after
    the check had opened (type-ahead); the cart stays empty."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        at_once(app, "f1", *LEMON, "enter")
        await until(
            pilot, lambda: isinstance(app.screen, PriceCheckScreen) and "Lemons" in _shown(app)
        )
        assert _names(app) == []


async def test_the_palette_offers_the_price_check(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ScanScreen)
        commands = {command.title for command in screen.palette_commands()}
        assert "Price check" in commands
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, PriceCheckScreen)

"""Pilot tests of the sanity confirmations: only Y goes on, any other key changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Digits, Label

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.screens import ConfirmModal, ScanScreen
from pos.screens.payment import PaymentScreen, ReceiptScreen
from pos.widgets import CartTable, MessageLine
from tests.conftest import CASHIER
from tests.ui.helpers import burst, scan, settle

PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50
SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def _qtys(app: PosApp) -> list[str]:
    [screen] = [s for s in app.screen_stack if isinstance(s, ScanScreen)]
    table = screen.query_one(CartTable)
    return [str(table.get_row_at(i)[2]).strip() for i in range(table.row_count)]


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def _question(app: PosApp) -> str:
    assert isinstance(app.screen, ConfirmModal)
    return str(app.screen.query_one("#question", Label).render())


def _setting(db: Path, key: str, value: str) -> None:
    database = open_database(db)
    SettingsRepository(database).set(key, value)
    database.close()


async def _typed(pilot: object, keys: str) -> None:
    burst(pilot.app, keys)  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]


# how each path reaches 150 pens on one line: (keys before, keys that ask)
PATHS = {
    "multiplier": ("", f"150*{PEN}\n"),
    "after a scan": (f"{PEN}\n", "150\n"),
    "F4": (f"{PEN}\n", "150"),  # then F4
    "plus": (f"{PEN}\n99", ""),  # then F4 (99, no question), then +: 100
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("answer", ["y", "Y", "n", "escape", "x"])
async def test_a_line_above_99_asks_first(app_factory: AppFactory, path: str, answer: str) -> None:
    app = app_factory(login=CASHIER)
    before, asking = PATHS[path]
    async with app.run_test(size=SIZE) as pilot:
        await _typed(pilot, before + asking)
        if path in ("F4", "plus"):
            await pilot.press("f4")
            await settle(pilot)
        if path == "plus":
            assert _qtys(app) == ["99"]
            await pilot.press("plus")
            await settle(pilot)
        expected = "100" if path == "plus" else "150"
        assert _question(app).startswith(f"Sell {expected} x Highlighter pen yellow on one line")
        shown_before = _qtys(app)
        await pilot.press(answer)
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        if answer in ("y", "Y"):
            assert _qtys(app) == [expected]
        else:
            assert _qtys(app) == shown_before
            assert _message(app) == "Not confirmed: nothing changed"


async def test_the_limit_follows_the_setting(app_factory: AppFactory, demo_db: Path) -> None:
    _setting(demo_db, "max_qty_without_confirm", "500")
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _typed(pilot, f"150*{PEN}\n")
        assert isinstance(app.screen, ScanScreen)
        assert _qtys(app) == ["150"]


async def _pay(pilot: object, app: PosApp, *codes: str) -> None:
    for code in codes:
        await scan(pilot, code)  # type: ignore[arg-type]
    await pilot.press("f10")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, PaymentScreen)


@pytest.mark.parametrize("answer", ["y", "n", "escape", "x"])
async def test_cash_giving_too_much_change_asks_first(app_factory: AppFactory, answer: str) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _pay(pilot, app, PEN)  # 1.20 due
        await _typed(pilot, "120\n")  # 120.00: 118.80 change (a missing point)
        assert _question(app) == "Take £120.00 cash for £1.20 and give £118.80 change?"
        await pilot.press(answer)
        await settle(pilot)
        if answer == "y":
            assert isinstance(app.screen, ReceiptScreen)
            assert app.screen.query_one("#change", Digits).value == "£118.80"
        else:
            assert isinstance(app.screen, PaymentScreen)
            assert not app.screen.tender.payments
            assert _message(app) == "Not confirmed: no cash taken. Type the amount again"
            await _typed(pilot, "51.20\n")  # change 50.00: the due plus a 50 note at most
            assert isinstance(app.screen, ReceiptScreen)


async def test_note_keys_never_ask(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _pay(pilot, app, PEN)  # F8 pays 20.00 (18.80 change)
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)


async def test_an_implied_decimal_point(app_factory: AppFactory, demo_db: Path) -> None:
    _setting(demo_db, "implied_decimal", "yes")
    app = app_factory()  # the manager: F5 changes a price
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await _typed(pilot, "99")
        await pilot.press("f5")  # 99 is 0.99
        await settle(pilot)
        table = app.screen.query_one(CartTable)
        assert str(table.get_row_at(0)[3]).strip() == "0.99"
        await _typed(pilot, "3")  # a quantity is never an amount: 3 pens
        await pilot.press("f4")
        await settle(pilot)
        assert _qtys(app) == ["3"]
        await pilot.press("f10")
        await settle(pilot)
        await _typed(pilot, "500\n")  # 5.00 for 2.97
        assert isinstance(app.screen, ReceiptScreen)
        assert app.screen.query_one("#change", Digits).value == "£2.03"

"""A settings change made while the till is open shows on screen without a restart: the
store's name in the header and on the login, the currency on the payment screen, the idle
lock's minutes; never in the middle of a customer's sale. On PostgreSQL the till is a
store's till: the change is made on the server and its sync worker brings it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Label

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.screens.login import LoginScreen
from pos.screens.payment import PaymentScreen, ReceiptScreen
from pos.screens.scan import ScanScreen
from pos.services.store import validate_setting
from pos.widgets import TillHeader
from tests.conftest import CASHIER
from tests.ui.helpers import scan, settle, until

pytestmark = pytest.mark.backends  # PostgreSQL: a store's till and its sync worker

SIZE = (100, 30)
PEN = "4006381333931"
AppFactory = Callable[..., PosApp]


def _set_elsewhere(db: Path, **values: str) -> None:
    """``pos settings set`` in another process (on PostgreSQL: on the store's server)."""
    database = open_database(db)
    try:
        for key, value in values.items():
            SettingsRepository(database).set(key, validate_setting(key, value))
    finally:
        database.close()


def _label(screen: object, selector: str) -> str:
    assert isinstance(screen, PaymentScreen | LoginScreen)
    return str(screen.query_one(selector, Label).render())


async def test_the_header_and_the_payment_screen_follow_a_setting_between_sales(
    app_factory: AppFactory, demo_db: Path
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        header = app.screen.query_one(TillHeader)
        assert header.store == "My Shop"
        await scan(pilot, PEN)  # a customer's sale has begun
        _set_elsewhere(
            demo_db, store_name="Corner Shop", currency_symbol="kr", idle_lock_minutes="5"
        )
        for _ in range(3):
            app.tick()
            await settle(pilot)
        assert header.store == "My Shop"  # not in the middle of the sale
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, PaymentScreen))
        assert _label(app.screen, "#due-label") == "Amount due"  # £ as the sale began
        await pilot.press("f5")  # the exact amount in cash
        await until(pilot, lambda: isinstance(app.screen, ReceiptScreen))

        def taken_up() -> bool:
            app.tick()  # what the app does every second (on PostgreSQL: once pulled)
            return header.store == "Corner Shop"

        await until(pilot, taken_up)
        assert app.idle_limit == 5 * 60
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await scan(pilot, PEN)
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, PaymentScreen))
        assert _label(app.screen, "#due-label") == "Amount due (kr)"


@pytest.mark.sqlite_only  # (the same path as above once the setting is in the file)
async def test_the_login_screen_follows_the_store_name(
    app_factory: AppFactory, demo_db: Path
) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert _label(app.screen, "#where").startswith("My Shop")
        _set_elsewhere(demo_db, store_name="Corner Shop")
        app.tick()
        await settle(pilot)
        assert _label(app.screen, "#where") == "Corner Shop  |  Till 1"

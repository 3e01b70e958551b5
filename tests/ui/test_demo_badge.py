"""Issue 17 item 3, SECURITY.md S-11: a database made with the demo data (whose PINs are in
the README) says DEMO on every screen; a real shop's database never does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pos.app import PosApp
from pos.screens import LoginScreen, ScanScreen
from pos.screens.modals import ConfirmModal
from pos.screens.payment import PaymentScreen
from pos.services.store_setup import init_database
from pos.widgets.too_small import DemoBadge
from tests.conftest import CASHIER, FAST_HASHER
from tests.ui.helpers import scan, settle

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def _badge(app: PosApp) -> str | None:
    badges = app.screen.query(DemoBadge)
    return str(badges.first().render()).strip() if badges else None


async def test_every_screen_of_a_demo_database_says_demo(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = {}
        seen["login"] = (type(app.screen), _badge(app))
        await pilot.press(*CASHIER[0], "enter", *CASHIER[1], "enter")
        await settle(pilot)
        seen["scan"] = (type(app.screen), _badge(app))
        await scan(pilot, "4006381333931")
        await pilot.press("f10")
        await settle(pilot)
        seen["payment"] = (type(app.screen), _badge(app))
        await pilot.press("escape", "f8")
        await settle(pilot)
        seen["dialog"] = (type(app.screen), _badge(app))
        assert seen == {
            "login": (LoginScreen, "DEMO"),
            "scan": (ScanScreen, "DEMO"),
            "payment": (PaymentScreen, "DEMO"),
            "dialog": (ConfirmModal, "DEMO"),
        }
        badge = app.screen.query_one(DemoBadge)
        assert badge.region.x + badge.region.width == SIZE[0]  # the top row's right end
        assert badge.region.y == 0


async def test_a_real_shop_database_says_no_demo(app_factory: AppFactory, tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite"
    init_database(db, hasher=FAST_HASHER)
    app = app_factory(db, login=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _badge(app) is None
        assert not app.has_class("-demo")

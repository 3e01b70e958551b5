"""A refund without a receipt on screen (issue 21, item 6): Ctrl+O U and the palette;
allowed for a manager, refused for a cashier without a manager's approval, approved by
one; a price above today's and a missing reason refused on the screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pos.app import PosApp
from pos.db import models as m
from pos.db.errors import bound
from pos.screens import ScanScreen
from pos.screens.cash import CashMenuModal
from pos.screens.history import SaleReceiptModal
from pos.screens.modals import ManagerOverrideModal
from pos.screens.refund_reason import RefundReasonModal
from pos.screens.unreceipted import UnreceiptedRefundScreen
from pos.widgets import MessageLine
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import burst, settle, until

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]
PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50


def _refunds(app: PosApp) -> list[tuple[Any, ...]]:
    with bound(app.services.db):
        r = m.Refund
        query = r.select(r.sale, r.method, r.total, r.reason, r.operator, r.approver)
        return [tuple(row) for row in query.order_by(r.id).tuples()]


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def _open(app: PosApp, pilot: Any) -> UnreceiptedRefundScreen:
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(app.screen, CashMenuModal))
    await pilot.press("u")
    await until(pilot, lambda: isinstance(app.screen, UnreceiptedRefundScreen))
    screen = app.screen
    assert isinstance(screen, UnreceiptedRefundScreen)
    return screen


async def test_the_palette_offers_it(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Refund without receipt"
        )
        command.callback()
        await until(pilot, lambda: isinstance(app.screen, UnreceiptedRefundScreen))


async def test_a_manager_refunds_without_a_receipt(app_factory: AppFactory) -> None:
    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        burst(app, f"{PEN}\n{PEN}\n{LEMON}\n")  # two pens, a lemon
        await settle(pilot)
        assert [(line.barcode, line.qty) for line in screen.lines] == [(PEN, 2), (LEMON, 1)]
        burst(app, "0.60")  # a price above the lemon's 0.50 today
        await pilot.press("f4")
        await settle(pilot)
        assert "more than today's price" in _message(app)
        burst(app, "0.40")
        await pilot.press("f4")
        await settle(pilot)
        assert screen.lines[1].unit_price == 40
        burst(app, "4000000000006\n")  # no such product
        await settle(pilot)
        assert "No product with barcode 4000000000006" in _message(app)
        await pilot.press("f2")  # cash: the reason first
        await until(pilot, lambda: isinstance(app.screen, RefundReasonModal))
        await pilot.press("escape")  # no reason: nothing refunded
        await until(pilot, lambda: app.screen is screen)
        assert _refunds(app) == []
        await pilot.press("f2", "down", "down", "enter")  # Changed mind
        await until(pilot, lambda: isinstance(app.screen, SaleReceiptModal))
        text = app.screen.text
        assert "Without a receipt\nReason: Changed mind\n" in text
        assert "Lemons unwaxed at 0.40 x 1" in text
        assert _refunds(app) == [(None, "cash", 280, "Changed mind", MANAGER[0], None)]
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))


async def test_a_cashier_is_refused_without_a_manager(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        burst(app, f"{PEN}\n")
        await settle(pilot)
        await pilot.press("f3", "enter")  # card, Faulty
        await until(pilot, lambda: isinstance(app.screen, ManagerOverrideModal))
        await pilot.press("escape")  # no manager came
        await until(pilot, lambda: app.screen is screen)
        assert _refunds(app) == []


async def test_a_cashier_s_refund_is_approved_by_a_manager(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        burst(app, f"{PEN}\n")
        await settle(pilot)
        await pilot.press("f3", "enter")  # card, Faulty
        await until(pilot, lambda: isinstance(app.screen, ManagerOverrideModal))
        await pilot.press(*MANAGER[0], "enter", *MANAGER[1], "enter")
        await until(pilot, lambda: isinstance(app.screen, SaleReceiptModal))
        assert "Approved by 9001" in app.screen.text
        assert "Paid back by card" in app.screen.text
        assert _refunds(app) == [(None, "card", 120, "Faulty", CASHIER[0], MANAGER[0])]


async def test_over_the_daily_limit_is_refused_on_the_screen(app_factory: AppFactory) -> None:
    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        burst(app, f"{PEN}\n")
        await settle(pilot)
        burst(app, "99")
        await pilot.press("f5")  # 99 pens: 118.80, over the 100.00 a day
        await settle(pilot)
        shown = str(screen.query_one("#refund-amount").render())
        assert "Pays back 118.80" in shown
        assert "may pay back 100.00 more today" in shown
        await pilot.press("f2", "enter")
        await until(pilot, lambda: "max_unreceipted_refunds" in _message(app))
        assert app.screen is screen
        assert _refunds(app) == []

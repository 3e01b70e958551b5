"""Cashier discounts on screen (issue 21, item 8): the palette's "Line discount" and
"Sale discount" and Ctrl+O L / S; given at once within the cap, approved by a manager
above it, refused input kept in the dialog; the cart shows each as a row of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Label

from pos.app import PosApp
from pos.db import models as m
from pos.db.errors import bound
from pos.screens import ScanScreen
from pos.screens.discounts import ManualDiscountModal
from pos.screens.modals import ManagerOverrideModal
from pos.widgets import CartTable, MessageLine, TotalsPanel
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import settle, until

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]
MILK = "5010000123451"  # 1.45


def _rows(app: PosApp) -> list[tuple[Any, ...]]:
    with bound(app.services.db):
        d = m.CartDiscount
        query = d.select(d.line_no, d.kind, d.value, d.reason, d.operator, d.approver)
        ordered = query.order_by(d.line_no)
        return [tuple(row) for row in ordered.tuples()]


def _scan_screen(app: PosApp) -> ScanScreen:
    return next(s for s in app.screen_stack if isinstance(s, ScanScreen))


def _message(app: PosApp) -> str:
    return str(_scan_screen(app).query_one(MessageLine).render())


async def _type(pilot: Any, text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


async def _scan(pilot: Any, code: str) -> None:
    await _type(pilot, code)
    await pilot.press("enter")
    await settle(pilot)


async def _give(pilot: Any, value: str, reason: str) -> None:
    await until(pilot, lambda: isinstance(pilot.app.screen, ManualDiscountModal))
    await _type(pilot, value)
    await pilot.press("enter")
    await _type(pilot, reason)
    await pilot.press("enter")
    await settle(pilot)


def _command(app: PosApp, title: str) -> Any:
    return next(c for c in app.get_system_commands(app.screen) if c.title == title)


async def test_the_palette_offers_both(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Line discount", "Sale discount"} <= set(titles)


async def test_a_manager_gives_a_line_discount_from_the_menu(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await _scan(pilot, MILK)
        await pilot.press("ctrl+o", "l")
        await _give(pilot, "10%", "1")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert _rows(app) == [(1, "percent", 1000, "Damaged", MANAGER[0], None)]
        assert "Discount 10% (Damaged) on Semi-skimmed milk 2 pints: -0.15" in _message(app)
        table = app.screen.query_one(CartTable)
        assert [table.get_row_at(i)[1] for i in range(table.row_count)] == [
            "Semi-skimmed milk 2 pints",
            "  Discount 10% (Damaged)",
        ]
        assert app.screen.query_one(TotalsPanel).figures["total"] == "1.30"


async def test_a_cashier_s_sale_discount_is_approved_by_a_manager(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _scan(pilot, MILK)
        _command(app, "Sale discount").callback()
        await _give(pilot, "10", "Staff")
        await until(pilot, lambda: isinstance(app.screen, ManagerOverrideModal))
        await _type(pilot, MANAGER[0])
        await pilot.press("enter")
        await _type(pilot, MANAGER[1])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert _rows(app) == [(0, "percent", 1000, "Staff", CASHIER[0], MANAGER[0])]
        assert app.screen.query_one(TotalsPanel).figures["total"] == "1.30"


async def test_not_approved_gives_nothing(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _scan(pilot, MILK)
        await pilot.press("ctrl+o", "l")
        await _give(pilot, "0.20", "Damaged")
        await until(pilot, lambda: isinstance(app.screen, ManagerOverrideModal))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert "Not approved: no discount given" in _message(app)
        assert _rows(app) == []


@pytest.mark.parametrize(
    ("key", "value", "reason", "hint"),
    [
        ("l", "150%", "Damaged", "over 100%: type a percentage of 100% or less"),
        ("l", "1.50", "Damaged", "type 1.45 or less"),
        ("l", "0", "Damaged", "takes nothing off"),
        ("l", "10%", "Because", "Choose one of the reasons"),
        ("s", "100.5", "Staff", "over 100%"),
    ],
)
async def test_bad_input_stays_in_the_dialog_and_gives_nothing(
    app_factory: AppFactory, key: str, value: str, reason: str, hint: str
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await _scan(pilot, MILK)
        await pilot.press("ctrl+o", key)
        await _give(pilot, value, reason)
        assert isinstance(app.screen, ManualDiscountModal)  # still open: type it again
        assert hint in str(app.screen.query_one("#hint", Label).render())
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert "No discount given" in _message(app)
        assert _rows(app) == []


async def test_an_empty_cart_opens_no_dialog(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", "s")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert "The cart is empty: scan an item first" in _message(app)

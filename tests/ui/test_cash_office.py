"""The cash office on screen (issue 21): Ctrl+O and the palette's "No sale", "Paid in",
"Paid out" and "Cash pickup"; allowed for a manager, approved for a cashier, refused
input kept in the dialog, and a printer fault that never loses the movement."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import Label

from pos.app import PosApp
from pos.db import models as m
from pos.db.errors import bound
from pos.screens import ScanScreen
from pos.screens.cash import CashMenuModal, CashMovementModal
from pos.screens.modals import ManagerOverrideModal
from pos.services.printing import ReceiptPrinter
from pos.widgets import MessageLine
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import settle, until

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def _rows(app: PosApp) -> list[tuple[Any, ...]]:
    with bound(app.services.db):
        c = m.CashMovement
        query = c.select(c.kind, c.amount, c.reason, c.operator, c.approver).order_by(c.id)
        return [tuple(row) for row in query.tuples()]


def _message(app: PosApp) -> str:
    screen = next(s for s in app.screen_stack if isinstance(s, ScanScreen))
    return str(screen.query_one(MessageLine).render())


def _hint(app: PosApp) -> str:
    return str(app.screen.query_one("#hint", Label).render())


async def _type(pilot: Any, text: str) -> None:
    await pilot.press(*text)
    await settle(pilot)


async def test_the_palette_offers_each_movement(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"No sale", "Paid in", "Paid out", "Cash pickup"} <= set(titles)


async def test_a_manager_records_a_paid_in_from_the_menu(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, CashMenuModal))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, CashMovementModal))
        await _type(pilot, "20.00")
        await pilot.press("enter")
        await _type(pilot, "1")  # the first of cash_reasons
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert _rows(app) == [("paid_in", 2000, "Float top-up", MANAGER[0], None)]
        assert "Paid in 20.00 recorded (Float top-up)" in _message(app)


async def test_a_cashier_s_paid_out_is_approved_by_a_manager(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        paid_out = next(c for c in app.get_system_commands(app.screen) if c.title == "Paid out")
        paid_out.callback()
        await until(pilot, lambda: isinstance(app.screen, CashMovementModal))
        await _type(pilot, "5.50")
        await pilot.press("enter")
        await _type(pilot, "Window cleaner")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ManagerOverrideModal))
        await _type(pilot, MANAGER[0])
        await pilot.press("enter")
        await _type(pilot, MANAGER[1])
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert _rows(app) == [("paid_out", 550, "Window cleaner", CASHIER[0], MANAGER[0])]


async def test_a_cashier_without_approval_records_nothing(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", "n")
        await until(pilot, lambda: isinstance(app.screen, CashMovementModal))
        await _type(pilot, "2")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ManagerOverrideModal))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert "Not approved: nothing recorded" in _message(app)
        assert _rows(app) == []


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "hint"),
    [
        ("o", "0", "Milk and tea", "Type an amount above 0.00"),
        ("o", "1000.01", "Milk and tea", "over the limit of 1000.00"),
        ("p", "0.01", "Safe", "Only 0.00 is expected in the drawer"),
        ("i", "1", "x" * 200, "shorten it to 60"),
        ("n", "", "Because", "Choose one of the reasons"),
    ],
)
async def test_bad_input_stays_in_the_dialog_and_records_nothing(
    app_factory: AppFactory, kind: str, amount: str, reason: str, hint: str
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", kind)
        await until(pilot, lambda: isinstance(app.screen, CashMovementModal))
        if amount:
            await _type(pilot, amount)
            await pilot.press("enter")
        await _type(pilot, reason)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CashMovementModal)  # still open: type it again
        assert hint in _hint(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert "nothing recorded" in _message(app)
        assert _rows(app) == []


async def test_a_printer_fault_never_loses_a_no_sale(app_factory: AppFactory) -> None:
    def broken() -> Any:
        raise ConnectionRefusedError(111, "Connection refused")

    app = app_factory()
    app.services.sales.printer = ReceiptPrinter(opener=broken, timeout=2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o", "n")
        await until(pilot, lambda: isinstance(app.screen, CashMovementModal))
        await _type(pilot, "check a note")
        await pilot.press("enter")
        await until(pilot, lambda: "NOT printed" in _message(app))
        assert "No sale recorded (Check a note); the slip was NOT printed" in _message(app)
        assert _rows(app) == [("no_sale", 0, "Check a note", MANAGER[0], None)]

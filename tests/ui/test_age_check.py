"""Pilot tests of the age question (issue 20, item 3): Y adds, N does not, and keys typed
ahead of the question (a command key, a scan) never answer it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Label

from pos.app import PosApp
from pos.screens import ConfirmModal, ScanScreen
from pos.screens.payment import PaymentScreen
from pos.widgets import CartTable, MessageLine
from tests.conftest import CASHIER
from tests.ui.helpers import at_once, burst, scan, settle

WINE = "5011332159811"  # Red wine 75cl, 18+
LAGER = "5011369160828"  # Lager 4 x 440ml, 18+
PEN = "4006381333931"
SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def _names(app: PosApp) -> list[str]:
    [screen] = [s for s in app.screen_stack if isinstance(s, ScanScreen)]
    table = screen.query_one(CartTable)
    return [str(table.get_row_at(i)[1]).strip() for i in range(table.row_count)]


def _label(app: PosApp, name: str) -> str:
    assert isinstance(app.screen, ConfirmModal)
    return str(app.screen.query_one(f"#{name}", Label).render())


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def _events(app: PosApp) -> list[tuple[str, str | None]]:
    return [(e.event, e.operator) for e in app.services.audit.entries() if "age" in e.event]


@pytest.mark.parametrize("key", ["y", "Y"])
async def test_yes_adds_the_item(app_factory: AppFactory, key: str) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, WINE)
        assert _label(app, "question").startswith("Customer 18 or over? Y / N")
        assert _names(app) == []  # nothing added while the question is open
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["Red wine 75cl"]
        await scan(pilot, LAGER)  # 18 again: not asked
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["Red wine 75cl", "Lager 4 x 440ml"]
        assert _events(app) == [("age_confirmed", CASHIER[0])]


@pytest.mark.parametrize("key", ["n", "N", "escape", "x"])
async def test_no_adds_nothing_and_says_why(app_factory: AppFactory, key: str) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, WINE)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["Highlighter pen yellow"]
        assert _message(app) == "Red wine 75cl not added: customer under 18"
        assert _events(app) == [("age_refused", CASHIER[0])]
        await scan(pilot, WINE)  # nobody said yes: asked again
        assert isinstance(app.screen, ConfirmModal)


async def test_pay_typed_ahead_of_the_question_does_nothing(app_factory: AppFactory) -> None:
    """The scan, then F10 in one burst: F10 lands on the question and answers nothing
    (the sale cannot be paid while it is open); Y then adds the wine, and F10 pays."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        at_once(app, *WINE, "enter", "f10")
        await settle(pilot, 5)
        assert isinstance(app.screen, ConfirmModal)
        assert _label(app, "hint") == "Answer first: Y = yes, N or Esc = no"
        assert _names(app) == ["Highlighter pen yellow"]
        at_once(app, "y", "f10")
        await settle(pilot, 5)
        assert isinstance(app.screen, PaymentScreen)
        assert _names(app) == ["Highlighter pen yellow", "Red wine 75cl"]


@pytest.mark.parametrize("end", ["enter", "tab", "ctrl+j"])
async def test_a_scan_during_the_question_does_not_answer_it(
    app_factory: AppFactory, end: str
) -> None:
    """Scanners end a code with Enter, Tab or LF: none of them answers the question."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, WINE)
        at_once(app, *PEN, end)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert _label(app, "hint") == "Scan ignored: finish this dialog first"
        await pilot.press("y")
        await settle(pilot)
        assert _names(app) == ["Red wine 75cl"]  # the pen's scan was dropped, with a bell


async def test_the_quantity_question_follows_the_age_question(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, f"150*{WINE}\n")
        await settle(pilot)
        assert _label(app, "question").startswith("Customer 18 or over?")
        await pilot.press("y")
        await settle(pilot)
        assert _label(app, "question") == "Sell 150 x Red wine 75cl on one line (more than 99)?"
        assert _names(app) == []
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        table = app.screen.query_one(CartTable)
        assert str(table.get_row_at(0)[2]).strip() == "150"

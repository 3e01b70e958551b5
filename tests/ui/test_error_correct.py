"""Pilot tests of error correct: `-` or Del takes back the most recent scan."""

from __future__ import annotations

from collections.abc import Callable

from pos.app import PosApp
from pos.screens import ManagerOverrideModal, ScanScreen
from pos.widgets import CartTable, MessageLine
from tests.conftest import CASHIER
from tests.ui.helpers import scan, settle

PEN = "4006381333931"
LEMON = "5000000000012"
SIZE = (100, 30)

AppFactory = Callable[..., PosApp]


def _rows(app: PosApp) -> list[tuple[str, str]]:
    table = app.screen.query_one(CartTable)
    return [
        (str(table.get_row_at(i)[1]).strip(), str(table.get_row_at(i)[2]).strip())
        for i in range(table.row_count)
    ]


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def _events(app: PosApp) -> list[str]:
    return [e.event for e in app.services.audit.entries() if e.event.startswith(("void", "error"))]


async def test_a_cashier_takes_back_a_double_scan_with_minus(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, PEN)  # scanned twice by mistake
        await pilot.press("minus")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # no manager needed
        assert _rows(app) == [("Highlighter pen yellow", "1")]
        assert _message(app) == "Error correct: 1 x Highlighter pen yellow taken back"
        assert _events(app) == ["error_correct"]
        await pilot.press("delete")  # the first scan is older: a void, with approval
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await pilot.press("escape")
        await settle(pilot)
        assert _rows(app) == [("Highlighter pen yellow", "1")]


async def test_del_takes_back_the_last_scan_only(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, LEMON)
        await scan(pilot, "3*" + PEN)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _rows(app) == [("Lemons unwaxed", "1")]
        assert _message(app) == "Error correct: 3 x Highlighter pen yellow taken back"
        await pilot.press("delete")  # the lemon was scanned before: a void
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        assert _events(app) == ["error_correct"]


async def test_a_manager_keeps_the_usual_keys(app_factory: AppFactory) -> None:
    """Whoever may void voids with Del, as always: the whole line, audited as a void."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, PEN)
        await pilot.press("delete")
        await settle(pilot)
        assert _rows(app) == []
        assert _events(app) == ["void"]

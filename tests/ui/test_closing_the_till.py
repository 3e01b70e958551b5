"""Issue 17 item 10: closing the till. Ctrl+Q asks whoever is logged in to confirm; at the
login it takes a manager's number and PIN; either is audited; a kiosk till has no Quit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.screens import LoginScreen, ScanScreen
from pos.screens.modals import ConfirmModal, ManagerOverrideModal
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import settle

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def _closed_by(app: PosApp) -> list[str | None]:
    return [e.operator for e in app.services.audit.entries() if e.event == "till_closed"]


async def test_ctrl_q_asks_first_and_is_audited(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert not app._exit
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app._exit
    assert _closed_by(app) == ["1001"]


async def test_at_the_login_closing_takes_a_manager(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await pilot.press(*CASHIER[0], "enter", *CASHIER[1], "enter")  # not a manager
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        assert "may not approve" in str(app.screen.query_one("#hint").render())
        assert not app._exit
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("ctrl+q")
        await settle(pilot)
        await pilot.press(*MANAGER[0], "enter", *MANAGER[1], "enter")
        await settle(pilot)
        assert app._exit
    assert _closed_by(app) == ["9001"]


async def test_a_kiosk_till_has_no_quit(app_factory: AppFactory, demo_db: Path) -> None:
    database = open_database(demo_db)
    SettingsRepository(database).set("kiosk", "yes")
    database.close()
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert not app._exit
        assert "quit" not in {b.binding.action for b in app.active_bindings.values() if b.enabled}
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Quit" not in titles
    assert _closed_by(app) == []


async def test_a_close_that_cannot_be_recorded_leaves_the_till_open(
    app_factory: AppFactory,
) -> None:
    """The audit entry cannot be written (a read-only database): the till says so and
    stays open, rather than closing with nothing on the record."""
    from tests.hardening.faults import FAULTS

    app = app_factory(login=CASHIER)
    fault = FAULTS["readonly"]
    async with app.run_test(size=SIZE) as pilot:
        fault.on(app)
        try:
            await pilot.press("ctrl+q")
            await settle(pilot)
            await pilot.press("y")
            await settle(pilot)
            assert not app._exit
            assert isinstance(app.screen, ScanScreen)
        finally:
            fault.off(app)
    assert _closed_by(app) == []

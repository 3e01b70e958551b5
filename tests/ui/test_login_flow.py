"""Pilot tests: logging in, failures, lockout, overrides, the idle lock, the first manager."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from pos.app import PosApp
from pos.auth.guard import LoginRequired
from pos.db.integrity import IntegrityCheck
from pos.screens import LoginScreen, ManagerOverrideModal, ScanScreen, SetupScreen
from pos.screens.login import CHECKING
from pos.widgets import CartTable, MessageLine, TillHeader
from tests.conftest import CASHIER, MANAGER, shell_admin
from tests.ui.helpers import scan, settle, until

SIZE = (100, 30)
PEN = "4006381333931"
LEMON = "5000000000012"
AppFactory = Callable[..., PosApp]


async def log_in(pilot, number: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(pilot)


def login_message(app: PosApp) -> str:
    return str(app.screen.query_one("#login-message", Label).render())


def rows(app: PosApp) -> int:
    return app.screen.query_one(CartTable).row_count


async def test_the_till_starts_at_the_login(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, *CASHIER)
        assert isinstance(app.screen, ScanScreen)
        header = app.screen.query_one(TillHeader)
        assert header.operator == "Demo Cashier (1001)"
        await scan(pilot, PEN)  # the line records who scanned it, from the token
        assert app.services.checkout.cart.lines[0].operator == "1001"


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_a_failed_login_says_one_thing(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "1001", "9999")
        assert isinstance(app.screen, LoginScreen)
        assert login_message(app) == "Unknown operator or wrong PIN"
        assert app.screen.query_one("#pin", Input).value == ""  # never left on screen
        await pilot.press("escape")
        await log_in(pilot, "4242", "2580")
        assert login_message(app) == "Unknown operator or wrong PIN"


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_a_locked_operator_is_told(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(10):
            await pilot.press("escape")
            await log_in(pilot, "1001", "1111")
        await pilot.press("escape")
        await log_in(pilot, *CASHIER)
        assert "locked until" in login_message(app)
        assert isinstance(app.screen, LoginScreen)


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_cashier_void_needs_a_manager(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        await pilot.press("up")  # the pen: not the last scan (error correct takes that)
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await pilot.press("escape")
        await settle(pilot)
        assert rows(app) == 2
        assert "Not approved" in str(app.screen.query_one(MessageLine).render())
        await pilot.press("delete")
        await settle(pilot)
        await log_in(pilot, "1001", "2580")  # a cashier cannot approve their own void
        assert isinstance(app.screen, ManagerOverrideModal)
        assert "cannot approve yourself" in str(app.screen.query_one("#hint", Label).render())
        await pilot.press("ctrl+a")  # nothing: keys that mean nothing here are ignored
        app.screen.query_one("#number", Input).value = ""
        app.screen.query_one("#number", Input).focus()
        await log_in(pilot, *MANAGER)
        assert isinstance(app.screen, ScanScreen)
        assert rows(app) == 1
        log = [e.event for e in app.services.audit.entries()]
        assert log[-2:] == ["override", "void"]


async def test_cashier_price_override_needs_a_manager(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("0", "full_stop", "9", "9", "f5")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await log_in(pilot, *MANAGER)
        line = app.services.checkout.cart.lines[0]
        assert line.unit_price == 99


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_idle_lock_keeps_the_cart_for_its_operator(app_factory: AppFactory) -> None:
    now = [1000.0]
    app = app_factory(login=CASHIER, idle_clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        now[0] += 14 * 60 + 59
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # 14:59: still open
        now[0] += 1
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.services.guard.session is None
        assert "Till locked" in str(app.screen.query_one("#title", Label).render())
        await log_in(pilot, "1002", "0000")  # nobody
        await pilot.press("escape")
        shell_admin(app.services, "9001").add("1002", "Other Cashier", "cashier", "3690")
        await log_in(pilot, "1002", "3690")  # another cashier may not take the cart over
        assert "belongs to Demo Cashier" in login_message(app)
        await pilot.press("escape")
        await log_in(pilot, *CASHIER)
        assert isinstance(app.screen, ScanScreen)
        assert rows(app) == 1  # the cart is as it was
        assert "idle_lock" in [e.event for e in app.services.audit.entries()]


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_first_start_asks_for_the_first_manager(
    app_factory: AppFactory, empty_db: Path
) -> None:
    app = app_factory(empty_db, login=None)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, SetupScreen)
        await pilot.press(*"7", "enter", *"Ann", "enter", *"4826", "enter", *"4862", "enter")
        await settle(pilot)
        assert "different" in login_message(app)
        app.screen.query_one("#pin2", Input).value = "4826"
        app.screen.query_one("#pin2", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, "7", "4826")
        assert isinstance(app.screen, ScanScreen)
        added = [e for e in app.services.audit.entries() if e.event == "operator_added"]
        assert [e.operator for e in added] == ["7"]  # attributed to the one who set it up


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_managers_see_the_audit_log_and_filter_it(app_factory: AppFactory) -> None:
    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await settle(pilot)
        from textual.widgets import DataTable

        from pos.screens import AuditScreen

        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count >= 1
        await pilot.press(*"login")
        await settle(pilot)
        events = {str(table.get_row_at(i)[4]) for i in range(table.row_count)}
        assert events == {"login"}
        await pilot.press(*"%_")  # taken literally: matches nothing
        await settle(pilot)
        assert table.row_count == 0
        await pilot.press("escape")
        assert isinstance(app.screen, ScanScreen)


async def test_a_cashier_is_refused_the_audit_log(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert "for managers" in str(app.screen.query_one(MessageLine).render())
        # even pushed directly, the screen checks for itself and closes
        app.open_audit()
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)


async def test_a_restart_does_not_hand_the_cart_to_another_cashier(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        shell_admin(app.services, "9001").add("1002", "Other Cashier", "cashier", "3690")
    again = app_factory(login=None)  # the till restarted (Ctrl+Q, crash, power cut)
    async with again.run_test(size=SIZE) as pilot:
        await log_in(pilot, "1002", "3690")
        assert isinstance(again.screen, LoginScreen)
        assert "belongs to 1001" in login_message(again)
        await pilot.press("escape")
        await log_in(pilot, *MANAGER)  # a manager may carry on with it
        assert isinstance(again.screen, ScanScreen)
        assert rows(again) == 1


async def test_a_session_that_ends_locks_the_till_at_once(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        shell_admin(app.services, "9001").set_pin("1001", "3691")  # ends every token
        with pytest.raises(LoginRequired):  # the next check finds the token revoked ...
            app.services.guard.require("sale")
        app.tick()  # ... and the next tick locks the till at once
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "Demo Cashier, log in to continue" in str(
            app.screen.query_one("#title", Label).render()
        )
        await pilot.press("f6")  # nothing behind the login works without a session
        assert isinstance(app.screen, LoginScreen)


async def test_an_approval_after_the_session_ended_does_nothing(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, PEN)
        await pilot.press("plus")  # 3 pens, none of them the last scan now
        await pilot.press("delete")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        # while the manager walks over, the cashier is deactivated elsewhere
        shell_admin(app.services, "9001").deactivate("1001")
        await log_in(pilot, *MANAGER)  # the manager approves: the void is checked again now
        assert isinstance(app.screen, LoginScreen)  # the session is gone: the till locked
        assert app.services.guard.session is None
        assert len(app.services.checkout.cart) == 1  # nothing was voided
        log = [e.event for e in app.services.audit.entries()]
        assert "void" not in log
        assert "override" not in log  # the approval was not used up either


async def test_a_shorter_idle_setting_locks_sooner(app_factory: AppFactory, demo_db: Path) -> None:
    from pos.db.database import open_database
    from pos.db.repositories import SettingsRepository

    database = open_database(demo_db)
    SettingsRepository(database).set("idle_lock_minutes", "2")
    database.close()
    now = [1000.0]
    app = app_factory(login=CASHIER, idle_clock=lambda: now[0])
    assert app.idle_limit == 120
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        now[0] += 119
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # 1:59: still open
        await pilot.press("escape")  # a key press starts the two minutes again
        now[0] += 119
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # 1:59 after the key press
        now[0] += 1
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)  # 2:00: locked, long before 15 minutes
        assert app.services.guard.session is None
        await log_in(pilot, *CASHIER)
        assert rows(app) == 1


async def test_the_idle_lock_keeps_a_payment_in_progress(app_factory: AppFactory) -> None:
    from textual.widgets import Digits

    from pos.screens.payment import PaymentScreen

    now = [1000.0]
    app = app_factory(login=CASHIER, idle_clock=lambda: now[0])
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10", "1", "f2")  # 1.00 of 1.20 paid in cash
        await settle(pilot)
        now[0] += 15 * 60
        app.tick()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await log_in(pilot, *CASHIER)
        assert isinstance(app.screen, PaymentScreen)  # the payment taken is still there
        assert app.screen.query_one("#due", Digits).value == "£0.20"


async def test_a_damaged_database_refuses_every_login_and_is_not_written(
    app_factory: AppFactory, demo_db: Path
) -> None:
    from pos.domain.clock import FixedClock
    from tests.conftest import FIXED_NOW
    from tests.db.test_robustness import damaged_after_a_first_start, unchanged

    before = damaged_after_a_first_start(demo_db, FixedClock(FIXED_NOW))
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.services.integrity.done)
        await until(pilot, lambda: "is damaged" in login_message(app))
        for number, pin in (CASHIER, MANAGER):
            await log_in(pilot, number, pin)
            assert isinstance(app.screen, LoginScreen)
            message = login_message(app)
            assert message.startswith("Nobody can log in. The database")
            assert "Nothing was written to it" in message
            assert "pos db check" in message
            assert "backup" in message
        await pilot.press("escape")  # clearing the fields does not clear the warning
        assert "is damaged" in login_message(app)
        assert app.services.guard.session is None
    app.services.close()
    assert unchanged(before, demo_db)  # not a byte: no audit, no checkpoint on quit


class HeldCheck(IntegrityCheck):
    """The database check, run when the test says (not in a thread)."""

    def start(self) -> None:
        pass


async def test_a_login_typed_during_the_check_waits_for_it(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    check = app.services.integrity = HeldCheck(app.services.db_path)
    made = [e.event for e in app.services.audit.entries()]
    assert made == ["operator_added", "operator_added"]  # pos init's demo operators
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, *CASHIER)
        assert isinstance(app.screen, LoginScreen)
        assert login_message(app) == CHECKING
        assert app.services.guard.session is None
        assert [e.event for e in app.services.audit.entries()] == made  # nothing written yet
        check.run()  # passes: the waiting login goes ahead
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert app.screen.query_one(TillHeader).operator == "Demo Cashier (1001)"


async def test_a_healthy_database_passes_its_check(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.services.integrity.done)
        assert app.services.integrity.passed
        assert login_message(app) == ""
        await log_in(pilot, *CASHIER)
        assert isinstance(app.screen, ScanScreen)

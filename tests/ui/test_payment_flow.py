"""Pilot tests: paying, the receipt, and a sale that cannot be saved."""

from __future__ import annotations

import gc
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Digits, Label

from pos.app import PosApp
from pos.app import collect_garbage as REAL_COLLECT_GARBAGE
from pos.auth.guard import LoginRequired
from pos.cli import cli
from pos.screens import ConfirmModal, LoginScreen, ScanScreen
from pos.screens.payment import PaymentScreen, ReceiptScreen
from pos.widgets import CartTable, MessageLine
from tests.conftest import CASHIER, MANAGER, shell_admin
from tests.dbtools import rows_in_main_file
from tests.ui.helpers import burst, scan, sell, settle

SIZE = (100, 30)
PEN = "4006381333931"  # 1.20, 20% VAT
LEMON = "5000000000012"  # 0.50, 0% VAT
AppFactory = Callable[..., PosApp]


async def test_cash_sale_with_change(app_factory: AppFactory, demo_db: Path) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.query_one("#due", Digits).value == "£1.70"
        burst(app, "5\n")  # 5.00 cash, Enter
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert app.screen.query_one("#change", Digits).value == "£3.30"
        assert "£3.30" in app.screen.done.receipt_text  # the change line
        assert "Receipt 0001" in app.screen.done.receipt_text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert app.screen.query_one(CartTable).row_count == 0
        assert "Sale 0001 completed" in str(app.screen.query_one(MessageLine).render())
    con = sqlite3.connect(demo_db)
    assert con.execute("SELECT receipt_no, total, operator FROM sale").fetchall() == [
        (1, 170, "1001")
    ]
    assert con.execute("SELECT method, amount, tendered, change FROM payment").fetchall() == [
        ("cash", 170, 500, 330)
    ]
    assert con.execute("SELECT count(*) FROM cart_line").fetchone() == (0,)


@pytest.mark.backends  # on SQLite and on PostgreSQL
def _footer(app: PosApp) -> list[tuple[str, str]]:
    from textual.widgets._footer import FooterKey

    return [(key.key_display, key.description) for key in app.screen.query(FooterKey)]


async def test_the_footer_shows_every_quick_cash_key_with_its_amount(
    app_factory: AppFactory,
) -> None:
    from textual.widgets._footer import FooterKey

    app = app_factory(login=CASHIER)
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, PEN)  # 1.20 due: F5 1.20, F6 5.00, F7 10.00, F8 20.00
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        # every key fits an 80-column terminal's footer, the app's own (^Q, ^L) too
        assert max(key.region.right for key in app.screen.query(FooterKey)) <= 80
        footer = _footer(app)
        for key in ("F2", "F3", "F5", "F6", "F7", "F8", "Esc"):
            assert key in [k for k, _ in footer], footer
        assert ("F6", "5.00") in footer
        assert ("F7", "10.00") in footer
        assert ("F8", "20.00") in footer
        await pilot.press("1", "enter")  # 1.00 cash: 0.20 left, and F6 pays 5.00 now
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert [f for f in _footer(app) if f[0] in ("F6", "F7", "F8")] == [
            ("F6", "5.00"),
            ("F7", "10.00"),
            ("F8", "20.00"),
        ]


async def test_a_quick_cash_key_with_no_note_to_pay_is_not_offered(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "40*")  # 20.00 due: exact, then 50.00 is the only note up
        await settle(pilot)
        await scan(pilot, LEMON)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.tender.remaining == 2000
        assert [f for f in _footer(app) if f[0] in ("F5", "F6", "F7", "F8")] == [
            ("F5", "Exact"),
            ("F6", "50.00"),
        ]  # no second or third note up to pay: F7 and F8 are not offered
        await pilot.press("f8")  # and does nothing
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.tender.payments == []


async def test_split_tender_and_numbers_in_sequence(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        for expected in (1, 2):
            await scan(pilot, PEN)
            await pilot.press("f10")
            await settle(pilot)
            burst(app, "1")
            await pilot.press("f3")  # 1.00 by card ...
            await settle(pilot)
            await pilot.press(*"T55", "enter")  # ... with the terminal's reference
            await settle(pilot)
            assert app.screen.query_one("#due", Digits).value == "£0.20"
            await pilot.press("f5")  # the exact rest in cash
            await settle(pilot)
            assert isinstance(app.screen, ReceiptScreen)
            assert app.screen.done.receipt_no == expected
            await pilot.press("enter")
            await settle(pilot)


async def test_escape_goes_back_to_the_cart_unchanged(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        burst(app, "5000112637922\n")  # a scan on the payment screen is no amount
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert "looks like a barcode" in str(app.screen.query_one(MessageLine).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert app.screen.query_one(CartTable).row_count == 1


async def test_a_sale_that_cannot_be_saved_keeps_the_cart(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        assert app.screen.check_action("retry", ()) is False  # nothing to save again yet
        app.services.db.execute_sql("PRAGMA query_only = 1")  # the disk refuses writes
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert "Sale NOT saved" in str(app.screen.query_one(MessageLine).render())
        assert app.screen.check_action("retry", ()) is True  # F10 now offered
        app.services.db.execute_sql("PRAGMA query_only = 0")  # the fault is gone
        await pilot.press("f10")  # save again
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert app.screen.done.receipt_no == 1


async def test_a_restarted_till_says_the_last_sale_was_completed(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
    again = app_factory(login=CASHIER)
    async with again.run_test(size=SIZE):
        message = str(again.screen.query_one(MessageLine).render())
        assert message == "Last sale 0001 was completed at 09:30 (1.20)"


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_history_finds_a_sale_and_reprints_it(app_factory: AppFactory) -> None:
    from textual.widgets import DataTable

    from pos.screens.history import HistoryScreen, SaleReceiptModal

    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        for code in (PEN, LEMON):
            await sell(pilot, code)
        await pilot.press("f11")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one(DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["0002", "0001"]
        await pilot.press("1")  # receipt number 1
        await settle(pilot)
        assert table.row_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        assert "Receipt 0001" in app.screen.text
        await pilot.press("f2")  # no printer set up: a clear message, nothing breaks
        await settle(pilot)
        assert "Copy not printed: no printer is set up" in str(
            app.screen.query_one(MessageLine).render()
        )
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "2026-13-01",
            "0 sales shown: 2026-13-01 is not a valid date (year-month-day, such as 2026-03-14)",
        ),
        ("2026-02-30", "0 sales shown: 2026-02-30 is not a valid date"),
        ("14/03/2026", "0 sales shown: type a receipt number, or a date such as 2026-03-14"),
        ("2026-03-14", "0 sales shown (newest first)"),  # a real day with no sales
    ],
)
async def test_history_says_why_a_search_finds_nothing(
    app_factory: AppFactory, typed: str, said: str
) -> None:
    from pos.screens.history import HistoryScreen

    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f11")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        for char in typed:
            await pilot.press(char)
        await settle(pilot)
        line = app.screen.query_one(MessageLine)
        assert str(line.render()).startswith(said)
        assert line.has_class("-error") == (said != "0 sales shown (newest first)")


def test_history_search_by_day(app_factory: AppFactory) -> None:
    from datetime import date

    app = app_factory(login=CASHIER)
    checkout = app.services.checkout
    checkout.submit(PEN)
    tender = app.services.sales.start()
    tender.cash(tender.due)
    app.services.sales.complete(tender)
    today = date(2026, 3, 14).isoformat()  # the fixed clock's day
    assert [r.receipt_no for r in app.services.sales.history(today)] == [1]
    assert app.services.sales.history("2026-03-15") == []
    assert app.services.sales.history("not a date") == []


async def test_x_report_on_screen_and_refused_to_cashiers(app_factory: AppFactory) -> None:
    from pos.screens.report import ReportScreen
    from tests.conftest import MANAGER

    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert "supervisors and managers" in str(app.screen.query_one(MessageLine).render())
    boss = app_factory(login=MANAGER)
    async with boss.run_test(size=SIZE) as pilot:
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(boss.screen, ReportScreen)
        assert boss.screen.figures.sales == 1
        assert boss.screen.hourly[9] == 120  # 09:30 local (UTC in the tests)


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_z_report_from_the_report_screen(app_factory: AppFactory) -> None:
    from pos.screens.report import AmountModal, ReportScreen
    from tests.conftest import MANAGER

    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await pilot.press("f12")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        for answer in ("n", "y"):  # asked first; only Y closes the day
            await pilot.press("f4")
            await settle(pilot)
            assert isinstance(app.screen, AmountModal)
            await pilot.press("1", "full_stop", "2", "0", "enter")
            await settle(pilot)
            assert isinstance(app.screen, ConfirmModal)
            assert str(app.screen.query_one("#question", Label).render()).startswith(
                "Close the day with 1.20 counted in the drawer?"
            )
            await pilot.press(answer)
            await settle(pilot)
            assert isinstance(app.screen, ReportScreen)
            shown = str(app.screen.query_one("#figures-text").render())
            if answer == "n":
                assert "Z report" not in shown
                assert app.services.days.current().open  # type: ignore[union-attr]
                message = str(app.screen.query_one(MessageLine).render())
                assert message == "Day not closed: F4 starts again"
        assert "Z report 0001" in shown
        assert "exact" in shown


async def test_the_report_after_a_z_shows_the_closed_day_then_the_new_one(
    app_factory: AppFactory,
) -> None:
    from pos.screens.report import AmountModal, ReportScreen

    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)  # the till's first day opens with this sale, at 09:30
        await pilot.press("f12", "f4")
        await settle(pilot)
        await pilot.press("1", "full_stop", "2", "0", "enter")
        await settle(pilot)
        await pilot.press("y")  # yes, close it
        await settle(pilot)
        await pilot.press("escape", "f12")  # the report again, the day closed
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        title = str(app.screen.query_one("#report-title", Label).render())
        assert title.startswith("Z report 0001  Till 1  2026-03-14 09:30 to 09:30")
        assert "the day is closed" in title
        assert app.screen.figures.sales == 1  # the closed day's own figures
        await pilot.press("f3")  # a new day, with a float of 50.00
        await settle(pilot)
        assert isinstance(app.screen, AmountModal)
        await pilot.press("5", "0", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        title = str(app.screen.query_one("#report-title", Label).render())
        assert title.startswith("X report  Till 1  since 2026-03-14 09:30")
        assert app.screen.figures.sales == 0  # the new day's, not the closed one's
        assert app.screen.hourly == [0] * 24
        shown = str(app.screen.query_one("#figures-text").render())
        assert shown.startswith("Sales                        0\n")
        assert "Day opened with a float of 50.00" in str(app.screen.query_one(MessageLine).render())


async def _sale_then_refund_screen(app: PosApp, pilot) -> None:  # type: ignore[no-untyped-def]
    for code in (PEN, LEMON):
        await scan(pilot, code)
    await pilot.press("f10")
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await pilot.press("enter", "f11")
    await settle(pilot)
    await pilot.press("enter")  # open sale 0001
    await settle(pilot)
    await pilot.press("f4")  # refund from it
    await settle(pilot)


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_a_manager_refunds_a_line(app_factory: AppFactory) -> None:
    from textual.widgets import DataTable

    from pos.screens.history import HistoryScreen, SaleReceiptModal
    from pos.screens.refund import RefundScreen
    from pos.screens.refund_reason import RefundReasonModal
    from tests.conftest import MANAGER

    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        await _sale_then_refund_screen(app, pilot)
        assert isinstance(app.screen, RefundScreen)
        burst(app, "5\n")  # more than was sold
        await settle(pilot)
        assert "At most 1" in str(app.screen.query_one(MessageLine).render())
        burst(app, "1\n")
        await settle(pilot)
        assert str(app.screen.query_one(MessageLine).render()) == "1 line chosen"
        shown = str(app.screen.query_one("#refund-amount").render())
        assert shown == "Pays back 1.20"  # before the refund is made
        await pilot.press("f2")  # cash
        await settle(pilot)
        assert isinstance(app.screen, RefundReasonModal)  # every refund has a reason
        await pilot.press("escape")  # none chosen: nothing refunded, back to the lines
        await settle(pilot)
        assert isinstance(app.screen, RefundScreen)
        assert app.services.sales.history("2") == []
        await pilot.press("f2", "down", "enter")  # cash, the second reason
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        assert "Refund 0002" in app.screen.text
        assert "Reason: Wrong size" in app.screen.text
        assert "REFUNDED" in app.screen.text
        await pilot.press("escape")  # back to the history, which lists the refund at once
        await settle(pilot)
        history = app.screen
        assert isinstance(history, HistoryScreen)
        table = history.query_one(DataTable)
        rows = [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert [(r[0], r[4]) for r in rows] == [("0002 refund of 0001", "-1.20"), ("0001", "1.70")]
        assert "1 sale and 1 refund shown" in str(history.query_one(MessageLine).render())
        await pilot.press("enter")  # the refund's own receipt, as it was printed
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        assert "Refund 0002" in app.screen.text
        assert app.screen.check_action("refund", ()) is False  # no refund of a refund
        await pilot.press("f4", "f2")
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        assert "Copy not printed: no printer is set up" in str(
            app.screen.query_one(MessageLine).render()
        )
        assert [r.receipt_no for r in app.services.sales.history("2")] == [2]
        assert app.services.sales.receipt(2) == app.screen.text


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_a_cashier_refund_needs_a_manager(app_factory: AppFactory) -> None:
    from pos.screens import ManagerOverrideModal
    from pos.screens.history import SaleReceiptModal
    from tests.conftest import MANAGER

    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _sale_then_refund_screen(app, pilot)
        burst(app, "1\n")
        await settle(pilot)
        await pilot.press("f3", "enter")  # to the card, the first reason
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await pilot.press(*MANAGER[0], "enter", *MANAGER[1], "enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        assert "Paid back by card" in app.screen.text


async def test_card_reference_is_kept(app_factory: AppFactory, demo_db: Path) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"AUTH-8812", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert "Card AUTH-8812" in app.screen.done.receipt_text
    con = sqlite3.connect(demo_db)
    assert con.execute("SELECT method, reference FROM payment").fetchall() == [
        ("card", "AUTH-8812")
    ]


def test_tax_exclusive_prices_add_the_vat(app_factory: AppFactory, demo_db: Path) -> None:
    from pos.db.database import open_database
    from pos.db.repositories import SettingsRepository

    database = open_database(demo_db)
    SettingsRepository(database).set("tax_inclusive", "no")
    database.close()
    app = app_factory(login=CASHIER)
    app.services.checkout.submit(PEN)  # 1.20 net at 20%
    tender = app.services.sales.start()
    assert tender.due == 144
    tender.cash(200)
    done = app.services.sales.complete(tender)
    assert "VAT" in done.receipt_text
    assert "1.44" in done.receipt_text


# ---------------------------------------------------------------- the session ends mid-sale


async def _pay_but_one_step(app: PosApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """A pen in the cart, 1.00 of its 1.20 paid in cash: F5 would complete the sale."""
    await scan(pilot, PEN)
    await pilot.press("f10")
    await settle(pilot)
    burst(app, "1")
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(app.screen, PaymentScreen)
    assert app.screen.query_one("#due", Digits).value == "£0.20"


def _login_text(app: PosApp) -> str:
    return str(app.screen.query_one("#login-message", Label).render())


def _payment_under(app: PosApp) -> PaymentScreen:
    return next(s for s in app.screen_stack if isinstance(s, PaymentScreen))


async def _log_in(pilot, number: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(pilot)


async def test_a_cashier_deactivated_mid_payment_saves_nothing(
    app_factory: AppFactory, demo_db: Path
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_but_one_step(app, pilot)
        # a manager deactivates 1001 from another process while the cashier is paying
        result = CliRunner().invoke(
            cli, ["operators", "deactivate", "--db", str(demo_db), "--number", "1001"]
        )
        assert result.exit_code == 0, result.output
        await pilot.press("f5")  # the rest in cash: the sale would be saved now
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)  # the till locked at once
        assert app.services.guard.session is None
        assert "Sale NOT saved" in _login_text(app)
        assert "log in again" in _login_text(app).lower()
        con = sqlite3.connect(demo_db)
        assert con.execute("SELECT count(*) FROM sale").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM payment").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM cart_line").fetchone() == (1,)  # cart kept
        events = [e.event for e in app.services.audit.entries()]
        assert "sale_completed" not in events
        assert "token_refused" in events
        # the payment screen is still there under the login, with what was taken
        payment = _payment_under(app)
        assert [(p.tendered, p.amount) for p in payment.tender.payments] == [(100, 100), (20, 20)]
        await _log_in(pilot, *CASHIER)  # deactivated: cannot log back in
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("escape")
        await _log_in(pilot, *MANAGER)  # a manager may carry on with the cashier's cart
        assert app.screen is payment
        assert "NOT saved yet" in str(payment.query_one(MessageLine).render())
        await pilot.press("f10")  # save again
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
    # the sale is the manager's, who completed it, with both payments
    assert con.execute("SELECT receipt_no, total, operator FROM sale").fetchall() == [
        (1, 120, "9001")
    ]
    assert con.execute("SELECT method, amount FROM payment ORDER BY id").fetchall() == [
        ("cash", 100),
        ("cash", 20),
    ]
    con.close()


async def test_a_pin_change_mid_payment_saves_nothing_until_the_new_login(
    app_factory: AppFactory, demo_db: Path
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_but_one_step(app, pilot)
        shell_admin(app.services, "9001").set_pin("1001", "3691")  # ends every token
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "Sale NOT saved" in _login_text(app)
        con = sqlite3.connect(demo_db)
        assert con.execute("SELECT count(*) FROM sale").fetchone() == (0,)
        assert len(_payment_under(app).tender.payments) == 2
        await _log_in(pilot, *CASHIER)  # the old PIN no longer works
        assert isinstance(app.screen, LoginScreen)
        await pilot.press("escape")
        await _log_in(pilot, "1001", "3691")  # at once: in the same second as the change
        assert isinstance(app.screen, PaymentScreen)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
    assert con.execute("SELECT total, operator FROM sale").fetchall() == [(120, "1001")]
    con.close()


async def test_a_reprint_after_deactivation_is_refused(
    app_factory: AppFactory, demo_db: Path
) -> None:
    from pos.screens.history import SaleReceiptModal

    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await pilot.press("f11")
        await settle(pilot)
        await pilot.press("enter")  # sale 0001's receipt
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        shell_admin(app.services, "9001").deactivate("1001")
        await pilot.press("f2")  # print a copy
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.services.guard.session is None
        assert "reprint" not in [e.event for e in app.services.audit.entries()]


async def test_a_copy_from_the_receipt_screen_after_deactivation_is_refused(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        shell_admin(app.services, "9001").deactivate("1001")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "reprint" not in [e.event for e in app.services.audit.entries()]


def test_the_sale_service_asks_the_guard_when_it_saves(app_factory: AppFactory) -> None:
    """Enforced in the service, whatever a screen does: no session, no sale, no copy."""
    app = app_factory(login=CASHIER)
    services = app.services
    services.checkout.submit(PEN)
    tender = services.sales.start()
    tender.cash(tender.due)
    shell_admin(services, "9001").deactivate("1001")
    with pytest.raises(LoginRequired):
        services.sales.complete(tender)
    assert len(services.checkout.cart) == 1  # kept
    with pytest.raises(LoginRequired):
        services.sales.reprint(1)
    services.sessions.login(*MANAGER)
    done = services.sales.complete(tender)  # the same tender, once someone is logged in
    assert done.receipt_no == 1


def test_large_amounts_show_the_currency_sign() -> None:
    from pos.screens.payment import big_label, big_money

    assert big_money(130, "£") == "£1.30"  # Digits draws £, $ and €
    assert big_label("Amount due", "£") == "Amount due"
    assert big_money(130, "kr") == "1.30"  # other signs go in the label
    assert big_label("Amount due", "kr") == "Amount due (kr)"
    assert big_money(130, "") == "1.30"
    assert big_label("Change", "") == "Change"


async def test_garbage_is_collected_between_customers_not_during_a_scan(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The full collection runs when the till opens and when the receipt is shown; what
    survives is frozen, so the collections during a scan only walk the new objects."""
    import pos.app

    calls: list[str] = []
    real = REAL_COLLECT_GARBAGE  # the tests' own stand-in does nothing (tests/conftest.py)

    def counted() -> None:
        calls.append(type(app.screen).__name__)
        real()

    monkeypatch.setattr(pos.app, "collect_garbage", counted)
    app = app_factory()
    async with app.run_test() as pilot:
        await settle(pilot)
        assert calls == ["ScanScreen"]
        assert gc.get_freeze_count() > 0
        await scan(pilot, "5000000000012")
        assert calls == ["ScanScreen"]  # not on a scan
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")  # exact cash
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert calls == ["ScanScreen", "ReceiptScreen"]
    assert gc.get_freeze_count() == 0  # the app unfroze on the way out


@pytest.mark.sqlite_only  # SQLite's write-ahead log
async def test_the_log_is_checkpointed_in_the_background_in_a_pause(
    app_factory: AppFactory, demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a pause between items (CHECKPOINT_PAUSE without a key), once per pause, the log is
    copied into the main file on a worker thread: a long cart's saved lines never pile up
    until SQLite's own checkpoint lands inside a scan. Not while keys keep coming, and not
    while nobody is logged in."""
    from pos.app import CHECKPOINT_PAUSE

    def lines_in_main_file() -> int:
        return rows_in_main_file(demo_db, "cart_line", tmp_path / "main-file-only.sqlite")

    now = [1000.0]
    app = app_factory(idle_clock=lambda: now[0])
    runs: list[str] = []
    real = app.services.sales.keep_log_short

    def counted() -> None:
        runs.append(threading.current_thread().name)
        real()

    monkeypatch.setattr(app.services.sales, "keep_log_short", counted)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, "5000000000012")
        now[0] += CHECKPOINT_PAUSE / 2  # keys still coming
        app.tick()
        await app.workers.wait_for_complete()
        assert lines_in_main_file() == 0  # synced in the log only
        now[0] += CHECKPOINT_PAUSE  # a pause
        app.tick()
        await app.workers.wait_for_complete()
        assert lines_in_main_file() == 1
        assert len(runs) == 1
        assert runs[0] != threading.main_thread().name  # on a worker thread
        app.tick()  # the same pause: once is enough
        await app.workers.wait_for_complete()
        assert len(runs) == 1
        await scan(pilot, "4006381333931")
        app.services.guard.session = None  # the session ends: no more checkpoints
        now[0] += 2 * CHECKPOINT_PAUSE
        app.tick()
        await app.workers.wait_for_complete()
        assert lines_in_main_file() == 1
        assert len(runs) == 1
    app._checkpoint()  # one still queued when the till closed: it does nothing
    assert len(runs) == 1


async def test_the_log_is_checkpointed_once_the_receipt_is_up(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database log's checkpoint runs while the receipt is on screen (nobody waits),
    never as part of a scan."""
    app = app_factory()
    calls: list[str] = []
    real = app.services.sales.between_customers

    def counted() -> None:
        calls.append(type(app.screen).__name__)
        real()

    monkeypatch.setattr(app.services.sales, "between_customers", counted)
    async with app.run_test() as pilot:
        await settle(pilot)
        await scan(pilot, "5000000000012")
        assert calls == []
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")  # exact cash
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert calls == ["ReceiptScreen"]

"""Pilot: a gift voucher scanned on the payment screen pays part of the sale; a refused
one says why and takes nothing (issue 22)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path

from textual.widgets import Digits, Label

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.vouchers import VoucherRepository
from pos.domain.vouchers import Voucher, make_code
from pos.screens import ScanScreen
from pos.screens.payment import PaymentScreen, ReceiptScreen
from pos.screens.voucher_balance import VoucherBalanceModal
from pos.widgets import MessageLine
from tests.conftest import CASHIER, FIXED_NOW
from tests.ui.helpers import burst, scan, settle

SIZE = (100, 30)
PEN = "4006381333931"  # 1.20
CARD = make_code("001", "000000000005")
AppFactory = Callable[..., PosApp]


def _card(demo_db: Path, code: str, balance: int) -> None:
    database = open_database(demo_db)
    try:
        VoucherRepository(database, "Till 1").issue(
            [Voucher(code, 500, balance, date(2027, 1, 1))], FIXED_NOW
        )
    finally:
        database.close()


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def test_a_voucher_scanned_pays_then_cash_the_rest(
    app_factory: AppFactory, demo_db: Path
) -> None:
    _card(demo_db, CARD, 100)  # 1.00 left on it
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        burst(app, make_code("042", "000000000005") + "\n")  # another store's
        await settle(pilot)
        assert "from store 042; this is store 001" in _message(app)
        assert app.screen.tender.payments == []
        burst(app, CARD + "\n")  # the scanner: digits, Enter
        await settle(pilot)
        assert "pays £1.00; £0.00 will be left on it" in _message(app)
        assert app.screen.query_one("#due", Digits).value == "£0.20"
        await pilot.press("f5")  # the exact rest in cash
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert "Left on the voucher" in app.screen.done.receipt_text
    con = sqlite3.connect(demo_db)
    assert con.execute("SELECT method, amount FROM payment ORDER BY id").fetchall() == [
        ("voucher", 100),
        ("cash", 20),
    ]
    assert con.execute("SELECT balance FROM voucher").fetchall() == [(0,)]


async def test_voucher_balance_from_the_palette_and_ctrl_o_v(
    app_factory: AppFactory, demo_db: Path
) -> None:
    _card(demo_db, CARD, 380)
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        command = next(
            c for c in app.get_system_commands(app.screen) if c.title == "Voucher balance"
        )
        command.callback()
        await settle(pilot)
        assert isinstance(app.screen, VoucherBalanceModal)
        burst(app, CARD[:-1] + "1\n")  # a digit wrong
        await settle(pilot)
        assert "check digit is wrong" in str(app.screen.query_one("#hint", Label).render())
        burst(app, CARD + "\n")
        await settle(pilot)
        answer = str(app.screen.query_one("#answer", Label).render())
        assert answer == f"...{CARD[-4:]}: £3.80 left of £5.00, good until 2027-01-01"
        assert str(app.screen.query_one("#hint", Label).render()) == ""
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        await pilot.press("ctrl+o", "v")
        await settle(pilot)
        assert isinstance(app.screen, VoucherBalanceModal)


def _footer(app: PosApp) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [key.description for key in app.screen.query(FooterKey)]


async def test_f4_refunds_onto_the_voucher_of_a_sale_it_paid(
    app_factory: AppFactory, demo_db: Path
) -> None:
    _card(demo_db, CARD, 500)
    app = app_factory()  # the manager: refunds need the scope
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        burst(app, CARD + "\n")  # the card pays it all: the receipt shows
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        await pilot.press("enter", "f11")
        await settle(pilot)
        await pilot.press("enter")  # the sale's receipt
        await settle(pilot)
        await pilot.press("f4")  # refund
        await settle(pilot)
        assert "Refund voucher" in _footer(app)
        await pilot.press("1", "enter", "f4")
        await settle(pilot)
        await pilot.press("enter")  # the first reason
        await settle(pilot)
    con = sqlite3.connect(demo_db)
    assert con.execute("SELECT method, total FROM refund").fetchall() == [("voucher", 120)]
    assert con.execute("SELECT balance FROM voucher").fetchall() == [(500,)]

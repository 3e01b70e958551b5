"""Receipts on ESC/POS printers, checked byte by byte with python-escpos's dummy printer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from escpos.printer import Dummy

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.screens.payment import ReceiptScreen
from pos.services.printing import (
    PrinterError,
    ReceiptPrinter,
    is_device_path,
    print_receipt,
    printer_from_setting,
)
from pos.widgets import MessageLine
from tests.conftest import CASHIER
from tests.ui.helpers import scan, settle

CUT = b"\x1dV"  # GS V
DRAWER = b"\x1bp"  # ESC p
FEED = b"\x1bd"  # ESC d n: the feed escpos sends before the cut


def test_receipt_bytes_cut_after_the_feed_and_kick_the_drawer_for_cash() -> None:
    printer = Dummy()
    print_receipt(printer, "TOTAL  £1.20\n", open_drawer=True)
    out = printer.output
    assert b"TOTAL  \x9c1.20" in out  # the pound sign in the printer's code page
    assert out.index(b"\n\n\n\n") < out.index(CUT)  # fed past the cutter first
    assert out.index(CUT) < out.index(DRAWER)
    card = Dummy()
    print_receipt(card, "x\n", open_drawer=False)
    assert DRAWER not in card.output


def test_settings() -> None:
    assert printer_from_setting("none") is None
    assert printer_from_setting("") is None
    assert printer_from_setting("192.168.1.50:9100") is not None
    assert printer_from_setting("/dev/usb/lp0") is not None


def test_a_broken_printer_is_a_printer_error() -> None:
    class Broken:
        def text(self, _: str) -> None:
            raise OSError("out of paper")

    with pytest.raises(PrinterError, match="out of paper"):
        print_receipt(Broken(), "x", open_drawer=False)
    with pytest.raises(PrinterError, match="no printer"):
        ReceiptPrinter("none").print("x", open_drawer=False)
    with pytest.raises(PrinterError, match="cannot be reached|did not print"):
        ReceiptPrinter("/no/such/folder/lp0").print("x", open_drawer=False)


def test_a_file_printer_keeps_every_receipt(tmp_path: Path) -> None:
    paper = tmp_path / "printer.bin"
    printer = ReceiptPrinter(str(paper))
    printer.print("First receipt, the longer one\n", open_drawer=False)
    printer.print("Second\n", open_drawer=False)
    out = paper.read_bytes()
    assert out.index(b"First receipt, the longer one") < out.index(b"Second")
    assert out.count(CUT) == 2
    # a device is written as it is; a regular or new file is appended to
    assert is_device_path("/dev/null")
    assert not is_device_path(str(paper))
    assert not is_device_path(str(tmp_path / "new.bin"))
    ReceiptPrinter("/dev/null").print("x\n", open_drawer=False)


def _set_printer(db: Path, value: str) -> None:
    database = open_database(db)
    SettingsRepository(database).set("printer", value)
    database.close()


async def test_a_sale_prints_and_a_copy_is_marked(
    app_factory: Callable[..., PosApp], demo_db: Path, tmp_path: Path
) -> None:
    paper = tmp_path / "printer.bin"
    _set_printer(demo_db, str(paper))
    app = app_factory(login=CASHIER)
    async with app.run_test(size=(100, 30)) as pilot:
        await scan(pilot, "4006381333931")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")  # exact cash
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert app.screen.done.printed
        first = paper.read_bytes()
        assert b"Receipt 0001" in first
        assert CUT in first
        assert DRAWER in first
        await pilot.press("f2")
        await settle(pilot)
        both = paper.read_bytes()
        assert both.startswith(first)  # the copy is added after the receipt, not over it
        again = both[len(first) :]
        assert b"*** COPY ***" in again
        assert b"Receipt 0001" in again
        assert DRAWER not in again
        assert "Copy printed" in str(app.screen.query_one(MessageLine).render())
        assert [e.event for e in app.services.audit.entries()][-1] == "reprint"


async def test_a_dead_printer_never_loses_the_sale(
    app_factory: Callable[..., PosApp], demo_db: Path
) -> None:
    _set_printer(demo_db, "/no/such/folder/lp0")
    app = app_factory(login=CASHIER)
    async with app.run_test(size=(100, 30)) as pilot:
        await scan(pilot, "4006381333931")
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert not app.screen.done.printed
        message = str(app.screen.query_one(MessageLine).render())
        assert message.startswith("Not printed:")
        assert "The sale is saved" in message
        assert app.services.sales.last_sale() is not None

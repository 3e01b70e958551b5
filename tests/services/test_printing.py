"""Receipts on ESC/POS printers, checked byte by byte with python-escpos's dummy printer.

Printing runs in a thread worker: the tests hold a printer stub on a ``threading.Event``
to see the screen while a receipt is on its way, and await the worker for the outcome
(never a sleep).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from escpos.printer import Dummy
from textual.pilot import Pilot

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.domain.text import cell_len
from pos.screens import ScanScreen
from pos.screens.history import SaleReceiptModal
from pos.screens.payment import ReceiptScreen
from pos.services.printing import (
    PrinterError,
    ReceiptPrinter,
    is_device_path,
    print_receipt,
    printer_from_setting,
)
from pos.services.store import SETTING_DEFAULTS, StoreSettings, validate_setting
from pos.widgets import MessageLine
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import burst, scan, sell, settle

pytestmark = [
    pytest.mark.backends,  # each test on SQLite and on PostgreSQL
    pytest.mark.usefixtures("paint_once"),  # what it prints, not what it draws (tests/painting.py)
]

CUT = b"\x1dV"  # GS V
DRAWER = b"\x1bp"  # ESC p
FEED = b"\x1bd"  # ESC d n: the feed escpos sends before the cut
SIZE = (100, 30)
PEN = "4006381333931"  # 1.20


class StalledPrinter(Dummy):
    """A dummy printer that hangs in its first write until the test lets it go, then
    prints (or fails, like a printer out of paper)."""

    def __init__(self, fail: str | None = None) -> None:
        super().__init__()
        self.reached = threading.Event()
        self.go = threading.Event()
        self.fail = fail

    def _raw(self, msg: bytes) -> None:
        self.reached.set()
        assert self.go.wait(timeout=30), "the test never let the printer go"
        if self.fail:
            raise OSError(self.fail)
        super()._raw(msg)


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def _printed(pilot: Pilot[object]) -> None:
    """Wait for the print workers, then for the screen to show their outcome."""
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)


async def _pay_exact_cash(pilot: Pilot[object], *codes: str) -> None:
    for code in codes:
        await scan(pilot, code)
    await pilot.press("f10")
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)


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


def test_a_host_and_port_is_a_network_printer_and_a_path_a_file_printer() -> None:
    from escpos.printer import File, Network

    from pos.services.printing import NETWORK_TIMEOUT

    opener = printer_from_setting(" 192.168.1.50:9100 ")
    assert opener is not None
    network = opener()  # python-escpos connects on the first write, not here
    assert type(network) is Network
    assert (network.host, network.port, network.timeout) == ("192.168.1.50", 9100, NETWORK_TIMEOUT)
    assert not network._device  # never opened: no connection was made
    named = printer_from_setting("till-printer.local:9101")
    assert named is not None
    assert (named().host, named().port) == ("till-printer.local", 9101)
    device = printer_from_setting("/dev/usb/lp0")
    assert device is not None
    file = device()
    assert isinstance(file, File)
    assert not isinstance(file, Network)
    assert file.devfile == "/dev/usb/lp0"
    assert not file._device
    not_a_port = printer_from_setting("printer:abc")  # no port: a path, not a host
    assert not_a_port is not None
    assert not isinstance(not_a_port(), Network)


def test_the_currency_symbol_setting() -> None:
    assert SETTING_DEFAULTS["currency_symbol"] == "£"
    assert validate_setting("currency_symbol", " € ") == "€"
    assert validate_setting("currency_symbol", "kr") == "kr"
    assert validate_setting("currency_symbol", "CHF") == "CHF"
    assert validate_setting("currency_symbol", "None") == "none"  # no sign at all
    for bad in ("", "  ", "EURO", "£1", "k r", "-", "£.", "\x1b[2J", "\u202e£"):
        with pytest.raises(ValueError, match="currency_symbol is 1 to 3"):
            validate_setting("currency_symbol", bad)
    with pytest.raises(ValueError, match="no code page"):
        validate_setting("currency_symbol", "₹")  # escpos would print it as "?"


def test_settings_help_lists_every_setting() -> None:
    from click.testing import CliRunner

    from pos.cli import cli
    from pos.services.store import SETTINGS

    result = CliRunner().invoke(cli, ["settings", "--help"])
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.splitlines() if line.startswith("  ")]
    # each one, on its own line with what it is (the printer, VAT, width and sign too)
    for key in SETTING_DEFAULTS:
        assert key in listed, result.output
        assert f"{key}  " in result.output
    assert set(SETTINGS) == set(SETTING_DEFAULTS)
    for key in ("printer", "tax_inclusive", "receipt_width", "currency_symbol"):
        assert key in listed
    assert "set   Change one setting." in result.output


def test_no_currency_sign(demo_db: Path) -> None:
    database = open_database(demo_db)
    repo = SettingsRepository(database)
    repo.set("currency_symbol", "none")
    assert StoreSettings.load(repo).currency_symbol == ""
    database.close()


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
    with socket.socket() as closed:  # a port nobody listens on: refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(PrinterError, match="cannot be reached|did not print"):
        ReceiptPrinter(f"127.0.0.1:{port}").print("x", open_drawer=False)


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


def test_a_stalled_printer_gives_up_and_holds_the_next_receipt_back() -> None:
    stalled = StalledPrinter()
    printer = ReceiptPrinter(opener=lambda: stalled, timeout=0)
    with pytest.raises(PrinterError, match="did not answer within 0 s"):
        printer.print("First\n", open_drawer=False)
    assert stalled.reached.wait(timeout=30)
    with pytest.raises(PrinterError, match="still busy with an earlier receipt"):
        printer.print("Second\n", open_drawer=False)  # never interleaved with the first
    stalled.go.set()
    printer.timeout = 30
    printer.print("Third\n", open_drawer=False)  # waits for the first to finish
    out = stalled.output
    assert out.index(b"First") < out.index(b"Third")
    assert b"Second" not in out


def _set(db: Path, key: str, value: str) -> None:
    database = open_database(db)
    SettingsRepository(database).set(key, value)
    database.close()


async def test_a_sale_prints_and_a_copy_is_marked(
    app_factory: Callable[..., PosApp], demo_db: Path, tmp_path: Path
) -> None:
    paper = tmp_path / "printer.bin"
    _set(demo_db, "printer", str(paper))
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_exact_cash(pilot, PEN)
        assert isinstance(app.screen, ReceiptScreen)
        await _printed(pilot)
        assert _message(app) == "Receipt printed"
        first = paper.read_bytes()
        assert b"Receipt 0001" in first
        assert CUT in first
        assert DRAWER in first
        await pilot.press("f2")
        await _printed(pilot)
        both = paper.read_bytes()
        assert both.startswith(first)  # the copy is added after the receipt, not over it
        again = both[len(first) :]
        assert b"*** COPY ***" in again
        assert b"Receipt 0001" in again
        assert DRAWER not in again
        assert _message(app) == "Copy printed"
        assert [e.event for e in app.services.audit.entries()][-1] == "reprint"


async def test_a_completed_sale_prints_the_pound_sign(
    app_factory: Callable[..., PosApp],
) -> None:
    app = app_factory(login=CASHIER)
    printed: list[Dummy] = []

    def dummy() -> Dummy:
        printed.append(Dummy())
        return printed[-1]

    app.services.sales.printer = ReceiptPrinter(opener=dummy)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_exact_cash(pilot, PEN)
        await _printed(pilot)
    out = printed[0].output
    cp437 = int(printed[0].profile.get_code_pages()["CP437"])
    assert "£".encode("cp437") == b"\x9c"
    select = b"\x1bt" + bytes([cp437])  # ESC t n: the code page the printer has
    total = out.index(b"TOTAL")
    assert select in out[:total]  # selected before the money (and not changed since)
    assert out.rfind(b"\x1bt", 0, total) == out.rfind(select, 0, total)
    line = out[total : out.index(b"\n", total)]
    assert line.endswith(b" \x9c1.20")  # TOTAL ... £1.20
    assert len(line) == 42  # one byte per cell: the sign keeps the columns
    assert b"Cash" in out
    assert b" \x9c1.20\n" in out[out.index(b"Cash") :]
    assert "£".encode() not in out  # never the UTF-8 bytes


async def test_the_receipt_shows_at_once_while_the_printer_hangs(
    app_factory: Callable[..., PosApp],
) -> None:
    stalled = StalledPrinter()
    app = app_factory(login=CASHIER)
    app.services.sales.printer = ReceiptPrinter(opener=lambda: stalled)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_exact_cash(pilot, PEN)
        assert isinstance(app.screen, ReceiptScreen)  # shown, the printer not done
        assert stalled.reached.wait(timeout=30)
        assert _message(app) == "Printing the receipt…"
        last = app.services.sales.last_sale()
        assert last is not None
        assert last.receipt_no == 1
        await pilot.press("f2")  # the screen answers keys meanwhile
        await settle(pilot)
        assert _message(app) == "Still printing: try again when it is done"
        stalled.go.set()
        await _printed(pilot)
        assert _message(app) == "Receipt printed"
        assert b"Receipt 0001" in stalled.output
        assert [e.event for e in app.services.audit.entries()][-1] != "reprint"


async def test_a_printer_that_fails_late_says_so(app_factory: Callable[..., PosApp]) -> None:
    stalled = StalledPrinter(fail="out of paper")
    app = app_factory(login=CASHIER)
    app.services.sales.printer = ReceiptPrinter(opener=lambda: stalled)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_exact_cash(pilot, PEN)
        assert stalled.reached.wait(timeout=30)
        stalled.go.set()
        await _printed(pilot)
        assert isinstance(app.screen, ReceiptScreen)
        assert _message(app) == (
            "Sale saved. Not printed: the printer failed (out of paper). F2 prints a copy."
        )


async def test_a_failure_after_the_next_sale_began_is_still_reported(
    app_factory: Callable[..., PosApp],
) -> None:
    stalled = StalledPrinter(fail="out of paper")
    app = app_factory(login=CASHIER)
    app.services.sales.printer = ReceiptPrinter(opener=lambda: stalled)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_exact_cash(pilot, PEN)
        assert stalled.reached.wait(timeout=30)
        await pilot.press("enter")  # the next customer, while the printer still hangs
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        await scan(pilot, PEN)  # the till sells on
        stalled.go.set()
        await _printed(pilot)
        notes = [note.message for note in app._notifications]
        assert any("Not printed" in n and "out of paper" in n for n in notes), notes


async def test_a_copy_from_the_history_prints_in_the_background(
    app_factory: Callable[..., PosApp],
) -> None:
    stalled = StalledPrinter()
    stalled.go.set()
    app = app_factory(login=CASHIER)
    app.services.sales.printer = ReceiptPrinter(opener=lambda: stalled)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await _printed(pilot)
        stalled.go.clear()
        stalled.reached.clear()
        await pilot.press("f11", "enter")
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        await pilot.press("f2")
        await settle(pilot)
        assert stalled.reached.wait(timeout=30)
        assert _message(app) == "Printing a copy…"
        assert [e.event for e in app.services.audit.entries()][-1] != "reprint"
        stalled.go.set()
        await _printed(pilot)
        assert _message(app) == "Copy printed"
        assert b"*** COPY ***" in stalled.output
        assert [e.event for e in app.services.audit.entries()][-1] == "reprint"


async def test_a_refund_receipt_prints_in_the_background(
    app_factory: Callable[..., PosApp],
) -> None:
    stalled = StalledPrinter()
    stalled.go.set()
    app = app_factory(login=MANAGER)
    app.services.sales.printer = ReceiptPrinter(opener=lambda: stalled)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        await _printed(pilot)
        stalled.go.clear()
        stalled.reached.clear()
        start = len(stalled.output)
        await pilot.press("f11", "enter", "f4")
        await settle(pilot)
        burst(app, "1\n")  # one pen back ...
        await settle(pilot)
        await pilot.press("f2")  # ... in cash
        await settle(pilot)
        await pilot.press("enter")  # the first refund reason
        await settle(pilot)
        assert isinstance(app.screen, SaleReceiptModal)
        assert stalled.reached.wait(timeout=30)
        assert _message(app) == "Printing the refund receipt…"
        stalled.go.set()
        await _printed(pilot)
        assert _message(app) == "Refund receipt printed"
        out = stalled.output[start:]
        assert b"Refund 0002" in out
        assert b" \x9c1.20\n" in out[out.index(b"REFUNDED") :]
        assert DRAWER in out  # a cash refund opens the drawer


async def test_a_dead_printer_never_loses_the_sale(
    app_factory: Callable[..., PosApp], demo_db: Path
) -> None:
    _set(demo_db, "printer", "/no/such/folder/lp0")
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _pay_exact_cash(pilot, PEN)
        assert isinstance(app.screen, ReceiptScreen)
        await _printed(pilot)
        message = _message(app)
        assert message.startswith("Sale saved. Not printed:")
        assert message.endswith("F2 prints a copy.")
        assert app.services.sales.last_sale() is not None


def _closed_port() -> int:
    """A port nobody listens on: a connection to it is refused at once."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        return int(closed.getsockname()[1])


def test_a_printer_error_says_the_cause_in_few_words() -> None:
    port = _closed_port()
    with pytest.raises(PrinterError) as refused:
        ReceiptPrinter(f"127.0.0.1:{port}").print("x", open_drawer=False)
    # no exception class names, no socket internals: which printer, and what is wrong
    assert str(refused.value) == f"printer 127.0.0.1:{port} cannot be reached (Connection refused)"
    assert refused.value.wordings()[1:] == [
        f"printer 127.0.0.1:{port} cannot be reached",
        "the printer cannot be reached (Connection refused)",
        "the printer cannot be reached",
    ]
    with pytest.raises(PrinterError) as missing:
        ReceiptPrinter("/no/such/folder/lp0").print("x", open_drawer=False)
    assert str(missing.value) == (
        "printer /no/such/folder/lp0 cannot be reached (No such file or directory)"
    )

    class Broken:
        def text(self, _: str) -> None:
            raise OSError(28, "No space left on device")

    with pytest.raises(PrinterError) as full:
        print_receipt(Broken(), "x", open_drawer=False)
    # a printer that failed: what it said matters more than its name
    assert full.value.wordings() == [
        "the printer failed (No space left on device)",
        "the printer failed",
    ]


@pytest.mark.parametrize("where", ["receipt", "history"])
async def test_the_whole_printer_message_fits_the_line_at_80_columns(
    app_factory: Callable[..., PosApp], demo_db: Path, where: str
) -> None:
    """The sale's safety and the key to press come first and are never cut off."""
    _set(demo_db, "printer", f"127.0.0.1:{_closed_port()}")
    app = app_factory(login=CASHIER)
    async with app.run_test(size=(80, 24)) as pilot:
        await _pay_exact_cash(pilot, PEN)
        assert isinstance(app.screen, ReceiptScreen)
        await _printed(pilot)
        if where == "history":
            await pilot.press("enter", "f11", "enter")
            await settle(pilot)
            assert isinstance(app.screen, SaleReceiptModal)
            await pilot.press("f2")
            await _printed(pilot)
        line = app.screen.query_one(MessageLine)
        message = _message(app)
        if where == "receipt":
            assert message == (
                "Sale saved. Not printed: the printer cannot be reached. F2 prints a copy."
            )
        else:
            assert message.startswith("Copy not printed: printer 127.0.0.1:")
            assert message.endswith(" cannot be reached. F2 tries again.")
        assert cell_len(message) <= line.content_region.width  # nothing cut off
        assert app.services.sales.last_sale() is not None

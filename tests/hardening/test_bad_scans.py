"""Every kind of bad scan or typing, through the real scanning screen, as a terminal
delivers it: each gets a clear message, changes neither the cart nor the database, and
the next good scan just works.

Each case starts from a cart with one pen just scanned (so a number typed next would be a
quantity for it: the easiest place to go wrong), or, for the weight cases, with the
bananas asking for their weight.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pos.app import PosApp
from pos.screens import ScanScreen
from pos.widgets import EntryLine, MessageLine
from tests.hardening.terminal import BACKSPACE, DELETE, ESCAPE, F, db_rows, terminal
from tests.ui.helpers import scan, settle

PEN = "4006381333931"
LEMON = "5000000000012"
BANANAS = "2100001000004"  # weighed; its own code carries no weight, so it asks
SIZE = (100, 30)

AppFactory = Callable[..., PosApp]

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"

CASES: list[tuple[str, str, str | tuple[str, ...], list[str]]] = [
    # (id, what is already scanned, what the terminal delivers (in one read, or in reads
    # apart), words of the messages shown)
    ("too-short-7-digits", PEN, "1234567\r", ["neither a quantity", "nor a barcode (7 digits"]),
    ("too-short-5-digits", PEN, "40063\r", ["neither a quantity", "(5 digits"]),
    ("too-long-14-digits", PEN, "40063813339310\r", ["14 digits", "EAN-8, UPC-A or EAN-13"]),
    ("too-long-65-digits", PEN, "4" * 65 + "\r", ["Input of 65 characters ignored: too long"]),
    ("too-long-stuck-key", PEN, "0" * 5000 + "\r", ["Input of 5000 characters ignored"]),
    ("letters", PEN, "ABC\r", ["'ABC' is not a barcode: F2 finds products by name"]),
    ("letters-and-digits", PEN, "A12\r", ["'A12' is not a barcode: F2 finds products by name"]),
    ("letter-inside-a-code", PEN, "40063813339O1\r", ["'40063813339O1' is not a barcode"]),
    (
        "code-39-with-a-dash",
        PEN,
        "AB-12\r",
        ["'AB-12' is not a barcode: F2 finds products by name"],
    ),
    ("space-in-a-code", PEN, "5000000 000012\r", ["'5000000 000012' is not a barcode"]),
    ("non-ascii-digits", PEN, "１２\r", ["'１２' is not a barcode or a quantity"]),
    ("bad-check-digit", PEN, "4006381333932\r", ["4006381333932 has a bad check digit"]),
    ("bad-check-digit-upc", PEN, "036000291453\r", ["036000291453 has a bad check digit"]),
    ("unknown-in-store-code", PEN, "2999999012348\r", ["No product for in-store code"]),
    ("unknown-barcode", PEN, "5012345678917\r", ["No product with barcode 5012345678917"]),
    (
        "quantity-after-an-unknown-code",
        PEN,
        ("5000000000098\r", "5\r"),  # the number typed a moment after the refused scan
        ["No product with barcode 5000000000098", "The last scan was not added"],
    ),
    (
        "quantity-after-a-bad-check-digit",
        PEN,
        "4006381333932\r5\r",  # in one read
        ["4006381333932 has a bad check digit", "The last scan was not added"],
    ),
    ("weight-of-0", BANANAS, "0\r", ["Weight must be more than 0"]),
    ("weight-of-0.000", BANANAS, "0.000\r", ["Weight must be more than 0"]),
    ("weight-over-99.999-kg", BANANAS, "100.5\r", ["more than 99.999 kg"]),
    ("empty-enter", PEN, "\r", []),
    ("empty-enter-at-weight", BANANAS, "\r", ["Weight of Bananas loose in kg"]),
    ("quantity-0", PEN, "0\r", ["Quantity must be at least 1"]),
    ("quantity-0-multiplier", PEN, "0*" + LEMON + "\r", ["Quantity must be at least 1"]),
    ("quantity-0-f4", PEN, "0" + F[4], ["Quantity must be at least 1"]),
    ("negative-typed", PEN, "-3\r", ["cannot go below 1", "Type a quantity straight after"]),
    ("negative-after", PEN, "3-\r", ["'3-' is not a barcode or a quantity"]),
    ("quantity-10000", PEN, "10000\r", ["10000 is neither a quantity (at most 9,999)"]),
    ("quantity-10000-multiplier", PEN, "10000*" + LEMON + "\r", ["Quantity 10000 is too many"]),
    ("quantity-99999-f4", PEN, "99999" + F[4], ["'99999' is not a quantity"]),
    ("line-over-9999", PEN, "9999*" + PEN + "\r", ["a line cannot hold more than 9999"]),
    ("multiplier-alone", PEN, "3*\r", ["3* needs a barcode after it"]),
    ("multiplier-twice", PEN, "3*3*" + LEMON + "\r", ["'3*3*5000000000012' is not a barcode"]),
    (
        "pasted-block",
        PEN,
        PASTE_START + "5000000000012\n3\nDear customer\n" + PASTE_END,
        ["Pasted text ignored (30 characters)"],
    ),
    (
        "pasted-without-brackets",
        PEN,
        "Dear customer,\r" + "Lemons x 3\r",
        ["'Dear customer,' is not a barcode", "'Lemons x 3' is not a barcode"],
    ),
    (
        "control-stx-etx-framing",
        PEN,
        "\x02" + LEMON + "\x04\r",
        ["'^B5000000000012^D' holds a control"],
    ),
    ("control-nul-inside", PEN, "500000\x000000012\r", ["holds a control character"]),
    ("control-group-separator", PEN, "\x1d" + "0105000000000012\r", ["holds a control character"]),
    ("control-bell", PEN, "\x07\r", ["'^G' holds a control character"]),
    ("escape-clear-screen", PEN, "\x1b[2J" + LEMON + "\r", ["'[2J5000000000012' is not a barcode"]),
    ("escape-title", PEN, "\x1b]0;pwned\x07\r", ["holds a control character"]),
    ("escape-c1-csi", PEN, "\x9b2J\r", ["holds a control character"]),
    ("backspaced-to-nothing", PEN, "12" + BACKSPACE * 2 + "\r", []),
    ("escape-then-enter", PEN, ("123" + ESCAPE, "\r"), []),  # Esc, then (later) Enter
]


def _lines(app: PosApp) -> list[object]:
    return list(app.services.checkout.cart.lines)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("first", "data", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_a_bad_scan_says_why_and_changes_nothing(
    app_factory: AppFactory,
    demo_db: Path,
    first: str,
    data: str | tuple[str, ...],
    words: list[str],
) -> None:
    app = app_factory()
    shown: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, first)
        screen = app.screen
        assert isinstance(screen, ScanScreen)
        message = screen.query_one(MessageLine)
        before_message = str(message.render())
        original = message.show

        def record(text: str, *, error: bool = False) -> None:
            shown.append(text)
            original(text, error=error)

        message.show = record  # type: ignore[method-assign]
        cart_before = _lines(app)
        rows_before = db_rows(demo_db)

        for chunk in (data,) if isinstance(data, str) else data:
            terminal(app, chunk)
            await settle(pilot, 6)

        assert app.is_running
        assert app.screen is screen
        for word in words:
            assert any(word in text for text in shown), (word, shown)
        if not words:  # nothing to say: the last message stays, the entry line asks
            assert str(message.render()) == before_message
            assert screen.query_one(EntryLine).prompt in ("Scan or type",)
        assert screen.query_one(EntryLine).buffer == ""
        assert _lines(app) == cart_before
        assert db_rows(demo_db) == rows_before

        await scan(pilot, LEMON)  # the next good scan just works
        lemons = [line for line in _lines(app) if line.barcode == LEMON]
        assert [line.qty for line in lemons] == [1]
        assert len(_lines(app)) == len(cart_before) + 1


async def test_delete_and_f4_with_an_empty_cart(app_factory: AppFactory, demo_db: Path) -> None:
    """Line commands with nothing to act on are bad input too."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        rows_before = db_rows(demo_db)
        for data, word in [
            (DELETE, "The cart is empty"),
            ("3" + F[4], "The cart is empty"),
            ("+", "The cart is empty"),
            ("-", "The cart is empty"),
            ("1.50" + F[5], "The cart is empty"),
            (F[10], "The cart is empty"),
            (F[8], "already empty"),
        ]:
            terminal(app, data)
            await settle(pilot)
            assert word in str(app.screen.query_one(MessageLine).render()), data
        assert _lines(app) == []
        assert db_rows(demo_db) == rows_before
        await scan(pilot, LEMON)
        assert [line.barcode for line in _lines(app)] == [LEMON]

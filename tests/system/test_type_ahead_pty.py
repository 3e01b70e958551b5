"""Type-ahead on a real till (issue 16): every transition of the app, typed in one write
and typed one key at a time, ends in the same state.

Each row of ``TRANSITIONS`` brings two real tills (``python -m pos`` on a pseudo-terminal,
each on its own copy of the demo database) to the same starting point, waiting for the
screen to settle after each scan, login step or other key. Then one is
sent the row's keys in a single write, as a terminal over SSH, a badge reader or a
scanner delivers what was typed ahead, and the other is sent them one at a time, each
after the screen has settled. Both must end the same: the same screen (as a terminal
emulator draws it, clock times masked), the same open cart, and the same rows in the
database (sales, refunds, parked carts, days, and the audit log's events).

Add a screen or a dialog, and add a row here that goes through it.

A terminal cannot tell Esc followed at once by a key from one key: Alt and a letter or a
digit, which the till reads as Esc and that key again (a digit too since Textual's macOS
Option+digit characters are dropped, ``pos.widgets.type_ahead``: the row "price check left
with Esc, then a scan" types Esc straight before a scan); Esc and ``*``, ``.``, Tab or Enter,
which it cannot read apart: no row types Esc straight before those.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyte
import pytest

from tests.conftest import CASHIER, MANAGER, copy_database
from tests.pty_till import Till, read_only

pytestmark = pytest.mark.slow

ROWS, COLS = 30, 100

ENTER, TAB, ESC = "\r", "\t", "\x1b"
UP, DOWN, DEL = "\x1b[A", "\x1b[B", "\x1b[3~"
F = {
    1: "\x1bOP",
    2: "\x1bOQ",
    3: "\x1bOR",
    4: "\x1bOS",
    5: "\x1b[15~",
    6: "\x1b[17~",
    7: "\x1b[18~",
    8: "\x1b[19~",
    10: "\x1b[21~",
    11: "\x1b[23~",
    12: "\x1b[24~",
}
CTRL_L = "\x0c"
CTRL_O = "\x0f"

PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50
GUM = "96385074"
WINE = "5011332159811"  # 18+: asks the customer's age first


def scan(code: str) -> list[str]:
    return [*code, ENTER]


def login(number: str, pin: str) -> list[str]:
    return [*number, ENTER, *pin, ENTER]


@dataclass(frozen=True)
class Transition:
    """A starting point (``setup``, typed in both tills as a scanner sends it, each code
    and Enter in one write, every other key on its own) and the keys
    that go through one transition of the app (``keys``)."""

    name: str
    keys: list[str]
    setup: list[str] = field(default_factory=list)
    operator: tuple[str, str] | None = MANAGER
    """Who logs in before ``setup`` (None: the keys start at the login screen)."""


TRANSITIONS = [
    Transition("login", login(*CASHIER) + scan(PEN), operator=None),
    Transition(
        "login with Tab", [*MANAGER[0], TAB, *MANAGER[1], ENTER, *scan(LEMON)], operator=None
    ),
    Transition(
        "wrong PIN, then the right one", login("1001", "1111") + login(*CASHIER), operator=None
    ),
    Transition(
        "manager approval",
        [UP, DEL, *login(*MANAGER), *scan(GUM)],
        setup=scan(PEN) + scan(LEMON),
        operator=CASHIER,
    ),
    Transition("approval refused", [DEL, ESC, ESC, UP, *scan(GUM)], scan(PEN), operator=CASHIER),
    Transition("card payment, Enter Enter", [F[10], F[3], ENTER, ENTER, *scan(LEMON)], scan(PEN)),
    Transition(
        "card reference", [F[10], F[3], *"A12", ENTER, ENTER, *scan(LEMON)], scan(PEN) + scan(GUM)
    ),
    Transition("cash, a scan on the receipt", [F[10], "5", F[2], *scan(LEMON)], scan(PEN)),
    Transition("exact cash, 3* on the receipt", [F[10], F[5], "3", "*", *scan(GUM)], scan(PEN)),
    Transition(
        "part paid, back, forget the payment",
        [F[10], "1", F[2], ESC, "y", *scan(GUM)],
        scan(PEN),
    ),
    Transition(
        "quantity question: yes, then a scan", [*"150*", *scan(PEN), "y", *scan(LEMON)], scan(GUM)
    ),
    Transition(
        "quantity question: no, then a scan", [*"150*", *scan(PEN), "n", *scan(LEMON)], scan(GUM)
    ),
    Transition(
        "age question: F10 typed ahead, yes, then a scan",
        [*scan(WINE), F[10], "y", *scan(LEMON)],
        scan(GUM),
    ),
    Transition(
        "change question, the receipt, a scan",
        [F[10], *"500", F[2], "y", ENTER, *scan(LEMON)],
        scan(PEN),
    ),
    Transition(
        "error corrects, then a scan",
        ["-", *scan(LEMON), DEL, *scan(GUM)],
        scan(PEN) + scan(PEN),
        CASHIER,
    ),
    Transition("void the cart, then a scan", [F[8], "y", *scan(LEMON)], scan(PEN)),
    Transition("keep the cart, then a scan", [F[8], "n", *scan(LEMON)], scan(PEN)),
    Transition(
        "recall the cart under the cursor",
        [F[7], DOWN, ENTER, *scan(PEN)],
        scan(PEN) + [F[6]] + scan(LEMON) + [F[6]],
    ),
    Transition("parked list closed, then a scan", [F[7], ESC, UP, *scan(GUM)], scan(PEN) + [F[6]]),
    Transition(
        "another till's receipt asked for on a till of its own, back, a scan",
        [F[11], *"front 42", ENTER, ESC, UP, *scan(LEMON)],
        scan(PEN),
    ),
    Transition(
        "history, a receipt and back",
        [F[11], ENTER, ESC, ESC, UP, *scan(LEMON)],
        scan(PEN) + [F[10], F[5], ENTER],
    ),
    Transition(
        "refund from the history",
        [F[11], ENTER, F[4], "1", ENTER, F[2], DOWN, ENTER, ESC, ESC, ESC, UP, *scan(GUM)],
        scan(PEN) + [F[10], F[5], ENTER],
    ),
    Transition("X report and back", [F[12], ESC, UP, *scan(LEMON)], scan(PEN)),
    Transition(
        "close the day, Enter Enter on the cash-up",
        [F[12], F[4], "1", "0", ENTER, ENTER, "y", ESC],
        scan(PEN) + [F[10], F[5], ENTER],
    ),
    Transition("discount rules and back", [F[3], ESC, UP, *scan(LEMON)], scan(PEN)),
    Transition(
        "price check, then a scan into the cart", [F[1], *scan(LEMON), *scan(GUM)], scan(PEN)
    ),
    Transition(
        "price check left with Esc, then a scan", [F[1], *"500", ESC, *scan(LEMON)], scan(PEN)
    ),
    Transition("lock, and back", [CTRL_L, *login(*MANAGER), *scan(LEMON)], scan(PEN)),
    Transition(
        "find by name, 2* first, Enter, then a scan",
        [*"2*", F[2], *"lem un", DOWN, UP, ENTER, *scan(GUM)],
        scan(PEN),
    ),
    Transition("find left with Esc, then a scan", [F[2], *"whole", ESC, *scan(LEMON)], scan(PEN)),
    Transition(
        "paid in from the cash menu, then a scan",
        [CTRL_O, "i", *"20", ENTER, "1", ENTER, *scan(LEMON)],
        scan(PEN),
    ),
    Transition(
        "a No sale's reason refused, Esc, then a scan",
        [CTRL_O, "n", *"because", ENTER, ESC, *scan(GUM)],
        scan(PEN),
    ),
    Transition(
        "a cashier's paid out approved by a manager, then a scan",
        [CTRL_O, "o", *"5.50", ENTER, *"milk", ENTER, *login(*MANAGER), *scan(LEMON)],
        scan(PEN),
        operator=CASHIER,
    ),
    Transition(
        "a refund without a receipt, a lower price, a reason, then a scan",
        [CTRL_O, "u", *scan(PEN), *"1.00", F[4], F[2], DOWN, ENTER, ESC, *scan(LEMON)],
        scan(GUM),
    ),
    Transition(
        "a cashier's refund without a receipt approved by a manager, then a scan",
        [CTRL_O, "u", *scan(PEN), F[3], ENTER, *login(*MANAGER), ESC, *scan(LEMON)],
        scan(GUM),
        operator=CASHIER,
    ),
    Transition(
        "a refund without a receipt left with Esc, then a scan",
        [CTRL_O, "u", *scan(PEN), F[2], ESC, ESC, *scan(LEMON)],
        scan(GUM),
    ),
    Transition(
        "a cashier's line discount approved by a manager, then a scan",
        [CTRL_O, "l", *"10%", ENTER, "1", ENTER, *login(*MANAGER), *scan(LEMON)],
        scan(PEN),
        operator=CASHIER,
    ),
    Transition(
        "a sale discount over 100% refused, Esc, then a scan",
        [CTRL_O, "s", *"150", ENTER, "2", ENTER, ESC, *scan(GUM)],
        scan(PEN),
    ),
]

TIME = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{2} \w{3}\b")

STATE_SQL = {
    "open cart": "SELECT l.barcode, l.qty FROM cart_line l JOIN cart c ON c.id = l.cart_id "
    "WHERE c.status = 'open' ORDER BY l.line_no",
    "carts": "SELECT status, count(*) FROM cart GROUP BY status ORDER BY status",
    "sales": "SELECT receipt_no, total FROM sale ORDER BY receipt_no",
    "sale lines": "SELECT barcode, qty FROM sale_line ORDER BY sale_id, line_no",
    "payments": "SELECT method, amount, tendered, reference FROM payment ORDER BY id",
    "refunds": "SELECT count(*) FROM refund",
    "refund reasons": "SELECT sale_id IS NULL, method, total, reason, approver FROM refund "
    "ORDER BY id",
    "days": "SELECT z_no, counted FROM till_day ORDER BY id",
    "audit": "SELECT event FROM audit_log ORDER BY seq",
    "cash movements": "SELECT kind, amount, reason, approver FROM cash_movement ORDER BY id",
    "cart discounts": "SELECT line_no, kind, value, reason, approver FROM cart_discount "
    "ORDER BY cart_id, line_no",
}


class Screen:
    """What the till's terminal shows, drawn by a terminal emulator from its output."""

    def __init__(self, till: Till) -> None:
        self.till = till
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.fed = 0

    def settle(self, quiet: float = 0.3, timeout: float = 20.0) -> None:
        """Wait until the till has drawn nothing new for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        seen, since = self.till.mark(), time.monotonic()
        while time.monotonic() - since < quiet:
            assert time.monotonic() < deadline, "the till never went quiet"
            assert self.till.proc.poll() is None, self.text()
            time.sleep(0.02)
            if self.till.mark() != seen:
                seen, since = self.till.mark(), time.monotonic()

    def echoed(self, quiet: float = 0.08, first: float = 0.25) -> None:
        """After a digit typed next to another into the same field: wait until the till
        has drawn something new (the digit's echo; at most ``first`` seconds, what
        ``settle`` gives any key), then until ``quiet`` seconds pass with nothing more.
        Echoing a digit is one synchronous step and one frame, so this is settled; the
        first digit of a run, which may move the till to another screen (a digit typed
        on the receipt starts the next sale), gets the full ``settle``."""
        seen, since = self.till.mark(), time.monotonic()
        while self.till.mark() == seen and time.monotonic() - since < first:
            assert self.till.proc.poll() is None, self.text()
            time.sleep(0.01)
        self.settle(quiet)

    def text(self) -> str:
        data = bytes(self.till.output[self.fed :])
        self.fed += len(data)
        self.stream.feed(data)
        return "\n".join(TIME.sub("<t>", line.rstrip()) for line in self.screen.display)


def _state(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = read_only(db)
    try:
        return {
            name: [tuple(r) for r in con.execute(sql).fetchall()] for name, sql in STATE_SQL.items()
        }
    finally:
        con.close()


def _start(db: Path, transition: Transition, *, at_once: bool) -> Screen:
    """A till brought to the row's starting point, then sent the row's keys."""
    till = Till(db, cols=COLS)
    screen = Screen(till)
    till.wait_for_text("Operator number")
    screen.settle()
    if transition.operator is not None:
        for chunk in _as_scanned(login(*transition.operator)):
            till.type(chunk)
            screen.settle(0.1)
        till.wait_for_text("Scan or type")
    for chunk in _as_scanned(transition.setup):
        till.type(chunk)
        screen.settle(0.15)
    screen.settle()
    if at_once:
        till.type("".join(transition.keys))
    else:
        previous = ""
        for key in transition.keys:
            till.type(key)
            if key.isdigit() and previous.isdigit():
                screen.echoed()
            else:
                screen.settle(0.25)
            previous = key
    return screen


def _as_scanned(keys: list[str]) -> list[str]:
    """The setup's keys as a scanner or a badge reader sends them: the characters up to
    and with each Enter in one write, any other key on its own (the starting point is
    the same as key by key, in a fraction of the waits)."""
    chunks: list[str] = []
    run = ""
    for key in keys:
        if len(key) == 1 and key.isprintable():
            run += key
            continue
        if key == ENTER:
            chunks.append(run + key)
        else:
            chunks += [run, key] if run else [key]
        run = ""
    return chunks + ([run] if run else [])


def _same(what: Callable[[], tuple[object, object]], timeout: float = 20.0) -> None:
    """Wait until both tills show the same ``what`` (one may be slower: two tills and
    the tests share the machine's cores); fail showing both if they never do."""
    deadline = time.monotonic() + timeout
    while True:
        burst, slow = what()
        if burst == slow:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"typed at once:\n{burst}\n\none at a time:\n{slow}")
        time.sleep(0.1)


PTY_GROUPS = 2
"""The rows run in this many xdist groups ("pty-0", "pty-1"), each on one worker, one row
after another: a row is mostly waits for its two tills to go quiet, so the other workers
keep the cores busy with the tests that compute (``make test`` runs two more workers than
it would without them)."""


@pytest.mark.parametrize(
    "transition",
    [
        pytest.param(t, marks=pytest.mark.xdist_group(f"pty-{i % PTY_GROUPS}"))
        for i, t in enumerate(TRANSITIONS)
    ],
    ids=[t.name for t in TRANSITIONS],
)
def test_keys_in_one_write_end_as_keys_one_at_a_time(
    transition: Transition, tmp_path: Path, sqlite_template: Callable[[str], Path]
) -> None:
    demo = sqlite_template("demo")  # each till on a copy of its own of the demo database
    dbs = (
        copy_database(demo, tmp_path / "burst.sqlite"),
        copy_database(demo, tmp_path / "slow.sqlite"),
    )
    with ThreadPoolExecutor(2) as pool:
        started = [
            pool.submit(_start, dbs[0], transition, at_once=True),
            pool.submit(_start, dbs[1], transition, at_once=False),
        ]
        screens = [future.result() for future in started]
    try:
        _same(lambda: (_state(dbs[0]), _state(dbs[1])))
        with ThreadPoolExecutor(2) as pool:  # (a text field's cursor blinks every 0.5 s)
            list(pool.map(lambda screen: screen.settle(0.3), screens))
        _same(lambda: (screens[0].text(), screens[1].text()))
        assert _state(dbs[0]) == _state(dbs[1])
        assert "Traceback" not in screens[0].text()
    finally:
        for screen in screens:
            screen.till.kill()


def test_every_screen_and_dialog_has_a_row() -> None:
    """Each screen class of the till is reached by some row (by name, as the app knows
    them): a new screen without a row fails here."""
    import pos.screens as screens

    reached = {
        "LoginScreen", "ScanScreen", "ManagerOverrideModal", "PaymentScreen", "ReferenceModal",
        "ReceiptScreen", "ConfirmModal", "RecallModal", "HistoryScreen", "SaleReceiptModal",
        "RefundScreen", "ReportScreen", "AmountModal", "DiscountEditorScreen", "PriceCheckScreen",
        "FindScreen", "CashMenuModal", "CashMovementModal", "UnreceiptedRefundScreen",
        "RefundReasonModal", "ManualDiscountModal",
    }  # fmt: skip
    skipped = {
        "SetupScreen": "only on a database with no operators (tests/ui/test_login_flow.py)",
        "AuditScreen": "opened and closed like the history (tests/ui)",
        "DiscountFormScreen": "the rule form's keys are tested in tests/ui/test_discount_editor.py",
        "GuardedCommandPalette": "Ctrl+P: keys are dropped in it (tests/ui/test_scan_flow.py)",
        "ZNumberModal": "F5 on the report screen opens it only with a printer set: keys typed "
        "ahead into it are tested in tests/ui/test_report_print.py",
        "OutboxScreen": "a store's till only (it needs a server): keys typed ahead into it are "
        "tested in tests/ui/test_store_link.py",
        "CustomerDisplayScreen": "the customer display is its own app (pos display): it takes "
        "no keys but Ctrl+Q",
        "VoucherBalanceModal": "a dialog like the cash office's (Ctrl+O V): its doubled Esc "
        "is a row of tests/ui/test_type_ahead.py, its keys in tests/ui/test_voucher_payment.py",
    }
    from textual.screen import Screen as TextualScreen

    found = set()
    for module in os.listdir(Path(screens.__file__).parent):
        if not module.endswith(".py"):
            continue
        mod = __import__(f"pos.screens.{module[:-3]}", fromlist=["*"])
        for name, value in vars(mod).items():
            if (
                isinstance(value, type)
                and issubclass(value, TextualScreen)
                and value.__module__ == mod.__name__
                and name not in ("PrintsReceipts", "GuardedModal")
            ):
                found.add(name)
    assert found <= reached | set(skipped), found - reached - set(skipped)

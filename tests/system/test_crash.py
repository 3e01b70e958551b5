"""Kill -9 a real till process in the middle of scanning; the open cart comes back exactly.

The till runs as its own process (``python -m pos``) on a pseudo-terminal, the way a
cashier runs it, and is fed scans as a keyboard-wedge scanner types them. The test
watches the database from outside, kills the process with SIGKILL at random moments
(between scans and in the middle of a burst), and then checks that:

* SQLite's integrity check passes;
* the open cart is exactly the cart after some prefix of the scans sent: nothing half
  applied, nothing merged or doubled, and nothing acknowledged before the kill lost;
* a restarted till shows that cart.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from tests.conftest import FAST_HASHER
from tests.pty_till import start_on_pty

pytestmark = pytest.mark.slow

NAMES = {
    "4006381333931": "Highlighter pen yellow",
    "5000000000012": "Lemons unwaxed",
    "0036000291452": "Imported peanut butter 340g",
    "96385074": "Chewing gum spearmint",
    "5000000000043": "Crisps ready salted 45g",
}
CODES = list(NAMES)


class Till:
    """A till process on a pty, with everything it prints collected."""

    def __init__(self, db: Path) -> None:
        self.proc, master = start_on_pty(db)
        self.master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def wait_for_text(self, text: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = bytes(self.output[-2000:]).decode(errors="replace")
                raise AssertionError(f"till never showed {text!r}; output ends: {tail}")
            time.sleep(0.05)

    def log_in(self) -> None:
        """The demo manager logs in: number, Enter, PIN, Enter."""
        self.wait_for_text("Operator number")
        self.type("9001\r")
        time.sleep(0.2)
        self.type("7391\r")
        self.wait_for_text("Scan or type")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self.master)


def cart_in_db(db: Path) -> Counter[str]:
    """The open cart as the database holds it, read from outside the till."""
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute(
            "SELECT l.barcode, l.qty FROM cart_line l JOIN cart c ON c.id = l.cart_id "
            "WHERE c.status = 'open'"
        ).fetchall()
    finally:
        con.close()
    return Counter(dict(rows))


def wait_for_count(db: Path, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while sum(cart_in_db(db).values()) < count:
        assert time.monotonic() < deadline, f"the till did not reach {count} items"
        time.sleep(0.02)


def normal(code: str) -> str:
    return "0" + code if len(code) == 12 else code


def test_kill_minus_nine_while_scanning(demo_db: Path, clock: FixedClock) -> None:
    rng = random.Random(2026)
    sent: list[str] = []
    for _round in range(5):
        till = Till(demo_db)
        try:
            till.log_in()
            # a few scans acknowledged one by one...
            for _ in range(3):
                code = rng.choice(CODES)
                till.type(code + "\r")
                sent.append(code)
                wait_for_count(demo_db, len(sent))
            acknowledged = len(sent)
            # ... then a burst at scanner speed, killed at a random moment inside it
            burst = [rng.choice(CODES) for _ in range(120)]
            till.type("".join(code + "\r" for code in burst))
            time.sleep(rng.uniform(0.0, 0.5))
        finally:
            till.kill()
        stored = cart_in_db(demo_db)
        applied = sum(stored.values())
        assert acknowledged <= applied <= acknowledged + len(burst)
        sent.extend(burst[: applied - acknowledged])
        print(f"round {_round}: killed after {applied - acknowledged} of {len(burst)} burst scans")
        # exactly the cart after the first `applied` scans: no half, merged or doubled scan
        assert stored == Counter(normal(code) for code in sent)
        con = sqlite3.connect(demo_db)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()

    # the service restores that cart, and a restarted till shows it
    services = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        restored = Counter({line.barcode: line.qty for line in services.checkout.cart})
        assert restored == Counter(normal(code) for code in sent)
    finally:
        services.close()
    till = Till(demo_db)
    try:
        till.log_in()
        for code in set(sent):
            till.wait_for_text(NAMES[code])
    finally:
        till.kill()


F10 = "\x1b[21~"
F5 = "\x1b[15~"


def sales_in_db(db: Path) -> list[tuple[int, int]]:
    """(receipt number, units sold) of every sale."""
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(
            "SELECT s.receipt_no, SUM(l.qty) FROM sale s JOIN sale_line l ON l.sale_id = s.id "
            "GROUP BY s.id ORDER BY s.receipt_no"
        ).fetchall()
    finally:
        con.close()


def test_kill_minus_nine_while_completing_sales(demo_db: Path) -> None:
    """Either the open cart or the completed sale, never both, never half; no gaps."""
    rng = random.Random(11)
    for _round in range(6):
        before = sales_in_db(demo_db)
        till = Till(demo_db)
        try:
            till.log_in()
            for code in ("4006381333931", "5000000000012", "96385074"):
                till.type(code + "\r")
            wait_for_count(demo_db, 3)
            till.type(F10)
            time.sleep(0.3)
            if _round % 2:  # odd rounds die on the payment screen, before paying
                time.sleep(rng.uniform(0.0, 0.1))
            else:
                till.type(F5)  # exact cash: the sale completes, maybe
                time.sleep(rng.uniform(0.0, 0.02))
        finally:
            till.kill()
        after = sales_in_db(demo_db)
        cart = sum(cart_in_db(demo_db).values())
        print(f"round {_round}: {'completed' if len(after) > len(before) else 'not completed'}")
        if len(after) == len(before):
            assert cart == 3  # not completed: the cart is all there
        else:
            assert len(after) == len(before) + 1
            assert after[-1][1] == 3  # the whole sale
            assert cart == 0  # and no cart left to charge again
            # the next till session starts with an empty cart, so clear nothing
        numbers = [n for n, _ in after]
        assert numbers == list(range(1, len(numbers) + 1))  # no gaps, no repeats
        if cart:  # leave an empty cart for the next round
            con = sqlite3.connect(demo_db)
            con.execute("DELETE FROM cart_line")
            con.commit()
            con.close()
        con = sqlite3.connect(demo_db)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()

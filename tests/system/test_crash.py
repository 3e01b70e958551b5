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

import random
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest

from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from tests.conftest import FAST_HASHER
from tests.pty_till import (
    CODES,
    F5,
    F10,
    NAMES,
    Till,
    cart_in_db,
    normal,
    sales_in_db,
    wait_for_count,
)

# slow, and in the xdist group of the tests that run several tills or kill them: make test
# runs those one after another, beside the other slow tests (see the Makefile)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tills")]


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

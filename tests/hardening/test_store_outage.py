"""Two real tills of a store sell through a server outage (issue 19).

Each till runs as ``python -m pos --db URL --till NAME`` on a pty, selling from its own
file; the store's server is reached through a relay the test cuts. With the server gone,
each till's cashier logs in again and sells ``HARDEN_OUTAGE_SALES`` sales (default 10;
``make hardening`` sells 200) and its header says ``OFFLINE``; then the server comes back
and within 30 s it holds
every sale exactly once: each till's receipts 1..n with the lines scanned, and each
till's day figures on the server equal to its own file's (its X/Z report).
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pos.auth.keys import key_file_for
from pos.db.database import open_database
from pos.db.reports import day_figures
from tests.hardening.test_two_tills import Driven, sales_of
from tests.pty_till import CODES, F5, F10, Till, normal, read_only, till_file, wait_for_count
from tests.sync.proxy import Relay

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tills")]  # real tills, one at a time

TROUBLE = re.compile(rb"database is locked|busy|NOT saved|Traceback|rror", re.IGNORECASE)
"""What must never reach a cashier's screen (the tills lock and log in again here, so the
login's "locked" is not trouble)."""
SALES = int(os.environ.get("HARDEN_OUTAGE_SALES", "10"))
TILLS = (("Till A", ("9001", "7391")), ("Till B", ("1001", "2580")))


def sell(till: Till, driven: Driven, db: Path, rng: random.Random, count: int) -> None:
    """``count`` sales, each to its receipt and the next customer."""
    try:
        for _ in range(count):
            codes = [rng.choice(CODES) for _ in range(rng.randint(1, 4))]
            till.type("".join(code + "\r" for code in codes))
            wait_for_count(db, len(codes), till=driven.name)
            mark = till.mark()
            till.type(F10)
            till.wait_for_text("Amount due", since=mark)
            number = len(driven.sales) + 1
            mark = till.mark()
            till.type(F5)
            till.wait_for_text(f"Sale {number:04d} saved", since=mark)
            driven.sales.append(Counter(normal(code) for code in codes))
            mark = till.mark()
            till.type("\r")
            till.wait_for_text("Scan or type", since=mark)
    except BaseException as exc:  # noqa: BLE001 - reported by the test's own thread
        driven.error = exc


def _in_parallel(tills: list[Till], driven: list[Driven], db: Path, count: int) -> None:
    threads = [
        threading.Thread(target=sell, args=(t, d, db, random.Random(i), count))
        for i, (t, d) in enumerate(zip(tills, driven, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30 + count * 10)
    for done in driven:
        if done.error is not None:
            raise AssertionError(f"{done.name} after {len(done.sales)} sales") from done.error


def _count(db: str, till: str) -> int:
    """How many sales of ``till`` the server has (one statement: the server may be taking
    a push meanwhile; :func:`sales_of` reads twice)."""
    con = read_only(db)
    try:
        return int(con.execute("SELECT count(*) FROM sale WHERE till = ?", (till,)).fetchone()[0])
    finally:
        con.close()


def _figures(db: Path | str, till: str) -> tuple[object, ...]:
    """The till's money figures as its X/Z report works them out (the voids and overrides
    come from each database's own audit log, so they are not compared)."""
    database = open_database(db)
    try:
        f = day_figures(database, till, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    finally:
        database.close()
    return (f.sales, f.gross, f.discounts, f.net, f.refunds, f.cash, f.card, f.vat, f.operators)


def test_two_tills_sell_through_an_outage_and_the_server_gets_every_sale_once(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_KEYS", str(key_file_for(store)))  # as a till on another machine
    relay = Relay(store)
    db = relay.url  # the tills' --db: the store, through the relay
    tills = [Till(db, till=name) for name, _ in TILLS]
    driven = [Driven(name) for name, _ in TILLS]
    try:
        for till, (_, login) in zip(tills, TILLS, strict=True):
            till.log_in(*login)
            till.wait_for_text("Online")
        _in_parallel(tills, driven, db, 1)
        relay.cut()  # the server goes away
        for till, (_, (number, pin)) in zip(tills, TILLS, strict=True):  # a new cashier:
            mark = till.mark()
            till.type("\x0c")  # Ctrl+L locks the till; logging in needs no server
            till.wait_for_text("Operator number", since=mark)
            till.type(f"{number}\r{pin}\r")
            till.wait_for_text("Scan or type", since=mark)
        marks = [till.mark() for till in tills]
        _in_parallel(tills, driven, db, SALES)
        for till, mark in zip(tills, marks, strict=True):
            till.wait_for_text("OFFLINE - ", since=mark)
        relay.restore()
        started = time.monotonic()
        expected = sum(len(d.sales) for d in driven)
        while sum(_count(store, d.name) for d in driven) < expected:
            assert time.monotonic() - started < 30, "the server did not get every sale in 30 s"
            time.sleep(0.2)
        for till in tills:
            till.wait_for_text("Online", since=till.mark() - 2000)
    finally:
        for till in tills:
            till.kill()
        relay.cut()
    for till, done in zip(tills, driven, strict=True):
        trouble = TROUBLE.search(bytes(till.output))
        assert trouble is None, f"{done.name}: the screen showed {trouble.group()!r}"
        on_server = sales_of(store, done.name)
        numbers = [number for number, _ in on_server]
        assert numbers == list(range(1, SALES + 2)), f"{done.name}: receipts {numbers}"
        assert [lines for _, lines in on_server] == done.sales, f"{done.name}: lines differ"
        own = till_file(db, done.name)
        assert _figures(store, done.name) == _figures(own, done.name), done.name


KILLS = int(os.environ.get("HARDEN_PUSH_KILLS", "4"))


def test_a_till_killed_while_it_sends_sends_every_sale_once_after_its_restart(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline sales pile up; the server comes back and the till is killed (SIGKILL) a
    moment into sending them, ``HARDEN_PUSH_KILLS`` times at random points; each restart
    goes on from its outbox. The server ends with every sale once, receipts 1..n."""
    monkeypatch.setenv("POS_KEYS", str(key_file_for(store)))
    relay = Relay(store)
    db = relay.url
    name, login = TILLS[0]
    rng = random.Random(19)
    driven = Driven(name)
    try:
        for _ in range(KILLS):
            till = Till(db, till=name)
            try:
                till.log_in(*login)
                relay.cut()
                sell(till, driven, db, rng, 3)
                if driven.error is not None:
                    raise AssertionError(f"{name} after {len(driven.sales)}") from driven.error
                before = _count(store, name)
                relay.restore()
                if rng.random() < 0.5:  # at a random moment, mostly before the push
                    time.sleep(rng.uniform(0.0, 1.5))
                else:  # the moment the server has the batch: before the till marks it sent
                    deadline = time.monotonic() + 30
                    while _count(store, name) == before and time.monotonic() < deadline:
                        time.sleep(0.005)
            finally:
                till.kill()
        till = Till(db, till=name)  # the last start sends whatever is left
        try:
            till.log_in(*login)
            started = time.monotonic()
            while _count(store, name) < len(driven.sales):
                assert time.monotonic() - started < 30, "not every sale reached the server"
                time.sleep(0.2)
        finally:
            till.kill()
    finally:
        relay.cut()
    on_server = sales_of(store, name)
    assert [number for number, _ in on_server] == list(range(1, len(driven.sales) + 1))
    assert [lines for _, lines in on_server] == driven.sales

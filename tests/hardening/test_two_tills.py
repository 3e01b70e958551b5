"""Real till processes on one database, scanning and completing sales at once: two on a
SQLite file, three on PostgreSQL (a store: each till sells from its own file and sends its
sales to the store's server, issue 19).

Each till runs as its own ``python -m pos --till NAME`` on a pty and is driven by its own
thread as a cashier would: a burst of scans at scanner speed, F10, exact cash or the next
note, the receipt, Enter for the next customer, for ``HARDEN_TILLS_SECONDS`` (default 12;
``make hardening`` runs a minute). Afterwards, read from outside with ``sqlite3``:

* every sale a till showed as saved ("Sale 0007 saved") is in the database, with exactly
  the lines scanned for it, and there is no other sale (a store's server: once each, as
  in the till's own file, once the till's last sales are sent);
* each till's receipt numbers are 1..n, no gap, no repeat;
* nothing like "database is locked", "busy" or "NOT saved" ever reached either screen;
* each till's end-of-day figures (the X report's SQL) add up to exactly its sales;
* the integrity check passes and the audit chain (every till appends to it) verifies.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pos.auth.audit import verify_chain
from pos.auth.keys import key_file_for, load_audit_key
from pos.config import is_server
from pos.db.auth_repositories import AuditRepository, till_chains
from pos.db.database import open_database
from pos.db.reports import day_figures
from pos.domain.clock import SystemClock
from pos.services.sync import StoreSync
from tests.pty_till import (
    CODES,
    F5,
    F6,
    F10,
    Till,
    cart_in_db,
    integrity,
    normal,
    read_only,
    till_file,
    wait_for_count,
)

# slow, and in the xdist group of the tests that run several tills or kill them: make test
# runs those one after another, beside the other slow tests (see the Makefile)
pytestmark = [pytest.mark.slow, pytest.mark.backends, pytest.mark.xdist_group("tills")]

SECONDS = float(os.environ.get("HARDEN_TILLS_SECONDS", "12"))
SEED = int(os.environ.get("HARDEN_SEED", "2609"))
TILLS = (("Till A", ("9001", "7391")), ("Till B", ("1001", "2580")), ("Till C", ("1001", "2580")))
"""The tills and who works on each (two on SQLite, all three on PostgreSQL)."""
TROUBLE = re.compile(rb"locked|busy|NOT saved|Traceback|rror", re.IGNORECASE)
"""What must never reach a cashier's screen here."""


@dataclass
class Driven:
    """What one till's cashier did, and what the till said."""

    name: str
    sales: list[Counter[str]] = field(default_factory=list)
    saved_in: list[float] = field(default_factory=list)  # F5 to "Sale N saved", seconds
    scans: int = 0
    error: BaseException | None = None


def run_till(till: Till, driven: Driven, db: Path, rng: random.Random, until: float) -> None:
    """Sell until ``until`` (monotonic), each sale to its receipt and the next customer."""
    try:
        while time.monotonic() < until:
            codes = [rng.choice(CODES) for _ in range(rng.randint(1, 6))]
            till.type("".join(code + "\r" for code in codes))
            wait_for_count(db, len(codes), till=driven.name)
            driven.scans += len(codes)
            mark = till.mark()
            till.type(F10)
            till.wait_for_text("Amount due", since=mark)
            number = len(driven.sales) + 1
            mark = till.mark()
            started = time.monotonic()
            till.type(rng.choice((F5, F6)))  # exact cash, or the next note (change given)
            till.wait_for_text(f"Sale {number:04d} saved", since=mark)
            driven.saved_in.append(time.monotonic() - started)
            driven.sales.append(Counter(normal(code) for code in codes))
            mark = till.mark()
            till.type("\r")  # the next customer
            till.wait_for_text("Scan or type", since=mark)
    except BaseException as exc:  # noqa: BLE001 - reported by the test's own thread
        driven.error = exc


def sales_of(db: Path, till: str) -> list[tuple[int, Counter[str]]]:
    """(receipt number, lines) of every sale of ``till``, in receipt order."""
    con = read_only(db)
    try:
        rows = con.execute(
            "SELECT s.receipt_no, l.barcode, l.qty FROM sale s "
            "JOIN sale_line l ON l.sale_id = s.id WHERE s.till = ? ORDER BY s.receipt_no",
            (till,),
        ).fetchall()
        count = con.execute("SELECT COUNT(*) FROM sale WHERE till = ?", (till,)).fetchone()[0]
    finally:
        con.close()
    sales: dict[int, Counter[str]] = {}
    for number, barcode, qty in rows:
        sales.setdefault(number, Counter())[barcode] += qty
    assert len(sales) == count, f"{till}: a sale without lines"
    return sorted(sales.items())


def audit_chain_breaks(db: Path) -> int | None:
    database = open_database(db)
    try:
        log = AuditRepository(database, SystemClock(), "check", load_audit_key(key_file_for(db)))
        broken = verify_chain(list(log.entries()), log.key)
        for chain in till_chains(database).values():  # a store's: each till's own chain
            broken = broken or verify_chain(chain, log.key)
        return broken
    finally:
        database.close()


def send_the_rest(db: Path, till: str) -> None:
    """What a killed till of a store had not yet sent: its next start sends it (here the
    sync's one round does, as the till's worker would)."""
    sync = StoreSync(till_file(db, till), str(db), till, SystemClock())
    try:
        sync.run_once()
    finally:
        sync.stop()


def day_totals(db: Path, till: str) -> tuple[int, int]:
    """(sales, takings) of ``till`` as its end-of-day report works them out."""
    database = open_database(db)
    try:
        figures = day_figures(database, till, datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    finally:
        database.close()
    return figures.sales, figures.net


def totals_of(db: Path, till: str) -> tuple[int, int]:
    con = read_only(db)
    try:
        n, total = con.execute(
            "SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sale WHERE till = ?", (till,)
        ).fetchone()
    finally:
        con.close()
    return int(n), int(total)


def test_tills_sell_at_once_on_one_database(shop_db: Path, backend: str) -> None:
    working = TILLS[:2] if backend == "sqlite" else TILLS
    tills = [Till(shop_db, till=name) for name, _ in working]
    driven = [Driven(name) for name, _ in working]
    try:
        for till, (_, login) in zip(tills, working, strict=True):
            till.log_in(*login)
        until = time.monotonic() + SECONDS
        threads = [
            threading.Thread(
                target=run_till, args=(till, done, shop_db, random.Random(SEED + i), until)
            )
            for i, (till, done) in enumerate(zip(tills, driven, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 120)
    finally:
        for till in tills:
            till.kill()
    if is_server(shop_db):  # the tills sold from their own files: the store gets it all
        for done in driven:
            send_the_rest(shop_db, done.name)
    for till, done in zip(tills, driven, strict=True):
        where = f"seed {SEED}, {done.name} after {len(done.sales)} sales"
        if done.error is not None:
            raise AssertionError(f"{where}: {done.error}") from done.error
        trouble = TROUBLE.search(bytes(till.output))
        assert trouble is None, f"{where}: the screen showed {trouble.group()!r}"
        stored = sales_of(shop_db, done.name)
        numbers = [number for number, _ in stored]
        assert numbers == list(range(1, len(done.sales) + 1)), f"{where}: receipts {numbers}"
        assert [lines for _, lines in stored] == done.sales, f"{where}: lines differ"
        if is_server(shop_db):  # the server holds each sale once, as the till's file does
            assert sales_of(till_file(shop_db, done.name), done.name) == stored, where
        assert cart_in_db(shop_db, done.name) == Counter(), f"{where}: a cart left open"
        assert day_totals(shop_db, done.name) == totals_of(shop_db, done.name), where
        assert day_totals(shop_db, done.name)[0] == len(done.sales), where
    assert integrity(shop_db) == ["ok"]
    assert audit_chain_breaks(shop_db) is None
    print(
        f"{len(working)} tills on {backend} for {SECONDS:.0f} s (seed {SEED}): "
        + "; ".join(
            f"{d.name} {len(d.sales)} sales, {d.scans} scans, save p50 "
            f"{sorted(d.saved_in)[len(d.saved_in) // 2] * 1000:.0f} ms, "
            f"max {max(d.saved_in) * 1000:.0f} ms"
            for d in driven
        )
    )

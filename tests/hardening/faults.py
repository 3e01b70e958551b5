"""Faults to inject into a running till, and the checks that nothing was lost.

Each fault is switched on and off on the till's own database connection (or from
another process), so the till meets it exactly where a cashier would: the next write
or read fails inside SQLite, and once the fault is gone the same till carries on.

* ``full``: ``PRAGMA max_page_count`` pinned at the file's size (the database cannot
  grow: SQLite's "database or disk is full"), the way a full disk meets a write.
* ``readonly``: ``PRAGMA query_only`` (SQLite's "attempt to write a readonly
  database"), what a read-only file or a read-only remount gives a connection that is
  already open. (A file made read-only before the start is tested with the CLI.)
* ``locked``: another process holds the write lock (``BEGIN IMMEDIATE``) for longer
  than the busy timeout; the till's connection waits 0.2 s instead of 5 s so the tests
  stay fast (one test waits the real 5 s).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pos.app import PosApp

SQLITE_MAX_PAGES = 1_073_741_823
SHORT_BUSY_MS = 200


@dataclass
class Fault:
    name: str
    words: tuple[str, ...]
    """What every message about it must say: what is wrong, and what to do."""
    _holder: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def on(self, app: PosApp) -> None:
        db = app.services.db
        if self.name == "full":
            use_up_free_pages(app.services.db_path)
            pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
            db.execute_sql(f"PRAGMA max_page_count = {pages}")
        elif self.name == "readonly":
            db.execute_sql("PRAGMA query_only = 1")
        elif self.name == "locked":
            db.execute_sql(f"PRAGMA busy_timeout = {SHORT_BUSY_MS}")
            self._holder = hold_write_lock(app.services.db_path)
        else:  # pragma: no cover
            raise ValueError(self.name)

    def off(self, app: PosApp) -> None:
        db = app.services.db
        if self.name == "full":
            db.execute_sql(f"PRAGMA max_page_count = {SQLITE_MAX_PAGES}")
        elif self.name == "readonly":
            db.execute_sql("PRAGMA query_only = 0")
        elif self.name == "locked":
            release(self._holder)
            self._holder = None
            db.execute_sql("PRAGMA busy_timeout = 5000")


FAULTS = {
    "full": Fault("full", ("the disk is full", "free some disk space")),
    "readonly": Fault(
        "readonly", ("the database is read-only", "make the database file and its folder writable")
    ),
    "locked": Fault(
        "locked",
        ("the database is busy (locked by another program)", "close it or wait, then try again"),
    ),
}


def use_up_free_pages(db: Path) -> None:
    """Fill the file's free pages (left by deleted rows) so that the next write that
    needs a page meets the limit, as on a disk with no space left."""
    con = sqlite3.connect(db, isolation_level=None, timeout=10)
    try:
        free = con.execute("PRAGMA freelist_count").fetchone()[0]
        if free:
            size = con.execute("PRAGMA page_size").fetchone()[0]
            con.execute("CREATE TABLE IF NOT EXISTS test_filler (data BLOB) STRICT")
            con.execute("INSERT INTO test_filler VALUES (zeroblob(?))", (free * size,))
    finally:
        con.close()


def hold_write_lock(db: Path) -> subprocess.Popen[bytes]:
    """Another process that takes the database's write lock and keeps it until
    :func:`release`."""
    code = (
        "import sqlite3, sys\n"
        f"con = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=10)\n"
        "con.execute('BEGIN IMMEDIATE')\n"
        "con.execute(\"UPDATE setting SET value = value WHERE key = 'store_name'\")\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == b"locked"
    return holder


def release(holder: subprocess.Popen[bytes] | None) -> None:
    if holder is not None:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)


def says(message: str, fault: Fault) -> None:
    """The message names the fault and what to do, in words, never a traceback."""
    assert "Traceback" not in message
    for words in fault.words:
        assert words in message, (words, message)


def check_sales(db: Path, reported: list[int], till: str = "Till 1") -> None:
    """Every sale reported saved is in the database with its lines and payments (which
    pay its total), receipt numbers run 1, 2, 3 ... with no gap, and the file is sound."""
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        sales = con.execute(
            "SELECT id, receipt_no, total FROM sale WHERE till = ? ORDER BY receipt_no", (till,)
        ).fetchall()
        numbers = [no for _, no, _ in sales]
        assert numbers == list(range(1, len(numbers) + 1))
        assert numbers == reported
        for sale_id, _no, total in sales:
            lines = con.execute("SELECT count(*) FROM sale_line WHERE sale_id = ?", (sale_id,))
            assert lines.fetchone()[0] > 0
            paid = con.execute(
                "SELECT sum(amount) FROM payment WHERE sale_id = ?", (sale_id,)
            ).fetchone()[0]
            assert paid == total
    finally:
        con.close()


def cart_in_db(db: Path) -> list[tuple[str, int]]:
    """The open cart as the database holds it: (barcode, qty) per line."""
    con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute(
            "SELECT l.barcode, l.qty FROM cart_line l JOIN cart c ON c.id = l.cart_id "
            "WHERE c.status = 'open' ORDER BY l.line_no"
        ).fetchall()
    finally:
        con.close()

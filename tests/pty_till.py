"""Starting the real ``pos`` command on a pseudo-terminal (crash and hardening tests, the
start-up benchmark), typing into it, and reading what it left in the database from outside
(plain ``sqlite3``, or ``psycopg`` for a server; never the till's own code)."""

from __future__ import annotations

import array
import atexit
import contextlib
import fcntl
import json
import os
import pty
import queue
import select
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pos.config import is_server
from pos.db.models import MODELS

F2 = "\x1bOQ"
F3 = "\x1bOR"
F5 = "\x1b[15~"
F6 = "\x1b[17~"
F10 = "\x1b[21~"
ESC = "\x1b"

NAMES = {
    "4006381333931": "Highlighter pen yellow",
    "5000000000012": "Lemons unwaxed",
    "0036000291452": "Imported peanut butter 340g",
    "96385074": "Chewing gum spearmint",
    "5000000000043": "Crisps ready salted 45g",
}
"""Demo products the tests scan (a UPC-A, an EAN-8 and EAN-13s), with their names."""
CODES = list(NAMES)


def start_on_pty(
    db: Path,
    rows: int = 30,
    cols: int = 100,
    *,
    till: str | None = None,
    command: tuple[str, ...] = (),
    forked: bool = False,
) -> tuple[subprocess.Popen[bytes] | ForkedTill, int]:
    """``python -m pos --db DB [--till TILL] [COMMAND...]`` on a new pty of ``rows`` x
    ``cols``, in its own session; returns the process and the pty's master end (to read
    what it draws, and type). ``command`` runs a subcommand instead of the till
    (``("display",)``: the customer display). ``forked``: forked from a Python that has
    imported the till already (:mod:`tests.till_zygote`) rather than started cold."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("POS_DB", None)
    env.pop("POS_TILL", None)
    # the pty's size is the terminal's: pytest-xdist's workers carry COLUMNS=80 and
    # LINES=24, which the till would take over it (its names cut short at 80 columns)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    args = ["--db", str(db)]
    if till is not None:
        args += ["--till", till]
    if forked:
        try:
            return _zygote().start(["pos", *args, *command], env, slave), master
        finally:
            os.close(slave)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos", *args, *command],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return proc, master


class ForkedTill:
    """A till forked by the zygote, with the parts of ``subprocess.Popen`` the tests use
    (the zygote waits for it and says how it ended)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._ended = threading.Event()

    def ended(self, code: int) -> None:
        self.returncode = code
        self._ended.set()

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(f"till {self.pid}", timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class _Zygote:
    """This test process's zygote (:mod:`tests.till_zygote`), started at its first till."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.till_zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            cwd=Path(__file__).parent.parent,
        )
        theirs.close()
        atexit.register(self._stop)
        self._sock = ours
        self._lock = threading.Lock()  # one start at a time
        self._registry = threading.Lock()  # the tills, and the ends met before their start
        self._started: queue.Queue[int] = queue.Queue()
        self._tills: dict[int, ForkedTill] = {}
        self._early: dict[int, int] = {}  # ended before its start was answered
        threading.Thread(target=self._listen, daemon=True).start()

    def start(self, argv: list[str], env: dict[str, str], slave: int) -> ForkedTill:
        request = json.dumps({"argv": argv, "env": env, "cwd": os.getcwd()}).encode() + b"\n"
        with self._lock:
            self._sock.sendmsg(
                [request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [slave]))]
            )
            pid = self._started.get(timeout=30)
        with self._registry:
            till = self._tills[pid] = ForkedTill(pid)
            if pid in self._early:
                till.ended(self._early.pop(pid))
        return till

    def _stop(self) -> None:
        """At the test process's end: the zygote sees its socket close and ends."""
        self._sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)

    def _listen(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the socket closed at the end
            self._read_messages()

    def _read_messages(self) -> None:
        for line in self._sock.makefile("rb"):
            message = json.loads(line)
            if "pid" in message:
                self._started.put(message["pid"])
                continue
            pid, code = message["exit"], message["code"]
            with self._registry:
                till = self._tills.get(pid)
                if till is None:
                    self._early[pid] = code
                else:
                    till.ended(code)


_the_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()


def _zygote() -> _Zygote:
    global _the_zygote
    with _zygote_lock:
        if _the_zygote is None:
            _the_zygote = _Zygote()
        return _the_zygote


class Till:
    """A till process on a pty, with everything it prints collected: forked from the
    zygote (:mod:`tests.till_zygote`) unless ``forked=False`` starts it cold."""

    def __init__(
        self,
        db: Path,
        *,
        till: str | None = None,
        cols: int = 100,
        rows: int = 30,
        command: tuple[str, ...] = (),
        forked: bool = True,
    ) -> None:
        self.proc, master = start_on_pty(db, rows, cols, till=till, command=command, forked=forked)
        self.master = master
        self.output = bytearray()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(self.master, 65536)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def hang_up(self) -> None:
        """The terminal goes away: its master end is closed for good."""
        self._close_master()

    def _close_master(self) -> None:
        """Stop the reader, then close the master end: a read still waiting on it would
        keep the terminal open, and a reader that outlived the close would read from the
        next pty opened under the same descriptor number (the next till's output)."""
        self._stop.set()
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError, ValueError):  # what was drawn last is kept
            while select.select([self.master], [], [], 0)[0]:
                chunk = os.read(self.master, 65536)
                if not chunk:
                    break
                self.output.extend(chunk)
        with contextlib.suppress(OSError):
            os.close(self.master)

    def mark(self) -> int:
        """Where the output is now: ``wait_for_text(..., since=mark)`` looks after it."""
        return len(self.output)

    def wait_for_text(self, text: str, timeout: float = 20.0, *, since: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output[since:]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = bytes(self.output[-2000:]).decode(errors="replace")
                raise AssertionError(f"till never showed {text!r}; output ends: {tail}")
            time.sleep(0.02)

    def shown(self, text: str, since: int = 0) -> bool:
        return text.encode() in self.output[since:]

    def log_in(self, number: str = "9001", pin: str = "7391") -> None:
        """An operator logs in (the demo manager unless told): number, Enter, PIN, Enter."""
        self.wait_for_text("Operator number")
        self.type(f"{number}\r")
        time.sleep(0.2)
        self.type(f"{pin}\r")
        self.wait_for_text("Scan or type")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._close_master()


class _ReadOnlyServer:
    """A read-only psycopg connection that takes SQLite's ``?`` placeholders, so the
    checks below read a PostgreSQL database with the same SQL."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._con = psycopg.connect(url, autocommit=True, connect_timeout=10)
        self._con.execute("SET default_transaction_read_only = on")

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        return self._con.execute(sql.replace("?", "%s"), params)

    def close(self) -> None:
        self._con.close()


def read_only(db: Path) -> Any:
    """A connection that cannot change the database (SQLite: the WAL is still read; a
    PostgreSQL URL: a read-only session)."""
    if is_server(db):
        return _ReadOnlyServer(str(db))
    return sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)


def till_file(db: Path, till: str) -> Path:
    """Where a till keeps its sales and its cart: a till of a store (``db`` a server URL)
    in its own file (issue 19), any other in ``db``."""
    if is_server(db):
        from pos.db.sync.enrol import till_file_for

        return till_file_for(str(db), till)
    return db


def cart_in_db(db: Path, till: str | None = None) -> Counter[str]:
    """The open cart (of one till, or of any) as the database holds it (a store's till:
    its own file)."""
    con = read_only(till_file(db, till) if till is not None else db)
    try:
        rows = con.execute(
            "SELECT l.barcode, l.qty FROM cart_line l JOIN cart c ON c.id = l.cart_id "
            "WHERE c.status = 'open' AND (CAST(? AS TEXT) IS NULL OR c.till = ?)",
            (till, till),
        ).fetchall()
    finally:
        con.close()
    counted: Counter[str] = Counter()
    for barcode, qty in rows:
        counted[barcode] += qty
    return counted


def wait_for_count(db: Path, count: int, timeout: float = 20.0, till: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    while sum(cart_in_db(db, till).values()) < count:
        assert time.monotonic() < deadline, f"the till did not reach {count} items"
        time.sleep(0.02)


def sales_in_db(db: Path) -> list[tuple[int, int]]:
    """(receipt number, units sold) of every sale."""
    con = read_only(db)
    try:
        return con.execute(
            "SELECT s.receipt_no, SUM(l.qty) FROM sale s JOIN sale_line l ON l.sale_id = s.id "
            "GROUP BY s.id ORDER BY s.receipt_no"
        ).fetchall()
    finally:
        con.close()


def integrity(db: Path) -> list[str]:
    """SQLite's full integrity check, read from outside the till (a server keeps its own
    pages: there, that every table of the till's can be read)."""
    if is_server(db):
        con = read_only(db)
        try:
            for model in MODELS:
                con.execute(f'SELECT count(*) FROM "{model._meta.table_name}"').fetchone()
        finally:
            con.close()
        return ["ok"]
    con = read_only(db)
    try:
        return [row[0] for row in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def normal(code: str) -> str:
    """A scanned code as the cart stores it (UPC-A is looked up as its EAN-13)."""
    return "0" + code if len(code) == 12 else code

"""The sync worker of a store's till (issue 19): a thread of the till, never the UI's.

It pushes the till's outbox (sales, refunds, days opened and closed, cash movements, audit
entries) to the store's server in order, each exactly once, and pulls the store's changes
(settings, operators, rules, products) by version, woken by the server's ``NOTIFY`` and polling as a
fallback. The till sells from its own file whatever the worker is doing: the worker only
ever holds the file for one short batch. Its state (:class:`SyncStatus`) is what the
header shows.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pos.auth.keys import KeyFileError, key_file_for, load_seal_key
from pos.db.errors import StorageError, storage_errors
from pos.db.sync.store import NotThisStore, NotYetThere, Offline, StoreServer, SyncConflict
from pos.db.sync.till_file import SYNCED, Cursor, Entry, TillFile, columns
from pos.domain.clock import Clock
from pos.domain.text import plural
from pos.services.store_coupons import StoreCoupons

log = logging.getLogger(__name__)

PUSH_BATCH = 200
PULL_BATCH = 5_000
"""Rows per pulled batch: one short write on the till's file each."""


class StoreUnreachable(Exception):
    """The store's server cannot be asked now; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the header says about the store."""

    online: bool = False
    sales_waiting: int = 0
    waiting: int = 0
    last_contact: datetime | None = None
    problem: str | None = None
    held: str | None = None
    """Another till's sale that a refund made here waits for on the server."""

    def text(self) -> str:
        if self.problem:
            return f"SYNC STOPPED - {self.problem}"
        if self.online and self.held:
            return f"Online - waiting for {self.held}"
        if self.online:
            return "Online" if not self.waiting else f"Online - sending {self.waiting}"
        when = "never" if self.last_contact is None else self.last_contact.strftime("%H:%M")
        return f"OFFLINE - {plural(self.sales_waiting, 'sale')} waiting, last contact {when}"


class StoreSync:
    """Keeps one till file in step with its store."""

    def __init__(
        self,
        path: Path,
        url: str,
        till: str,
        clock: Clock,
        *,
        poll_seconds: float = 5.0,
        wait_seconds: float = 1.0,
        local_time: Callable[[datetime], datetime] = lambda t: t.astimezone(),
    ) -> None:
        self.path = path
        self.till = till
        self.clock = clock
        self.server = StoreServer(url)
        self.poll_seconds = poll_seconds
        self.wait_seconds = wait_seconds
        self.local_time = local_time
        self.status = SyncStatus()
        self._file: TillFile | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_pull = 0.0
        self._seal_key: bytes | None = None
        self._checked = False  # the server's "how far" compared since this connection began
        self._contact: datetime | None = None
        self._held: str | None = None  # what the last push waits for (NotYetThere)
        self.session = uuid.uuid4().hex
        """This run of the till: its coupon claims are told from an earlier run's."""
        self.reachable = True
        """Whether the last round reached the server (a coupon claim does not wait for a
        server the worker finds out of reach)."""
        self._claims: StoreCoupons | None = None
        self._wake: tuple[socket.socket, socket.socket] | None = None
        """A socket pair: the till's nudge after a sale (a closed socket refuses a write;
        a closed descriptor number could be another file's by then)."""

    # -- the thread ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            if self._wake is None:
                read, write = socket.socketpair()
                read.setblocking(False)
                write.setblocking(False)
                self._wake = (read, write)
            self._thread = threading.Thread(target=self._run, name="pos-sync", daemon=True)
            self._thread.start()

    def nudge(self) -> None:
        """Something waits in the outbox now (a sale was committed): the worker sends it at
        once instead of at its next look (every ``wait_seconds``). Never waits: one byte
        into a socket, or nothing if it is full (the worker is on its way) or closed."""
        wake = self._wake
        if wake is not None:
            with contextlib.suppress(OSError):  # BlockingIOError too
                wake[1].send(b"!")

    def stop(self) -> None:
        self._stop.set()
        self.nudge()  # out of its wait now, not at the end of it
        alive = False
        if self._thread is not None:
            self._thread.join(timeout=15)
            alive = self._thread.is_alive()
            self._thread = None
        if self._wake is not None and not alive:  # (a worker still in its round keeps it)
            for end in self._wake:
                end.close()
            self._wake = None
        self.server.close()
        if self._claims is not None:
            self._claims.close()
        if self._file is not None:
            self._file.close()
            self._file = None

    def coupon_claims(self) -> StoreCoupons:
        """What the checkout claims coupon uses with (a connection of its own, on the
        till's thread)."""
        if self._claims is None:
            self._claims = StoreCoupons(
                self.server.url, self.till, self.session, lambda: self.reachable
            )
        return self._claims

    def _run(self) -> None:
        backoff = 1.0
        retry_at = 0.0
        while not self._stop.is_set():
            try:
                if not self.server.connected:
                    if time.monotonic() < retry_at:
                        self._count_waiting(online=False)
                        self._stop.wait(min(1.0, retry_at - time.monotonic()))
                        continue
                    self.server.connect()
                    log.info("sync: connected to the store")
                self.run_once()
                backoff = 1.0
                self.server.wait(self.wait_seconds, self._wake[0].fileno() if self._wake else None)
            except Offline as exc:
                self.reachable = False
                if self.status.online or self.status.last_contact is None:
                    log.warning(
                        "sync: the store's server is out of reach (%s)", describe_failure(exc)
                    )
                self.server.close()
                self._count_waiting(online=False)
                retry_at = time.monotonic() + backoff
                backoff = min(backoff * 2, 10.0)
            except (SyncConflict, NotThisStore) as exc:
                log.error("sync stopped: %s", exc)
                self.server.close()
                self.status = replace(self.status, online=False, problem=describe_failure(exc))
                self._stop.wait(30)
            except Exception as exc:  # a bug must not stop the till: report, retry later
                log.exception("sync: unexpected error")
                self.server.close()
                problem = f"unexpected error ({type(exc).__name__})"
                self.status = replace(self.status, online=False, problem=problem)
                self._stop.wait(10)

    # -- one round ------------------------------------------------------------------------

    @property
    def file(self) -> TillFile:
        if self._file is None:
            self._file = TillFile(self.path)
        return self._file

    def run_once(self) -> None:
        """Push what waits, pull what changed (or every ``poll_seconds`` anyway).

        Raises:
            Offline: the server went away (nothing is lost: the next round goes on).
            SyncConflict, NotThisStore: the sync must stop (the message says why).
        """
        if not self.server.connected:
            self.server.connect()
            self._checked = False
        self.reachable = True
        due = time.monotonic() - self._last_pull >= self.poll_seconds
        if due or not self._checked:
            self.resend_what_the_server_lost()
            if not self._checked:
                self.release_old_claims()
            self._checked = True
        # a refund waiting for another till's sale is tried again at each poll, not each round
        sent = self.push() if self._held is None or due or self.server.rang else 0
        if self.server.rang or due:
            self.pull()
        self._contact = self.local_time(self.clock.now())
        # an idle round asks the file nothing more
        if sent or due or not self.status.online or self.status.held != self._held:
            self._count_waiting(online=True, contact=True)

    def resend_what_the_server_lost(self) -> None:
        """Compare the server's record of how far it got from this till with the till's
        own: a server restored from an older backup gets the difference again (at each
        connect and every ``poll_seconds``)."""
        tf = self.file
        held = self.server.pushed(self.till)
        if held < tf.pushed():  # the server went back (a restored backup): send again
            again = tf.push_again_after(held)
            log.warning(
                "sync: the store's server has entries only up to %d of this till's %d; "
                "sending %d again",
                held,
                tf.pushed(),
                again,
            )

    def release_old_claims(self) -> int:
        """Give back the coupon uses an earlier run of this till claimed on the server for
        sales it never saved (it stopped between the claim and the sale's commit, or the
        cart was voided); a claim whose sale is in this file stays (its push settles it).
        Returns how many were given back."""
        tf = self.file
        unsaved = [u for u in self.server.old_claims(self.till, self.session) if not tf.has_sale(u)]
        if not unsaved:
            return 0
        released = self.server.release_claims(self.till, self.session, unsaved)
        if released:
            log.info("sync: %d coupon use(s) claimed before a restart given back", released)
        return released

    def push(self) -> int:
        """Send every waiting outbox entry, in order. Returns how many went.

        A refund of another till's sale that the server does not hold (a restored backup)
        waits for that till to send it again: what came before the refund goes, the rest
        waits in order, and the header says what it waits for (tried again each round)."""
        tf = self.file
        sent = 0
        was, self._held = self._held, None
        while entries := tf.next_entries(PUSH_BATCH):
            now = self.clock.now().isoformat(timespec="seconds")
            try:
                self.server.push(self.till, self._file_id(), entries, self._read, now)
            except NotYetThere as held:
                if held.index:
                    entries = entries[: held.index]
                    self.server.push(self.till, self._file_id(), entries, self._read, now)
                    tf.mark_pushed(entries[-1].seq, now)
                    sent += len(entries)
                if was != held.what:
                    log.warning("sync: a refund waits for %s to reach the server", held.what)
                self._held = held.what
                return sent
            tf.mark_pushed(entries[-1].seq, now)
            sent += len(entries)
        return sent

    def _read(self, entry: Entry) -> dict[str, object] | None:
        tf = self.file
        reader = {
            "sale": tf.sale,
            "refund": tf.refund,
            "day": tf.day,
            "audit": tf.audit,
            "cash": tf.cash,
        }
        return reader[entry.kind](entry.ref)

    def pull(self, progress: Callable[[str, int], None] | None = None) -> int:
        """Apply every change of the store since the last pull. Returns rows applied."""
        tf = self.file
        store_id, version = self.server.meta()
        if store_id != tf.state("store_id"):
            raise NotThisStore(
                "this till's file belongs to another store (its server's id has changed)"
            )
        if version < tf.newest_version():
            log.warning("sync: the store's server went back to version %d: pulling all", version)
            tf.forget_pulls()
        self.server.rang = False
        self._last_pull = time.monotonic()
        applied = 0
        key = self._key()
        for table, model in SYNCED.items():
            names = columns(model)
            at_version = names.index("version")
            at_mark = names.index("key" if table == "setting" else "id")
            empty = tf.is_empty(table)
            whole = empty and table == "product"  # a new till's catalog: indexed once, after
            if whole:
                tf.suspend_search()
            try:
                while rows := self.server.changes(table, tf.cursor(table), PULL_BATCH):
                    last = rows[-1]
                    mark = Cursor(int(last[at_version]), str(last[at_mark]))
                    # into an empty table, rows written on the server before this pull
                    # began meet nothing of their own; a row changed since may be here
                    fresh = empty and mark.version <= version
                    applied += tf.apply(table, rows, mark, key, fresh=fresh)
                    if progress is not None:
                        progress(table, len(rows))
            finally:
                if whole:  # also after a pull cut short: what arrived is found by name
                    try:
                        tf.restore_search()
                    except StorageError as exc:  # the till's next search or start does it
                        log.warning("sync: the product search is left to rebuild: %s", exc)
        while graves := self.server.tombstones(tf.cursor("tombstone"), PULL_BATCH):
            for grave in graves:
                mark = Cursor(int(grave["version"]), str(grave["id"]))
                tf.delete(grave["kind"], grave["row_id"], grave["key"], grave["version"], mark)
                applied += 1
        return applied

    def _file_id(self) -> str:
        file_id = self.file.state("file_id")
        if file_id is None:
            raise NotThisStore("this till file has no id of its own: make it again")
        return file_id

    def _key(self) -> bytes | None:
        if self._seal_key is None:
            try:
                self._seal_key = load_seal_key(key_file_for(self.path))
            except KeyFileError:
                log.warning("sync: no seal key: operators are taken as the store sent them")
        return self._seal_key

    # -- another till's sale ------------------------------------------------------------

    def copy_sale(self, till: str, receipt_no: int) -> bool:
        """Copy sale ``receipt_no`` of the store's till ``till``, with every refund of it
        made anywhere, from the server into this till's file (for a refund here). Runs on
        the caller's thread with connections of its own (the worker's may be busy).
        Returns False if the server has no such sale (never made, or not sent yet).

        Raises:
            StoreUnreachable: the server cannot be asked now (the message says why).
            NotThisStore: the server is another store's.
            StorageError: this till's file cannot take the copy.
        """
        with storage_errors():
            tf = TillFile(self.path)
        server = StoreServer(self.server.url)
        try:
            server.connect()
            if server.meta()[0] != tf.state("store_id"):
                raise NotThisStore("the server's store is not this till's")
            copy = server.sale_copy(till, receipt_no)
            if copy is None:
                return False
            tf.keep_copy(copy, self.till)
            return True
        except Offline as exc:
            raise StoreUnreachable(describe_failure(exc)) from exc
        finally:
            server.close()
            tf.close()

    # -- status ---------------------------------------------------------------------------

    def _count_waiting(self, *, online: bool, contact: bool = False) -> None:
        waiting = self.file.waiting()
        last = self._contact if contact else self.status.last_contact
        held = self._held if online else None
        self.status = SyncStatus(
            online, waiting.get("sale", 0), sum(waiting.values()), last, held=held
        )

    def outbox(self, limit: int = 200) -> list[tuple[int, str, str, str]]:
        """The oldest entries still waiting (for the manager's outbox screen)."""
        tf = TillFile(self.path)  # the caller's thread: a connection of its own
        try:
            return tf.waiting_entries(limit)
        finally:
            tf.close()


def describe_failure(exc: BaseException) -> str:
    """The first line of what went wrong (a driver's message can run to many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

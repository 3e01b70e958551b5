"""The store's server, as a till's sync worker talks to it (psycopg 3, one connection).

Pushes are idempotent: every row arrives under the id the till chose (a sale's and a
refund's uuid, a day's uuid, an audit entry's number in its till's chain), a unique key
on the server ignores a second copy, and a second copy that differs is a conflict to
report, never to overwrite. The batch and the server's record of how far it has got from
this till (``till_sync``) commit together, so "how far" survives exactly as the data
does (a restored backup included).
"""

from __future__ import annotations

import contextlib
import os
import select
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from pos.db import models as m
from pos.db.migrations import v21_vouchers
from pos.db.store_schema import STORE_CHANNEL
from pos.db.sync import coupon_claims, vouchers
from pos.db.sync.till_file import SALE_CHILDREN, SYNCED, Cursor, Entry, _quoted, columns

Offline = (psycopg.OperationalError, psycopg.InterfaceError)
"""What a lost or refused connection raises: the till is offline, nothing is wrong."""

MIN_SCHEMA = v21_vouchers.NUMBER
"""The oldest server schema a till can push to: 16 has the cash movements a till sends
(issue 21), 17 the refunds without a receipt and the refunds' reasons, 18 the cashier
discounts' reasons and rates on a sale's discount rows, 19 the coupon codes and a sale's
coupons (issue 22), 20 the coupons' claims and versions, 21 (the vouchers' step) the gift
vouchers and the voucher flag on a sale's lines. An older server is refused at the
connection, saying to upgrade it, rather than failing at the first movement, refund or
discounted sale pushed."""

LINK_OPTIONS: dict[str, Any] = {
    "connect_timeout": 5,
    # a cable pulled mid-round must not leave the worker waiting for an answer that will
    # never come (TCP retries for many minutes) while the header still says Online: data
    # not acknowledged in 10 s, or a quiet peer that misses three probes, ends the link
    "tcp_user_timeout": 10_000,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}
"""libpq's connection options for the sync's link (over any the URL gives)."""


class SyncConflict(RuntimeError):
    """The server holds a different row under an id this till pushed (a copied till
    file selling as two tills, or a server that was edited by hand): reported, never
    overwritten; the push stops there and selling goes on."""


class NotYetThere(RuntimeError):
    """A refund of another till's sale that the server does not hold: it was restored from
    a backup older than the sale, and that till sends the sale again when it next connects.
    The refund waits for it (what this till sent before the refund goes on); ``index`` is
    the refund's place in the batch, ``str()`` names the sale ("Till A's sale 0042")."""

    def __init__(self, what: str, index: int = 0) -> None:
        super().__init__(what)
        self.what = what
        self.index = index


class NotThisStore(RuntimeError):
    """The server is another store's (its id is not the one this till file was made for),
    or not a POS database at the version the sync needs."""


class StoreServer:
    """One connection to the store's server, listening for its changes."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: psycopg.Connection[Any] | None = None
        self.rang = False
        """Whether the store's doorbell rang since the last pull began."""

    # -- connection ---------------------------------------------------------------------

    def connect(self) -> None:
        """Connect and LISTEN first (a change made after this is announced), then check
        the database is a store at the sync's schema.

        Raises:
            psycopg.OperationalError: unreachable (offline).
            NotThisStore: not a store database the till can sync with.
        """
        conn = psycopg.connect(self.url, autocommit=True, **LINK_OPTIONS)
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            conn.execute("SET lock_timeout = '5s'")
            conn.execute("SET statement_timeout = '60s'")  # a stuck server: offline, retried
            conn.execute("SET idle_in_transaction_session_timeout = '60s'")
            conn.execute(f"LISTEN {STORE_CHANNEL}")
            row = conn.execute("SELECT version FROM pos_schema").fetchone()
            if row is None or int(row[0]) < MIN_SCHEMA:
                raise NotThisStore(
                    "the store's database is at an older schema: upgrade it first "
                    "(any pos command on it with this version does)"
                )
        except psycopg.errors.UndefinedTable as exc:
            conn.close()
            raise NotThisStore("the server's database is not a POS store") from exc
        except BaseException:
            conn.close()
            raise
        self.conn = conn
        self.rang = True  # whatever changed while we were away: pull it

    @property
    def connected(self) -> bool:
        return self.conn is not None and not self.conn.closed

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _c(self) -> psycopg.Connection[Any]:
        if self.conn is None or self.conn.closed:
            raise psycopg.OperationalError("not connected to the store's server")
        return self.conn

    def wait(self, timeout: float, wake: int | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the doorbell, or until ``wake`` (the read
        end of a pipe: the till's nudge after a sale) can be read; True if the doorbell
        rang (a ring that came during a push or a pull is kept by psycopg and counts at
        once). The wait holds no lock and no GIL."""
        if self.rang:
            return True
        conn = self._c()
        if wake is None:
            for _ in conn.notifies(timeout=timeout, stop_after=1):
                self.rang = True
            return self.rang
        for _ in conn.notifies(timeout=0, stop_after=1):  # one kept from a push or pull
            self.rang = True
        if self.rang:
            return True
        ready, _, _ = select.select([conn.fileno(), wake], [], [], timeout)
        if wake in ready:
            with contextlib.suppress(OSError):  # (BlockingIOError: read by now)
                os.read(wake, 4096)  # every nudge so far: one round sends what they left
        if conn.fileno() in ready:
            for _ in conn.notifies(timeout=0, stop_after=1):
                self.rang = True
        return self.rang

    # -- what the server is -----------------------------------------------------------------

    def meta(self) -> tuple[str, int]:
        """The store's id and its newest change version."""
        row = self._c().execute("SELECT store_id, version FROM store_meta").fetchone()
        if row is None:
            raise NotThisStore("the store's database has no store_meta row")
        return str(row[0]), int(row[1])

    def setting(self, key: str) -> str | None:
        row = self._c().execute("SELECT value FROM setting WHERE key = %s", (key,)).fetchone()
        return None if row is None else str(row[0])

    def owner(self, till: str) -> tuple[str, str] | None:
        """The till file that sells as ``till`` (its id, and when it last sent), or None."""
        row = (
            self._c()
            .execute("SELECT file_id, at FROM till_sync WHERE till = %s", (till,))
            .fetchone()
        )
        return None if row is None else (str(row[0]), str(row[1]))

    def pushed(self, till: str) -> int:
        """The newest outbox entry the server holds from ``till`` (0: none)."""
        row = self._c().execute("SELECT pushed FROM till_sync WHERE till = %s", (till,)).fetchone()
        return 0 if row is None else int(row[0])

    # -- pushing ------------------------------------------------------------------------

    def register(self, till: str, file_id: str, at: str) -> None:
        """Make ``file_id`` the till file that sells as ``till`` (a new file for a till
        whose disk was lost takes the name over; the old file's pushes are refused)."""
        self._c().execute(
            "INSERT INTO till_sync (till, pushed, at, file_id) VALUES (%s, 0, %s, %s) "
            "ON CONFLICT (till) DO UPDATE SET file_id = excluded.file_id, at = excluded.at",
            (till, at, file_id),
        )

    def push(
        self,
        till: str,
        file_id: str,
        entries: Sequence[Entry],
        read: Callable[[Entry], Mapping[str, Any] | None],
        at: str,
    ) -> None:
        """Send ``entries`` (in order) and the new "how far" in one transaction.

        Raises:
            SyncConflict: another file sells as ``till``, or a row differs from the
                server's copy of it.
        """
        conn = self._c()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT file_id FROM till_sync WHERE till = %s FOR UPDATE", (till,))
            owner = cur.fetchone()
            if owner is not None and owner[0] != file_id:
                raise SyncConflict(
                    f"another till file now sells as {till} on this store; this one stops "
                    "sending (its sales stay in its file)"
                )
            for index, entry in enumerate(entries):
                row = read(entry)
                if row is None:
                    continue  # nothing of it left on the till (cannot happen: rows are kept)
                try:
                    PUSHED[entry.kind](cur, till, dict(row))
                except NotYetThere as held:
                    raise NotYetThere(held.what, index) from None
            cur.execute(
                "INSERT INTO till_sync (till, pushed, at, file_id) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (till) DO UPDATE SET "
                "pushed = GREATEST(till_sync.pushed, excluded.pushed), at = excluded.at",
                (till, entries[-1].seq, at, file_id),
            )

    # -- coupon claims of an earlier run of the till (issue 22) ----------------------------

    def old_claims(self, till: str, session: str) -> list[str]:
        """The sales ``till`` claimed coupon uses for in an earlier run, still held."""
        return coupon_claims.held_by(self._c(), till, session)

    def release_claims(self, till: str, session: str, sales: Sequence[str]) -> int:
        """Give back what ``till`` held for ``sales`` in an earlier run."""
        return coupon_claims.release_old_sessions(self._c(), till, session, sales)

    # -- pulling --------------------------------------------------------------------------

    def changes(self, table: str, after: Cursor, limit: int) -> list[tuple[Any, ...]]:
        """The table's rows written after ``after``, oldest version first, as tuples of
        its columns (:func:`pos.db.sync.till_file.columns`)."""
        names = _quoted(columns(SYNCED[table]))
        args: tuple[int, int | str]
        if table == "setting":
            where, args = "(version, key) > (%s, %s)", (after.version, after.key)
            order = "version, key"
        else:
            where, args = "(version, id) > (%s, %s)", (after.version, int(after.key or 0))
            order = "version, id"
        with self._c().cursor() as cur:
            cur.execute(
                f'SELECT {names} FROM "{table}" WHERE {where} ORDER BY {order} LIMIT %s',
                (*args, limit),
            )
            return list(cur.fetchall())

    def tombstones(self, after: Cursor, limit: int) -> list[dict[str, Any]]:
        with self._c().cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT id, version, kind, row_id, key FROM tombstone "
                "WHERE (version, id) > (%s, %s) ORDER BY version, id LIMIT %s",
                (after.version, int(after.key or 0), limit),
            )
            return list(cur.fetchall())

    def till_start(self, till: str) -> tuple[int, dict[str, Any] | None, dict[str, Any] | None]:
        """For a new till file: the till's last receipt number on the server, its newest
        closed day (so Z numbers go on) and the day it has open there, if any."""
        conn = self._c()
        row = conn.execute("SELECT last_receipt FROM till_counter WHERE till = %s", (till,))
        found = row.fetchone()
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(
                "SELECT * FROM till_day WHERE till = %s AND closed_at IS NOT NULL "
                "ORDER BY z_no DESC LIMIT 1",
                (till,),
            )
            day = cur.fetchone()
            cur.execute(
                "SELECT * FROM till_day WHERE till = %s AND closed_at IS NULL "
                "ORDER BY id DESC LIMIT 1",
                (till,),
            )
            open_day = cur.fetchone()
        return (0 if found is None else int(found[0])), day, open_day

    # -- another till's sale, for a refund here ---------------------------------------------

    def sale_copy(self, till: str, receipt_no: int) -> dict[str, Any] | None:
        """Sale ``receipt_no`` of ``till`` as the server holds it, with every refund of it
        from any till, in the shapes :meth:`TillFile.sale` and :meth:`TillFile.refund`
        read them (without their days: a copy belongs to no day of this till); None if
        the server has no such sale (not made, or not sent yet)."""
        with self._c().cursor(row_factory=dict_row) as cur:
            cur.execute(
                f"SELECT {_names(m.Sale)} FROM sale WHERE till = %s AND receipt_no = %s",
                (till, receipt_no),
            )
            sale = cur.fetchone()
            if sale is None:
                return None
            sale_id = sale.pop("id")
            sale.pop("day_id")
            sale["day_uuid"] = None
            for key, model in SALE_CHILDREN:
                cur.execute(
                    f'SELECT {_names(model)} FROM "{model._meta.table_name}" '
                    "WHERE sale_id = %s ORDER BY id",
                    (sale_id,),
                )
                sale[key] = [_without(row, "id", "sale_id") for row in cur.fetchall()]
            cur.execute(
                f"SELECT {_names(m.Refund)} FROM refund WHERE sale_id = %s ORDER BY id",
                (sale_id,),
            )
            refunds = cur.fetchall()
            for refund in refunds:
                cur.execute(
                    f"SELECT {_names(m.RefundLine)} FROM refund_line "
                    "WHERE refund_id = %s ORDER BY id",
                    (refund["id"],),
                )
                refund["lines"] = [_without(row, "id", "refund_id") for row in cur.fetchall()]
                for key in ("id", "sale_id", "day_id"):
                    del refund[key]
                refund["sale_uuid"] = sale["uuid"]
                refund["day_uuid"] = None
            sale["refunds"] = refunds
        return sale


def _names(model: type[m.BaseModel]) -> str:
    """The model's columns, named (a server a version ahead may have more)."""
    return _quoted(columns(model))


def _without(row: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def _insert(cur: psycopg.Cursor[Any], table: str, row: Mapping[str, Any], tail: str = "") -> Any:
    names = list(row)
    cur.execute(
        f'INSERT INTO "{table}" ({_quoted(names)}) '
        f"VALUES ({', '.join(['%s'] * len(names))}) {tail}",
        [row[n] for n in names],
    )
    return cur.fetchone() if "RETURNING" in tail else None


def _insert_many(
    cur: psycopg.Cursor[Any], table: str, parent: str, parent_id: int, rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    names = [parent, *rows[0]]
    cur.executemany(
        f'INSERT INTO "{table}" ({_quoted(names)}) VALUES ({", ".join(["%s"] * len(names))})',
        [[parent_id, *(row[n] for n in names[1:])] for row in rows],
    )


def _id_of(cur: psycopg.Cursor[Any], table: str, uuid: str | None, what: str) -> int | None:
    if uuid is None:
        return None
    cur.execute(f'SELECT id FROM "{table}" WHERE uuid = %s', (uuid,))
    row = cur.fetchone()
    if row is None:
        raise SyncConflict(f"{what} {uuid} is not on the server (pushed out of order)")
    return int(row[0])


def _same(
    cur: psycopg.Cursor[Any], table: str, row: Mapping[str, Any], keys: tuple[str, ...]
) -> None:
    """A second copy of a row must be the same row."""
    cur.execute(
        f'SELECT {_quoted(keys)} FROM "{table}" WHERE uuid = %s',
        (row["uuid"],),
    )
    there = cur.fetchone()
    here = tuple(row[k] for k in keys)
    if there is None or tuple(there) != here:
        raise SyncConflict(
            f"the server holds a different {table} under id {row['uuid']} "
            f"(there: {there}, here: {here})"
        )


def _sale(cur: psycopg.Cursor[Any], till: str, sale: dict[str, Any]) -> None:
    children = {key: sale.pop(key) for key, _ in SALE_CHILDREN}
    issued, uses = sale.pop("vouchers", []), sale.pop("voucher_uses", [])
    sale["day_id"] = _id_of(cur, "till_day", sale.pop("day_uuid"), "the day of sale")
    found = _insert(cur, "sale", sale, "ON CONFLICT (uuid) DO NOTHING RETURNING id")
    if found is None:
        _same(cur, "sale", sale, ("till", "receipt_no", "total"))
        return
    sale_id = int(found[0])
    _counter(cur, sale["till"], sale["receipt_no"])
    for key, model in SALE_CHILDREN:
        _insert_many(cur, model._meta.table_name, "sale_id", sale_id, children[key])
    coupon_claims.settle(cur, till, sale["uuid"], children["coupons"])
    vouchers.receive(cur, sale["uuid"], issued, uses)  # gift vouchers (issue 22)


def _refund(cur: psycopg.Cursor[Any], till: str, refund: dict[str, Any]) -> None:
    lines = refund.pop("lines")
    uses = refund.pop("voucher_uses", [])
    sale_till, sale_no = refund.pop("sale_till", None), refund.pop("sale_receipt_no", None)
    sale_uuid = refund.pop("sale_uuid")
    # sale_uuid None: a refund without a receipt (v17), whose lines carry their items
    if sale_till is not None and sale_till != till:  # another till's sale, copied here
        cur.execute("SELECT 1 FROM sale WHERE uuid = %s", (sale_uuid,))
        if cur.fetchone() is None:
            raise NotYetThere(f"{sale_till}'s sale {int(sale_no or 0):04d}")
    refund["sale_id"] = _id_of(cur, "sale", sale_uuid, "the sale refunded")
    refund["day_id"] = _id_of(cur, "till_day", refund.pop("day_uuid"), "the day of refund")
    found = _insert(cur, "refund", refund, "ON CONFLICT (uuid) DO NOTHING RETURNING id")
    if found is None:
        _same(cur, "refund", refund, ("till", "receipt_no", "total"))
        return
    _insert_many(cur, "refund_line", "refund_id", int(found[0]), lines)
    _counter(cur, refund["till"], refund["receipt_no"])
    vouchers.receive(cur, refund["uuid"], (), uses)  # put back onto gift vouchers


def _counter(cur: psycopg.Cursor[Any], till: str, receipt_no: int) -> None:
    """The server's receipt counter of the till follows its pushed receipts (a till made
    again after its disk was lost goes on from there)."""
    cur.execute(
        "INSERT INTO till_counter (till, last_receipt) VALUES (%s, %s) ON CONFLICT (till) "
        "DO UPDATE SET last_receipt = GREATEST(till_counter.last_receipt, excluded.last_receipt)",
        (till, receipt_no),
    )


def _day(cur: psycopg.Cursor[Any], till: str, day: dict[str, Any]) -> None:
    closing = ("z_no", "closed_at", "closed_by", "counted", "expected")
    _insert(
        cur,
        "till_day",
        day,
        "ON CONFLICT (uuid) DO UPDATE SET " + ", ".join(f'"{k}" = excluded."{k}"' for k in closing),
    )


def _audit(cur: psycopg.Cursor[Any], till: str, entry: dict[str, Any]) -> None:
    row = {"chain": till, **entry}
    if _insert(cur, "till_audit", row, "ON CONFLICT (chain, seq) DO NOTHING RETURNING seq"):
        return
    cur.execute("SELECT hash FROM till_audit WHERE chain = %s AND seq = %s", (till, row["seq"]))
    there = cur.fetchone()
    if there is None or there[0] != row["hash"]:
        raise SyncConflict(f"the server holds a different audit entry {row['seq']} of {till}")


def _cash(cur: psycopg.Cursor[Any], till: str, movement: dict[str, Any]) -> None:
    """A cash movement (issue 21) under its till-chosen id: once, whatever the retries."""
    movement["day_id"] = _id_of(cur, "till_day", movement.pop("day_uuid"), "the day of cash")
    if _insert(cur, "cash_movement", movement, "ON CONFLICT (uuid) DO NOTHING RETURNING id"):
        return
    _same(cur, "cash_movement", movement, ("till", "kind", "amount", "reason"))


PUSHED: dict[str, Callable[[psycopg.Cursor[Any], str, dict[str, Any]], None]] = {
    "sale": _sale,
    "refund": _refund,
    "day": _day,
    "audit": _audit,
    "cash": _cash,
}
"""How each kind of outbox entry lands on the server."""

"""The till's own file, as the sync worker sees it: the outbox to push, the rows to send,
and the store's changes to apply (each batch in one short transaction, so a scan's commit
never waits behind a large one)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos.auth.seal import operator_seal, seal_matches
from pos.db import models as m
from pos.db import product_search
from pos.db.database import BUSY_TIMEOUT_MS
from pos.db.errors import storage_errors

LOCAL_SETTINGS = frozenset({"till_name"})
"""Settings that belong to the till, never overwritten by the store's."""

LOCKOUT = ("failed_attempts", "locked_until")
"""An operator's lockout on this till: counted here (the store's copy is the server's)."""


def columns(model: type[m.BaseModel]) -> list[str]:
    return [field.column_name for field in model._meta.sorted_fields]


SYNCED: dict[str, type[m.BaseModel]] = {
    "operator": m.Operator,
    "discount_rule": m.DiscountRule,
    "coupon_code": m.CouponCode,
    "product": m.Product,
    "setting": m.Setting,
}
"""What a till copies from its store, in the order it applies them: settings last, so the
rules' version (a setting) changes only once the rules it stands for are in, and an open
cart that notices it reprices with the new rules."""

PRIMARY_KEY = {
    "product": "id",
    "discount_rule": "id",
    "coupon_code": "id",
    "operator": "id",
    "setting": "key",
}
"""The key a till keeps the store's rows under: the server's own ids (a setting's key)."""

UNIQUE_KEY = {
    "product": "barcode",
    "discount_rule": "name",
    "coupon_code": "code",
    "operator": "number",
    "setting": "key",
}


SALE_CHILDREN: tuple[tuple[str, type[m.BaseModel]], ...] = (
    ("lines", m.SaleLine),
    ("discounts", m.SaleDiscount),
    ("payments", m.Payment),
    ("vat", m.SaleVat),
    ("coupons", m.SaleCoupon),
)
"""A sale's rows in other tables, under the key a pushed or copied sale carries them."""
_SALE_PARTS = frozenset(
    {*(key for key, _ in SALE_CHILDREN), "refunds", "day_uuid", "vouchers", "voucher_uses"}
)
_REFUND_PARTS = frozenset({"lines", "sale_uuid", "day_uuid", "voucher_uses"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One outbox entry: a row to push (its kind and its id on the till)."""

    seq: int
    kind: str
    ref: str


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far a table has been pulled: the last (version, row) applied."""

    version: int = 0
    key: str = ""

    def text(self) -> str:
        return f"{self.version}:{self.key}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        version, _, key = text.partition(":")
        return cls(int(version), key)


class TillFile:
    """The sync worker's connection to the till's file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=rw",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
            check_same_thread=False,  # made on the till's thread, used by the worker's
        )
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._indexed_columns: dict[str, frozenset[str]] = {}

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- the store this file belongs to, and how far it has got --------------------------

    def state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, conn: sqlite3.Connection, key: str, value: str) -> None:
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def mark_ready(self) -> None:
        """The first pull has finished: the till may sell."""
        with self.writing() as conn:
            self.set_state(conn, "ready", "1")

    def cursor(self, table: str) -> Cursor:
        return Cursor.parse(self.state(f"pulled:{table}"))

    # -- the outbox ---------------------------------------------------------------------

    def waiting(self) -> dict[str, int]:
        """How many entries of each kind wait to be pushed."""
        rows = self.conn.execute(
            "SELECT kind, count(*) FROM outbox WHERE pushed_at IS NULL GROUP BY kind"
        ).fetchall()
        return {str(kind): int(n) for kind, n in rows}

    def next_entries(self, limit: int) -> list[Entry]:
        rows = self.conn.execute(
            "SELECT seq, kind, ref FROM outbox WHERE pushed_at IS NULL ORDER BY seq LIMIT ?",
            (limit,),
        ).fetchall()
        return [Entry(int(seq), str(kind), str(ref)) for seq, kind, ref in rows]

    def waiting_entries(self, limit: int) -> list[tuple[int, str, str, str]]:
        """The oldest waiting entries for the manager's outbox screen: number, kind,
        what it is (receipt number, event) and when it was made (the row's time)."""
        out: list[tuple[int, str, str, str]] = []
        for entry in self.next_entries(limit):
            out.append((entry.seq, entry.kind, *self._describe(entry)))
        return out

    def _describe(self, entry: Entry) -> tuple[str, str]:
        queries = {
            "sale": "SELECT 'receipt ' || receipt_no, at FROM sale WHERE uuid = ?",
            "refund": "SELECT 'refund ' || receipt_no, at FROM refund WHERE uuid = ?",
            "day": "SELECT CASE WHEN closed_at IS NULL THEN 'day opened' ELSE 'Z ' || z_no END,"
            " coalesce(closed_at, opened_at) FROM till_day WHERE uuid = ?",
            "audit": "SELECT event, at FROM audit_log WHERE seq = ?",
            "cash": "SELECT CASE WHEN kind = 'no_sale' THEN 'no sale' ELSE "
            "replace(kind, '_', ' ') || ' ' || (amount / 100) || '.' || "
            "substr('0' || (amount % 100), -2) END, at FROM cash_movement WHERE uuid = ?",
        }
        row = self.conn.execute(queries[entry.kind], (entry.ref,)).fetchone()
        return ("(gone)", "") if row is None else (str(row[0]), str(row[1]))

    def mark_pushed(self, upto: int, at: str) -> None:
        with self.writing() as conn:
            conn.execute(
                "UPDATE outbox SET pushed_at = ? WHERE pushed_at IS NULL AND seq <= ?", (at, upto)
            )
            self.set_state(conn, "pushed", str(upto))

    def push_again_after(self, seq: int) -> int:
        """The server has only entries up to ``seq`` (restored from an older backup):
        everything after is pushed again (the server ignores what it already has).
        Returns how many entries will go again."""
        with self.writing() as conn:
            n = conn.execute(
                "UPDATE outbox SET pushed_at = NULL WHERE seq > ? AND pushed_at IS NOT NULL",
                (seq,),
            ).rowcount
            self.set_state(conn, "pushed", str(seq))
        return int(n)

    def pushed(self) -> int:
        return int(self.state("pushed") or 0)

    # -- the rows an entry stands for ------------------------------------------------------

    def _rows(self, sql: str, args: Sequence[Any]) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _one(self, sql: str, args: Sequence[Any]) -> dict[str, Any] | None:
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    def sale(self, uuid: str) -> dict[str, Any] | None:
        """A sale with its lines, discounts, payments and VAT rows, and its day's uuid."""
        sale = self._one("SELECT * FROM sale WHERE uuid = ?", (uuid,))
        if sale is None:
            return None
        sale_id = sale.pop("id")
        sale["day_uuid"] = self._day_uuid(sale.pop("day_id"))
        for key, model in SALE_CHILDREN:
            table = model._meta.table_name
            rows = self._rows(f'SELECT * FROM "{table}" WHERE sale_id = ? ORDER BY id', (sale_id,))
            for row in rows:
                del row["id"], row["sale_id"]
            sale[key] = rows
        sale["vouchers"] = issued_rows(self.conn, uuid)  # gift vouchers (issue 22)
        sale["voucher_uses"] = use_rows(self.conn, uuid)
        return sale

    def has_sale(self, uuid: str) -> bool:
        """Whether this file holds the sale ``uuid`` (committed here)."""
        found = self.conn.execute("SELECT 1 FROM sale WHERE uuid = ?", (uuid,)).fetchone()
        return found is not None

    def refund(self, uuid: str) -> dict[str, Any] | None:
        refund = self._one("SELECT * FROM refund WHERE uuid = ?", (uuid,))
        if refund is None:
            return None
        refund_id = refund.pop("id")
        sale = self._one(
            "SELECT uuid, till, receipt_no FROM sale WHERE id = ?", (refund.pop("sale_id"),)
        )
        refund["sale_uuid"] = None if sale is None else sale["uuid"]
        # not columns: which sale it is, for the server to say which it waits for
        refund["sale_till"] = None if sale is None else sale["till"]
        refund["sale_receipt_no"] = None if sale is None else sale["receipt_no"]
        refund["day_uuid"] = self._day_uuid(refund.pop("day_id"))
        lines = self._rows(
            "SELECT * FROM refund_line WHERE refund_id = ? ORDER BY id", (refund_id,)
        )
        for row in lines:
            del row["id"], row["refund_id"]
        refund["lines"] = lines
        refund["voucher_uses"] = use_rows(self.conn, uuid)  # put back onto vouchers
        return refund

    def day(self, uuid: str) -> dict[str, Any] | None:
        day = self._one("SELECT * FROM till_day WHERE uuid = ?", (uuid,))
        if day is not None:
            del day["id"]
        return day

    def cash(self, uuid: str) -> dict[str, Any] | None:
        """A cash movement (issue 21), with its day's uuid."""
        movement = self._one("SELECT * FROM cash_movement WHERE uuid = ?", (uuid,))
        if movement is not None:
            del movement["id"]
            movement["day_uuid"] = self._day_uuid(movement.pop("day_id"))
        return movement

    def audit(self, seq: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM audit_log WHERE seq = ?", (int(seq),))

    def _day_uuid(self, day_id: int | None) -> str | None:
        if day_id is None:
            return None
        row = self.conn.execute("SELECT uuid FROM till_day WHERE id = ?", (day_id,)).fetchone()
        return None if row is None else str(row[0])

    # -- another till's sale, kept here for a refund ----------------------------------------

    def keep_copy(self, sale: Mapping[str, Any], own_till: str) -> None:
        """Keep a copy of another till's sale and of its refunds (as
        :meth:`StoreServer.sale_copy` reads them) in one transaction, so that a refund of
        it can be made here. A copy is no sale or refund of this till: it goes to no day
        (so no report of this till counts it) and not into the outbox (the server has it);
        rows already here (a refund made here, an earlier copy) are left as they are, and
        so is anything the server has under ``own_till``'s name (a copy of this till's
        own would fall into its reports by its time).

        Raises:
            StorageError: the file cannot take it (full, locked too long, read-only).
        """
        with storage_errors(), self.writing() as conn:
            here = conn.execute("SELECT id FROM sale WHERE uuid = ?", (sale["uuid"],)).fetchone()
            if here is None and sale["till"] == own_till:
                return  # this till's own sale, lost here: never copied in as another's
            if here is None:
                row = {k: v for k, v in sale.items() if k not in _SALE_PARTS}
                sale_id = self._insert(conn, "sale", {**row, "day_id": None})
                for key, model in SALE_CHILDREN:
                    for child in sale[key]:
                        self._insert(conn, model._meta.table_name, {**child, "sale_id": sale_id})
                conn.execute("DELETE FROM outbox WHERE kind = 'sale' AND ref = ?", (sale["uuid"],))
            else:
                sale_id = int(here[0])
            for refund in sale["refunds"]:
                if refund["till"] == own_till:
                    continue  # this till's own refund: it is here, or it was lost with the file
                if conn.execute(
                    "SELECT 1 FROM refund WHERE uuid = ?", (refund["uuid"],)
                ).fetchone():
                    continue
                row = {k: v for k, v in refund.items() if k not in _REFUND_PARTS}
                refund_id = self._insert(
                    conn, "refund", {**row, "sale_id": sale_id, "day_id": None}
                )
                for line in refund["lines"]:
                    self._insert(conn, "refund_line", {**line, "refund_id": refund_id})
                conn.execute(
                    "DELETE FROM outbox WHERE kind = 'refund' AND ref = ?", (refund["uuid"],)
                )

    @staticmethod
    def _insert(conn: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> int:
        names = list(row)
        cursor = conn.execute(
            f'INSERT INTO "{table}" ({_quoted(names)}) VALUES ({", ".join("?" * len(names))})',
            [row[n] for n in names],
        )
        return int(cursor.lastrowid or 0)

    # -- applying the store's changes --------------------------------------------------------

    def suspend_search(self) -> None:
        """Before a new till's first pull of the catalog: the search index's triggers off
        and the index marked stale (:func:`pos.db.product_search.suspend`), so a million
        rows are not indexed one by one as they arrive (35 s of a 59 s first sync)."""
        with self.writing() as conn:
            product_search.suspend(conn.cursor())

    def restore_search(self) -> None:
        """After it: the index built once and its triggers back (a few seconds).

        Raises:
            StorageError: it cannot be written now (the mark stays: the till's next search
                or start rebuilds it).
        """
        with storage_errors(), self.writing() as conn:
            product_search.restore(conn.cursor())

    def is_empty(self, table: str) -> bool:
        return self.conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is None

    def apply(
        self,
        table: str,
        rows: Sequence[Sequence[Any]],
        cursor: Cursor,
        seal_key: bytes | None = None,
        *,
        fresh: bool = False,
    ) -> int:
        """Write pulled rows (tuples of :func:`columns`, the server's ids and versions) and
        the table's new cursor, in one transaction. A row whose unique name now belongs to
        another id (a barcode moved, a rule renamed) replaces the old row: the server's
        state at this version says so. ``fresh``: the table was empty when this pull began
        (a new till's first pull) and these rows were written on the server before it
        began, so no row of this till can be in the way: not an old one, nor one that
        came earlier in this pull and has changed since (the caller knows which)."""
        names = columns(SYNCED[table])
        key = UNIQUE_KEY[table]
        pk = PRIMARY_KEY[table]
        # SQLite rewrites the index entries of every column an UPDATE sets, changed or not:
        # the upsert sets only the columns no index holds, and the indexed ones (a barcode,
        # a name) are set by a second statement only where they changed. A pull of a
        # million changed prices: 4x faster than setting every column.
        indexed = [n for n in names if n != pk and n in self._indexed(table)]
        plain = [n for n in names if n != pk and n not in indexed]
        upsert = (
            f'INSERT INTO "{table}" ({_quoted(names)})'
            f' VALUES ({", ".join("?" * len(names))}) ON CONFLICT ("{pk}") DO '
            + (
                "UPDATE SET " + ", ".join(f'"{n}" = excluded."{n}"' for n in plain)
                if plain
                else "NOTHING"
            )
        )
        values = [list(row) for row in rows]
        with self.writing() as conn:
            if table == "setting":
                at = names.index("key")
                values = [v for v in values if v[at] not in LOCAL_SETTINGS]
            elif table == "operator":
                values = [self._operator(conn, names, v, seal_key) for v in values]
            if pk != key and not fresh:
                at_key, at_pk = names.index(key), names.index(pk)
                conn.executemany(
                    f'DELETE FROM "{table}" WHERE "{key}" = ? AND "{pk}" <> ?',
                    [(v[at_key], v[at_pk]) for v in values],
                )
            if table == "product":
                self._release_plus(conn, names, values)
            conn.executemany(upsert, values)
            if indexed and not fresh:
                spots = [names.index(n) for n in (*indexed, pk)]
                conn.executemany(
                    f'UPDATE "{table}" SET '
                    + ", ".join(f'"{n}" = ?' for n in indexed)
                    + f' WHERE "{pk}" = ? AND ('
                    + " OR ".join(f'"{n}" IS NOT ?' for n in indexed)
                    + ")",
                    [[v[i] for i in spots] + [v[i] for i in spots[:-1]] for v in values],
                )
            self.set_state(conn, f"pulled:{table}", cursor.text())
        return len(values)

    @staticmethod
    def _release_plus(
        conn: sqlite3.Connection, names: list[str], values: Sequence[Sequence[Any]]
    ) -> None:
        """Take each PLU these product rows give off any other product that has it here:
        the store moved it (the other product's own row, in this pull or a later one,
        says what it has now). Without it, a PLU handed from one product to another would
        clash with the unique index half way through the batch. Even on a fresh pull:
        PLUs are few, and a swap during the pull would otherwise stop it."""
        at_plu, at_id = names.index("plu"), names.index("id")
        given = [(v[at_plu], v[at_id]) for v in values if v[at_plu] is not None]
        if given:
            conn.executemany(
                'UPDATE "product" SET "plu" = NULL WHERE "plu" = ? AND "id" <> ?', given
            )

    def _indexed(self, table: str) -> frozenset[str]:
        """The columns of ``table`` that any index holds (all of them if an index is on an
        expression, whose columns this cannot name)."""
        found = self._indexed_columns.get(table)
        if found is None:
            names: set[str] = set()
            for index in self.conn.execute(f'PRAGMA index_list("{table}")').fetchall():
                for _, cid, name in self.conn.execute(f'PRAGMA index_info("{index[1]}")'):
                    if cid < 0:  # an expression (-2) or the rowid (-1)
                        if cid == -2:
                            names.update(columns(SYNCED[table]))
                    else:
                        names.add(str(name))
            found = self._indexed_columns[table] = frozenset(names)
        return found

    def _operator(
        self, conn: sqlite3.Connection, names: list[str], values: list[Any], key: bytes | None
    ) -> list[Any]:
        """The store's operator row as this till keeps it: the store's rights and PIN, and
        this till's own lockout count, sealed again with it. When a manager changed the
        operator on the server (PIN, rights, revocation, status) the store's lockout comes
        too (an unlock reaches the till). A row that does not match its seal on the server
        is kept as it came, so it is refused here as it is there."""
        row = dict(zip(names, values, strict=True))
        local = conn.execute(
            "SELECT role, active, pin_hash, token_generation, failed_attempts, locked_until "
            'FROM "operator" WHERE id = ?',
            (row["id"],),
        ).fetchone()
        if key is None or local is None or not seal_matches(key, _typed(row), row["row_mac"]):
            return values
        same = tuple(local[:4]) == (
            row["role"],
            row["active"],
            row["pin_hash"],
            row["token_generation"],
        )
        if not same:
            return values
        merged = {**row, "failed_attempts": local[4], "locked_until": local[5]}
        merged["row_mac"] = operator_seal(key, _typed(merged))
        return [merged[name] for name in names]

    def delete(self, table: str, row_id: int, key: str, version: int, cursor: Cursor) -> None:
        """Apply a deletion, unless the row was written again since (a newer version)."""
        if table not in PRIMARY_KEY:  # the server's word: never a table name taken blindly
            raise ValueError(f"the store sent a deletion from an unknown table {table!r}")
        pk = PRIMARY_KEY[table]
        target = key if table == "setting" else row_id
        with self.writing() as conn:
            conn.execute(
                f'DELETE FROM "{table}" WHERE "{pk}" = ? AND version <= ?', (target, version)
            )
            self.set_state(conn, "pulled:tombstone", cursor.text())

    def forget_pulls(self) -> None:
        """Pull everything again from the start (the server went back to an older state)."""
        with self.writing() as conn:
            conn.execute("DELETE FROM sync_state WHERE key LIKE 'pulled:%'")

    def newest_version(self) -> int:
        return max(self.cursor(table).version for table in (*SYNCED, "tombstone"))


def _typed(row: Mapping[str, Any]) -> dict[str, Any]:
    """An operator row with its values as the models read them (the seal is over those)."""
    out = dict(row)
    field = m.Operator._meta.fields["locked_until"]
    out["locked_until"] = field.python_value(row.get("locked_until"))
    return out


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


def issued_rows(conn: sqlite3.Connection, sale: str) -> list[dict[str, Any]]:
    """The vouchers a sale (its uuid) sold, as the server keeps them (new: balance = value)."""
    rows = conn.execute(
        "SELECT code, value, expires, sale, till, issued_at, voided FROM voucher "
        "WHERE sale = ? ORDER BY code",
        (sale,),
    ).fetchall()
    names = ("code", "value", "expires", "sale", "till", "issued_at", "voided")
    return [dict(zip(names, row, strict=True)) for row in rows]


def use_rows(conn: sqlite3.Connection, ref: str) -> list[dict[str, Any]]:
    """A sale's redemptions or a refund's restorations (``ref``: its uuid), by code."""
    rows = conn.execute(
        "SELECT v.code, u.amount, u.till, u.at, u.claimed FROM voucher_use u "
        "JOIN voucher v ON v.id = u.voucher_id WHERE u.ref = ? ORDER BY u.id",
        (ref,),
    ).fetchall()
    names = ("code", "amount", "till", "at", "claimed")
    return [dict(zip(names, row, strict=True)) for row in rows]

"""Repositories: rows in, domain objects out. Every write is one transaction.

Any database failure inside a write surfaces as :class:`pos.db.errors.StorageError`
with its root cause (not peewee's "cannot rollback"), and nothing of the write
is kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager

import peewee

from pos.db import models as m
from pos.db import product_import
from pos.db.errors import bound, is_sqlite, reading, storage_errors, writing
from pos.db.prepared import Prepared, slot
from pos.db.rows import tuples
from pos.domain.catalog import Product, ProductRow, Unit, product_row
from pos.domain.discounts import Rule
from pos.domain.rule_format import parse_rule, rule_to_json

BATCH = 500
"""Rows per INSERT statement (5 columns x 500 stays far under SQLite's variable limit)."""

_PRODUCT_FIELDS = product_import.FIELDS


def _product(row: m.Product) -> Product:
    return Product(
        row.barcode,
        row.name,
        row.price,
        row.tax_rate,
        Unit(row.unit),
        row.plu,
        row.min_age,
        bool(row.voucher),
    )


def _by_batches(key: peewee.Field, value: peewee.Field, keys: Iterable[str]) -> dict[str, str]:
    """``value`` of each product whose ``key`` (a unique column) is one of ``keys``, a
    :data:`BATCH` of keys a query (by the key's index)."""
    wanted = sorted(set(keys))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), BATCH):
        query = m.Product.select(key, value).where(key.in_(wanted[start : start + BATCH]))
        found.update(tuples(query))
    return found


class ProductRepository:
    """The catalog, looked up by its unique barcode index; nothing is preloaded."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        # every scan looks its barcode up: compiled once (pos.db.prepared)
        self._by_barcode = Prepared(
            db,
            lambda: m.Product.select(
                *(getattr(m.Product, name) for name in _PRODUCT_FIELDS), m.Product.voucher
            ).where(m.Product.barcode == slot("barcode")),
        )

    def get(self, barcode: str) -> Product | None:
        rows = self._by_barcode.run(barcode=barcode)
        if not rows:
            return None
        ((code, name, price, tax_rate, unit, plu, min_age, voucher),) = rows
        return Product(code, name, price, tax_rate, Unit(unit), plu, min_age, bool(voucher))

    @reading
    def count(self) -> int:
        return int(m.Product.select().count())

    @reading
    def names(self, barcodes: Iterable[str]) -> dict[str, str]:
        """The names of those of ``barcodes`` in the catalog, in as few queries as the
        list needs (by the barcode index)."""
        return _by_batches(m.Product.barcode, m.Product.name, barcodes)

    @reading
    def plu_owners(self, plus: Iterable[str]) -> dict[str, str]:
        """The barcode of the product that has each of ``plus`` now (those that any has),
        by the unique PLU index."""
        return _by_batches(m.Product.plu, m.Product.barcode, plus)

    @reading
    def existing(self, barcodes: Sequence[str]) -> set[str]:
        """Which of ``barcodes`` are already in the catalog (one query by the barcode
        index per chunk of them; on PostgreSQL many are sent by ``COPY`` and joined in
        one statement, :func:`pos.db.product_import.existing_by_copy`)."""
        if len(barcodes) > product_import.EXISTING_BY_COPY and not is_sqlite(self.db):
            return product_import.existing_by_copy(self.db, barcodes)
        found: set[str] = set()
        cursor = self.db.cursor()
        for start in range(0, len(barcodes), BATCH):
            chunk = barcodes[start : start + BATCH]
            marks = ", ".join([self.db.param] * len(chunk))
            query = f'SELECT "barcode" FROM "product" WHERE "barcode" IN ({marks})'
            found.update(barcode for (barcode,) in cursor.execute(query, chunk))
        return found

    def upsert_many(self, products: Iterable[Product]) -> int:
        """Insert or update products by barcode, all in one transaction; returns the count.
        A barcode given twice takes the last of its products."""
        rows = [product_row(p) for p in products]
        distinct = list({row[0]: row for row in rows}.values())
        # a PLU given twice takes the last of its products too
        owner = {row[5]: row[0] for row in distinct if row[5] is not None}
        distinct = [
            row if row[5] is None or owner[row[5]] == row[0] else (*row[:5], None, row[6])
            for row in distinct
        ]
        self.import_rows(distinct, len(distinct), plus=owner)
        return len(rows)

    def import_rows(
        self,
        rows: Iterable[ProductRow],
        count: int,
        progress: Callable[[int], None] | None = None,
        *,
        rebuild_from: int | None = None,
        also: Callable[[list[tuple[str, int, int]]], None] | None = None,
        plus: Collection[str] = (),
        keep: Collection[str] = (),
    ) -> int:
        """Insert or update ``count`` validated rows by barcode, all in one transaction;
        returns how many were in the catalog already (updated; the others are new). The
        barcodes must be distinct (the import checks that).

        How the rows go in is :mod:`pos.db.product_import`: on SQLite one prepared
        statement through ``executemany``, a plain ``INSERT`` into an empty catalog and
        ``INSERT ... ON CONFLICT (barcode) DO UPDATE`` into any other; on PostgreSQL
        ``COPY`` into a staging table and one ``INSERT ... SELECT ... ON CONFLICT``. Each
        chunk of ``WRITE_CHUNK`` rows (5,000) is reported to ``progress``. An import of at
        least ``rebuild_from`` rows (default ``REBUILD_FROM``, 50,000), and at least half
        as many as the catalog already has, drops the product table's other indexes first
        and builds them again once the rows are in, in the same transaction: sorting all
        the names once is several times faster than as many inserts at random places of
        the name index. The unique barcode index stays throughout (but on PostgreSQL, for
        such an import into an empty catalog, which builds it after the rows as well).
        Any failure rolls all of it back, the indexes with it.

        ``also`` is called in the same transaction with every price the import changed,
        ``(barcode, old, new)`` in barcode order (for the audit log), found in one
        statement (or two), never by a lookup per row (and none into an empty catalog).

        ``keep`` are the fields a product already in the catalog keeps (the file's
        columns left them out: a price file must not take an age limit or a VAT rate off).

        ``plus`` are the PLUs the rows give: any product that has one of them now loses
        it first (the caller has checked that each such product is among the rows, or the
        PLU's new owner would take it from a product the rows do not mention).

        Raises:
            StorageError: nothing was written (and every index is as it was).
        """
        return product_import.import_rows(
            self.db,
            rows,
            count,
            progress,
            rebuild_from=rebuild_from,
            also=also,
            plus=plus,
            keep=keep,
        )

    def insert_new(self, products: Iterable[Product]) -> int:
        """Insert products that are not in the catalog yet, streamed through one prepared
        statement (``executemany``) in one transaction; returns the count. The bulk path
        for generated catalogs (``pos demo-data``): a barcode already there fails the
        whole insert (StorageError, kind ``constraint``) and nothing is kept."""
        count = 0

        def rows() -> Iterator[ProductRow]:
            nonlocal count
            for product in products:
                count += 1
                yield product_row(product)

        fields = _PRODUCT_FIELDS
        with writing(self.db):
            self.db.cursor().executemany(m.insert_sql(m.Product, fields, self.db.param), rows())
        return count

    def iter_all(self) -> Iterator[Product]:
        """Every product in barcode order, streamed (not loaded at once)."""
        with bound(self.db), storage_errors():
            query = m.Product.select().order_by(m.Product.barcode)
            for row in query.iterator():
                yield _product(row)


class SettingsRepository:
    """Store-wide settings as text key/value pairs."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db

    @reading
    def get(self, key: str, default: str) -> str:
        row = m.Setting.get_or_none(m.Setting.key == key)
        return default if row is None else row.value

    @reading
    def all(self) -> dict[str, str]:
        return {row.key: row.value for row in m.Setting.select().order_by(m.Setting.key)}

    def stamp(self) -> tuple[int, ...]:
        """A mark that changes when the settings may have changed, cheap enough to ask
        every second. A SQLite file: ``PRAGMA data_version`` (no table is read), which
        changes when another connection commits (the sync worker, ``pos settings set``
        in another process), never for this connection's own commits (the till's scans).
        A server: the settings' row count and newest version (its trigger stamps every
        write), one small query.

        Raises:
            StorageError: the database cannot be read now.
        """
        with storage_errors():
            if is_sqlite(self.db):
                conn = self.db.connection()
                (version,) = conn.execute("PRAGMA data_version").fetchone()
                return (id(conn), int(version))
            row = self.db.execute_sql('SELECT count(*), max("version") FROM "setting"').fetchone()
        return (int(row[0]), int(row[1] or 0))

    def set(self, key: str, value: str) -> None:
        with writing(self.db):
            m.Setting.insert(key=key, value=value).on_conflict(
                conflict_target=[m.Setting.key], update={m.Setting.value: value}
            ).execute()

    def change(
        self, key: str, value: str, also: Callable[[str | None], object] | None = None
    ) -> str | None:
        """Set ``key``; returns the value it had (None: unset). ``also`` gets that value
        inside the same transaction (its audit entry commits with the change, or neither)."""
        with writing(self.db):
            row = m.Setting.get_or_none(m.Setting.key == key)
            old = None if row is None else str(row.value)
            self.set(key, value)
            if also is not None:
                also(old)
        return old


RULES_VERSION_KEY = "rules_version"

_CONDITION_KEYS = (
    "items",
    "any_of",
    "count",
    "min_subtotal",
    "coupon",  # issue 22: kept with the conditions, no column of their own
    "max_uses",
    "max_uses_per_sale",
)
_REWARD_KEYS = ("price", "free", "percent", "amount")


def _rule_row(rule: Rule) -> dict[str, object]:
    data = rule_to_json(rule)
    return {
        "name": rule.name,
        "kind": rule.kind,
        "conditions": json.dumps({k: data[k] for k in _CONDITION_KEYS if k in data}),
        "reward": json.dumps({k: data[k] for k in _REWARD_KEYS if k in data}),
        "exclusive": int(rule.exclusive),
        "priority": rule.priority,
        "rule_group": rule.group,
        "starts_at": data.get("starts_at"),
        "ends_at": data.get("ends_at"),
        "weekdays": json.dumps(data["weekdays"]) if "weekdays" in data else None,
        "hours": data.get("hours"),
        "active": int(rule.active),
    }


def _rule(row: m.DiscountRule) -> Rule:
    data: dict[str, object] = {
        "name": row.name,
        "kind": row.kind,
        **json.loads(row.conditions),
        **json.loads(row.reward),
        "exclusive": bool(row.exclusive),
        "priority": row.priority,
        "active": bool(row.active),
    }
    for key, value in (
        ("group", row.rule_group),
        ("starts_at", row.starts_at),
        ("ends_at", row.ends_at),
        ("hours", row.hours),
    ):
        if value is not None:
            data[key] = value
    if row.weekdays is not None:
        data["weekdays"] = json.loads(row.weekdays)
    # Stored rules were validated on the way in; products are not re-checked here, so a
    # rule whose product has left the catalog still loads (it just never matches).
    return parse_rule(data)


def owning_store(db: peewee.Database) -> str | None:
    """The store whose server a till file's catalog, rules, operators and settings come from
    (its URL without the password; issue 19), or None for a till of its own. Changes to
    those are made on the store: made in the till's file, the next pull would undo them."""
    if not is_sqlite(db):
        return None
    try:
        row = db.execute_sql("SELECT value FROM sync_state WHERE key = 'store'").fetchone()
    except peewee.DatabaseError:
        return None  # a file from before stores
    return None if row is None else str(row[0])


def owning_till(db: peewee.Database) -> str | None:
    """The till a store's till file is (its own sales are the only ones it reports), or
    None for a database of its own (one or several tills on it)."""
    if owning_store(db) is None:
        return None
    row = db.execute_sql("SELECT value FROM sync_state WHERE key = 'till'").fetchone()
    return None if row is None else str(row[0])


def store_owned_message(store: str, what: str) -> str:
    """What a change to ``what`` on a store's till says (nothing was changed)."""
    return (
        f"Not changed: this till's {what} come from its store ({store}). Change them there "
        f"(pos ... --db with the store's URL); a change made here would be undone by the next sync."
    )


class DiscountRepository:
    """Discount rules, keyed by their unique name."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        # asked before every re-price: compiled once (pos.db.prepared)
        self._version = Prepared(
            db, lambda: m.Setting.select(m.Setting.value).where(m.Setting.key == RULES_VERSION_KEY)
        )

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction around a rule change and its audit entries."""
        return writing(self.db)

    def owning_store(self) -> str | None:
        """The store the rules come from (:func:`owning_store`), or None."""
        return owning_store(self.db)

    @reading
    def all(self) -> list[Rule]:
        """Every rule, active or not, by name."""
        return [_rule(row) for row in m.DiscountRule.select().order_by(m.DiscountRule.name)]

    @reading
    def names(self) -> set[str]:
        return {name for (name,) in tuples(m.DiscountRule.select(m.DiscountRule.name))}

    @reading
    def get(self, name: str) -> Rule | None:
        """The rule with this name, whatever its case."""
        row = m.DiscountRule.get_or_none(peewee.fn.LOWER(m.DiscountRule.name) == name.lower())
        return None if row is None else _rule(row)

    def save(self, rule: Rule, replacing: str | None = None) -> None:
        """Store one rule: a new one, or in place of ``replacing`` (its old name, which
        may differ: a rename). Call inside :meth:`transaction` with its audit entry."""
        with writing(self.db):
            row = _rule_row(rule)
            old = replacing if replacing is not None else rule.name
            same = m.DiscountRule.get_or_none(peewee.fn.LOWER(m.DiscountRule.name) == old.lower())
            if same is None:
                m.DiscountRule.insert(**row).execute()
            else:
                m.DiscountRule.update(**row).where(m.DiscountRule.id == same.id).execute()
            self._bump()

    def delete(self, name: str) -> bool:
        """Remove a rule; False if there was none by that name."""
        with writing(self.db):
            gone = (
                m.DiscountRule.delete()
                .where(peewee.fn.LOWER(m.DiscountRule.name) == name.lower())
                .execute()
            )
            if gone:
                self._bump()
            return bool(gone)

    @reading
    def version(self) -> int:
        """A number that changes whenever any rule changes (for open carts to notice)."""
        rows = self._version.run()
        return int(rows[0][0]) if rows else 0

    def upsert_many(self, rules: Iterable[Rule]) -> None:
        """Insert or update rules by name (names match whatever their case, as in the rule
        file), in one transaction with the version bump."""
        with writing(self.db):
            for rule in rules:
                row = _rule_row(rule)
                same = m.DiscountRule.get_or_none(
                    peewee.fn.LOWER(m.DiscountRule.name) == rule.name.lower()
                )
                if same is None:
                    m.DiscountRule.insert(**row).execute()
                else:
                    m.DiscountRule.update(**row).where(m.DiscountRule.id == same.id).execute()
            self._bump()

    def _bump(self) -> None:
        # one statement that adds one to what is stored: two tills saving rules at once
        # (PostgreSQL) each get their own version, never the same one twice
        bumped = (m.Setting.value.cast("INTEGER") + 1).cast("TEXT")
        m.Setting.insert(key=RULES_VERSION_KEY, value="1").on_conflict(
            conflict_target=[m.Setting.key], update={m.Setting.value: bumped}
        ).execute()


class TillDirectory:
    """The names of the tills that work on this database (each has carts, receipt
    numbers or trading days). Kept in memory and read again only for a name it does not
    know yet: a new till is found at its first token, a known one costs no query."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self._names: frozenset[str] = frozenset()

    @reading
    def _load(self) -> frozenset[str]:
        query = (
            m.Cart.select(m.Cart.till)
            | m.TillCounter.select(m.TillCounter.till)
            | m.TillDay.select(m.TillDay.till)
        )
        return frozenset(till for (till,) in tuples(query))

    def has(self, name: str) -> bool:
        if name not in self._names:
            self._names = self._load()
        return name in self._names

"""How a catalog import's validated rows get into the product table: one transaction,
the fastest way each database has.

* SQLite: one prepared statement through ``executemany``, :data:`WRITE_CHUNK` rows a
  call. Into an empty catalog it is a plain ``INSERT`` (the barcodes are distinct, so
  nothing can conflict); otherwise ``INSERT ... ON CONFLICT (barcode) DO UPDATE``.
* PostgreSQL: the rows are streamed by ``COPY`` into a temporary staging table, then
  merged by one ``INSERT ... SELECT ... ON CONFLICT (barcode) DO UPDATE``: the server
  runs one statement over a million rows instead of a million statements. Into an empty
  catalog they are streamed by ``COPY`` straight into it, and a large one builds the
  unique barcode index after the rows too. The product table is locked against other
  writers (not readers) for the import.

On both, a large import drops the product table's secondary indexes (the name index; on
PostgreSQL the search index too) and builds them again once the rows are in. (Even for
names that arrive in order, which go into the name index next to each other, building it
once at the end measured no slower, and faster in CPU time.) The search index is built
after the commit, on both: on PostgreSQL ``CONCURRENTLY``; on SQLite the import drops the
index's triggers and marks it stale, and rebuilds it once (FTS5's ``rebuild``) in a
transaction of its own right after, instead of indexing each row as it is written
(:mod:`pos.db.product_search`). The rows, and every other index, are there for the
scanner and the tills from the commit; only a search by name waits for the rebuild.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import islice
from typing import Any

import peewee

from pos.db import models as m
from pos.db import product_search
from pos.db.dialect import dialect
from pos.db.errors import StorageError, is_sqlite, writing
from pos.domain.catalog import ProductRow

log = logging.getLogger(__name__)

WRITE_CHUNK = 5_000
"""Rows per ``executemany`` call (SQLite) or per progress step of the ``COPY``."""
REBUILD_FROM = 50_000
"""Imports of at least this many rows may rebuild the product table's secondary indexes."""
FIELDS = ("barcode", "name", "price", "tax_rate", "unit", "plu", "min_age")
"""The product columns an import writes, in the order of a :data:`ProductRow`."""
STAGING = "pos_import_staging"
"""The temporary table a PostgreSQL import copies its rows into."""
EXISTING_BY_COPY = 5_000
"""On PostgreSQL, more barcodes than this are looked up by ``COPY`` and one join (a dry
run of a large file), not 500 at a time."""

PriceChanges = Callable[[list[tuple[str, int, int]]], None]


def import_rows(
    db: peewee.Database,
    rows: Iterable[ProductRow],
    count: int,
    progress: Callable[[int], None] | None = None,
    *,
    rebuild_from: int | None = None,
    also: PriceChanges | None = None,
    plus: Collection[str] = (),
    keep: Collection[str] = (),
) -> int:
    """Insert or update ``count`` rows with distinct barcodes, all in one transaction;
    returns how many were in the catalog already. A product already there keeps its
    values of the fields in ``keep`` (columns the file left out). See
    :meth:`pos.db.repositories.ProductRepository.import_rows`."""
    threshold = REBUILD_FROM if rebuild_from is None else rebuild_from
    alone = not db.in_transaction()  # a caller's longer one (pos init --demo) holds it all
    with writing(db):
        cursor = db.cursor()
        sqlite = is_sqlite(db)
        if not sqlite:
            # one import at a time (SQLite's write lock, taken at BEGIN, already does):
            # the count below holds until the merge. Reads (a till's scans) go on.
            cursor.execute('LOCK TABLE "product" IN SHARE ROW EXCLUSIVE MODE')
        before = _count(cursor)
        if before and plus:
            _release_plus(db, cursor, plus)
        rebuild = count >= threshold and 2 * count >= before
        later: list[str] = []
        if sqlite:
            _into_sqlite(
                db, cursor, iter(rows), count, before, rebuild, progress, also, keep, alone
            )
        else:
            later = _into_server(
                db, cursor, iter(rows), count, before, rebuild, progress, also, keep
            )
        updated = count - (_count(cursor) - before) if before else 0
    # committed: the rows are in; their search index follows
    for statement in later:
        product_search.build_concurrently(db, statement)
    if sqlite:
        try:  # this import's, or one an earlier import left stale
            product_search.ensure_search_index(db)
        except StorageError as exc:  # the rows are saved: the next search rebuilds it
            log.warning("search index left to rebuild after the import: %s", exc)
    else:
        product_search.ensure_search_index(db)  # one an earlier import left unbuilt
    return updated  # each row either added one or updated one


def _release_plus(db: peewee.Database, cursor: Any, plus: Collection[str]) -> None:
    """Take ``plus`` off the products that have them now: the rows about to be written
    give each its owner (PLUs are unique, checked a row at a time, so two products that
    swap theirs would clash half way through the write)."""
    wanted = sorted(plus)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join([db.param] * len(chunk))
        cursor.execute(f'UPDATE "product" SET "plu" = NULL WHERE "plu" IN ({marks})', chunk)


def _count(cursor: Any) -> int:
    return int(cursor.execute('SELECT COUNT(*) FROM "product"').fetchone()[0])


def _into_sqlite(
    db: peewee.Database,
    cursor: Any,
    source: Iterable[ProductRow],
    count: int,
    before: int,
    rebuild: bool,
    progress: Callable[[int], None] | None,
    also: PriceChanges | None,
    keep: Collection[str] = (),
    alone: bool = True,
) -> None:
    """``executemany`` a chunk at a time; the prices kept aside in one statement before
    and compared in one join after, for ``also``. A large import leaves the search index
    marked stale, to be rebuilt after the commit, when the transaction is its own
    (``alone``); inside a caller's, it rebuilds it in it (no one sees the gap)."""
    compare = also is not None and before > 0
    if compare:
        cursor.execute(
            'CREATE TEMPORARY TABLE "pos_old_price" AS SELECT "barcode", "price" FROM "product"'
        )
    if before:
        sql = m.upsert_sql(m.Product, FIELDS, "barcode", db.param, keep)
    else:
        sql = m.insert_sql(m.Product, FIELDS, db.param)
    rebuilt = []
    if rebuild:
        rebuilt = dialect(db).drop_secondary_indexes(db, m.Product._meta.table_name)
        product_search.suspend(cursor)
    for start in range(0, count, WRITE_CHUNK):
        size = min(WRITE_CHUNK, count - start)
        cursor.executemany(sql, islice(source, size))
        if progress is not None:
            progress(size)
    for statement in rebuilt:
        cursor.execute(statement)
    if rebuild and not alone:
        product_search.restore(cursor)
    if also is None:
        return
    changed: list[tuple[str, int, int]] = []
    if compare:
        changed = cursor.execute(
            'SELECT p."barcode", o."price", p."price" FROM "product" p '
            'JOIN "pos_old_price" o ON o."barcode" = p."barcode" '
            'WHERE p."price" <> o."price" ORDER BY p."barcode"'
        ).fetchall()
        cursor.execute('DROP TABLE "pos_old_price"')
    also([(str(b), int(old), int(new)) for b, old, new in changed])


def merge_sql(
    fields: Sequence[str], key: str, constants: Sequence[str] = (), keep: Collection[str] = ()
) -> str:
    """The one statement that merges the staging table into ``product``: every staged
    row inserted, or (its ``key`` already there) the product's other ``fields`` updated.

    ``constants`` are more columns, each set to one value for every row (a ``%s``
    parameter apiece, in that order): written and updated alike, as a per-import
    ``version`` column would be.
    """
    columns = m.Product._meta.fields
    names = [columns[name].column_name for name in fields]
    target = columns[key].column_name
    chosen = [f's."{name}"' for name in names] + ["%s"] * len(constants)
    written = [*names, *constants]
    kept = {columns[name].column_name for name in keep}
    updated = [name for name in written if name != target and name not in kept]
    into = ", ".join(f'"{name}"' for name in written)
    insert = f'INSERT INTO "product" ({into}) SELECT {", ".join(chosen)} FROM "{STAGING}" s'
    sets = ", ".join(f'"{name}" = excluded."{name}"' for name in updated)
    return f'{insert} ON CONFLICT ("{target}") DO UPDATE SET {sets}'


def _into_server(
    db: peewee.Database,
    cursor: Any,
    source: Iterable[ProductRow],
    count: int,
    before: int,
    rebuild: bool,
    progress: Callable[[int], None] | None,
    also: PriceChanges | None,
    keep: Collection[str] = (),
) -> list[str]:
    """``COPY`` into a staging table, then one merge; the changed prices for ``also``
    are one join of the staging table with the catalog, before the merge. Into an empty
    catalog: ``COPY`` straight into it (:func:`_copy_into_empty`).

    Returns the statements of the indexes to build once the transaction has committed:
    a large import's search index (its GIN build, 7 s a million names, would halve the
    import's rate; built ``CONCURRENTLY`` after, the catalog is never without it for
    anyone reading, only slower to search for those seconds)."""
    if not before:
        later = _copy_into_empty(db, cursor, source, count, rebuild, progress)
        if also is not None:
            also([])
        return later
    columns = ", ".join(f'"{m.Product._meta.fields[name].column_name}"' for name in FIELDS)
    # the product columns' own types (and collation), none of their constraints: those
    # are checked where the rows land, by the merge
    cursor.execute(
        f'CREATE TEMPORARY TABLE "{STAGING}" ON COMMIT DROP AS '
        f'SELECT {columns} FROM "product" WITH NO DATA'
    )
    with cursor.copy(f'COPY "{STAGING}" ({columns}) FROM STDIN') as copy:
        for start in range(0, count, WRITE_CHUNK):
            size = min(WRITE_CHUNK, count - start)
            for row in islice(source, size):
                copy.write_row(row)
            if progress is not None:
                progress(size)
    changed: list[tuple[str, int, int]] = []
    if also is not None and before > 0:
        changed = cursor.execute(
            'SELECT s."barcode", p."price", s."price" FROM "product" p '
            f'JOIN "{STAGING}" s ON s."barcode" = p."barcode" '
            'WHERE p."price" <> s."price" ORDER BY s."barcode"'
        ).fetchall()
    rebuilt = []
    if rebuild:
        rebuilt = dialect(db).drop_secondary_indexes(db, m.Product._meta.table_name)
    merge = merge_sql(FIELDS, "barcode", ("version",), keep)
    cursor.execute(merge, (_change_version(cursor),))
    now, later = product_search.split_search_index(rebuilt)
    for statement in now:
        cursor.execute(statement)
    cursor.execute(f'DROP TABLE "{STAGING}"')  # not only at COMMIT: inside a longer one
    if also is not None:
        also([(str(b), int(old), int(new)) for b, old, new in changed])
    return later


def _change_version(cursor: Any) -> int:
    """The store's change version of this import (pos.db.migrations.v12_store_sync), taken
    once and written into every row: the version trigger then has nothing to do per row."""
    cursor.execute("SELECT pos_change_version()")
    (version,) = cursor.fetchone()
    return int(version)


def _copy_into_empty(
    db: peewee.Database,
    cursor: Any,
    source: Iterable[ProductRow],
    count: int,
    rebuild: bool,
    progress: Callable[[int], None] | None,
) -> list[str]:
    """``COPY`` the rows straight into an empty (and locked) catalog: no staging table
    and no merge, as nothing can conflict (the barcodes are distinct). A large import
    drops every index but the primary key first, the unique barcode one too, and builds
    them once after: one sort each instead of a million index inserts. (Through a staging
    table and ``INSERT ... SELECT`` the same 1,000,000 rows took twice as long.)"""
    rebuilt = []
    if rebuild:
        rebuilt = dialect(db).drop_secondary_indexes(db, m.Product._meta.table_name, unique=True)
    version = _change_version(cursor)
    fields = m.Product._meta.fields
    columns = ", ".join(f'"{fields[name].column_name}"' for name in (*FIELDS, "version"))
    with cursor.copy(f'COPY "product" ({columns}) FROM STDIN') as copy:
        for start in range(0, count, WRITE_CHUNK):
            size = min(WRITE_CHUNK, count - start)
            for row in islice(source, size):
                copy.write_row((*row, version))
            if progress is not None:
                progress(size)
    now, later = product_search.split_search_index(rebuilt)
    for statement in now:
        cursor.execute(statement)
    return later


def existing_by_copy(db: peewee.Database, barcodes: Iterable[str]) -> set[str]:
    """Which of ``barcodes`` are in the catalog, on PostgreSQL: ``COPY`` into a temporary
    table and one join, one round trip for the lot instead of one per 500 (2,000 for a
    dry run of a million rows)."""
    wanted = "pos_import_wanted"
    with writing(db):  # a temporary table lives in a transaction; nothing else is written
        cursor = db.cursor()
        cursor.execute(
            f'CREATE TEMPORARY TABLE "{wanted}" ON COMMIT DROP AS '
            'SELECT "barcode" FROM "product" WITH NO DATA'
        )
        with cursor.copy(f'COPY "{wanted}" ("barcode") FROM STDIN') as copy:
            for code in barcodes:
                copy.write_row((code,))
        found = cursor.execute(
            f'SELECT w."barcode" FROM "{wanted}" w JOIN "product" p ON p."barcode" = w."barcode"'
        ).fetchall()
        cursor.execute(f'DROP TABLE "{wanted}"')
    return {str(code) for (code,) in found}

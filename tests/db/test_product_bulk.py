"""ProductRepository.import_rows, the catalog import's write: one transaction, one prepared
upsert through executemany, and for a large import the secondary indexes dropped and built
again, which must leave the same indexes whether the import succeeds or fails."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from stdnum import ean

from pos.db.database import Database, open_database
from pos.db.errors import StorageError, is_sqlite
from pos.db.integrity import integrity_check
from pos.db.product_import import FIELDS, merge_sql
from pos.db.product_search import ProductSearch
from pos.db.repositories import ProductRepository
from pos.domain.catalog import ProductRow
from pos.services.search import CatalogSearch
from tests.dbtools import indexes, name_index_plan

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

NEVER = 10**9
"""A ``rebuild_from`` no import reaches: the indexes are kept as they are."""


@pytest.fixture
def db(empty_db: Path) -> Iterator[Database]:
    database = open_database(empty_db)
    yield database
    database.close()


def _rows(count: int, start: int = 0, name: str = "Item") -> list[ProductRow]:
    rows = []
    for n in range(start, start + count):
        body = f"50{n:010d}"
        code = body + ean.calc_check_digit(body)
        rows.append((code, f"{name} {n}", 100 + n, 2000, "each", None, None))
    return rows


def _indexes(db: Database) -> dict[str, str]:
    return indexes(db, "product")


def _traced(db: Database) -> list[str] | None:
    """Every statement the connection runs from now on (SQLite's trace; None on a
    server, where only the outcome is checked)."""
    if not is_sqlite(db):
        return None
    statements: list[str] = []
    db.connection().set_trace_callback(statements.append)
    return statements


def _search_plan(db: Database) -> str:
    return name_index_plan(db, "item 1")


def _catalog(db: Database) -> list[tuple[object, ...]]:
    return db.execute_sql("SELECT * FROM product ORDER BY id").fetchall()


_UNIQUE = {"product_barcode", "product_plu"}
"""The unique indexes, which every import keeps (but one into an empty catalog on a server)."""


def _secondary(backend: str) -> set[str]:
    """The indexes a large import drops and makes again: the name index, and on a store's
    server the one the tills pull changes by (version, id) and the search index (on a
    till's file that is an FTS5 table, rebuilt too: tests/db/test_product_search.py)."""
    server = {"product_changes", "product_search"} if backend == "postgresql" else set()
    return {"product_name_nocase"} | server


def test_the_schema_has_a_name_index_to_rebuild(db: Database, backend: str) -> None:
    """The case the rebuild exists for (if the schema changes, so must these tests)."""
    assert set(_indexes(db)) == _UNIQUE | _secondary(backend)


def test_a_large_import_rebuilds_the_name_index(db: Database, backend: str) -> None:
    before = _indexes(db)
    statements = _traced(db)
    rows = _rows(300)
    assert ProductRepository(db).import_rows(rows, len(rows), rebuild_from=100) == 0
    if statements is not None:
        drops = [s for s in statements if s.startswith("DROP INDEX")]
        # never the unique barcode index
        assert set(drops) == {f'DROP INDEX "{name}"' for name in _secondary(backend)}
        assert before["product_name_nocase"] in statements  # created again with its own SQL
    assert _indexes(db) == before
    assert integrity_check(db) == ["ok"]
    assert "product_name_nocase" in _search_plan(db)
    found = CatalogSearch(ProductRepository(db), ProductSearch(db)).find("item 10", limit=3)
    assert [p.name for p in found] == ["Item 10", "Item 100", "Item 101"]
    assert ProductRepository(db).count() == 300


def test_a_small_import_into_a_large_catalog_keeps_the_indexes(db: Database) -> None:
    repo = ProductRepository(db)
    repo.import_rows(_rows(1_000), 1_000, rebuild_from=100)
    statements = _traced(db)
    rows = _rows(200, start=5_000)  # as many as rebuild_from, but a fifth of the catalog
    assert repo.import_rows(rows, len(rows), rebuild_from=100) == 0
    assert statements is None or not [s for s in statements if "INDEX" in s]
    assert repo.count() == 1_200
    assert "product_name_nocase" in _search_plan(db)


@pytest.mark.parametrize("rebuild_from", [1, NEVER])
def test_new_and_updated_rows_are_counted_and_updates_keep_the_row(
    db: Database, rebuild_from: int, backend: str
) -> None:
    repo = ProductRepository(db)
    assert repo.import_rows(_rows(50), 50, rebuild_from=rebuild_from) == 0
    ids = dict(db.execute_sql("SELECT barcode, id FROM product").fetchall())
    changed = _rows(20, start=40, name="Renamed")  # 40-49 are there, 50-59 are new
    assert repo.import_rows(changed, 20, rebuild_from=rebuild_from) == 10
    assert repo.count() == 60
    again = dict(db.execute_sql("SELECT barcode, id FROM product").fetchall())
    assert all(again[code] == ids[code] for code in ids)  # an update is not a new row
    renamed = repo.get(changed[0][0])
    assert renamed is not None
    assert (renamed.name, renamed.price) == ("Renamed 40", 140)
    kept = repo.get(_rows(1, start=39)[0][0])
    assert kept is not None
    assert kept.name == "Item 39"
    assert _indexes(db).keys() == _UNIQUE | _secondary(backend)


def test_progress_counts_the_rows_written(db: Database) -> None:
    seen: list[int] = []
    ProductRepository(db).import_rows(_rows(12_000), 12_000, seen.append, rebuild_from=1)
    assert sum(seen) == 12_000
    assert len(seen) == 3  # one call per executemany chunk


@pytest.mark.parametrize("rebuild_from", [1, NEVER])
def test_a_failed_import_leaves_the_catalog_and_its_indexes(
    db: Database, rebuild_from: int
) -> None:
    repo = ProductRepository(db)
    repo.import_rows(_rows(30), 30, rebuild_from=NEVER)
    before, catalog = _indexes(db), _catalog(db)
    rows = _rows(40, start=10, name="Changed")
    rows[-1] = (rows[-1][0], "Bad", -1, 0, "each", None, None)  # breaks the price CHECK, at the end
    with pytest.raises(StorageError) as info:
        repo.import_rows(rows, len(rows), rebuild_from=rebuild_from)
    assert info.value.kind == "constraint"
    assert _catalog(db) == catalog
    assert _indexes(db) == before
    assert integrity_check(db) == ["ok"]
    assert "product_name_nocase" in _search_plan(db)


@pytest.mark.parametrize("rebuild_from", [1, NEVER])
def test_a_failed_import_into_an_empty_catalog_leaves_it_empty(
    db: Database, rebuild_from: int
) -> None:
    """On a server the rows go straight into the empty table by COPY (no staging table):
    a bad row at the end undoes them all, and the dropped indexes come back."""
    before = _indexes(db)
    rows = _rows(40)
    rows[-1] = (rows[-1][0], "Bad", -1, 0, "each", None, None)  # breaks the price CHECK, at the end
    with pytest.raises(StorageError) as info:
        ProductRepository(db).import_rows(rows, len(rows), rebuild_from=rebuild_from)
    assert info.value.kind == "constraint"
    assert _catalog(db) == []
    assert _indexes(db) == before
    assert integrity_check(db) == ["ok"]


def test_an_import_into_an_empty_catalog_is_one_change_for_the_tills(
    db: Database, backend: str
) -> None:
    """On a store's server every row of one import carries that import's change version
    (what the tills pull by), the same whichever way the rows went in."""
    repo = ProductRepository(db)

    def versions(name: str = "") -> set[int]:
        found = db.execute_sql(
            f"SELECT DISTINCT version FROM product WHERE name LIKE {db.param}", (name + "%",)
        ).fetchall()
        return {int(v) for (v,) in found}

    repo.import_rows(_rows(300), 300, rebuild_from=100)
    first = versions()
    if backend == "sqlite":
        assert first == {0}  # a till's file: the store's versions are not its own
        return
    assert len(first) == 1
    assert min(first) > 0
    repo.import_rows(_rows(10, start=295, name="Again"), 10)  # 5 updated, 5 new: a merge
    again = versions("Again")
    assert len(again) == 1
    assert min(again) > min(first)


@pytest.mark.sqlite_only  # refused through SQLite's authorizer
def test_a_rebuild_that_fails_leaves_the_old_index(db: Database) -> None:
    """The index build itself fails (refused here): the drop is undone with the rows."""
    repo = ProductRepository(db)
    repo.import_rows(_rows(30), 30, rebuild_from=NEVER)
    before, catalog = _indexes(db), _catalog(db)

    def no_new_indexes(action: int, *_: object) -> int:
        return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_CREATE_INDEX else sqlite3.SQLITE_OK

    db.connection().set_authorizer(no_new_indexes)
    try:
        with pytest.raises(StorageError):
            repo.import_rows(_rows(100, start=1_000), 100, rebuild_from=1)
    finally:
        db.connection().set_authorizer(None)
    assert _catalog(db) == catalog
    assert _indexes(db) == before
    assert integrity_check(db) == ["ok"]


@pytest.mark.sqlite_only  # a full disk made by SQLite's page limit
def test_disk_full_during_a_rebuilding_import(db: Database) -> None:
    repo = ProductRepository(db)
    repo.import_rows(_rows(30), 30, rebuild_from=NEVER)
    before, catalog = _indexes(db), _catalog(db)
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages + 20}")
    rows = [
        (code, name + " " + "x" * 100, price, rate, unit, plu, age)
        for code, name, price, rate, unit, plu, age in _rows(5_000, start=100)
    ]
    with pytest.raises(StorageError) as info:
        repo.import_rows(rows, len(rows), rebuild_from=1)
    assert info.value.kind == "full"
    assert _catalog(db) == catalog
    assert _indexes(db) == before
    assert integrity_check(db) == ["ok"]


def test_existing_finds_the_barcodes_in_the_catalog(db: Database) -> None:
    repo = ProductRepository(db)
    repo.import_rows(_rows(1_200), 1_200)
    wanted = [row[0] for row in _rows(1_000, start=700)]  # 500 there, 500 not; 2 chunks+
    assert repo.existing(wanted) == set(wanted[:500])
    assert repo.existing([]) == set()


def test_into_an_empty_catalog_the_rows_go_in_by_a_plain_insert(db: Database) -> None:
    """Nothing can conflict (the barcodes are distinct): no conflict check per row."""
    statements = _traced(db)
    repo = ProductRepository(db)
    assert repo.import_rows(_rows(20), 20) == 0
    if statements is not None:
        inserts = [s for s in statements if s.startswith("INSERT")]
        assert inserts
        assert not [s for s in inserts if "ON CONFLICT" in s]
        statements.clear()
    assert repo.import_rows(_rows(20, start=10, name="Renamed"), 20) == 10
    if statements is not None:
        assert [s for s in statements if s.startswith("INSERT")]
        assert all("ON CONFLICT" in s for s in statements if s.startswith("INSERT"))
    renamed = repo.get(_rows(1, start=15)[0][0])
    assert renamed is not None
    assert renamed.name == "Renamed 15"
    assert repo.count() == 30


def test_the_merge_can_set_one_more_column_to_one_value() -> None:
    """A column set once per import (a catalog version) is one more name."""
    sql = merge_sql(FIELDS, "barcode", ("version",))
    assert sql.startswith(
        'INSERT INTO "product" ("barcode", "name", "price", "tax_rate", "unit", "plu", '
        '"min_age", "version") SELECT s."barcode", s."name", s."price", s."tax_rate", '
        's."unit", s."plu", s."min_age", %s FROM'
    )
    assert sql.endswith('"min_age" = excluded."min_age", "version" = excluded."version"')


def test_many_barcodes_are_looked_up_in_one_go(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL (a dry run of a large file) by COPY and one join: the same answer."""
    monkeypatch.setattr("pos.db.product_import.EXISTING_BY_COPY", 10)
    repo = ProductRepository(db)
    repo.import_rows(_rows(1_200), 1_200)
    wanted = [row[0] for row in _rows(1_000, start=700)]
    assert repo.existing(wanted) == set(wanted[:500])
    assert repo.existing(wanted[500:]) == set()
    assert repo.count() == 1_200

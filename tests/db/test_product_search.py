"""The catalog search on its index (SQLite FTS5 on a till's file, a GIN full-text index on
a store's server): the same results on both, kept right by every write of the catalog."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from stdnum import ean

from pos.db import product_search
from pos.db.database import Database, open_database
from pos.db.errors import is_sqlite
from pos.db.product_search import ProductSearch
from pos.db.repositories import ProductRepository
from pos.domain.catalog import Product, Unit
from pos.domain.search import SearchError
from pos.services.catalog import CatalogService
from pos.services.search import CatalogSearch, Results
from tests.dbtools import indexes

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


def _code(n: int) -> str:
    body = f"50{n:010d}"
    return body + ean.calc_check_digit(body)


NAMES = [
    "Semi-skimmed milk 2 pt",
    "Whole milk 4 pints",
    "Milk chocolate bar 100g",
    "Crème fraîche 300ml",
    "Bananas loose",
    "Organic bananas",
    "Chopped tomatoes 400g",
    "Cola zero 1.5L",
    "Smørrebrød kit",
    "Children's toothbrush",
]
BANANAS, ORGANIC = _code(4), _code(5)


@pytest.fixture
def db(empty_db: Path) -> Iterator[Database]:
    database = open_database(empty_db)
    repo = ProductRepository(database)
    products = [Product(_code(n), name, 100 + n) for n, name in enumerate(NAMES)]
    products[4] = Product(BANANAS, "Bananas loose", 85, unit=Unit.KG, plu="4011")
    products[5] = Product(ORGANIC, "Organic bananas", 110, unit=Unit.KG, plu="94011")
    repo.upsert_many(products)
    yield database
    database.close()


def _search(db: Database) -> CatalogSearch:
    return CatalogSearch(ProductRepository(db), ProductSearch(db))


def _names(results: Results) -> list[str]:
    return [found.name for found in results]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sem sk", ["Semi-skimmed milk 2 pt"]),
        ("SK SEM", ["Semi-skimmed milk 2 pt"]),  # any order, any case
        ("creme", ["Crème fraîche 300ml"]),  # accents folded
        ("CRÈME fraî", ["Crème fraîche 300ml"]),
        ("m", ["Milk chocolate bar 100g", "Semi-skimmed milk 2 pt", "Whole milk 4 pints"]),
        ("milk", ["Milk chocolate bar 100g", "Semi-skimmed milk 2 pt", "Whole milk 4 pints"]),
        ("milk pi", ["Whole milk 4 pints"]),
        ("bananas", ["Bananas loose", "Organic bananas"]),
        ("1.5l", ["Cola zero 1.5L"]),
        ("5l cola", ["Cola zero 1.5L"]),
        ("smørre", ["Smørrebrød kit"]),
        ("children's", ["Children's toothbrush"]),
        ("400", ["Chopped tomatoes 400g"]),
        ("bread", []),
        ("milk bananas", []),  # every word must match
    ],
)
def test_words_in_any_order_case_and_accents(db: Database, typed: str, expected: list[str]) -> None:
    assert _names(_search(db).find(typed)) == expected


@pytest.mark.parametrize(
    "typed",
    [
        'milk"',
        'milk" OR "bananas',
        "milk AND",
        "NEAR(milk bananas)",
        "milk*",
        "-milk",
        "name:milk",
        "^milk",
        "milk +",
        "(milk",
        "milk)",
        "milk:*",
        "milk & bananas",
        "milk | !x",
        "milk '",
    ],
)
def test_index_syntax_typed_is_only_words(db: Database, typed: str) -> None:
    """Nothing typed is the index's syntax: no error, and at most the words' products."""
    found = _names(_search(db).find(typed))
    assert set(found) <= {"Milk chocolate bar 100g", "Semi-skimmed milk 2 pt", "Whole milk 4 pints"}


def test_a_plu_or_a_barcode_typed_whole_comes_first(db: Database) -> None:
    search = _search(db)
    results = search.find("4011")
    assert [(f.barcode, f.match, f.plu) for f in results] == [(BANANAS, "plu", "4011")]
    assert [f.match for f in search.find("94011")] == ["plu"]
    assert search.find("4012").found == ()
    # a barcode: first, then products whose names have it (none here)
    assert [(f.barcode, f.match) for f in search.find(_code(0))] == [(_code(0), "barcode")]
    assert search.find(_code(0)[:-1] + "0").found == ()  # a bad check digit: no product


def test_a_plu_first_then_names_with_the_digits(db: Database) -> None:
    repo = ProductRepository(db)
    repo.upsert_many([Product(_code(20), "Tea 4011 blend", 300)])
    results = _search(db).find("4011")
    assert [(f.name, f.match) for f in results] == [
        ("Bananas loose", "plu"),
        ("Tea 4011 blend", "name"),
    ]


def test_the_limit_and_more(db: Database) -> None:
    search = _search(db)
    results = search.find("milk", limit=2)
    assert _names(results) == ["Milk chocolate bar 100g", "Semi-skimmed milk 2 pt"]
    assert results.more
    assert not search.find("milk", limit=3).more
    for limit in (0, -1, 201):
        with pytest.raises(SearchError, match="the limit must be from 1 to 200"):
            search.find("milk", limit=limit)
    with pytest.raises(SearchError, match="type a few letters"):
        search.find("  ")
    with pytest.raises(SearchError, match="500 characters"):
        search.find("m" * 500)


def test_more_matches_than_candidates_says_more(db: Database) -> None:
    search = CatalogSearch(ProductRepository(db), ProductSearch(db), candidates=2)
    results = search.find("milk", limit=10)
    assert len(results) == 2
    assert results.more


def test_the_index_follows_renames_deletes_and_imports(db: Database, tmp_path: Path) -> None:
    repo = ProductRepository(db)
    search = _search(db)
    repo.upsert_many([Product(_code(1), "Jersey gold top", 150)])  # a rename
    assert _names(search.find("jersey")) == ["Jersey gold top"]
    assert "Whole milk 4 pints" not in _names(search.find("whole"))
    db.execute_sql(f"DELETE FROM product WHERE barcode = {db.param}", (_code(0),))
    assert search.find("sem sk").found == ()
    service = CatalogService(repo)
    csv = tmp_path / "c.csv"
    csv.write_text("barcode,name,price\n" + f"{_code(30)},Oat drink barista,1.80\n")
    assert service.import_csv(csv).ok
    assert _names(search.find("oat bar")) == ["Oat drink barista"]


def test_a_large_import_rebuilds_the_index_and_keeps_it_maintained(db: Database) -> None:
    """Past REBUILD_FROM the import suspends the index's triggers (SQLite) or drops the
    index (PostgreSQL) and builds it once at the end: the same index after, maintained as
    before."""
    repo = ProductRepository(db)
    before = indexes(db, "product")
    triggers = _triggers(db)
    rows = [(_code(100 + n), f"Bulk item {n}", 100, 0, "each", None, None) for n in range(300)]
    rows.append((_code(1), "Whole milk renamed", 100, 0, "each", None, None))
    repo.import_rows(rows, len(rows), rebuild_from=1)
    assert indexes(db, "product") == before
    assert _triggers(db) == triggers
    search = _search(db)
    assert len(search.find("bulk item", limit=200)) == 200
    assert search.find("bulk item", limit=200).more
    assert _names(search.find("bulk 299")) == ["Bulk item 299"]
    assert _names(search.find("whole")) == ["Whole milk renamed"]
    repo.upsert_many([Product(_code(100), "Renamed after", 100)])  # triggers back at work
    assert _names(search.find("renamed after")) == ["Renamed after"]
    if is_sqlite(db):
        db.execute_sql("INSERT INTO product_search (product_search) VALUES ('integrity-check')")


def test_the_server_builds_a_large_import_s_search_index_after_its_commit(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the GIN build (7 s a million names) is not part of the import's
    transaction: the rows commit, then the index is built CONCURRENTLY, so readers always
    see the rows; one missing or left invalid (an import killed in between) is built again
    by the next import or server search."""
    if is_sqlite(db):
        pytest.skip("the server's index only (a till's file: tests/db/test_search_index_stale.py)")
    built: list[bool] = []
    real = product_search.build_concurrently

    def watched(database: Database, statement: str) -> None:
        built.append(database.in_transaction())
        real(database, statement)

    monkeypatch.setattr(product_search, "build_concurrently", watched)
    repo = ProductRepository(db)
    before = indexes(db, "product")
    rows = [(_code(100 + n), f"Bulk item {n}", 100, 0, "each", None, None) for n in range(30)]
    repo.import_rows(rows, len(rows), rebuild_from=1)
    assert built  # the search index was built after the commit, outside any transaction
    assert not any(built)
    assert indexes(db, "product") == before
    assert _names(_search(db).find("bulk 29")) == ["Bulk item 29"]
    db.execute_sql('DROP INDEX "product_search"')  # killed before its build
    repo.import_rows(rows[:1], 1)  # any import builds it again
    assert indexes(db, "product") == before
    db.execute_sql(
        "UPDATE pg_index SET indisvalid = false WHERE indexrelid = '\"product_search\"'::regclass"
    )
    product_search.ensure_search_index(db)  # an invalid one is dropped and made again
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = '\"product_search\"'::regclass"
    assert db.execute_sql(valid).fetchone() == (True,)


def test_a_failed_large_import_leaves_the_index_and_its_triggers(db: Database) -> None:
    repo = ProductRepository(db)
    triggers = _triggers(db)
    rows = [(_code(100 + n), f"Bulk item {n}", 100, 0, "each", None, None) for n in range(30)]
    rows.append((_code(99), "Bad", -1, 0, "each", None, None))
    with pytest.raises(Exception, match="constraint|check"):
        repo.import_rows(rows, len(rows), rebuild_from=1)
    assert _triggers(db) == triggers
    assert _search(db).find("bulk").found == ()
    assert _names(_search(db).find("sem sk")) == ["Semi-skimmed milk 2 pt"]


def test_long_prefixes_are_looked_up_as_the_words_they_begin(db: Database, empty_db: Path) -> None:
    """On FTS5 a word longer than 4 letters becomes the index's words it begins (kept for
    the next keystroke while the file is unchanged); beginning many, it stays a prefix."""
    repo = ProductRepository(db)
    many = [Product(_code(200 + n), f"Chocolat{n:02d} bar", 100) for n in range(20)]
    repo.upsert_many([*many, Product(_code(199), "Chocolate orange", 300)])
    search = _search(db)
    assert len(search.find("chocol", limit=50)) == 22  # and "Milk chocolate bar 100g"
    assert _names(search.find("chocolate or")) == ["Chocolate orange"]
    assert _names(search.find("chocolates")) == []
    assert _names(search.find("zzzzzz")) == []
    assert _names(search.find("chocolati")) == []
    # another connection changes the catalog: the kept words are read again
    other = open_database(empty_db)
    try:
        ProductRepository(other).upsert_many([Product(_code(300), "Chocolatier box", 900)])
    finally:
        other.close()
    assert _names(search.find("chocolati")) == ["Chocolatier box"]
    repo.upsert_many([Product(_code(301), "Chocolatine", 150)])  # and this one
    assert _names(search.find("chocolati")) == ["Chocolatier box", "Chocolatine"]


def test_the_export_is_unchanged_by_the_index(db: Database) -> None:
    out = io.StringIO()
    CatalogService(ProductRepository(db)).export_csv(out)
    assert "product_search" not in out.getvalue()
    assert out.getvalue().count("\n") == len(NAMES) + 1


def _triggers(db: Database) -> list[str]:
    if not is_sqlite(db):
        return []
    rows = db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'product' "
        "ORDER BY name"
    ).fetchall()
    return [f"{name}: {sql}" for name, sql in rows]

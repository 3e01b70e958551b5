"""A large import on a till's file commits its rows, then rebuilds the search index in a
transaction of its own (issue 20): between the two the index is marked stale, a search by
name is refused rather than answered wrongly, and an import killed in between leaves the
mark for the next search, start or import to rebuild the index."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import ean

from pos.cli import cli
from pos.db import product_search
from pos.db.database import Database, open_database
from pos.db.product_search import ProductSearch
from pos.db.repositories import ProductRepository
from pos.domain.catalog import Product
from pos.domain.search import SearchRebuilding
from pos.services.search import CatalogSearch

REBUILDING = "the product search is being rebuilt after an import: try again in a moment"


def _code(n: int) -> str:
    body = f"50{n:010d}"
    return body + ean.calc_check_digit(body)


def _rows(count: int, name: str = "Bulk item") -> list[tuple[object, ...]]:
    return [(_code(100 + n), f"{name} {n}", 100, 0, "each", None, None) for n in range(count)]


@pytest.fixture
def db(empty_db: Path) -> Iterator[Database]:
    database = open_database(empty_db)
    ProductRepository(database).upsert_many(
        [Product(_code(1), "Whole milk 4 pints", 120), Product(_code(2), "Oat drink", 180)]
    )
    yield database
    database.close()


def _search(db: Database) -> CatalogSearch:
    return CatalogSearch(ProductRepository(db), ProductSearch(db))


def _names(search: CatalogSearch, text: str) -> list[str]:
    return [found.name for found in search.find(text, limit=50)]


def _triggers(db: Database) -> list[str]:
    rows = db.execute_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'product' "
        "ORDER BY name"
    ).fetchall()
    return [str(sql) for (sql,) in rows]


def _check_index(db: Database) -> None:
    db.execute_sql("INSERT INTO product_search (product_search) VALUES ('integrity-check')")


def _killed_import(path: Path, rows: int, name: str) -> None:
    """``import_rows`` in another process, killed (SIGKILL) after the import's commit and
    before the index's rebuild."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        from pos.db import product_search
        from pos.db.database import open_database
        from pos.db.repositories import ProductRepository

        def killed(db, *, wait=True):
            os.kill(os.getpid(), signal.SIGKILL)

        product_search.ensure_search_index = killed
        db = open_database(sys.argv[1])
        rows = [("50" + f"{{100 + n:010d}}", f"{name} {{n}}", 100, 0, "each", None, None)
                for n in range({rows})]
        from stdnum import ean
        rows = [(c + ean.calc_check_digit(c), *rest) for c, *rest in rows]
        ProductRepository(db).import_rows(rows, len(rows), rebuild_from=1)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


class _Writer:
    """Another connection holding the file's write lock (an import rebuilding the index)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_large_import_commits_its_rows_before_it_rebuilds_the_index(
    db: Database, empty_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From another connection, at the moment the rebuild starts: the rows are there (the
    scanner finds them) and a search by name is refused; after it, found."""
    seen: list[object] = []
    real = product_search.restore

    def watched(cursor: object) -> bool:
        other = open_database(empty_db)
        try:
            products = ProductRepository(other)
            seen.append(products.get(_code(100 + 29)))
            with pytest.raises(SearchRebuilding, match=REBUILDING):
                _search(other).find("bulk")
            seen.append(_search(other).find(_code(100)).found[0].name)  # a barcode: found
        finally:
            other.close()
        return real(cursor)  # type: ignore[arg-type]

    monkeypatch.setattr(product_search, "restore", watched)
    before = _triggers(db)
    ProductRepository(db).import_rows(_rows(30), 30, rebuild_from=1)
    assert seen[0] is not None
    assert seen[0].name == "Bulk item 29"  # type: ignore[attr-defined]
    assert seen[1] == "Bulk item 0"
    assert _names(_search(db), "bulk 29") == ["Bulk item 29"]
    assert not product_search.marked(db)
    assert _triggers(db) == before
    _check_index(db)


def test_the_mark_refuses_a_search_while_another_connection_writes(
    db: Database, empty_db: Path
) -> None:
    _killed_import(empty_db, 40, "Fresh thing")
    assert product_search.marked(db)
    writer = _Writer(empty_db)
    try:
        search = _search(db)
        with pytest.raises(SearchRebuilding, match=REBUILDING):
            search.find("fresh")
        with pytest.raises(SearchRebuilding):
            search.find("whole milk")  # old names too: the index is out of step
        assert [f.name for f in search.find(_code(101))] == ["Fresh thing 1"]  # by barcode
        result = CliRunner().invoke(cli, ["products", "search", "--db", str(empty_db), "fresh"])
        assert result.exit_code == 1
        assert f"Error: {REBUILDING}" in result.output
    finally:
        writer.release()
    assert product_search.marked(db)


def test_killed_between_commit_and_rebuild_the_next_search_rebuilds(
    db: Database, empty_db: Path
) -> None:
    before = _triggers(db)
    _killed_import(empty_db, 40, "Fresh thing")
    assert product_search.marked(db)
    assert _triggers(db) == []  # dropped until the rebuild, which makes them again
    ProductRepository(db).upsert_many([Product(_code(1), "Jersey gold top", 150)])  # a write
    assert _names(_search(db), "fresh 39") == ["Fresh thing 39"]
    assert _names(_search(db), "jersey") == ["Jersey gold top"]
    assert _names(_search(db), "whole") == []
    assert not product_search.marked(db)
    assert _triggers(db) == before
    _check_index(db)


def test_killed_between_commit_and_rebuild_the_cli_search_rebuilds(empty_db: Path) -> None:
    _killed_import(empty_db, 40, "Fresh thing")
    result = CliRunner().invoke(
        cli, ["products", "search", "--db", str(empty_db), "fresh 37"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Fresh thing 37" in result.output


def test_killed_between_commit_and_rebuild_the_next_import_rebuilds(
    db: Database, empty_db: Path
) -> None:
    before = _triggers(db)
    _killed_import(empty_db, 40, "Fresh thing")
    repo = ProductRepository(db)
    repo.import_rows([(_code(2), "Oat drink barista", 190, 0, "each", None, None)], 1)
    assert not product_search.marked(db)
    assert _triggers(db) == before
    search = _search(db)
    assert _names(search, "fresh 39") == ["Fresh thing 39"]
    assert _names(search, "oat bar") == ["Oat drink barista"]
    _check_index(db)


def test_a_large_import_over_a_stale_index_keeps_its_triggers(db: Database, empty_db: Path) -> None:
    """The mark holds the triggers the killed import dropped: a second large import (which
    finds none to drop) makes them again."""
    before = _triggers(db)
    _killed_import(empty_db, 40, "Fresh thing")
    ProductRepository(db).import_rows(_rows(40, "Second go"), 40, rebuild_from=1)
    assert not product_search.marked(db)
    assert _triggers(db) == before
    assert _names(_search(db), "second 35") == ["Second go 35"]
    _check_index(db)


def test_the_till_rebuilds_a_stale_index_when_it_starts(app_factory: object, demo_db: Path) -> None:
    _killed_import(demo_db, 40, "Fresh thing")
    app = app_factory()  # type: ignore[operator]
    db = app.services.db
    assert not product_search.marked(db)
    assert _names(app.services.search, "fresh 32") == ["Fresh thing 32"]


def test_a_till_whose_stale_index_cannot_be_rebuilt_still_starts(
    app_factory: object, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuild at start fails (a full disk after a million-row import): the till
    starts and sells; a search by name says the search is being rebuilt and tries the
    rebuild again beside the till, which fails again (logged), leaving the mark."""
    _killed_import(demo_db, 40, "Fresh thing")

    def full(cursor: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(product_search, "restore", full)
    app = app_factory()  # type: ignore[operator]
    assert product_search.marked(app.services.db)
    with pytest.raises(SearchRebuilding):
        app.services.search.find("fresh 32")
    _repaired(app.services.search)
    assert product_search.marked(app.services.db)


def test_on_the_till_a_stale_index_is_rebuilt_beside_it_not_on_the_screen_s_thread(
    app_factory: object, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mark left by an import killed while the till runs: the first search by name is
    refused at once (the rebuild takes seconds at a million products), the rebuild runs
    in a thread of its own, and the search after it finds the new names."""
    app = app_factory()  # type: ignore[operator]
    _killed_import(demo_db, 40, "Fresh thing")
    threads: list[str] = []
    restore = product_search.restore

    def watched(cursor: object) -> bool:
        threads.append(threading.current_thread().name)
        return restore(cursor)

    monkeypatch.setattr(product_search, "restore", watched)
    with pytest.raises(SearchRebuilding):
        app.services.search.find("fresh 32")
    _repaired(app.services.search)
    assert threads == ["pos-search-repair"]
    assert _names(app.services.search, "fresh 32") == ["Fresh thing 32"]
    assert not product_search.marked(app.services.db)


def _repaired(search: CatalogSearch) -> None:
    """Wait for the rebuild a search started beside the till."""
    repairing = search._repairing
    assert repairing is not None
    repairing.join(timeout=30)
    assert not repairing.is_alive()


def test_a_small_import_keeps_the_triggers_and_sets_no_mark(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(product_search, "suspend", lambda cursor: calls.append("suspend"))
    ProductRepository(db).import_rows(_rows(30), 30)  # below REBUILD_FROM
    assert calls == []
    assert not product_search.marked(db)
    assert _names(_search(db), "bulk 27") == ["Bulk item 27"]
    _check_index(db)


def test_writes_between_commit_and_rebuild_need_no_index(empty_db: Path) -> None:
    """A new till's first catalog, its import killed before the rebuild: a rename and a
    delete then (a store's pull, a small import) are written, not failed ("database disk
    image is malformed", if the index's triggers were back on the empty index), and the
    rebuild indexes them."""
    _killed_import(empty_db, 40, "Fresh thing")
    db = open_database(empty_db)
    try:
        assert product_search.marked(db)
        repo = ProductRepository(db)
        repo.upsert_many([Product(_code(100), "Jersey gold top", 150)])
        db.execute_sql("DELETE FROM product WHERE barcode = ?", (_code(101),))
        search = _search(db)
        assert _names(search, "jersey") == ["Jersey gold top"]
        assert _names(search, "fresh 1") == [f"Fresh thing {n}" for n in range(10, 20)]
        assert _names(search, "fresh 0") == []
        _check_index(db)
    finally:
        db.close()

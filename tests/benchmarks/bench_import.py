"""Figure 1: catalog import of N CSV rows with full validation. On a SQLite file, for a
file in barcode order and for the same rows shuffled, each against a bare ``sqlite3``
executemany of the same rows into the same table in one transaction; on a PostgreSQL
server (``BENCH_DB``), the rows per second of the import (``COPY`` and one merge)."""

from __future__ import annotations

import csv
import random
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from pos.db import product_search
from pos.db.database import open_database
from pos.db.repositories import ProductRepository
from pos.domain.catalog_check import parse_tax_rate
from pos.domain.money import parse_money
from pos.services.catalog import CatalogService
from tests.benchmarks import fixture
from tests.benchmarks.common import Sizes, emit
from tests.benchmarks.fixture import (
    DbTarget,
    barcode,
    catalog_csv,
    empty_database,
    server,
)

INSERT = (
    "INSERT INTO product (barcode, name, price, tax_rate, unit) VALUES ({0}, {0}, {0}, {0}, {0})"
)


def _bare_sqlite(target: DbTarget, rows: list[tuple[object, ...]]) -> tuple[float, int]:
    conn = sqlite3.connect(target, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(INSERT.format("?"), rows)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
        count = conn.execute("SELECT COUNT(*) FROM product").fetchone()[0]
    finally:
        conn.close()
    return seconds, count


ORDERS = ("sorted", "shuffled")
"""The SQLite runs' two files of the same rows: ``sorted``, in barcode order with the names
in the same (case-blind) order, as an export of a catalog whose names follow its codes,
where the bare insert is at its fastest (it only appends to both indexes); and
``shuffled``, the same rows in a random order, where it is at its slowest."""


def ordered_catalog_csv(products: int, order: str) -> Path:
    """The benchmark rows (names, prices, rates and units as :func:`catalog_csv` makes
    them) in ``order`` (one of :data:`ORDERS`); kept between runs, as that file is."""
    path = fixture.CACHE / f"catalog-{order}-{products}.csv"
    if path.exists():
        return path
    source = catalog_csv(products)
    with source.open(encoding="utf-8", newline="") as handle:
        header = handle.readline()
        rest = [line.split(",", 1)[1] for line in handle]  # all but the barcode
    rest.sort(key=str.lower)  # by name, then the rest of the row
    lines = [f"{barcode(i)},{tail}" for i, tail in enumerate(rest)]
    if order == "shuffled":
        random.Random(7).shuffle(lines)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        out.write(header)
        out.writelines(lines)
    partial.replace(path)
    return path


def _import_and_index(source: Path, folder: Path, products: int) -> tuple[float, float]:
    """Seconds until the import's rows are committed (every reader has them: the scanner
    finds them, a store's tills pull them from then), and seconds after that for the
    search index, which a large import builds once the rows are in: on a server
    ``CONCURRENTLY``, outside the transaction; on a till's file FTS5's ``rebuild`` in a
    transaction of its own (:func:`pos.db.product_search.ensure_search_index`)."""
    after = 0.0
    name = "build_concurrently" if server() else "ensure_search_index"
    real = getattr(product_search, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        nonlocal after
        started = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            after += time.perf_counter() - started

    with empty_database(folder, f"import-{source.stem}") as ours:
        db = open_database(ours)
        setattr(product_search, name, timed)
        try:
            started = time.perf_counter()
            report = CatalogService(ProductRepository(db)).import_csv(source)
            seconds = time.perf_counter() - started
        finally:
            setattr(product_search, name, real)
            db.close()
    assert report.ok, report.errors[:3]
    assert report.new == products
    return seconds - after, after


def _bare(source: Path, folder: Path, products: int) -> float:
    """Seconds for the bare baseline: the same rows, already parsed, in the same order,
    into the same table of an empty SQLite database of the same schema, with the same
    pragmas (WAL, synchronous=FULL)."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [
            (code, name, parse_money(price), parse_tax_rate(rate), unit)
            for code, name, price, rate, unit in reader
        ]
    with empty_database(folder, f"bare-{source.stem}") as bare:
        seconds, count = _bare_sqlite(bare, rows)
    assert count == products
    return seconds


def bench_import(sizes: Sizes) -> list[dict[str, object]]:
    """On SQLite the import of a sorted and of a shuffled file, each against the bare
    ``executemany`` of its rows (``<= 3x`` whatever the order); on a server (``COPY``
    and one merge) the import of the benchmark file alone, against ``>= 100,000 rows/s``."""
    sized = {"products": sizes.products}
    figures = []
    with tempfile.TemporaryDirectory(prefix="pos-bench-import-") as folder:
        if server():
            seconds, index = _import_and_index(
                catalog_csv(sizes.products), Path(folder), sizes.products
            )
            rate = sizes.products / seconds
            target = ">= 100000 rows/s"
            return [
                emit(
                    "1_catalog_import_rate",
                    rate,
                    "rows/s",
                    sized,
                    target,
                    rate >= 100_000,
                    seconds=round(seconds, 3),
                    note="until the rows are committed (the tills pull them from then)",
                ),
                emit(
                    "1_catalog_import_search_index_after",
                    index,
                    "s",
                    sized,
                    "(after the commit; searches on the server are slower meanwhile)",
                    True,
                    whole_rate=round(sizes.products / (seconds + index)),
                ),
            ]
        for order in ORDERS:
            source = ordered_catalog_csv(sizes.products, order)
            seconds, index = _import_and_index(source, Path(folder), sizes.products)
            bare_seconds = _bare(source, Path(folder), sizes.products)
            rate = sizes.products / seconds
            ratio = seconds / bare_seconds
            figures += [
                emit(
                    f"1_catalog_import_rate_{order}",
                    rate,
                    "rows/s",
                    sized,
                    ">= 100000 rows/s",
                    rate >= 100_000,
                    seconds=round(seconds, 3),
                    note="until the rows are committed (the scanner finds them from then)",
                ),
                emit(
                    f"1_catalog_import_search_index_after_{order}",
                    index,
                    "s",
                    sized,
                    "(after the commit; a search by name waits for it)",
                    True,
                    whole_rate=round(sizes.products / (seconds + index)),
                ),
                emit(
                    f"1_catalog_import_vs_bare_executemany_{order}",
                    ratio,
                    "x",
                    sized,
                    "<= 3x",
                    ratio <= 3,
                    import_seconds=round(seconds, 3),
                    bare_seconds=round(bare_seconds, 3),
                ),
            ]
    return figures

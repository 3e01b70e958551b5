"""Figure 1: catalog import of N CSV rows with full validation, against a bare
``sqlite3`` ``executemany`` of the same rows into the same table in one transaction."""

from __future__ import annotations

import csv
import sqlite3
import tempfile
import time
from pathlib import Path

from pos.db.database import open_database
from pos.db.repositories import ProductRepository
from pos.domain.catalog_csv import parse_tax_rate
from pos.domain.money import parse_money
from pos.services.catalog import CatalogService
from pos.services.store import init_database
from tests.benchmarks.common import Sizes, emit
from tests.benchmarks.fixture import catalog_csv


def bench_import(sizes: Sizes) -> list[dict[str, object]]:
    source = catalog_csv(sizes.products)
    with tempfile.TemporaryDirectory(prefix="pos-bench-import-") as folder:
        ours = Path(folder) / "import.sqlite"
        init_database(ours)
        db = open_database(ours)
        try:
            started = time.perf_counter()
            report = CatalogService(ProductRepository(db)).import_csv(source)
            import_seconds = time.perf_counter() - started
        finally:
            db.close()
        assert report.ok, report.errors[:3]
        assert report.new == sizes.products

        # the bare baseline: the same rows, already parsed, into the same table of an
        # empty database of the same schema and pragmas (WAL, synchronous=FULL)
        bare = Path(folder) / "bare.sqlite"
        init_database(bare)
        with source.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            rows = [
                (code, name, parse_money(price), parse_tax_rate(rate), unit)
                for code, name, price, rate, unit in reader
            ]
        conn = sqlite3.connect(bare, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            started = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO product (barcode, name, price, tax_rate, unit) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute("COMMIT")
            bare_seconds = time.perf_counter() - started
            count = conn.execute("SELECT COUNT(*) FROM product").fetchone()[0]
        finally:
            conn.close()
        assert count == sizes.products
    rate = sizes.products / import_seconds
    ratio = import_seconds / bare_seconds
    sized = {"products": sizes.products}
    return [
        emit(
            "1_catalog_import_rate",
            rate,
            "rows/s",
            sized,
            ">= 100000 rows/s",
            rate >= 100_000,
            seconds=round(import_seconds, 3),
        ),
        emit(
            "1_catalog_import_vs_bare_executemany",
            ratio,
            "x",
            sized,
            "<= 3x",
            ratio <= 3,
            import_seconds=round(import_seconds, 3),
            bare_seconds=round(bare_seconds, 3),
        ),
    ]

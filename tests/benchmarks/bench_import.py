"""Figure 1: catalog import of N CSV rows with full validation, against a bare
executemany of the same rows into the same table in one transaction: ``sqlite3`` on a
SQLite file, ``psycopg`` on a PostgreSQL server (``BENCH_DB``)."""

from __future__ import annotations

import csv
import sqlite3
import tempfile
import time
from pathlib import Path

import psycopg

from pos.db.database import open_database
from pos.db.repositories import ProductRepository
from pos.domain.catalog_csv import parse_tax_rate
from pos.domain.money import parse_money
from pos.services.catalog import CatalogService
from tests.benchmarks.common import Sizes, emit
from tests.benchmarks.fixture import DbTarget, catalog_csv, empty_database, server

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


def _bare_server(target: DbTarget, rows: list[tuple[object, ...]]) -> tuple[float, int]:
    with psycopg.connect(str(target)) as conn:  # one transaction, committed on leaving
        started = time.perf_counter()
        with conn.cursor() as cursor:
            cursor.executemany(INSERT.format("%s"), rows)
        conn.commit()
        seconds = time.perf_counter() - started
        found = conn.execute("SELECT COUNT(*) FROM product").fetchone()
    assert found is not None
    return seconds, int(found[0])


def bench_import(sizes: Sizes) -> list[dict[str, object]]:
    source = catalog_csv(sizes.products)
    with tempfile.TemporaryDirectory(prefix="pos-bench-import-") as folder:
        with empty_database(Path(folder), "import") as ours:
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
        # empty database of the same schema (and on SQLite the same pragmas: WAL,
        # synchronous=FULL; on a server its own durable commit)
        with source.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            rows = [
                (code, name, parse_money(price), parse_tax_rate(rate), unit)
                for code, name, price, rate, unit in reader
            ]
        with empty_database(Path(folder), "bare") as bare:
            bare_seconds, count = (_bare_server if server() else _bare_sqlite)(bare, rows)
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

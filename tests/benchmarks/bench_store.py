"""Figures 19 (issue 19), on a store (``BENCH_DB`` a PostgreSQL server; skipped on SQLite):

* a new till's first sync: its file made and filled from the store (N products);
* scan to screen on the store's till with its sync worker running, against the same file
  with the worker stopped (a store's till is a SQLite till: the worker is the difference);
* sync lag: from a sale's commit on the till to the sale on the server (median, p99);
* an import reaching an online till: every price of the catalog changed by
  ``pos products import`` on the server, timed from the import's commit until the till's
  file has the last row (its worker woken by NOTIFY, as a till at the counter is).
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import psycopg

from pos.auth.keys import key_file_for
from pos.db.database import open_database
from pos.db.repositories import ProductRepository
from pos.db.sync.enrol import make_till_file
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.catalog import CatalogService
from pos.services.container import build_services
from pos.services.store_till import open_store_till
from tests.benchmarks.bench_scan import _run
from tests.benchmarks.common import Sizes, emit, median, ms, percentile
from tests.benchmarks.fixture import (
    FAST_HASHER,
    MANAGER,
    cart_barcode,
    catalog_csv,
    server,
    working_copy,
)
from tests.benchmarks.screen import FIXED_NOW

LAG_SALES = 100


def bench_store(sizes: Sizes) -> list[dict[str, object]]:
    if server() is None:
        return []
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-store-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as store,
    ):
        path = Path(folder) / "till.sqlite"
        started = time.perf_counter()
        make_till_file(path, str(store), "Bench till", key_file_for(store))
        target = open_store_till(path, None, FixedClock(FIXED_NOW))
        first_sync = time.perf_counter() - started
        assert target.sync is not None
        target.sync.stop()
        alone, synced = _scan_runs(path, sizes)
        lags = _lags(path, str(store), sizes)
        reach = _import_reach(path, str(store), Path(folder), sizes)
    sized = {"products": sizes.products, "rules": sizes.rules, "lines": sizes.lines}
    alone_p99 = median([percentile(run, 99) for run in alone])
    synced_p99 = median([percentile(run, 99) for run in synced])
    ratio = synced_p99 / alone_p99
    return [
        emit(
            "19_first_sync",
            first_sync,
            "s",
            {"products": sizes.products, "rules": sizes.rules},
            "<= 60 s at 1,000,000 products",
            first_sync <= 60 or not sizes.full,
            rows_per_s=round(sizes.products / first_sync),
        ),
        emit(
            "19_store_scan_to_screen_p99",
            ms(synced_p99),
            "ms",
            {**sized, "runs": len(synced)},
            "within 10% of the same till file without its sync worker (medians of the runs' p99)",
            ratio <= 1.10,
            without_worker_p99_ms=round(ms(alone_p99), 3),
            median_ms=round(ms(median([median(run) for run in synced])), 3),
            ratio=round(ratio, 3),
            runs_p99_ms=[round(ms(percentile(run, 99)), 2) for run in synced],
            without_worker_runs_p99_ms=[round(ms(percentile(run, 99)), 2) for run in alone],
        ),
        emit(
            "19_sync_lag_median",
            ms(median(lags)),
            "ms",
            {"sales": len(lags)},
            "p99 <= 1 s (a sale's commit nudges the worker; it looks every 1 s anyway)",
            percentile(lags, 99) <= 1.0,
            p99_ms=round(ms(percentile(lags, 99)), 1),
            max_ms=round(ms(max(lags)), 1),
        ),
        emit(
            "19_import_reaches_the_till",
            reach,
            "s",
            {"products": sizes.products},
            "<= 30 s from the import's commit at 1,000,000 products",
            reach <= 30 or not sizes.full,
            rows_per_s=round(sizes.products / reach),
        ),
    ]


ORDER = "ABBAABBA"
"""The scan runs without (A) and with (B) the worker, alternated so that neither side pays
for running first or last in the process. One run of each gave ratios from 0.72x to 1.26x
on this machine (December 2026), and two runs of the same side differ by as much: the
figure is the median of each side's four p99s."""


def _scan_runs(path: Path, sizes: Sizes) -> tuple[list[list[float]], list[list[float]]]:
    """The scan timings of each run, without the worker and with it (``ORDER``), each run
    on its file as the first sync left it (a run keeps its open cart in the file)."""
    alone = _alone(path)
    kept = {
        target: _backup(target, target.with_name(f"kept-{target.name}")) for target in (path, alone)
    }
    runs: dict[str, list[list[float]]] = {"A": [], "B": []}
    for side in ORDER:
        target = alone if side == "A" else path
        _backup(kept[target], target)
        scans, _ = asyncio.run(_run(target, sizes))  # B: the till as it runs, worker on
        runs[side].append(scans)
    return runs["A"], runs["B"]


def _backup(source: Path, copy: Path) -> Path:
    """``source`` copied onto ``copy`` through SQLite (its WAL included), with its key file."""
    src, dst = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    shutil.copy(key_file_for(source), key_file_for(copy))
    return copy


def _alone(path: Path) -> Path:
    """The till file opened as a till of its own would be: the same file and catalog, no
    worker (a copy without its store link)."""
    plain = path.with_name("alone.sqlite")
    shutil.copy(path, plain)
    shutil.copy(key_file_for(path), key_file_for(plain))
    con = sqlite3.connect(plain)
    with con:
        con.execute("DELETE FROM sync_state")
    con.close()
    return plain


def _lags(path: Path, store: str, sizes: Sizes) -> list[float]:
    """Sales completed on the till one after another with its worker running, each timed
    from its commit until the server has it."""
    target = open_store_till(path, None, FixedClock(FIXED_NOW))
    assert target.sync is not None
    sync = target.sync
    services = build_services(
        target.path, clock=FixedClock(FIXED_NOW), ids=SequentialIds(), hasher=FAST_HASHER
    )
    services.attach_sync(sync)  # as pos.factory links them
    lags: list[float] = []
    sync.start()
    try:
        services.sessions.login(*MANAGER)
        with psycopg.connect(store, autocommit=True) as conn:
            for k in range(min(LAG_SALES, max(5, sizes.sales))):
                services.checkout.submit(cart_barcode(k, sizes.products))
                tender = services.sales.start()
                tender.cash(tender.due)
                done = services.sales.complete(tender)
                committed = time.perf_counter()
                while not conn.execute(
                    "SELECT 1 FROM sale WHERE till = %s AND receipt_no = %s",
                    (services.settings.till_name, done.receipt_no),
                ).fetchone():
                    time.sleep(0.002)
                lags.append(time.perf_counter() - committed)
    finally:
        services.close()
    return lags


def _import_reach(path: Path, store: str, folder: Path, sizes: Sizes) -> float:
    """Seconds from the commit of a server import that changes every price until the
    online till's file has the last of them."""
    changed = folder / "changed.csv"
    with catalog_csv(sizes.products).open(encoding="utf-8", newline="") as src:
        rows = csv.reader(src)
        header = next(rows)
        at = header.index("price")
        with changed.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                row[at] = f"{int(row[at].replace('.', '')) + 1:03d}"
                row[at] = row[at][:-2] + "." + row[at][-2:]
                writer.writerow(row)
                last = row
    target = open_store_till(path, None, FixedClock(FIXED_NOW))
    assert target.sync is not None
    sync = target.sync
    sync.start()
    till = sqlite3.connect(path)
    try:
        deadline = time.monotonic() + 120
        while not sync.status.online and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sync.status.online, "the till never came online"
        db = open_database(store)
        try:
            report = CatalogService(ProductRepository(db)).import_csv(changed)
        finally:
            db.close()
        committed = time.perf_counter()
        assert report.ok, report.errors[:3]
        assert report.updated == sizes.products
        want = int(last[at].replace(".", ""))
        while True:
            found = till.execute("SELECT price FROM product WHERE barcode = ?", (last[0],))
            if found.fetchone() == (want,):
                return time.perf_counter() - committed
            if time.perf_counter() - committed > 600:
                raise AssertionError("the import never reached the till")
            time.sleep(0.01)
    finally:
        till.close()
        sync.stop()

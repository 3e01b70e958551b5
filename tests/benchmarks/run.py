"""Run every benchmark of issue 7 at the sizes in the environment (``make bench``).

    BENCH_PRODUCTS=1000000 BENCH_RULES=500 BENCH_LINES=1000 BENCH_SALES=2000 \
        python -m tests.benchmarks.run [NAME ...]

Each figure is one JSON line on stdout (and appended to $BENCH_OUT if set), saying which
database it ran on (``"db"``). NAME picks benchmarks by name (import, startup, scan,
pricing, burst, memory, sales, store: a store's till, on a server only, and search). The
database is built once per sizes and cached under the temp dir (see fixture.py); with
``BENCH_DB=postgresql://user@host:port/dbname`` everything runs on that PostgreSQL server
instead, the cached database kept there.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from pos.config import describe
from tests.benchmarks.bench_burst import bench_burst
from tests.benchmarks.bench_import import bench_import
from tests.benchmarks.bench_memory import bench_memory
from tests.benchmarks.bench_pricing import bench_pricing
from tests.benchmarks.bench_sales import bench_sales
from tests.benchmarks.bench_scan import bench_scan
from tests.benchmarks.bench_search import bench_search
from tests.benchmarks.bench_startup import bench_startup
from tests.benchmarks.bench_store import bench_store
from tests.benchmarks.common import Sizes
from tests.benchmarks.fixture import cached_database

BENCHMARKS: dict[str, Callable[[Sizes], list[dict[str, object]]]] = {
    "import": bench_import,
    "startup": bench_startup,
    "scan": bench_scan,
    "pricing": bench_pricing,
    "burst": bench_burst,
    "memory": bench_memory,
    "sales": bench_sales,
    "store": bench_store,
    "search": bench_search,
}

ALONE = frozenset({"import"})
"""Benchmarks that make their own empty databases: run alone, the cached one is not built."""


def main(names: list[str]) -> int:
    os.environ.setdefault("TZ", "UTC")
    time.tzset()
    sizes = Sizes.from_env()
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.stderr.write(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}\n")
        return 2
    if set(names or BENCHMARKS) - ALONE:
        started = time.perf_counter()
        target = cached_database(sizes.products, sizes.rules)
        sys.stderr.write(f"{describe(target)} ready ({time.perf_counter() - started:.1f} s)\n")
    failed = 0
    for name in names or list(BENCHMARKS):
        began = time.perf_counter()
        results = BENCHMARKS[name](sizes)
        failed += sum(r["pass"] is False for r in results)
        sys.stderr.write(f"{name}: {time.perf_counter() - began:.1f} s\n")
    sys.stderr.write(f"{failed} figure(s) missed their target\n")
    return 0  # a missed target is a figure, not a crash


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

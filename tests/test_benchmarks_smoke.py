"""Every benchmark of issue 7 at a tiny size, so they cannot rot: each runs for real
and prints its JSON lines; their shape is checked here, never the targets. They run on
SQLite and, with ``POS_TEST_PG_URL`` set, on that PostgreSQL server (as ``BENCH_DB``):
the tiny databases there are named for this test session and dropped at its end."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.benchmarks import fixture
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
from tests.conftest import PG_ENV

TINY = Sizes(
    products=2_000, rules=20, lines=30, sales=20, burst=30, reprices=30, voids=3, commits=20
)
KEYS = ["name", "value", "unit", "sizes", "target", "pass", "db"]

RUNS: dict[str, Callable[[], list[dict[str, object]]]] = {
    "import": lambda: bench_import(TINY),
    "startup": lambda: bench_startup(TINY, runs=1, warm=False),
    "scan": lambda: bench_scan(TINY),
    "pricing": lambda: bench_pricing(TINY),
    "burst": lambda: bench_burst(TINY),
    "memory": lambda: bench_memory(TINY),
    "sales": lambda: bench_sales(TINY, sale_lines=1_000),
    "store": lambda: bench_store(TINY),
    "search": lambda: bench_search(TINY),
}
FIGURES = {
    "import": [
        "1_catalog_import_rate_sorted",
        "1_catalog_import_search_index_after_sorted",
        "1_catalog_import_vs_bare_executemany_sorted",
        "1_catalog_import_rate_shuffled",
        "1_catalog_import_search_index_after_shuffled",
        "1_catalog_import_vs_bare_executemany_shuffled",
    ],
    "startup": ["2_startup_to_login", "2_startup_vs_empty_db"],
    "scan": [
        "3_scan_to_screen_p99",
        "3_scan_to_screen_flatness",
        "9_void_middle_line_to_screen",
    ],
    "pricing": ["4_reprice_incremental_p99", "4_reprice_full"],
    "burst": ["5_scanner_burst_caught_up"],
    "memory": ["6_peak_rss"],
    "store": [],
    "search": ["20_search_keystroke_p99", "20_search_index_build"],
    "sales": [
        "7_sale_commit_p99",
        "8_report_one_day",
        "8_report_whole_year",
        "8_report_trading_day_of_a_year",
    ],
}
ON_A_SERVER = {
    "import": ["1_catalog_import_rate", "1_catalog_import_search_index_after"],
    "store": [
        "19_first_sync",
        "19_store_scan_to_screen_p99",
        "19_sync_lag_median",
        "19_import_reaches_the_till",
    ],
}
"""Where a server's figures differ: its import is measured alone (COPY and one merge), and
a store's till is measured only on a server (on SQLite alone there is no store)."""


@pytest.fixture(scope="session")
def _pg_prefix() -> Iterator[str]:
    """The start of the names of this session's benchmark databases on the server, all
    dropped at the end (a session of its own never meets another's cached database)."""
    prefix = f"pos_bench_t{secrets.token_hex(4)}"
    yield prefix
    url = os.environ.get(PG_ENV)
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            names = conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",)
            ).fetchall()
            for (name,) in names:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _own_cache(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    """The tiny database is built once per test session, in pytest's own temp dir (on a
    server: a database of this session's, with its key file in that temp dir)."""
    cache = tmp_path_factory.getbasetemp() / "bench-cache"
    monkeypatch.setattr(fixture, "CACHE", cache)
    monkeypatch.delenv(fixture.SERVER_ENV, raising=False)
    if backend == "postgresql":
        url = os.environ.get(PG_ENV)
        if not url:
            pytest.skip(f"no PostgreSQL server: set {PG_ENV} (see docs/architecture.md)")
        monkeypatch.setenv(fixture.SERVER_ENV, url)
        monkeypatch.setattr(fixture, "PG_PREFIX", request.getfixturevalue("_pg_prefix"))
        monkeypatch.setenv("XDG_CONFIG_HOME", str(cache / "xdg-config"))  # the key files


@pytest.mark.slow
@pytest.mark.backends
@pytest.mark.parametrize("bench", list(RUNS))
def test_benchmark_prints_its_figures(
    bench: str,
    backend: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "bench.jsonl"
    monkeypatch.setenv("BENCH_OUT", str(out))
    returned = RUNS[bench]()
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kept = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    assert printed == kept == returned
    named = ON_A_SERVER.get(bench, FIGURES[bench]) if backend == "postgresql" else FIGURES[bench]
    assert [figure["name"] for figure in printed] == named
    for figure in printed:
        assert list(figure)[: len(KEYS)] == KEYS
        assert isinstance(figure["value"], int | float)
        assert figure["value"] >= 0
        assert isinstance(figure["unit"], str)
        assert isinstance(figure["target"], str)
        assert isinstance(figure["sizes"], dict)
        assert figure["sizes"]
        assert isinstance(figure["pass"], bool)
        assert figure["db"] == backend


def test_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PRODUCTS", "RULES", "LINES"):
        monkeypatch.delenv(f"BENCH_{name}", raising=False)
    assert (Sizes.from_env().products, Sizes().rules, Sizes().lines) == (1_000_000, 500, 1_000)
    monkeypatch.setenv("BENCH_PRODUCTS", "5000")
    monkeypatch.setenv("BENCH_LINES", "40")
    sizes = Sizes.from_env()
    assert (sizes.products, sizes.rules, sizes.lines) == (5_000, 500, 40)


def test_cart_products_are_distinct_and_sold_by_the_item() -> None:
    codes = [fixture.cart_barcode(k, TINY.products) for k in range(TINY.lines)]
    assert len(set(codes)) == len(codes)
    assert all(not fixture.is_weighed(fixture.cart_index(k, 2_000)) for k in range(1_000))

"""Figure 20 (issue 20): the catalog search as a cashier types, one query per keystroke,
on the N-product database: a few real-looking searches typed a character at a time (and a
barcode typed digit by digit), each keystroke's results through the service
(:class:`pos.services.search.CatalogSearch`), p99 against 20 ms; and the time to build
the search index of the whole catalog once (what a large import adds to its own time:
its rate with the index is figure 1)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from pos.db.database import open_database
from pos.db.errors import is_sqlite
from pos.db.product_search import ProductSearch
from pos.db.repositories import ProductRepository
from pos.domain.search import SearchError, SearchRebuilding
from pos.services.search import CatalogSearch
from tests.benchmarks.common import Sizes, emit, median, ms, percentile
from tests.benchmarks.fixture import barcode, working_copy

TYPED = (
    "milk",
    "chicken soup",
    "ban 500",
    "orange juice 1l",
    "sal",
    "tom 250g",
    "cheese crisps 6 pack",
    "wine",
    "honey oats",
    "pepper lemon 2l",
)
"""Searches a cashier might type over the benchmark catalog's names (``Apple banana 500g
17``: two words of :data:`tests.benchmarks.fixture._WORDS`, a size and a number), from
a first letter that matches a fifth of the catalog to words that match a handful."""
ROUNDS = 3


def keystrokes(products: int) -> list[str]:
    """Every prefix of every search of :data:`TYPED`, and of a barcode of the catalog (a
    PLU-sized prefix and then a number that names hold), as typed."""
    texts = [text[:n] for text in (*TYPED, barcode(products // 2)) for n in range(1, len(text) + 1)]
    return [text for text in texts if text.strip()]


def bench_search(sizes: Sizes) -> list[dict[str, object]]:
    sized = {"products": sizes.products}
    times: list[float] = []
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-search-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as target,
    ):
        db = open_database(target)
        try:
            search = CatalogSearch(ProductRepository(db), ProductSearch(db))
            texts = keystrokes(sizes.products)
            found = 0
            for _ in range(ROUNDS):
                for text in texts:
                    started = time.perf_counter()
                    try:
                        results = search.find(text, 20)
                    except SearchRebuilding:
                        raise  # an index out of step: no figure, rather than a wrong one
                    except SearchError:
                        continue
                    times.append(time.perf_counter() - started)
                    found += len(results)
            assert found, "the searches found nothing: is the index built?"
            started = time.perf_counter()
            with db.atomic():
                if is_sqlite(db):
                    db.execute_sql("INSERT INTO product_search (product_search) VALUES ('rebuild')")
                else:
                    db.execute_sql('REINDEX INDEX "product_search"')
            build = time.perf_counter() - started
        finally:
            db.close()
    p99 = ms(percentile(times, 99))
    return [
        emit(
            "20_search_keystroke_p99",
            p99,
            "ms",
            sized,
            "<= 20 ms",
            p99 <= 20,
            keystrokes=len(times),
            median_ms=round(ms(median(times)), 3),
            max_ms=round(ms(max(times)), 3),
        ),
        emit(
            "20_search_index_build",
            build,
            "s",
            sized,
            "(part of figure 1 for a large import)",
            True,
            rows_per_s=round(sizes.products / build) if build else None,
        ),
    ]

"""Figures 7 and 8: completing sales (the commit, with ``synchronous=FULL`` on SQLite,
``synchronous_commit=on`` on a server), and the end-of-day report on a database holding
a year of sales.

On a store's server (``BENCH_DB``) the till sells from its own file, as a store's till does
(issue 19), and sends the sales to the server before the copies and the report, which run
there.

S sales of ``LINES_PER_SALE`` lines each are scanned and paid through the real
CheckoutService and SaleService (the clock moves on through a year between sales);
each ``SaleService.complete`` is timed (figure 7); between sales the till's upkeep
(``between_customers``, the log checkpoint the app runs while the receipt is on screen)
runs untimed, as it does at the till. To reach the issue's 1,000,000 sale
lines without hours of fsyncs, those sales are then copied in SQL (every table of a
sale, new uuids and receipt numbers, the same times) until the sale lines number
``sale_lines``; the JSON ``sizes`` say how many came through the service. The report
is ``day_figures`` (what ``pos report`` and F12 run): one busy day, and the whole year,
by time (``pos report``); and by trading day (the X and Z reports count the sales that
record the day, schema v10): the sales here never close a day, so the one open day holds
the whole year, the worst case of that path.
"""

from __future__ import annotations

import math
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from peewee import Database

from pos.config import DbTarget
from pos.db.database import open_database
from pos.db.reports import day_figures
from pos.domain.clock import FixedClock
from tests.benchmarks.common import Sizes, emit, median, ms, percentile
from tests.benchmarks.fixture import cart_barcode, working_copy
from tests.benchmarks.screen import till

LINES_PER_SALE = 10
YEAR_START = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)
SALE_TABLES = ("sale_line", "sale_discount", "payment", "sale_vat")


def _sell(db: DbTarget, sizes: Sizes) -> list[float]:
    clock = FixedClock(YEAR_START)
    app = till(db, clock)
    services = app.services
    step = timedelta(days=365) / max(1, sizes.sales)
    commits: list[float] = []
    try:
        for n in range(sizes.sales):
            for k in range(LINES_PER_SALE):
                code = cart_barcode((n * 3 + k * 17) % 1000, sizes.products)
                outcome = services.checkout.submit(code)
                assert not outcome.error, outcome.message
            tender = services.sales.start()
            tender.cash(tender.due) if n % 2 else tender.card()
            started = time.perf_counter()
            services.sales.complete(tender)
            commits.append(time.perf_counter() - started)
            services.sales.between_customers()  # as the till does once the receipt is up
            clock.advance(seconds=step.total_seconds())
        if services.sync is not None:  # a store's till sold from its own file: send them,
            services.sync.run_once()  # so the store's report below counts them
    finally:
        services.close()
    return commits


def _copy_sales(db: DbTarget, copies: int) -> int:
    """Copy every sale ``copies`` times over (SQL); returns the sale lines in the end."""
    con = open_database(db)
    try:
        top = con.execute_sql("SELECT MAX(id), MAX(receipt_no) FROM sale").fetchone()
        last_id, last_receipt = int(top[0]), int(top[1])
        columns = {
            table: [column.name for column in con.get_columns(table)]
            for table in ("sale", *SALE_TABLES)
        }
        with con.atomic():
            _copy_rows(con, columns, copies, last_id, last_receipt)
        con.execute_sql("ANALYZE")
        return int(con.execute_sql("SELECT COUNT(*) FROM sale_line").fetchone()[0])
    finally:
        con.close()


def _copy_rows(
    con: Database, columns: dict[str, list[str]], copies: int, last_id: int, last_receipt: int
) -> None:
    for copy in range(1, copies):
        shift = {
            "id": f"id + {copy * last_id}",
            "uuid": f"uuid || '-copy{copy}'",
            "receipt_no": f"receipt_no + {copy * last_receipt}",
            "sale_id": f"sale_id + {copy * last_id}",
        }
        for table in ("sale", *SALE_TABLES):
            names = [c for c in columns[table] if table == "sale" or c != "id"]
            values = [shift.get(c, c) for c in names]
            con.execute_sql(
                f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - our names
                f"SELECT {', '.join(values)} FROM {table} WHERE "
                + ("id" if table == "sale" else "sale_id")
                + f" <= {last_id}"
            )


def _open_day(db: DbTarget) -> int:
    database = open_database(db)
    try:
        row = database.execute_sql("SELECT MAX(id) FROM till_day WHERE till = 'Till 1'").fetchone()
        return int(row[0])
    finally:
        database.close()


def _time_report(
    db: DbTarget, start: datetime, end: datetime, runs: int = 5, day: int | None = None
) -> list[float]:
    database = open_database(db)
    try:
        times = []
        for _ in range(runs):
            began = time.perf_counter()
            figures = day_figures(database, "Till 1", start, end, day=day)
            times.append(time.perf_counter() - began)
        assert figures.sales > 0
        return times
    finally:
        database.close()


def bench_sales(sizes: Sizes, sale_lines: int = 1_000_000) -> list[dict[str, object]]:
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-sales-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as db,
    ):
        commits = _sell(db, sizes)
        real_lines = sizes.sales * LINES_PER_SALE
        copies = max(1, math.ceil(sale_lines / real_lines))
        total_lines = _copy_sales(db, copies) if copies > 1 else real_lines
        day = YEAR_START + timedelta(days=182)
        day_start = day.replace(hour=0, minute=0)
        one_day = _time_report(db, day_start, day_start + timedelta(days=1))
        year = _time_report(db, YEAR_START, YEAR_START + timedelta(days=366))
        trading_day = _time_report(
            db, YEAR_START, YEAR_START + timedelta(days=366), day=_open_day(db)
        )
    p99 = ms(percentile(commits, 99))
    sales_sizes = {
        "products": sizes.products,
        "sales_through_sale_service": sizes.sales,
        "lines_per_sale": LINES_PER_SALE,
        "sql_copies": copies,
        "sale_lines": total_lines,
    }
    return [
        emit(
            "7_sale_commit_p99",
            p99,
            "ms",
            {"sales": sizes.sales, "lines_per_sale": LINES_PER_SALE},
            "<= 20 ms",
            p99 <= 20,
            median_ms=round(ms(median(commits)), 3),
        ),
        emit(
            "8_report_one_day",
            ms(median(one_day)),
            "ms",
            sales_sizes,
            "< 1000 ms",
            ms(median(one_day)) < 1000,
        ),
        emit(
            "8_report_whole_year",
            ms(median(year)),
            "ms",
            sales_sizes,
            "< 1000 ms",
            ms(median(year)) < 1000,
        ),
        emit(
            "8_report_trading_day_of_a_year",
            ms(median(trading_day)),
            "ms",
            sales_sizes,
            "< 1000 ms",
            ms(median(trading_day)) < 1000,
        ),
    ]

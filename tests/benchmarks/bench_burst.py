"""Figure 5: a scanner burst: B barcodes typed with no pause at all (every key queued at
once, as a keyboard-wedge scanner and a terminal deliver them), then the time until the
screen has caught up, and a check that every scan made exactly its line."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from pos.config import DbTarget
from pos.db.database import open_database
from pos.screens import ScanScreen
from pos.widgets import CartTable
from tests.benchmarks.common import Sizes, emit, ms
from tests.benchmarks.fixture import cart_barcode, working_copy
from tests.benchmarks.screen import SIZE, caught_up, scan_screen, shown, till
from tests.ui.helpers import burst


async def _run(db: DbTarget, sizes: Sizes, codes: list[str]) -> float:
    app = till(db)
    try:
        async with app.run_test(size=SIZE):
            await caught_up(app, lambda: isinstance(app.screen, ScanScreen))
            screen = scan_screen(app)
            started = time.perf_counter()
            burst(app, "".join(code + "\n" for code in codes))
            await caught_up(app, shown(app, len(codes)))
            seconds = time.perf_counter() - started
            cart = screen.checkout.cart
            assert [line.barcode for line in cart.lines] == codes, "lines lost or reordered"
            assert all(line.qty == 1 for line in cart.lines), "a scan merged into another"
            table = screen.query_one(CartTable)
            assert all(str(line.line_no) in table.rows for line in cart.lines)
    finally:
        app.services.close()
    return seconds


def bench_burst(sizes: Sizes) -> list[dict[str, object]]:
    codes = [cart_barcode(k, sizes.products) for k in range(sizes.burst)]
    assert len(set(codes)) == len(codes)
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-burst-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as db,
    ):
        seconds = asyncio.run(_run(db, sizes, codes))
        con = open_database(db)
        try:  # a server's SUM is a numeric: ints, to print them
            row = con.execute_sql(
                "SELECT COUNT(*), COALESCE(SUM(l.qty), 0) FROM cart_line l "
                "JOIN cart c ON c.id = l.cart_id WHERE c.status = 'open'"
            ).fetchone()
            saved = (int(row[0]), int(row[1]))
        finally:
            con.close()
    exact = tuple(saved) == (len(codes), len(codes))
    return [
        emit(
            "5_scanner_burst_caught_up",
            ms(seconds),
            "ms",
            {"products": sizes.products, "rules": sizes.rules, "barcodes": len(codes)},
            f"exactly {len(codes)} lines of 1, none lost (time reported)",
            exact,
            lines_saved=saved[0],
            units_saved=saved[1],
            per_scan_ms=round(ms(seconds) / len(codes), 3),
        )
    ]

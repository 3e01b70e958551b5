"""Figures 3 and 9: scan to screen for each of L scans into one cart (a distinct product
per scan) on the N-product, R-rule database; then voiding lines from the middle of
that L-line cart, to screen."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from pos.config import DbTarget
from pos.screens import ScanScreen
from pos.widgets import CartTable, TotalsPanel
from tests.benchmarks.common import Sizes, bare_commits, emit, median, ms, percentile
from tests.benchmarks.fixture import cart_barcode, server, working_copy
from tests.benchmarks.screen import SIZE, caught_up, press, scan_screen, shown, till
from tests.ui.helpers import burst


async def _run(db: DbTarget, sizes: Sizes) -> tuple[list[float], list[float]]:
    app = till(db)
    scans: list[float] = []
    voids: list[float] = []
    try:
        async with app.run_test(size=SIZE):
            await caught_up(app, lambda: isinstance(app.screen, ScanScreen))
            screen = scan_screen(app)
            checkout = screen.checkout
            table = screen.query_one(CartTable)
            for k in range(sizes.lines):
                code = cart_barcode(k, sizes.products)
                burst(app, code)  # the digits, not timed: wait until the entry line holds them
                await caught_up(app, lambda code=code: screen.entry.buffer == code)
                started = time.perf_counter()
                burst(app, "\n")
                await caught_up(app, shown(app, k + 1))
                scans.append(time.perf_counter() - started)
            assert len(checkout.cart) == sizes.lines, "a scan was lost"
            assert all(line.qty == 1 for line in checkout.cart.lines)
            for _ in range(min(sizes.voids, sizes.lines - 1)):
                lines = checkout.cart.lines
                target = lines[len(lines) // 2].line_no
                table.move_cursor(row=table.get_row_index(str(target)))
                await caught_up(app)
                remaining = len(lines) - 1

                def gone(target: int = target, remaining: int = remaining) -> bool:
                    return (
                        checkout.cart.get(target) is None
                        and str(target) not in table.rows
                        and len(checkout.cart) == remaining
                        and screen.query_one(TotalsPanel).total == checkout.priced.total
                    )

                started = time.perf_counter()
                press(app, "delete")
                await caught_up(app, gone)
                voids.append(time.perf_counter() - started)
    finally:
        app.services.close()
    return scans, voids


def bench_scan(sizes: Sizes) -> list[dict[str, object]]:
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-scan-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as db,
    ):
        # the disk's own cost of a commit, on the same file system, just before the scans
        floor = [] if server() else bare_commits(Path(folder), sizes.commits)
        scans, voids = asyncio.run(_run(db, sizes))
    sized = {"products": sizes.products, "rules": sizes.rules, "lines": sizes.lines}
    disk = (
        {
            "bare_commit_median_ms": round(ms(median(floor)), 3),
            "bare_commit_p99_ms": round(ms(percentile(floor, 99)), 3),
        }
        if floor
        else {}
    )
    p99 = ms(percentile(scans, 99))
    window = min(10, len(scans) // 2)
    first, last = ms(median(scans[:window])), ms(median(scans[-window:]))
    flat = last / first
    results = [
        emit(
            "3_scan_to_screen_p99",
            p99,
            "ms",
            sized,
            "<= 16 ms",
            p99 <= 16,
            median_ms=round(ms(median(scans)), 3),
            max_ms=round(ms(max(scans)), 3),
            **disk,
        ),
        emit(
            "3_scan_to_screen_flatness",
            flat,
            "x",
            sized | {"window": window},
            "<= 1.5x (median of the last 10 scans / the first 10)",
            flat <= 1.5,
            first_median_ms=round(first, 3),
            last_median_ms=round(last, 3),
        ),
    ]
    if voids:
        worst = ms(max(voids))
        results.append(
            emit(
                "9_void_middle_line_to_screen",
                worst,
                "ms",
                sized | {"voids": len(voids)},
                "<= 16 ms (the slowest of the voids)",
                worst <= 16,
                median_ms=round(ms(median(voids)), 3),
                **disk,
            )
        )
    return results

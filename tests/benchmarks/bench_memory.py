"""Figure 6: peak RSS of the till (a fresh process: the app built as the CLI builds it,
headless, the N-product database, an L-line cart scanned through the screen)."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from pos.config import DbTarget, parse_target
from pos.screens import ScanScreen
from tests.benchmarks.common import Sizes, emit
from tests.benchmarks.fixture import cart_barcode, working_copy
from tests.benchmarks.screen import SIZE, caught_up, shown, till
from tests.ui.helpers import burst


async def _fill(db: DbTarget, products: int, lines: int) -> int:
    app = till(db)
    try:
        async with app.run_test(size=SIZE):
            await caught_up(app, lambda: isinstance(app.screen, ScanScreen))
            for start in range(0, lines, 50):  # in bursts of 50 scans
                codes = [cart_barcode(k, products) for k in range(start, min(lines, start + 50))]
                burst(app, "".join(code + "\n" for code in codes))
                await caught_up(app, shown(app, start + len(codes)))
            return len(app.services.checkout.cart)
    finally:
        app.services.close()


def peak_rss_kb() -> int:
    """This process's peak RSS in KiB: Linux's ``VmHWM``, the high-water mark of this
    program's own memory since its ``exec``. (``ru_maxrss`` is not: Linux carries the
    parent's peak over a fork and exec, so after the import benchmark had held a million
    parsed rows in the runner, the till "peaked" at the runner's 660 MiB.)"""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def child(db: str, products: str, lines: str) -> None:
    count = asyncio.run(_fill(parse_target(db), int(products), int(lines)))
    peak_kb = peak_rss_kb()
    sys.stdout.write(json.dumps({"lines": count, "peak_kb": peak_kb}) + "\n")


def bench_memory(sizes: Sizes) -> list[dict[str, object]]:
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-rss-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as db,
    ):
        done = subprocess.run(
            [sys.executable, "-m", "tests.benchmarks.bench_memory", str(db)]
            + [str(sizes.products), str(sizes.lines)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "TERM": "xterm-256color"},
            timeout=1800,
        )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["lines"] == sizes.lines
    mb = found["peak_kb"] / 1024
    return [
        emit(
            "6_peak_rss",
            mb,
            "MiB",
            {"products": sizes.products, "rules": sizes.rules, "lines": sizes.lines},
            "<= 150 MB",
            mb <= 150,
        )
    ]


if __name__ == "__main__":
    child(*sys.argv[1:4])

"""What every benchmark shares: the sizes, the JSON line it prints, and small statistics."""

from __future__ import annotations

import json
import math
import os
import sqlite3
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

DEFAULTS = {"products": 1_000_000, "rules": 500, "lines": 1_000, "sales": 2_000}
"""The issue's sizes (``sales`` is ours: sales generated through the real SaleService)."""


@dataclass(frozen=True, slots=True)
class Sizes:
    products: int = DEFAULTS["products"]
    rules: int = DEFAULTS["rules"]
    lines: int = DEFAULTS["lines"]
    sales: int = DEFAULTS["sales"]
    burst: int = 500
    reprices: int = 200
    voids: int = 20
    commits: int = 200

    @classmethod
    def from_env(cls) -> Sizes:
        """BENCH_PRODUCTS, BENCH_RULES, BENCH_LINES, BENCH_SALES (the issue's defaults)."""

        def get(name: str, default: int) -> int:
            return int(os.environ.get(f"BENCH_{name.upper()}", default))

        return cls(**{key: get(key, value) for key, value in asdict(cls()).items()})

    @property
    def full(self) -> bool:
        return (self.products, self.rules, self.lines) == (
            DEFAULTS["products"],
            DEFAULTS["rules"],
            DEFAULTS["lines"],
        )


def emit(
    name: str,
    value: float,
    unit: str,
    sizes: dict[str, Any],
    target: str,
    passed: bool | None,
    **extra: Any,
) -> dict[str, Any]:
    """Print one figure as one JSON line (and append it to $BENCH_OUT if set)."""
    record: dict[str, Any] = {
        "name": name,
        "value": round(value, 4) if isinstance(value, float) else value,
        "unit": unit,
        "sizes": sizes,
        "target": target,
        "pass": passed,
        "db": _db_kind(),
        **extra,
    }
    line = json.dumps(record, sort_keys=False)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    out = os.environ.get("BENCH_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return record


def _db_kind() -> str:
    from tests.benchmarks.fixture import db_kind  # fixture imports the till; common does not

    return db_kind()


def bare_commits(folder: Path, count: int = 200) -> list[float]:
    """Seconds per one-row commit of plain ``sqlite3`` in a new file in ``folder``, with
    the till's pragmas (WAL, ``synchronous=FULL``): what the disk alone costs a commit,
    the floor under every scan and void (each is saved before it is shown)."""
    path = folder / "bare-commit.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    times: list[float] = []
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        for n in range(count):
            started = time.perf_counter()
            conn.execute("BEGIN")
            conn.execute("INSERT INTO t (n) VALUES (?)", (n,))
            conn.execute("COMMIT")
            times.append(time.perf_counter() - started)
    finally:
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return times


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> float:
    return seconds * 1000.0

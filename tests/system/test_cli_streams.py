"""The ``pos`` command as part of a shell pipeline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from stdnum import ean

from pos.cli.products import data_rows

pytestmark = pytest.mark.slow


def test_export_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """``pos products export | head -1``: the reader goes away; no error message."""
    db = tmp_path / "till.sqlite"
    pos = [sys.executable, "-m", "pos"]
    subprocess.run([*pos, "init", "--db", str(db)], check=True, capture_output=True)
    catalog = tmp_path / "big.csv"  # far more than a pipe holds (64 KiB)
    rows = []
    for n in range(20_000):
        stem = f"501{n:09d}"
        rows.append(f"{stem}{ean.calc_check_digit(stem)},Product {n},1.00,20,each\n")
    catalog.write_text("barcode,name,price,tax_rate,unit\n" + "".join(rows))
    subprocess.run(
        [*pos, "products", "import", "--db", str(db), str(catalog)], check=True, capture_output=True
    )
    export = subprocess.Popen(
        [*pos, "products", "export", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert export.stdout is not None
    assert export.stderr is not None
    assert export.stdout.readline() == b"barcode,name,price,tax_rate,unit,plu,min_age\n"
    export.stdout.close()  # as head does after its line
    err = export.stderr.read()
    export.wait(timeout=30)
    assert b"Broken pipe" not in err
    assert b"Traceback" not in err


@pytest.mark.parametrize(
    ("raw", "rows"),
    [
        (b"", 0),
        (b"barcode,name,price\n", 0),
        (b"barcode,name,price\n1,a,1\n2,b,2\n", 2),
        (b"barcode,name,price\n1,a,1\n2,b,2", 2),  # no newline at the end
    ],
)
def test_the_progress_bar_counts_data_rows(raw: bytes, rows: int) -> None:
    assert data_rows(raw) == rows

"""pos coupons issue --print and pos coupons print (issue 22, slice 6): a batch of codes on
the receipt printer, one slip each with its EAN-13 barcode; no printer or a printer fault
refused, saying what to do. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pos.cli import cli
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from tests.system.test_coupons_cli import RULES

pytestmark = pytest.mark.backends


def pos(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def db(shop_db: Path, tmp_path: Path) -> str:
    rules = tmp_path / "coupons.json"
    rules.write_text(json.dumps(RULES))
    assert pos("discounts", "import", "--db", str(shop_db), str(rules)).exit_code == 0
    return str(shop_db)


def _printer(db: str, value: str) -> None:
    database = open_database(db)
    SettingsRepository(database).set("printer", value)
    database.close()


def _issued(db: str) -> list[str]:
    listed = pos("coupons", "list", "--db", db, "--json")
    return [row["code"] for row in json.loads(listed.output)]


def test_issued_codes_print_as_ean13_barcodes(db: str, tmp_path: Path) -> None:
    paper = tmp_path / "printer.bin"
    _printer(db, str(paper))
    done = pos("coupons", "issue", "--db", db, "--rule", "Pound off", "--count", "2",
               "--uses", "3", "--expires", "2099-12-31", "--print")  # fmt: skip
    assert done.exit_code == 0, done.output
    codes = done.output.split()[:2]
    assert f"printed 2 codes on {paper}" in done.output
    sent = paper.read_bytes()
    for code in codes:  # GS k 2 (EAN-13), the digits, NUL: the printer draws the bars
        assert b"\x1dk\x02" + code.encode() + b"\x00" in sent
    assert sent.count(b"COUPON\nPound off\nGood for 3 sales. Until 2099-12-31") == 2
    assert sent.count(b"\x1dV") == 2  # one cut per slip
    again = pos("coupons", "print", "--db", db, codes[1])
    assert again.exit_code == 0, again.output
    assert paper.read_bytes().count(codes[1].encode()) == 2


def test_no_printer_issues_nothing_and_says_so(db: str) -> None:
    refused = pos("coupons", "issue", "--db", db, "--rule", "Pound off", "--count", "1", "--print")
    assert refused.exit_code == 1
    assert refused.output == (
        "Error: nothing issued: no printer is set up (pos settings set printer host:port, "
        "or a device or file path)\n"
    )
    assert _issued(db) == []


def test_a_printer_fault_keeps_the_codes_and_says_what_to_do(db: str, tmp_path: Path) -> None:
    _printer(db, str(tmp_path / "no" / "such" / "lp0"))
    fault = pos("coupons", "issue", "--db", db, "--rule", "Pound off", "--count", "1", "--print")
    assert fault.exit_code == 1
    [code] = _issued(db)
    assert fault.output.startswith(code + "\n")
    assert "Error: the codes are issued but not printed (printer " in fault.output
    assert "cannot be reached" in fault.output
    assert fault.output.endswith("print them with pos coupons print CODE...\n")
    bad = pos("coupons", "print", "--db", db, code, "9900100000000")
    assert bad.exit_code == 1
    assert bad.output.startswith("Error: nothing printed: Coupon 9900100000000 has a bad check")

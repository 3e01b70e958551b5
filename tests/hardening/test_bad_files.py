"""Awkward and bad files through the real command line (``pos products import`` and
``pos discounts import``): an awkward but good file imports exactly; a bad one gets a
clear message naming the problem (and its line), a non-zero exit, and leaves every table
of the database as it was.

The catalog files are also tried inside a file of 25,000 good rows, so that the bulk
path of the catalog reader (chunks of 10,000 checked a column at a time, falling back to
the row-by-row reference) meets each problem, and its message is checked against the
reference's (``read_catalog(..., bulk=False)``).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import ean

from pos.cli import cli
from pos.domain.catalog_csv import decode, read_catalog
from tests.hardening.terminal import db_rows

HEADER = b"barcode,name,price,tax_rate,unit\n"
PEN = "4006381333931"  # in the demo catalog: Highlighter pen yellow, 1.20


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "shop.sqlite"
    assert run("init", "--db", str(path), "--demo")[0] == 0
    return path


@pytest.fixture
def db(demo_template: Path, tmp_path: Path) -> Path:
    """A copy of the demo shop (catalog, rules, operators), made once per module."""
    path = tmp_path / "shop.sqlite"
    for suffix in ("", ".keys"):  # the database and its signing-key file beside it
        source = demo_template.with_name(demo_template.name + suffix)
        target = path.with_name(path.name + suffix)
        target.write_bytes(source.read_bytes())
        target.chmod(source.stat().st_mode)
    return path


def _code(n: int) -> str:
    body = f"40{n:010d}"
    return body + ean.calc_check_digit(body)


@functools.cache
def good_rows(count: int, start: int = 0) -> bytes:
    """``count`` good catalog rows from item ``start`` on. Made once each (the module's
    cases are built when the tests are collected, in every xdist worker: a quarter of a
    million check digits took seconds there)."""
    return b"".join(
        f"{_code(n)},Item {n},1.{n % 100:02d},20,each\n".encode()
        for n in range(start, start + count)
    )


BIG = 25_000
"""Rows around a bad row in the large files: more than two bulk chunks."""


def large(bad_row: bytes) -> bytes:
    """25,000 good rows with ``bad_row`` as line 17,002 (in the second chunk)."""
    return HEADER + good_rows(17_000) + bad_row + good_rows(BIG - 17_000, start=17_000)


# ------------------------------------------------------------------ catalog CSV: awkward but good

GOOD: list[tuple[str, bytes, dict[str, tuple[str, int]]]] = [
    # id, file, {barcode: (name, price)} it must give
    ("bom", b"\xef\xbb\xbf" + HEADER + b"96385074,Gum,0.55,20,each\n", {"96385074": ("Gum", 55)}),
    (
        "windows-line-ends",
        b"barcode,name,price\r\n96385074,Gum,0.55\r\n4006381333931,Pen,1.25\r\n",
        {"96385074": ("Gum", 55), PEN: ("Pen", 125)},
    ),
    (
        "bom-and-windows-line-ends",
        b"\xef\xbb\xbfbarcode,name,price\r\n96385074,Gum,0.55\r\n",
        {"96385074": ("Gum", 55)},
    ),
    (
        "quoted-commas",
        b'barcode,name,price\n96385074,"Gum, mint, 10 pack",0.55\n',
        {"96385074": ("Gum, mint, 10 pack", 55)},
    ),
    (
        "quoted-quotes-and-crlf",
        b'barcode,name,price\r\n96385074,"Gum ""extra"", mint",0.55\r\n',
        {"96385074": ('Gum "extra", mint', 55)},
    ),
    (
        "columns-in-another-order",
        b"price,unit,name,barcode\n0.55,each,Gum,96385074\n",
        {"96385074": ("Gum", 55)},
    ),
    (
        "unicode-names",
        "barcode,name,price\n96385074,Café crème 🍋 北京,0.55\n".encode(),
        {"96385074": ("Café crème 🍋 北京", 55)},
    ),
    (
        "large-with-crlf-and-a-bom",
        b"\xef\xbb\xbf" + (HEADER + good_rows(BIG)).replace(b"\n", b"\r\n"),
        {_code(0): ("Item 0", 100), _code(BIG - 1): (f"Item {BIG - 1}", 199)},
    ),
    (
        "large-with-quoted-commas",
        HEADER + good_rows(17_000) + f'"{_code(BIG)}","Big, odd",2.00,0,each\n'.encode(),
        {_code(BIG): ("Big, odd", 200), _code(16_999): ("Item 16999", 199)},
    ),
]


@pytest.mark.parametrize(("content", "expected"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_an_awkward_good_catalog_imports_exactly(
    db: Path, tmp_path: Path, content: bytes, expected: dict[str, tuple[str, int]]
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(content)
    code, out = run("products", "import", "--db", str(db), str(path))
    assert code == 0, out
    assert "imported" in out
    rows = {
        barcode: (name, price)
        for barcode, name, price in _query(db, "SELECT barcode, name, price FROM product")
    }
    for barcode, want in expected.items():
        assert rows[barcode] == want


def _query(db: Path, sql: str) -> list[tuple[object, ...]]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------ catalog CSV: bad

TEN_MB = b"x" * (10 * 1024 * 1024)
UPDATE_PEN = f"{PEN},Pen renamed,9.99,20,each\n".encode()  # a good row that must not land

BAD: list[tuple[str, bytes, list[str]]] = [
    # id, file, words of the messages (the line where there is one)
    ("empty-file", b"", ["line 1: the file is empty"]),
    ("only-blank-lines", b"\n\r\n  \n", ["the file is empty"]),
    ("only-a-bom", b"\xef\xbb\xbf", ["the file is empty"]),
    ("header-only-bom-crlf", b"\xef\xbb\xbfbarcode;name;price\r\n", ["line 1: missing columns"]),
    ("missing-column", b"barcode,name\n96385074,Gum\n", ["line 1: missing column price"]),
    (
        "missing-field-in-a-row",
        HEADER + UPDATE_PEN + b"96385074,Gum,0.55,20\n",
        ["line 3: 4 fields, but the header has 5"],
    ),
    (
        "extra-column",
        b"barcode,name,price,colour\n96385074,Gum,0.55,red\n",
        ["line 1: unknown column 'colour'"],
    ),
    (
        "extra-field-in-a-row",
        HEADER + UPDATE_PEN + b"96385074,Gum,0.55,20,each,red\n",
        ["line 3: 6 fields, but the header has 5"],
    ),
    (
        "unquoted-comma-in-a-name",
        HEADER + UPDATE_PEN + b"96385074,Gum, mint,0.55,20,each\n",
        ["line 3: 6 fields, but the header has 5"],
    ),
    (
        "unclosed-quote",
        HEADER + UPDATE_PEN + b'96385074,"Gum,0.55,20,each\n',
        ["line 3", "not valid CSV"],
    ),
    (
        "ten-mb-name",
        HEADER + UPDATE_PEN + b"96385074," + TEN_MB + b",0.55,20,each\n",
        ["line 3"],
    ),
    (
        "ten-mb-quoted-name",
        HEADER + UPDATE_PEN + b'96385074,"' + TEN_MB + b'",0.55,20,each\n',
        ["line 3"],
    ),
    (
        "latin-1-bytes",
        HEADER + UPDATE_PEN + b"96385074,Caf\xe9,0.55,20,each\n",
        ["line 3", "not UTF-8"],
    ),
    ("utf-16-file", ("barcode,name,price\n96385074,Gum,0.55\n").encode("utf-16"), ["not UTF-8"]),
    ("nul-byte-in-a-name", HEADER + UPDATE_PEN + b"96385074,G\x00um,0.55,20,each\n", ["line 3"]),
    (
        "control-character-in-a-name",
        HEADER + UPDATE_PEN + b"96385074,G\x1b[2Jum,0.55,20,each\n",
        ["line 3", "control character"],
    ),
    (
        "bad-check-digit",
        HEADER + UPDATE_PEN + b"96385075,Gum,0.55,20,each\n",
        ["line 3", "check digit"],
    ),
    ("huge-price", HEADER + UPDATE_PEN + b"96385074,Gum,1e400,20,each\n", ["line 3", "price"]),
    ("price-with-3-decimals", HEADER + UPDATE_PEN + b"96385074,Gum,0.555,20,each\n", ["line 3"]),
    ("tax-rate-over-100", HEADER + UPDATE_PEN + b"96385074,Gum,0.55,101,each\n", ["line 3"]),
    ("unknown-unit", HEADER + UPDATE_PEN + b"96385074,Gum,0.55,20,litre\n", ["line 3", "unit"]),
    ("barcode-twice", HEADER + UPDATE_PEN + UPDATE_PEN, ["line 3", "already on line 2"]),
    # the same problems deep inside a large file: the bulk path meets them
    ("large-missing-field", large(b"96385074,Gum,0.55,20\n"), ["line 17002: 4 fields"]),
    ("large-extra-field", large(b"96385074,Gum,0.55,20,each,red\n"), ["line 17002: 6 fields"]),
    ("large-latin-1", large(b"96385074,Caf\xe9,0.55,20,each\n"), ["line 17002", "not UTF-8"]),
    ("large-ten-mb-name", large(b"96385074," + TEN_MB + b",0.55,20,each\n"), ["line 17002"]),
    (
        "large-ten-mb-quoted-name",
        large(b'96385074,"' + TEN_MB + b'",0.55,20,each\n'),
        ["line 17002"],
    ),
    ("large-bad-check-digit", large(b"96385075,Gum,0.55,20,each\n"), ["line 17002", "check digit"]),
    ("large-control-character", large(b"96385074,G\x07um,0.55,20,each\n"), ["line 17002"]),
    (
        "large-crlf-one-bare-cr",
        large(b"96385074,G\rum,0.55,20,each\n").replace(b"\n", b"\r\n"),
        ["line 17002"],
    ),
    (
        "large-duplicate",
        large(f"{_code(5)},Again,1.00,20,each\n".encode()),
        ["line 17002", "already on line 7"],
    ),
    (
        "large-unclosed-quote",
        large(b'96385074,"Gum,0.55,20,each\n'),
        ["line 17002", "not valid CSV"],
    ),
]


@pytest.mark.parametrize(("content", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_catalog_says_where_and_imports_nothing(
    db: Path, tmp_path: Path, content: bytes, words: list[str]
) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(content)
    before = db_rows(db)
    code, out = run("products", "import", "--db", str(db), str(path))
    assert code != 0, out
    assert "nothing was imported" in out
    for word in words:
        assert word in out, (word, out[:2000])
    assert len(out) < 20_000  # a 10 MB cell is never echoed back
    assert db_rows(db) == before
    # the bulk path (what the command ran) says what the row-by-row reference says
    try:
        text = decode(content)
    except ValueError:
        return
    bulk = read_catalog(text).errors
    assert bulk == read_catalog(text, bulk=False).errors
    assert bulk, "the reader found nothing wrong"
    for error in bulk[:50]:
        assert f"catalog.csv: {error}" in out


def test_a_dry_run_of_a_bad_file_also_fails(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(large(b"96385074,Gum,0.55,20\n"))
    before = db_rows(db)
    code, out = run("products", "import", "--dry-run", "--db", str(db), str(path))
    assert code != 0
    assert "line 17002: 4 fields" in out
    assert db_rows(db) == before


# ------------------------------------------------------------------ discount rules JSON

LEMON_RULE = {
    "name": "New lemons",
    "kind": "multibuy",
    "items": {"5000000000012": 4},
    "price": "1.50",
}


def _rules(*rules: object) -> str:
    return json.dumps({"discounts": [LEMON_RULE, *rules]})  # a good rule first: it must not land


RULES: list[tuple[str, bytes | str, list[str]]] = [
    ("empty-file", b"", ["is not valid JSON"]),
    ("not-json", "{not json", ["is not valid JSON"]),
    ("csv-instead", b"barcode,name,price\n96385074,Gum,0.55\n", ["is not valid JSON"]),
    ("truncated", _rules()[:-5], ["is not valid JSON"]),
    ("trailing-comma", '{"discounts": [{"name": "x"},]}', ["is not valid JSON"]),
    ("latin-1-bytes", b'{"discounts": [{"name": "Caf\xe9"}]}', ["is not UTF-8"]),
    ("nul-bytes", b"\x00\x00\x00\x00", ["is not valid JSON"]),
    ("deeply-nested", "[" * 100_000 + "]" * 100_000, ["not valid JSON"]),
    (
        "nan",
        '{"discounts": [{"name": "x", "kind": "percent_off", "items": {"5000000000012": 1},'
        ' "percent": NaN}]}',
        ["percent"],
    ),
    ("top-level-list", json.dumps([LEMON_RULE]), ['{"discounts": [...]}']),
    ("top-level-string", '"discounts"', ['{"discounts": [...]}']),
    ("discounts-not-a-list", '{"discounts": {"name": "x"}}', ['{"discounts": [...]}']),
    ("rule-not-an-object", _rules("Lemons 3 for 1.30"), ["rule"]),
    (
        "rule-without-a-name",
        _rules({"kind": "multibuy", "items": {"5000000000012": 3}, "price": "1"}),
        ["name"],
    ),
    (
        "unknown-kind",
        _rules({"name": "x", "kind": "bogof", "items": {"5000000000012": 3}}),
        ["kind"],
    ),
    (
        "items-a-list",
        _rules({"name": "x", "kind": "multibuy", "items": ["5000000000012"], "price": "1"}),
        ["items"],
    ),
    (
        "quantity-a-word",
        _rules(
            {"name": "x", "kind": "multibuy", "items": {"5000000000012": "three"}, "price": "1"}
        ),
        ["rule 'x'"],
    ),
    (
        "quantity-a-fraction",
        _rules({"name": "x", "kind": "multibuy", "items": {"5000000000012": 2.5}, "price": "1"}),
        ["rule 'x'"],
    ),
    (
        "quantity-0",
        _rules({"name": "x", "kind": "multibuy", "items": {"5000000000012": 0}, "price": "1"}),
        ["rule 'x'"],
    ),
    (
        "huge-quantity",
        _rules({"name": "x", "kind": "multibuy", "items": {"5000000000012": 10**30}, "price": "1"}),
        ["rule 'x'"],
    ),
    (
        "huge-price",
        _rules(
            {"name": "x", "kind": "multibuy", "items": {"5000000000012": 3}, "price": "9" * 400}
        ),
        ["rule 'x'", "price"],
    ),
    (
        "huge-price-exponent",
        _rules({"name": "x", "kind": "multibuy", "items": {"5000000000012": 3}, "price": "1e400"}),
        ["rule 'x'", "price"],
    ),
    (
        "huge-percent",
        _rules(
            {"name": "x", "kind": "percent_off", "items": {"5000000000012": 1}, "percent": 1e308}
        ),
        ["rule 'x'", "percent"],
    ),
    (
        "huge-priority",
        _rules({**LEMON_RULE, "name": "x", "priority": 2**64}),
        ["rule 'x'", "priority"],
    ),
    (
        "negative-threshold",
        _rules({"name": "x", "kind": "basket_amount_off", "min_subtotal": "-5", "amount": "1"}),
        ["rule 'x'"],
    ),
    (
        "barcode-not-in-catalog",
        _rules({"name": "x", "kind": "multibuy", "items": {"5010000000011": 3}, "price": "1"}),
        ["no product with barcode 5010000000011"],
    ),
    (
        "barcode-bad-check-digit",
        _rules({"name": "x", "kind": "multibuy", "items": {"5000000000013": 3}, "price": "1"}),
        ["5000000000013"],
    ),
    (
        "any-of-not-in-catalog",
        _rules(
            {
                "name": "x",
                "kind": "multibuy",
                "count": 2,
                "price": "1",
                "any_of": ["5000000000012", "5010000000011"],
            }
        ),
        ["no product with barcode 5010000000011"],
    ),
    ("same-name-twice", _rules({**LEMON_RULE, "price": "1.40"}), ["New lemons"]),
    (
        "bad-date",
        _rules({**LEMON_RULE, "name": "x", "starts_at": "tomorrow"}),
        ["rule 'x'", "date"],
    ),
]


@pytest.mark.parametrize(("content", "words"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_a_bad_rule_file_says_why_and_imports_nothing(
    db: Path, tmp_path: Path, content: bytes | str, words: list[str]
) -> None:
    path = tmp_path / "rules.json"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    before = db_rows(db)
    code, out = run("discounts", "import", "--db", str(db), str(path))
    assert code != 0, out
    assert "nothing was imported" in out
    for word in words:
        assert word in out, (word, out[:2000])
    assert len(out) < 5_000
    assert db_rows(db) == before

"""The catalog CSV reader's bulk path against its row-by-row reference: for any file, the
same good rows with the same values, the same errors on the same lines, and the same
progress count; and the bulk path really is the one that reads a good file."""

from __future__ import annotations

import io
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import ean

from pos.domain import catalog_check, catalog_csv
from pos.domain.barcodes import DEFAULT_PATTERNS, BarcodePattern, Measure
from pos.domain.catalog import product_from_row
from pos.domain.catalog_csv import CatalogFile, read_catalog, write_catalog

PATTERNS = (BarcodePattern("Weight", "21IIIIIVVVVVC", Measure.WEIGHT, 3), *DEFAULT_PATTERNS)


def _code(n: int) -> str:
    body = f"5{n:011d}"
    return body + ean.calc_check_digit(body)


def _upc(n: int) -> str:
    body = f"{n:011d}"
    return body + ean.calc_check_digit(body)


BARCODES = [
    "96385074",  # EAN-8
    "036000291452",  # UPC-A, stored as 0036000291452
    "0036000291452",  # the same product as EAN-13
    "4006381333932",  # bad check digit
    " 4006381333931 ",
    "",
    "abc",
    "\u0663\u0663",  # Arabic-Indic digits
    "2100001000004",  # in-store code with zero value digits
    "2100001012502",  # in-store code with a value in it
    "2110001000001",  # matches the first pattern only
    "12345678901231",  # 14 digits
    "1" * 100,
]
NAMES = [
    "Pen",
    " Pen ",
    "",
    "   ",
    "Caf\u00e9",
    "Cafe\u0301",  # NFD: stored as NFC
    "a\x07b",
    "Tab\t",
    "\tTab",
    "x" * 120,
    "x" * 121,
    "x" + " " * 1_000,  # a field longer than 1,000 characters
    "\u540d\u524d",
    "\u200dok",
    "\u202eevil",
    "a,b",
]
PRICES = [
    "1.20",
    "0.5",
    "5",
    ".50",
    "-1.00",
    "1.001",
    " 1.00",
    "1e3",
    "\u0661.\u0660\u0660",
    "999999999.99",
    "1000000000.00",
    "0001.00",
    "1.2.34",
    "",
    "00.00",
    "1234567890.1",
    "12345678901",
    "1_0.00",
    "1" + " " * 1_000 + ".00",
]
RATES = ["0", "12.5", "100", "101", "abc", " 5 ", "-1", "020", "100.00", "1.001", "5" + " " * 1_000]
UNITS = ["each", " kg ", "litre", "Each", "\u212ag", "kg" + " " * 1_000]
PLUS = [
    "4011",
    " 4011 ",
    "94011",
    "401",
    "940111",
    "40a1",
    "\u0664011",
    "4O11",
    "",
    "4011" + " " * 1_000,
]
AGES = ["18", " 21 ", "0", "100", "99", "1", "-18", "18.0", "eighteen", "\u0661\u0668", "018", ""]


@st.composite
def _good_cell(draw: st.DrawFn, column: str) -> str:
    if column == "barcode":
        n = draw(st.integers(0, 60))  # some repeat: duplicates
        return _code(n) if n % 4 else _upc(n)
    if column == "name":
        return draw(st.sampled_from(["Pen", " Milk 1l", "Bread ", "Caf\u00e9"]))
    if column == "price":
        return f"{draw(st.integers(0, 99_999))}.{draw(st.integers(0, 99)):02d}"
    if column == "tax_rate":
        return draw(st.sampled_from(["0", "5", "20", "12.5", ""]))
    if column == "plu":  # some repeat: duplicates
        return draw(
            st.sampled_from(
                ["", "", "", "4011", "4012", "94011", str(draw(st.integers(1000, 1040)))]
            )
        )
    if column == "min_age":
        return draw(st.sampled_from(["", "", "16", "18", "21"]))
    return draw(st.sampled_from(["each", "kg", "KG", ""]))


@st.composite
def _odd_cell(draw: st.DrawFn, column: str) -> str:
    """A cell that is bad, or good but not in the plainest form."""
    pools = {
        "barcode": BARCODES,
        "name": NAMES,
        "price": PRICES,
        "tax_rate": RATES,
        "plu": PLUS,
        "min_age": AGES,
    }
    if draw(st.integers(0, 4)):
        return draw(st.sampled_from(pools.get(column, UNITS)))
    return draw(st.text(alphabet='0123456789 .,-"\r\nx\u00e9\x00\x07', max_size=6))


@st.composite
def _line(draw: st.DrawFn, header: list[str]) -> str:
    cells = [draw(_good_cell(name)) for name in header]
    kind = draw(st.integers(0, 29))
    if kind < 18:
        return ",".join(cells)  # a good row (unless its barcode came before)
    if kind < 24:  # one odd cell in a good row
        at = draw(st.integers(0, len(cells) - 1))
        cells[at] = draw(_odd_cell(header[at]))
    elif kind == 24:
        return ""
    elif kind == 25:
        return draw(st.sampled_from([" ", ",,,,", ",", "  ,  "]))
    elif kind == 26:
        cells = cells[:-1]
    elif kind == 27:
        cells = [*cells, "extra"]
    else:  # a quoted cell, perhaps over two lines, perhaps with quotes inside
        at = draw(st.integers(0, len(cells) - 1))
        inner = cells[at] + draw(st.sampled_from(["", "", "\n", '""', ",", "\r\n"]))
        cells[at] = '"' + inner.replace('"', '""') + '"'
    return ",".join(cells)


@st.composite
def _files(draw: st.DrawFn) -> str:
    optional = draw(st.lists(st.sampled_from(["tax_rate", "unit", "plu", "min_age"]), unique=True))
    header = draw(st.permutations(["barcode", "name", "price", *optional]))
    shown = [draw(st.sampled_from([c, c.upper(), f" {c} "])) for c in header]
    lines = [",".join(shown), *draw(st.lists(_line(header), max_size=25))]
    if draw(st.integers(0, 9)) == 0:
        lines.insert(0, "")  # a blank line before the header
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    text = end.join(lines) + draw(st.sampled_from([end, "", end + end]))
    return text


def _read(text: str, *, bulk: bool) -> tuple[CatalogFile, int]:
    seen: list[int] = []
    parsed = read_catalog(text, PATTERNS, seen.append, bulk=bulk)
    return parsed, sum(seen)


def _same(text: str) -> None:
    bulk, bulk_progress = _read(text, bulk=True)
    reference, reference_progress = _read(text, bulk=False)
    assert bulk.errors == reference.errors
    assert list(bulk.rows()) == list(reference.rows())
    assert bulk.count == reference.count
    assert bulk.barcodes() == reference.barcodes()
    assert bulk_progress == reference_progress


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_files(), st.integers(1, 6), st.integers(1, 4))
def test_the_bulk_path_reads_every_file_as_the_row_by_row_reference(
    text: str, chunk: int, every: int
) -> None:
    with (
        mock.patch.object(catalog_csv, "CHUNK", chunk),
        mock.patch.object(catalog_csv, "PROGRESS_EVERY", every),
    ):
        _same(text)


@pytest.mark.parametrize(
    ("column", "pool"),
    [
        ("barcode", BARCODES),
        ("name", NAMES),
        ("price", PRICES),
        ("tax_rate", RATES),
        ("unit", UNITS),
        ("plu", PLUS),
        ("min_age", AGES),
    ],
)
def test_each_odd_cell_among_good_rows_is_read_as_the_reference(
    column: str, pool: list[str]
) -> None:
    """Every odd cell of the pools, alone in a chunk of good rows (the case where only the
    column checks decide), in plain, CRLF and quoted files."""
    header = ["unit", "price", "barcode", "name", "tax_rate", "plu", "min_age"]
    good = ["kg", "1.20", "", "Pen", "20", "", "18"]
    at = header.index(column)
    for value in pool:
        for end, quote in (("\n", False), ("\r\n", False), ("\n", True)):
            lines = [",".join(header)]
            for n in range(8):
                cells = [*good]
                cells[2] = _code(n)
                if n == 5:
                    cells[at] = value
                if quote:
                    cells = ['"' + cell.replace('"', '""') + '"' for cell in cells]
                lines.append(",".join(cells))
            text = end.join(lines) + end
            for chunk in (3, 10_000):
                with mock.patch.object(catalog_csv, "CHUNK", chunk):
                    _same(text)


def _good_file(rows: int, end: str = "\n", quoted: bool = False) -> str:
    name = '"Pens, pack of {}"' if quoted else "Pens pack of {}"
    lines = ["barcode,name,price,tax_rate,unit"]
    for n in range(rows):
        code = _code(n) if n % 7 else _upc(n)
        unit = "kg" if n % 5 == 0 else "each"
        lines.append(f"{code},{name.format(n)},{n % 900}.{n % 100:02d},{(0, 5, 20)[n % 3]},{unit}")
    return end.join(lines) + end


@pytest.mark.parametrize(
    "text",
    [_good_file(25_000), _good_file(25_000, "\r\n"), _good_file(25_000, quoted=True)],
    ids=["plain", "crlf", "quoted"],
)
def test_a_good_file_is_read_by_the_bulk_path_alone(text: str) -> None:
    """Not one row of a good file is checked row by row (whether the lines are split by
    the bulk path itself or by the CSV reader), and the result is the reference's."""
    with mock.patch.object(catalog_check.Checker, "row", side_effect=AssertionError):
        bulk, progress = _read(text, bulk=True)
    assert bulk.ok
    assert bulk.count == 25_000
    assert progress == 25_000
    reference, _ = _read(text, bulk=False)
    assert list(bulk.rows()) == list(reference.rows())
    name = "Pens, pack of 0" if '"' in text else "Pens pack of 0"
    assert next(bulk.rows()) == ("0" + _upc(0), name, 0, 0, "kg", None, None)  # UPC-A as EAN-13


def test_one_bad_row_in_a_large_file_is_named_as_the_reference_names_it() -> None:
    text = _good_file(30_000)
    lines = text.split("\n")
    lines[12_345] = lines[12_345].replace(".", ",", 1)  # one field too many
    lines[20_001] = lines[3]  # a duplicate barcode
    bad = "\n".join(lines)
    bulk, progress = _read(bad, bulk=True)
    reference, reference_progress = _read(bad, bulk=False)
    assert [str(e) for e in bulk.errors] == [
        "line 12346: 6 fields, but the header has 5",
        f"line 20002: barcode {_code(2)} is already on line 4",
    ]
    assert bulk.errors == reference.errors
    assert list(bulk.rows()) == list(reference.rows())
    assert progress == reference_progress == 30_000


def test_broken_csv_after_many_rows_restarts_row_by_row_with_the_same_progress() -> None:
    text = _good_file(23_000) + '96385074,"Gum,0.75,20,each\n4006381333931,Pen,1.20,20,each\n'
    bulk, progress = _read(text, bulk=True)
    reference, reference_progress = _read(text, bulk=False)
    assert bulk.errors == reference.errors
    assert "not valid CSV" in bulk.errors[-1].message
    assert progress == reference_progress


def test_a_name_over_two_lines_restarts_row_by_row() -> None:
    text = _good_file(12_000, quoted=True) + '96385074,"Gum\nmint",0.75,20,each\n'
    bulk, _ = _read(text, bulk=True)
    reference, _ = _read(text, bulk=False)
    assert bulk.errors == reference.errors
    assert [str(e) for e in bulk.errors] == [
        "line 12003: name contains an invisible or control character (U+000A)"
    ]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_cell_beyond_the_csv_readers_limit_restarts_row_by_row(quoted: bool) -> None:
    """The CSV reader refuses a field over its limit (131,072 characters) and stops there;
    the bulk path, which split the lines itself, finds the same error the same way."""
    text = _good_file(12_000, quoted=quoted) + f"96385074,{'x' * 200_000},0.75,20,each\n"
    bulk, progress = _read(text, bulk=True)
    reference, reference_progress = _read(text, bulk=False)
    assert bulk.errors == reference.errors
    assert [str(e) for e in bulk.errors] == [
        "line 12002: not valid CSV (field larger than field limit (131072)); "
        "rows after it were not checked"
    ]
    assert progress == reference_progress


def test_plu_and_min_age_are_read_and_written_back() -> None:
    text = (
        "barcode,name,price,plu,min_age\n"
        f"{_code(1)},Bananas loose,0.85,4011,\n"
        f"{_code(2)},Red wine,7.50,,18\n"
        f"{_code(3)},Organic bananas,1.10, 94011 ,\n"
    )
    for bulk in (True, False):
        parsed = read_catalog(text, PATTERNS, bulk=bulk)
        assert parsed.ok, parsed.errors
        rows = list(parsed.rows())
        assert [(r[5], r[6]) for r in rows] == [("4011", None), (None, 18), ("94011", None)]
        assert parsed.plus == {"4011": (2, _code(1)), "94011": (4, _code(3))}
    out = io.StringIO()
    write_catalog(map(product_from_row, read_catalog(text, PATTERNS).rows()), out)
    written = out.getvalue()
    assert written.splitlines()[0] == "barcode,name,price,tax_rate,unit,plu,min_age"
    assert written.splitlines()[1] == f"{_code(1)},Bananas loose,0.85,0,each,4011,"
    assert written.splitlines()[2] == f"{_code(2)},Red wine,7.50,0,each,,18"
    again = read_catalog(written, PATTERNS)
    assert list(again.rows()) == list(read_catalog(text, PATTERNS).rows())


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("plu=401", "plu '401' is not 4 or 5 digits (a price look-up code such as 4011)"),
        ("plu=abcd", "plu 'abcd' is not 4 or 5 digits"),
        ("plu=123456", "leave it empty if the product has none"),
        ("min_age=0", "min_age '0' is not a whole number of years from 1 to 99 (such as 18)"),
        ("min_age=100", "min_age '100' is not a whole number of years from 1 to 99"),
        ("min_age=17.5", "leave it empty if anyone may buy it"),
    ],
)
def test_a_bad_plu_or_min_age_is_refused_with_what_to_do(cell: str, message: str) -> None:
    column, value = cell.split("=")
    text = f"barcode,name,price,{column}\n{_code(1)},Pen,1.00,\n{_code(2)},Ink,1.00,{value}\n"
    for bulk in (True, False):
        parsed = read_catalog(text, PATTERNS, bulk=bulk)
        assert [e.line for e in parsed.errors] == [3]
        assert message in parsed.errors[0].message


def test_a_plu_twice_names_both_lines() -> None:
    lines = [f"{_code(n)},Item {n},1.00,{4000 + n}" for n in range(20)]
    lines[15] = f"{_code(15)},Item 15,1.00,4003"
    text = "barcode,name,price,plu\n" + "\n".join(lines) + "\n"
    for bulk in (True, False):
        parsed = read_catalog(text, PATTERNS, bulk=bulk)
        assert [str(e) for e in parsed.errors] == [
            "line 17: plu 4003 is already on line 5: each PLU belongs to one product; "
            "give this one another or leave it empty"
        ]

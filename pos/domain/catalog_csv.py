"""The catalog CSV format: ``barcode,name,price[,tax_rate][,unit]``.

* ``price`` is a decimal string in major units (``0.50``), at most two decimals;
  for ``kg`` products it is the price per kg.
* ``tax_rate`` is a percent (``20``, ``5``, ``12.5``), default 0.
* ``unit`` is ``each`` (the default) or ``kg``.

Reading validates every row and reports each bad one by its line number; the
caller imports nothing unless the whole file is good. Writing produces the same
format, so an export imports back to the same catalog and exports identically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pos.domain.barcodes import DEFAULT_PATTERNS, BarcodeError, BarcodePattern, normalise
from pos.domain.barcodes import catalog_code_problem as barcode_problem
from pos.domain.catalog import MAX_TAX_RATE, Product, Unit
from pos.domain.money import MoneyError, format_money, format_scaled, parse_decimal, parse_money
from pos.domain.text import TextError, clean_name

REQUIRED = ("barcode", "name", "price")
OPTIONAL = ("tax_rate", "unit")
COLUMNS = REQUIRED + OPTIONAL
MAX_FIELD = 1_000
"""Longer cells are refused before any other check (a 10 MB 'name' is not a name)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad row: its line number in the file and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class CatalogFile:
    """The outcome of reading a catalog CSV."""

    products: list[Product] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_tax_rate(text: str) -> int:
    """A percent string (``"20"``, ``"12.5"``) as basis points; blank is 0."""
    if not text.strip():
        return 0
    try:
        rate = parse_decimal(text, 2, what="tax_rate")
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    if not 0 <= rate <= MAX_TAX_RATE:
        raise ValueError(f"tax_rate {text.strip()!r} must be between 0 and 100")
    return rate


def make_product(
    barcode: str,
    name: str,
    price: str,
    tax_rate: str = "",
    unit: str = "",
    patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
) -> Product:
    """Build a valid product from text fields.

    Raises:
        ValueError: naming the field and the problem.
    """
    try:
        code = normalise(barcode.strip())
    except BarcodeError as exc:
        raise ValueError(f"barcode: {exc}") from None
    problem = barcode_problem(code, patterns)
    if problem:
        raise ValueError(f"barcode: {problem}")
    try:
        clean = clean_name(name)
    except TextError as exc:
        raise ValueError(str(exc)) from None
    try:
        minor = parse_money(price)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    rate = parse_tax_rate(tax_rate)
    unit_text = unit.strip().lower() or Unit.EACH.value
    if unit_text not in {u.value for u in Unit}:
        raise ValueError(f"unit {unit.strip()!r} is not 'each' or 'kg'")
    return Product(code, clean, minor, rate, Unit(unit_text))


class NotUtf8Error(ValueError):
    """The file is not UTF-8; ``error`` names the line."""

    def __init__(self, error: RowError) -> None:
        super().__init__(str(error))
        self.error = error


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM is dropped).

    Raises:
        NotUtf8Error: the bytes are not UTF-8, naming the line.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise NotUtf8Error(
            RowError(
                line,
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as CSV UTF-8",
            )
        ) from None


PROGRESS_EVERY = 5_000


def read_catalog(
    text: str,
    patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
    progress: Callable[[int], None] | None = None,
) -> CatalogFile:
    """Validate a whole catalog CSV (see the module docstring).

    Args:
        text: The decoded file.
        patterns: The variable-measure table (in-store codes must have zero value digits).
        progress: Called with the number of rows read since the last call.
    """
    result = CatalogFile()
    if not text.strip():
        result.errors.append(
            RowError(1, "the file is empty; expected a header: barcode,name,price")
        )
        return result
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        while not any(header):  # blank lines before the header
            header = [cell.strip().lower() for cell in next(reader)]
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, f"the header is not valid CSV ({exc})"))
        return result
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    dupes = sorted({c for c in header if header.count(c) > 1})
    header_line = reader.line_num
    if missing or unknown or dupes:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(repr(c) for c in unknown)}")
        if dupes:
            parts.append(f"column(s) named twice: {', '.join(dupes)}")
        result.errors.append(
            RowError(header_line, "; ".join(parts) + f" (columns are {','.join(COLUMNS)})")
        )
        return result
    index = {name: header.index(name) for name in header}
    seen: dict[str, int] = {}
    line_no = 1
    rows = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # the CSV reader cannot find its place again after this: say so
            result.errors.append(
                RowError(reader.line_num, f"not valid CSV ({exc}); rows after it were not checked")
            )
            break
        line_no = reader.line_num
        rows += 1
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are allowed (a trailing newline, a spacer)
        if len(cells) != len(header):
            result.errors.append(
                RowError(line_no, f"{len(cells)} fields, but the header has {len(header)}")
            )
            continue
        if any(len(cell) > MAX_FIELD for cell in cells):
            result.errors.append(
                RowError(line_no, f"a field is longer than {MAX_FIELD} characters")
            )
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            return cells[index[name]] if name in index else ""

        try:
            product = make_product(
                cell("barcode"),
                cell("name"),
                cell("price"),
                cell("tax_rate"),
                cell("unit"),
                patterns,
            )
        except ValueError as exc:
            result.errors.append(RowError(line_no, str(exc)))
            continue
        first = seen.get(product.barcode)
        if first is not None:
            result.errors.append(
                RowError(line_no, f"barcode {product.barcode} is already on line {first}")
            )
            continue
        seen[product.barcode] = line_no
        result.products.append(product)
    if progress is not None:
        progress(rows % PROGRESS_EVERY)
    return result


def write_catalog(products: Iterable[Product], out: io.TextIOBase | io.StringIO) -> int:
    """Write products in the import format; returns how many rows were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for p in products:
        writer.writerow(
            [p.barcode, p.name, format_money(p.price), format_scaled(p.tax_rate, 2), p.unit.value]
        )
        count += 1
    return count

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any, Protocol, TypeVar

from pos.domain.barcodes import (
    DEFAULT_PATTERNS,
    BarcodeError,
    BarcodePattern,
    check_digits_valid,
    normalise,
)
from pos.domain.barcodes import catalog_code_problem as barcode_problem
from pos.domain.catalog import MAX_TAX_RATE, Product, ProductRow, Unit, product_from_row
from pos.domain.money import MoneyError, format_money, format_scaled, parse_decimal, parse_money
from pos.domain.text import MAX_NAME_LENGTH, TextError, clean_name

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


Columns = tuple[list[str], list[str], list[int], list[int], list[str]]
"""Good rows a column at a time: barcodes, names, prices, tax rates, units."""


class CatalogFile:
    """The outcome of reading a catalog CSV: the good rows, in file order, and the errors.

    The rows are kept a column at a time (as they are checked), not as a million tuples:
    :meth:`rows` streams them as :data:`~pos.domain.catalog.ProductRow` tuples.
    """

    __slots__ = ("_batches", "_loose", "count", "errors")

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.count = 0
        """How many good rows."""
        self._batches: list[Columns] = []
        self._loose: Columns | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_columns(self, columns: Columns) -> None:
        """Good rows, as parallel columns of equal length."""
        self._batches.append(columns)
        self._loose = None
        self.count += len(columns[0])

    def add_row(self, row: ProductRow) -> None:
        if self._loose is None:
            self._loose = ([], [], [], [], [])
            self._batches.append(self._loose)
        codes, names, prices, rates, units = self._loose
        code, name, price, rate, unit = row
        codes.append(code)
        names.append(name)
        prices.append(price)
        rates.append(rate)
        units.append(unit)
        self.count += 1

    def rows(self) -> Iterator[ProductRow]:
        """The good rows in file order, one tuple at a time."""
        return chain.from_iterable(zip(*batch, strict=True) for batch in self._batches)

    def barcodes(self) -> list[str]:
        return list(chain.from_iterable(batch[0] for batch in self._batches))


def _columns(count: int) -> str:
    return "column" if count == 1 else "columns"


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


UNITS = frozenset(u.value for u in Unit)


def parse_unit(text: str) -> str:
    """The unit's value (``each`` when blank, any case).

    Raises:
        ValueError: not ``each`` or ``kg``.
    """
    unit = text.strip().lower() or Unit.EACH.value
    if unit not in UNITS:
        raise ValueError(f"unit {text.strip()!r} is not 'each' or 'kg'")
    return unit


def make_row(
    barcode: str,
    name: str,
    price: str,
    tax_rate: str = "",
    unit: str = "",
    patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
) -> ProductRow:
    """Validate one product's text fields: the reference check of every import row.

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
    return (code, clean, minor, parse_tax_rate(tax_rate), parse_unit(unit))


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
    return product_from_row(make_row(barcode, name, price, tax_rate, unit, patterns))


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
CHUNK = 10_000
"""Rows checked together by the bulk path of :func:`read_catalog`."""


class _RowByRow(Exception):
    """A quoted field spans lines, or the CSV is broken: only the row-by-row reading
    knows each row's line number (and where the CSV broke). ``args[0]`` is how many rows
    were reported to ``progress`` before."""


def read_catalog(
    text: str,
    patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
    progress: Callable[[int], None] | None = None,
    *,
    bulk: bool = True,
) -> CatalogFile:
    """Validate a whole catalog CSV (see the module docstring).

    Rows are read in chunks of :data:`CHUNK` and each column of a chunk is checked at
    once (see :class:`_Checker`); a chunk with any bad row is checked again row by row
    with :func:`make_row`, which names the line and the problem. ``bulk=False`` checks
    every row that way: the reference that the bulk path is tested against (the same
    rows, values and errors).

    Args:
        text: The decoded file.
        patterns: The variable-measure table (in-store codes must have zero value digits).
        progress: Called with the number of rows read since the last call.
        bulk: Check rows a chunk at a time (the default) or one at a time.
    """
    if bulk:
        try:
            return _read(text, patterns, progress, bulk=True)
        except _RowByRow as restart:
            progress = _skipping(progress, restart.args[0])
    return _read(text, patterns, progress, bulk=False)


def _read(
    text: str,
    patterns: tuple[BarcodePattern, ...],
    progress: Callable[[int], None] | None,
    *,
    bulk: bool,
) -> CatalogFile:
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
            parts.append(f"missing {_columns(len(missing))} {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {_columns(len(unknown))} {', '.join(repr(c) for c in unknown)}")
        if dupes:
            parts.append(f"{_columns(len(dupes))} named twice: {', '.join(dupes)}")
        result.errors.append(
            RowError(header_line, "; ".join(parts) + f" (columns are {','.join(COLUMNS)})")
        )
        return result
    checker = _Checker(header, patterns, result)
    rows = 0
    if bulk:
        lines_text = _plain_lines(text)
        plain = lines_text is not None
        chunks: Iterator[tuple[list[str] | list[list[str]], range, Iterable[list[str]]]] = (
            _line_chunks(lines_text, header_line) if lines_text is not None else _csv_chunks(reader)
        )
        for chunk, lines, records in chunks:
            if not checker.chunk(chunk, lines, split=plain):
                try:
                    for cells, line_no in zip(records, lines, strict=True):
                        checker.row(cells, line_no)
                except csv.Error:
                    raise _RowByRow(rows - rows % PROGRESS_EVERY) from None
            if progress is not None:
                for _ in range((rows + len(chunk)) // PROGRESS_EVERY - rows // PROGRESS_EVERY):
                    progress(PROGRESS_EVERY)
            rows += len(chunk)
    else:
        while True:
            start = reader.line_num + 1  # the line the next row starts on
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # the CSV reader cannot find its place again after this: say so, at the
                # line where the broken row began (a quote never closed swallows the
                # lines after it until the reader gives up, far below the mistake)
                end = reader.line_num
                if end > start:
                    error = RowError(
                        start,
                        f"not valid CSV ({exc}) in the row from line {start} to line {end}, "
                        "a quote that is never closed?; rows after it were not checked",
                    )
                else:
                    error = RowError(end, f"not valid CSV ({exc}); rows after it were not checked")
                result.errors.append(error)
                break
            rows += 1
            if progress is not None and rows % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
            checker.row(cells, reader.line_num)
    if progress is not None:
        progress(rows % PROGRESS_EVERY)
    return result


def _plain_lines(text: str) -> str | None:
    """The file as lines ending in ``\\n``, if the CSV reader would split each line at
    every comma and read one row a line: no quotes, and no carriage return but in
    ``\\r\\n`` line ends (which become ``\\n``). None for any other file."""
    if '"' in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        return text.replace("\r\n", "\n")
    return text


def _line_chunks(
    text: str, header_line: int
) -> Iterator[tuple[list[str], range, Iterable[list[str]]]]:
    """The data lines (after the header's line) of a :func:`_plain_lines` text, CHUNK at
    a time, with their line numbers and their rows (read only if they are asked for)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the file ends with a newline: no row after it
    for start in range(header_line, len(lines), CHUNK):
        chunk = lines[start : start + CHUNK]
        yield chunk, range(start + 1, start + 1 + len(chunk)), csv.reader(chunk, strict=True)


def _csv_chunks(reader: Any) -> Iterator[tuple[list[list[str]], range, Iterable[list[str]]]]:
    """The CSV reader's rows, CHUNK at a time, with their line numbers and the rows again
    (as :func:`_line_chunks` gives them), or _RowByRow where a row spans lines or the
    CSV breaks."""
    done = 0  # rows yielded (and checked, when the next chunk is asked for)
    while True:
        first = reader.line_num
        try:
            chunk = list(islice(reader, CHUNK))
        except csv.Error:
            raise _RowByRow(done - done % PROGRESS_EVERY) from None
        if not chunk:
            return
        if reader.line_num - first != len(chunk):
            # a row spans lines: its line number is unknown here
            raise _RowByRow(done - done % PROGRESS_EVERY)
        yield chunk, range(first + 1, reader.line_num + 1), chunk
        done += len(chunk)


def _skipping(progress: Callable[[int], None] | None, done: int) -> Callable[[int], None] | None:
    """``progress`` less the first ``done`` rows (already reported before a restart)."""
    if progress is None or not done:
        return progress
    left = done

    def report(count: int) -> None:
        nonlocal left
        skipped = min(count, left)
        left -= skipped
        if count > skipped:
            progress(count - skipped)

    return report


class _Checker:
    """Checks the data rows of one file against its header, and the barcodes against
    each other; good rows go to ``result`` and bad ones to ``result.errors``.

    :meth:`row` checks one row with :func:`make_row` (the reference). :meth:`chunk`
    checks many rows a column at a time: string methods that run over a whole column in
    C (``"".join(codes).isdigit()``), the bulk check digit test, and each distinct tax
    rate and unit of the chunk parsed once by the reference parser. It accepts a chunk
    only if every row of it is good and reports no error: a chunk it refuses is checked
    row by row, which names each problem. So it accepts exactly what :meth:`row`
    accepts, with the same values (property-tested).
    """

    def __init__(
        self, header: list[str], patterns: tuple[BarcodePattern, ...], result: CatalogFile
    ) -> None:
        self.width = len(header)
        self.index = {name: header.index(name) for name in header}
        self.patterns = patterns
        self.prefixes = frozenset(p.pattern[0] for p in patterns)
        self.result = result
        self.seen: set[str] = set()
        self._placed: list[tuple[Sequence[str], Sequence[int]]] = []
        self._first_lines: dict[str, int] = {}
        self._indexed = 0

    def _first_line(self, barcode: str) -> int:
        """The line of the good row with ``barcode`` (the map is built only when a
        duplicate is found: a good file never needs it)."""
        for codes, lines in self._placed[self._indexed :]:
            self._first_lines.update(zip(codes, lines, strict=True))
        self._indexed = len(self._placed)
        return self._first_lines[barcode]

    def row(self, cells: Sequence[str], line_no: int) -> None:
        result = self.result
        if not any(cell.strip() for cell in cells):
            return  # blank lines are allowed (a trailing newline, a spacer)
        if len(cells) != self.width:
            result.errors.append(
                RowError(line_no, f"{len(cells)} fields, but the header has {self.width}")
            )
            return
        if any(len(cell) > MAX_FIELD for cell in cells):
            result.errors.append(
                RowError(line_no, f"a field is longer than {MAX_FIELD} characters")
            )
            return
        index = self.index

        def cell(name: str) -> str:
            return cells[index[name]] if name in index else ""

        try:
            row = make_row(
                cell("barcode"),
                cell("name"),
                cell("price"),
                cell("tax_rate"),
                cell("unit"),
                self.patterns,
            )
        except ValueError as exc:
            result.errors.append(RowError(line_no, str(exc)))
            return
        code = row[0]
        if code in self.seen:
            first = self._first_line(code)
            result.errors.append(RowError(line_no, f"barcode {code} is already on line {first}"))
            return
        self.seen.add(code)
        self._placed.append(((code,), (line_no,)))
        result.add_row(row)

    def chunk(self, chunk: list[Any], lines: Sequence[int], *, split: bool) -> bool:
        """Check ``chunk`` (rows on ``lines``: lines of text to split at commas, or the
        CSV reader's rows) at once; False, with nothing kept, if any row of it is bad or
        needs a closer look."""
        blank: Any = "" if split else []
        if blank in chunk:
            kept = [(cells, line) for cells, line in zip(chunk, lines, strict=True) if cells]
            chunk = [cells for cells, _ in kept]
            lines = [line for _, line in kept]
            if not chunk:
                return True
        width = self.width
        columns: list[Sequence[str]]
        if split:
            if set(map(str.count, chunk, repeat(","))) != {width - 1}:
                return False
            cells = ",".join(chunk).split(",")
            columns = [cells[i::width] for i in range(width)]
        else:
            try:
                columns = list(zip(*chunk, strict=True))
            except ValueError:
                return False
            if len(columns) != width:
                return False
        index = self.index
        codes = self._barcodes(columns[index["barcode"]])
        names = _names(columns[index["name"]])
        prices = _prices(columns[index["price"]])
        if codes is None or names is None or prices is None:
            return False
        count = len(codes)
        rates = [0] * count
        if "tax_rate" in index:
            parsed_rates = _each_distinct(columns[index["tax_rate"]], parse_tax_rate)
            if parsed_rates is None:
                return False
            rates = parsed_rates
        units = [Unit.EACH.value] * count
        if "unit" in index:
            parsed_units = _each_distinct(columns[index["unit"]], parse_unit)
            if parsed_units is None:
                return False
            units = parsed_units
        distinct = set(codes)
        if len(distinct) != count or not self.seen.isdisjoint(distinct):
            return False  # a barcode twice: the row-by-row check names both lines
        self.seen |= distinct
        self._placed.append((codes, lines))
        self.result.add_columns((codes, names, prices, rates, units))
        return True

    def _barcodes(self, column: Sequence[str]) -> list[str] | None:
        """The codes as :func:`normalise` returns them, or None if any is bad (the same
        tests: ASCII digits, 8, 12 or 13 of them, the check digit; then the in-store
        codes' value digits, by :func:`barcode_problem` itself)."""
        if not check_digits_valid(column):
            return None
        codes = (
            [("0" + c if len(c) == 12 else c) for c in column]
            if 12 in map(len, column)
            else [*column]
        )
        if self.prefixes and not self.prefixes.isdisjoint(map(itemgetter(0), codes)):
            prefixes, patterns = self.prefixes, self.patterns
            if any(c[0] in prefixes and barcode_problem(c, patterns) for c in codes):
                return None
        return codes


def _names(column: Sequence[str]) -> list[str] | None:
    """The names as :func:`clean_name` returns them, or None if any is bad. Printable
    ASCII (tested on the whole column at once) is already NFC and holds no control
    character, and its only whitespace is the space; any other name goes to clean_name."""
    if max(map(len, column)) > MAX_FIELD:
        return None
    joined = "".join(column)
    if joined.isascii() and joined.isprintable():
        names = list(map(str.strip, column))
        lengths = set(map(len, names))
        return None if 0 in lengths or max(lengths) > MAX_NAME_LENGTH else names
    try:
        return list(map(clean_name, column))
    except TextError:
        return None


def _prices(column: Sequence[str]) -> list[int] | None:
    """The prices as :func:`parse_money` returns them, or None if any is bad. A column of
    plain ``123.45`` prices (1 to 9 ASCII digits, one point, 2 digits: at most
    999,999,999.99, never negative) is read at once; any other goes to parse_money."""
    lengths = set(map(len, column))
    if min(lengths) >= 4 and max(lengths) <= 12:
        joined = ",".join(column)
        if joined.count(".") == len(column) and "".join(map(itemgetter(-3), column)) == (
            "." * len(column)
        ):
            digits = joined.replace(".", "").split(",")
            together = "".join(digits)
            if len(digits) == len(column) and together.isascii() and together.isdigit():
                return list(map(int, digits))
    if max(lengths) > MAX_FIELD:
        return None
    try:
        return list(map(parse_money, column))
    except MoneyError:
        return None


T = TypeVar("T")


def _each_distinct(column: Sequence[str], parse: Callable[[str], T]) -> list[T] | None:
    """``parse`` of every cell, calling it once per distinct cell (a column of tax rates
    or units holds a handful); None if any cell is bad."""
    try:
        parsed = {text: parse(text) for text in set(column) if len(text) <= MAX_FIELD}
        return list(map(parsed.__getitem__, column))
    except (ValueError, KeyError):  # KeyError: a cell longer than MAX_FIELD
        return None


class TextOut(Protocol):
    """Where :func:`write_catalog` writes: an open text file, a ``StringIO``, stdout."""

    def write(self, text: str, /) -> object: ...


def write_catalog(products: Iterable[Product], out: TextOut) -> int:
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

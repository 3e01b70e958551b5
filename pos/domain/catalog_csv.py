"""The catalog CSV format: ``barcode,name,price[,tax_rate][,unit][,plu][,min_age]``.

* ``price`` is a decimal string in major units (``0.50``), at most two decimals;
  for ``kg`` products it is the price per kg.
* ``tax_rate`` is a percent (``20``, ``5``, ``12.5``), default 0.
* ``unit`` is ``each`` (the default) or ``kg``.
* ``plu`` is the price look-up code of loose produce, 4 or 5 digits (``4011``), unique in
  the file; empty (the default) for none.
* ``min_age`` is the age a customer must be to buy the product (``18``), 1 to 99; empty
  (the default) for any age.

A column left out of the file is its default for every new product, and a product the
catalog has already keeps its value: a supplier's price file of ``barcode,name,price``
takes no age limit, PLU or VAT rate off.

Reading validates every row (the checks of each cell are in
:mod:`pos.domain.catalog_check`) and reports each bad one by its line number; the
caller imports nothing unless the whole file is good. Writing produces the same
format, so an export imports back to the same catalog and exports identically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, Protocol

from pos.domain.barcodes import DEFAULT_PATTERNS, BarcodePattern
from pos.domain.catalog import Product, ProductRow
from pos.domain.catalog_check import Checker
from pos.domain.money import format_money, format_scaled

REQUIRED = ("barcode", "name", "price")
OPTIONAL = ("tax_rate", "unit", "plu", "min_age")
COLUMNS = REQUIRED + OPTIONAL


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad row: its line number in the file and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


Columns = tuple[
    list[str], list[str], list[int], list[int], list[str], list[str | None], list[int | None]
]
"""Good rows a column at a time: barcodes, names, prices, tax rates, units, PLUs, ages."""


class CatalogFile:
    """The outcome of reading a catalog CSV: the good rows, in file order, and the errors.

    The rows are kept a column at a time (as they are checked), not as a million tuples:
    :meth:`rows` streams them as :data:`~pos.domain.catalog.ProductRow` tuples.
    """

    __slots__ = ("_batches", "_loose", "count", "errors", "left_out", "plus")

    def __init__(self) -> None:
        self.errors: list[RowError] = []
        self.left_out: tuple[str, ...] = ()
        """The optional columns the file does not have: a product already in the catalog
        keeps its values of them (a new one takes their defaults)."""
        self.count = 0
        """How many good rows."""
        self.plus: dict[str, tuple[int, str]] = {}
        """Every PLU of the good rows: the line it is on and its product's barcode."""
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

    def add_error(self, line: int, message: str) -> None:
        """A bad row: the line it is on and why."""
        self.errors.append(RowError(line, message))

    def add_row(self, row: ProductRow) -> None:
        if self._loose is None:
            self._loose = ([], [], [], [], [], [], [])
            self._batches.append(self._loose)
        codes, names, prices, rates, units, plus, ages = self._loose
        code, name, price, rate, unit, plu, age = row
        codes.append(code)
        names.append(name)
        prices.append(price)
        rates.append(rate)
        units.append(unit)
        plus.append(plu)
        ages.append(age)
        self.count += 1

    def rows(self) -> Iterator[ProductRow]:
        """The good rows in file order, one tuple at a time."""
        return chain.from_iterable(zip(*batch, strict=True) for batch in self._batches)

    def barcodes(self) -> list[str]:
        return list(chain.from_iterable(batch[0] for batch in self._batches))


def _columns(count: int) -> str:
    return "column" if count == 1 else "columns"


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
    once (see :class:`~pos.domain.catalog_check.Checker`); a chunk with any bad row is
    checked again row by row with :func:`~pos.domain.catalog_check.make_row`, which names
    the line and the problem. ``bulk=False`` checks every row that way: the reference
    that the bulk path is tested against (the same rows, values and errors).

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
    result.left_out = tuple(c for c in OPTIONAL if c not in header)
    checker = Checker(header, patterns, result)
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


class TextOut(Protocol):
    """Where :func:`write_catalog` writes: an open text file, a ``StringIO``, stdout."""

    def write(self, text: str, /) -> object: ...


def write_catalog(products: Iterable[Product], out: TextOut) -> int:
    """Write products in the import format, every column always (``plu`` and ``min_age``
    empty where a product has none, so that one file's header fits every catalog);
    returns how many rows were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for p in products:
        writer.writerow(
            [
                p.barcode,
                p.name,
                format_money(p.price),
                format_scaled(p.tax_rate, 2),
                p.unit.value,
                p.plu or "",
                "" if p.min_age is None else p.min_age,
            ]
        )
        count += 1
    return count

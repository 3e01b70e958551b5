"""Which rows of a catalog CSV are good, and their values: the checks of every cell.

:func:`make_row` checks one row's text fields: the reference. :class:`Checker` checks
the data rows of a file against its header and the barcodes against each other, either
a row at a time with :func:`make_row` or a whole chunk a column at a time, which is what
makes a million-row import quick; it accepts exactly what :func:`make_row` accepts. Kept
apart from :mod:`pos.domain.catalog_csv`, which reads and writes the file (its header,
its lines, the progress) and hands each row to the checker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from pos.domain.barcodes import (
    DEFAULT_PATTERNS,
    BarcodeError,
    BarcodePattern,
    check_digits_valid,
    normalise,
)
from pos.domain.barcodes import catalog_code_problem as barcode_problem
from pos.domain.catalog import (
    MAX_TAX_RATE,
    MIN_AGE_RANGE,
    PLU_LENGTHS,
    Product,
    ProductRow,
    Unit,
    product_from_row,
)
from pos.domain.money import MoneyError, parse_decimal, parse_money
from pos.domain.text import MAX_NAME_LENGTH, TextError, clean_name

if TYPE_CHECKING:
    from pos.domain.catalog_csv import CatalogFile

MAX_FIELD = 1_000
"""Longer cells are refused before any other check (a 10 MB 'name' is not a name)."""


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


def parse_plu(text: str) -> str | None:
    """A PLU cell: 4 or 5 ASCII digits (``4011``), or None when blank. A PLU can never
    be mistaken for a barcode (those are 8, 12 or 13 digits).

    Raises:
        ValueError: not 4 or 5 digits.
    """
    plu = text.strip()
    if not plu:
        return None
    if not (plu.isascii() and plu.isdigit() and len(plu) in PLU_LENGTHS):
        shown = plu if len(plu) <= 20 else plu[:20] + "..."
        raise ValueError(
            f"plu {shown!r} is not 4 or 5 digits (a price look-up code such as 4011); "
            "leave it empty if the product has none"
        )
    return plu


def parse_min_age(text: str) -> int | None:
    """A min_age cell: whole years from 1 to 99 (``18``), or None when blank (anyone).

    Raises:
        ValueError: not a whole number in that range.
    """
    age = text.strip()
    if not age:
        return None
    low, high = MIN_AGE_RANGE
    if not (age.isascii() and age.isdigit() and len(age) <= 2 and low <= int(age) <= high):
        shown = age if len(age) <= 20 else age[:20] + "..."
        raise ValueError(
            f"min_age {shown!r} is not a whole number of years from {low} to {high} "
            "(such as 18); leave it empty if anyone may buy it"
        )
    return int(age)


def make_row(
    barcode: str,
    name: str,
    price: str,
    tax_rate: str = "",
    unit: str = "",
    patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
    plu: str = "",
    min_age: str = "",
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
    return (
        code,
        clean,
        minor,
        parse_tax_rate(tax_rate),
        parse_unit(unit),
        parse_plu(plu),
        parse_min_age(min_age),
    )


def make_product(
    barcode: str,
    name: str,
    price: str,
    tax_rate: str = "",
    unit: str = "",
    patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
    plu: str = "",
    min_age: str = "",
) -> Product:
    """Build a valid product from text fields.

    Raises:
        ValueError: naming the field and the problem.
    """
    return product_from_row(make_row(barcode, name, price, tax_rate, unit, patterns, plu, min_age))


class Checker:
    """Checks the data rows of one file against its header, and the barcodes (and PLUs)
    against each other; good rows go to ``result`` and bad ones to ``result.errors``.

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
        self.plus = result.plus
        """Each PLU of the good rows: the line it is on and its product's barcode."""
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
            result.add_error(line_no, f"{len(cells)} fields, but the header has {self.width}")
            return
        if any(len(cell) > MAX_FIELD for cell in cells):
            result.add_error(line_no, f"a field is longer than {MAX_FIELD} characters")
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
                cell("plu"),
                cell("min_age"),
            )
        except ValueError as exc:
            result.add_error(line_no, str(exc))
            return
        code = row[0]
        if code in self.seen:
            first = self._first_line(code)
            result.add_error(line_no, f"barcode {code} is already on line {first}")
            return
        plu = row[5]
        if plu is not None:
            if plu in self.plus:
                first, _ = self.plus[plu]
                result.add_error(
                    line_no,
                    f"plu {plu} is already on line {first}: each PLU belongs to one product; "
                    "give this one another or leave it empty",
                )
                return
            self.plus[plu] = (line_no, code)
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
        plus: list[str | None] = [None] * count
        if "plu" in index:
            column = columns[index["plu"]]
            if any(column):  # most products have none: an empty column costs one pass
                try:
                    plus = [parse_plu(text) if len(text) <= MAX_FIELD else "" for text in column]
                except ValueError:
                    return False
                if "" in plus:
                    return False
        ages: list[int | None] = [None] * count
        if "min_age" in index:
            parsed_ages = _each_distinct(columns[index["min_age"]], parse_min_age)
            if parsed_ages is None:
                return False
            ages = parsed_ages
        distinct = set(codes)
        if len(distinct) != count or not self.seen.isdisjoint(distinct):
            return False  # a barcode twice: the row-by-row check names both lines
        given = [
            (plu, line, code) for plu, line, code in zip(plus, lines, codes, strict=True) if plu
        ]
        if given:
            chunk_plus = {plu for plu, _, _ in given}
            if len(chunk_plus) != len(given) or not chunk_plus.isdisjoint(self.plus):
                return False  # a PLU twice: the row-by-row check names both lines
            self.plus.update((plu, (line, code)) for plu, line, code in given)
        self.seen |= distinct
        self._placed.append((codes, lines))
        self.result.add_columns((codes, names, prices, rates, units, plus, ages))
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

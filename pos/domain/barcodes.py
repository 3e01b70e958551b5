"""Barcodes: check digits, UPC-A normalisation and variable-measure codes.

Accepted symbologies: EAN-13, EAN-8 and UPC-A. A UPC-A code (12 digits) is the
EAN-13 with a leading ``0`` and is looked up as such, so a product is found
whichever way the scanner reports it. Check digits (GS1 mod 10) are validated
by python-stdnum before any lookup; the catalog import checks a whole column of
codes at once with :func:`check_digits_valid`, which a property test holds equal
to stdnum.

Variable-measure (in-store) codes follow an ordered table of patterns, the way
the large tills' barcode nomenclatures do: the first pattern that matches a
scanned code decides how it is read. A pattern is 13 characters:

* a digit must match literally and is part of the product code;
* ``I`` is a product-code digit;
* ``V`` is a value digit (zeroed in the product code);
* ``C`` is the check digit.

The default, :data:`DEFAULT_PATTERNS`, reads any EAN-13 starting with ``2`` as
``2IIIIIIVVVVVC``: digits 1-7 name the product (the catalog holds it as those
seven digits, five zeros and a valid check digit), digits 8-12 carry the price
in minor units for ``each`` items or the weight in grams for ``kg`` items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from stdnum import ean  # pure Python, no I/O: the one library the domain uses

from pos.domain.coupons import COUPON_PREFIX
from pos.domain.money import MINOR_DIGITS, round_half_up

MAX_SCAN_LENGTH = 64
"""Anything longer is a stuck key or a paste, never a barcode."""


class BarcodeError(ValueError):
    """A scanned or imported code is not a valid barcode; the message names it."""


class Measure(StrEnum):
    """What the value digits of a variable-measure code carry."""

    AUTO = "auto"  # price for `each` items, weight for `kg` items
    PRICE = "price"
    WEIGHT = "weight"


@dataclass(frozen=True, slots=True)
class BarcodePattern:
    """One row of the variable-measure table.

    Attributes:
        name: Shown in messages and settings.
        pattern: 13 characters of digits, ``I``, ``V`` and ``C`` (see the module docstring).
        measure: What the value digits carry.
        decimals: Decimal places in the value: 2 for a price in minor units, 3 for a
            weight in grams (a value of ``01250`` with 3 decimals is 1.250 kg).
    """

    name: str
    pattern: str
    measure: Measure = Measure.AUTO
    decimals: int | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9IV]{12}C", self.pattern):
            raise ValueError(
                f"barcode pattern {self.pattern!r} must be 12 digits/I/V followed by C"
            )
        if "V" not in self.pattern:
            raise ValueError(f"barcode pattern {self.pattern!r} has no value digits (V)")
        if not self.pattern[0].isdigit():
            # without a fixed prefix every EAN-13 would be read as an in-store code
            raise ValueError(f"barcode pattern {self.pattern!r} must start with a fixed digit")
        if self.decimals is not None and not 0 <= self.decimals <= 3:
            raise ValueError("barcode pattern decimals must be 0 to 3")

    def matches(self, code: str) -> bool:
        """True if ``code`` (13 digits) has this pattern's literal digits."""
        return all(p == c for p, c in zip(self.pattern, code, strict=True) if p.isdigit())

    def product_code(self, code: str) -> str:
        """The catalog code: value digits zeroed and the check digit recomputed."""
        body = "".join(
            "0" if p == "V" else c for p, c in zip(self.pattern[:12], code, strict=False)
        )
        return body + ean.calc_check_digit(body)

    def value(self, code: str) -> int:
        """The raw integer in the value digits."""
        return int("".join(c for p, c in zip(self.pattern, code, strict=True) if p == "V"))


DEFAULT_PATTERNS: tuple[BarcodePattern, ...] = (
    BarcodePattern("In-store price or weight", "2IIIIIIVVVVVC", Measure.AUTO),
)
"""The default table: every EAN-13 starting with 2 is a variable-measure code."""


@dataclass(frozen=True, slots=True)
class Scan:
    """A validated barcode, ready for lookup.

    Attributes:
        code: The code as read, normalised to EAN-13 for UPC-A.
        lookup: The catalog code to look up (the product code of a variable-measure code).
        pattern: The variable-measure pattern that matched, if any.
        value: The raw value digits of a variable-measure code.
    """

    code: str
    lookup: str
    pattern: BarcodePattern | None = None
    value: int | None = None

    @property
    def is_variable(self) -> bool:
        return self.pattern is not None

    def embedded_price(self) -> int:
        """The price a variable-measure code carries, in minor units."""
        assert self.pattern is not None
        assert self.value is not None
        decimals = MINOR_DIGITS if self.pattern.decimals is None else self.pattern.decimals
        return _rescale(self.value, decimals, MINOR_DIGITS)

    def embedded_grams(self) -> int:
        """The weight a variable-measure code carries, in grams."""
        assert self.pattern is not None
        assert self.value is not None
        decimals = 3 if self.pattern.decimals is None else self.pattern.decimals
        return _rescale(self.value, decimals, 3)


def _rescale(value: int, decimals: int, target: int) -> int:
    """Re-express ``value`` (with ``decimals`` places) with ``target`` places, half up."""
    if decimals <= target:
        scaled: int = value * 10 ** (target - decimals)
        return scaled
    return round_half_up(value, 10 ** (decimals - target))


def normalise(code: str) -> str:
    """Validate a barcode and return it in the form the catalog stores.

    Args:
        code: ASCII digits as scanned or imported.

    Returns:
        The EAN-13 or EAN-8 code; a UPC-A code comes back with a leading ``0``.

    Raises:
        BarcodeError: wrong length, not digits, or a bad check digit.
    """
    if len(code) > MAX_SCAN_LENGTH:
        raise BarcodeError(f"{code[:20]}... is too long to be a barcode")
    if not code or not (code.isascii() and code.isdigit()):
        raise BarcodeError(f"{code!r} is not a barcode: only digits can be scanned")
    if len(code) not in (8, 12, 13):
        raise BarcodeError(
            f"{code} is not a barcode: {len(code)} digits (EAN-8, UPC-A or EAN-13 expected)"
        )
    if not ean.is_valid(code):
        raise BarcodeError(f"{code} has a bad check digit")
    return "0" + code if len(code) == 12 else code


_TO_DIGITS = bytes.maketrans(b"0123456789", bytes(range(10)))
_GOOD_SUMS = bytes(range(0, 256, 10))


def check_digits_valid(codes: Sequence[str]) -> bool:
    """True if every code is 8, 12 or 13 ASCII digits with a good GS1 check digit: the
    bulk test of the catalog import, for a column of codes at once.

    For each code this is ``normalise``'s test (``stdnum.ean.is_valid`` on 8, 12 or 13
    ASCII digits); a property test holds the two equal. stdnum takes about 9 us a code
    (cleaning, then a generator over the digits), which was most of the time of a
    million-row import; this takes well under a tenth of that:

    * each code is padded with zeros to 13 digits: EAN-8, UPC-A and EAN-13 all weight
      their digits 1, 3, 1, 3... counted from the check digit, so zeros in front change
      nothing; a code is good when its digits weighted 1, 3, 1, 3, ..., 1 from the left
      sum to a multiple of 10;
    * the digits of all the codes at position ``i`` form one byte string, read as one
      big integer with one byte per code; the integers of the 7 even positions plus 3
      times those of the 6 odd ones give every code's weighted sum in its own byte (at
      most 7 * 9 + 3 * 6 * 9 = 225, so no byte carries into the next);
    * the codes are all good when no byte of the sums is left after deleting the
      multiples of 10.
    """
    if not codes:
        return True
    lengths = set(map(len, codes))
    if not lengths <= {8, 12, 13}:
        return False
    joined = "".join(codes) if lengths == {13} else "".join(code.zfill(13) for code in codes)
    if not (joined.isascii() and joined.isdigit()):
        return False
    digits = joined.encode("ascii").translate(_TO_DIGITS)

    def position(i: int) -> int:
        return int.from_bytes(digits[i::13], "little")

    even = sum(position(i) for i in range(0, 13, 2))
    odd = sum(position(i) for i in range(1, 13, 2))
    sums = (even + 3 * odd).to_bytes(len(codes), "little")
    return not sums.translate(None, _GOOD_SUMS)


def parse_scan(code: str, patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS) -> Scan:
    """Validate a scanned code and work out what to look up.

    Raises:
        BarcodeError: the code is not a valid EAN-8, UPC-A or EAN-13.
    """
    normal = normalise(code)
    if len(normal) == 13:
        for pattern in patterns:
            if pattern.matches(normal):
                return Scan(normal, pattern.product_code(normal), pattern, pattern.value(normal))
    return Scan(normal, normal)


def catalog_code_problem(
    code: str, patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS
) -> str | None:
    """Why ``code`` (already normalised) cannot be a catalog code, or None if it can.

    A code that matches a variable-measure pattern must be stored with its value digits
    zeroed, or no scan could ever find it.
    """
    if len(code) != 13:
        return None
    if code.startswith(COUPON_PREFIX):
        return f"{code} starts with {COUPON_PREFIX}: the store's coupon codes, never a product"
    for pattern in patterns:
        if pattern.matches(code):
            expected = pattern.product_code(code)
            if expected != code:
                return (
                    f"in-store code {code} must be stored with zeros in its value digits "
                    f"({expected})"
                )
            return None
    return None


def patterns_from_json(data: object) -> tuple[BarcodePattern, ...]:
    """Read a store's pattern table: a list of ``{"name", "pattern", "measure", "decimals"}``.

    Raises:
        ValueError: the table is not a list of valid patterns.
    """
    if not isinstance(data, list):
        raise ValueError("barcode patterns must be a JSON list")
    patterns = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
            raise ValueError(f"barcode pattern {i}: needs at least a 'pattern' string")
        try:
            patterns.append(
                BarcodePattern(
                    name=str(item.get("name", f"Pattern {i}")),
                    pattern=item["pattern"],
                    measure=Measure(item.get("measure", "auto")),
                    decimals=item.get("decimals"),
                )
            )
        except ValueError as exc:
            raise ValueError(f"barcode pattern {i}: {exc}") from None
    return tuple(patterns)


def patterns_to_json(patterns: tuple[BarcodePattern, ...]) -> list[dict[str, object]]:
    """The inverse of :func:`patterns_from_json`."""
    return [
        {"name": p.name, "pattern": p.pattern, "measure": p.measure.value, "decimals": p.decimals}
        for p in patterns
    ]

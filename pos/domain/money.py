"""Money as integer minor units (pence, cents).

Amounts are ``int`` everywhere inside the till. Decimal strings are parsed and
formatted only at the edges (CSV, JSON, the screen, receipts).

Rounding rule: **half up**, meaning halves are rounded away from zero
(``0.005`` becomes ``0.01``, ``-0.005`` becomes ``-0.01``). It is applied
exactly once, wherever an amount is derived from a fraction (a weighed line
total, a percentage), using integer arithmetic only.
"""

from __future__ import annotations

import re
from decimal import Decimal

MINOR_DIGITS = 2
"""Decimal places of the currency's minor unit."""

MINOR_PER_MAJOR = 10**MINOR_DIGITS

MAX_AMOUNT = 10**11 - 1
"""The largest amount the till accepts anywhere (999,999,999.99): far below int64."""

_DECIMAL_RE = re.compile(r"^(?P<sign>-?)(?P<int>\d+)(?:\.(?P<frac>\d*))?$")


class MoneyError(ValueError):
    """A money string could not be understood; the message says why."""


def round_half_up(numerator: int, denominator: int) -> int:
    """Divide two integers, rounding halves away from zero.

    Args:
        numerator: Any integer.
        denominator: A positive integer.

    Returns:
        The nearest integer to ``numerator / denominator``; exact halves go away from zero.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return sign * quotient


def parse_decimal(text: str, places: int, *, what: str = "amount") -> int:
    """Parse a plain decimal string into an integer scaled by ``10**places``.

    Only ASCII digits, one optional leading ``-`` and one ``.`` are accepted, so
    ``"1e3"``, ``"NaN"``, ``"inf"``, ``"1,5"`` and full-width digits are refused.

    Args:
        text: The string, e.g. ``"0.50"``.
        places: How many decimal places the result keeps (``2`` for money).
        what: The name used in error messages.

    Returns:
        The scaled integer, e.g. ``50`` for ``"0.50"`` with ``places=2``.

    Raises:
        MoneyError: the text is empty, not a number, or has too many decimals.
    """
    stripped = text.strip()
    if not stripped:
        raise MoneyError(f"{what} is blank")
    match = _DECIMAL_RE.match(stripped) if stripped.isascii() else None
    if match is None:
        raise MoneyError(f"{what} {text!r} is not a number")
    frac = match["frac"] or ""
    if len(frac) > places:
        raise MoneyError(f"{what} {text!r} has more than {places} decimal places")
    value: int = int(match["int"]) * 10**places + int(frac.ljust(places, "0") or "0")
    return -value if match["sign"] else value


def parse_money(text: str, *, allow_negative: bool = False, what: str = "price") -> int:
    """Parse a major-unit decimal string (``"1.30"``) into minor units (``130``).

    Raises:
        MoneyError: not a number, more than two decimals, negative, or too large.
    """
    value = parse_decimal(text, MINOR_DIGITS, what=what)
    if value < 0 and not allow_negative:
        raise MoneyError(f"{what} {text.strip()!r} is negative")
    if abs(value) > MAX_AMOUNT:
        raise MoneyError(f"{what} {text.strip()!r} is too large")
    return value


def format_money(minor: int, symbol: str = "") -> str:
    """Format minor units as a decimal string: ``130`` -> ``"1.30"``, ``-5`` -> ``"-0.05"``.

    ``symbol`` (the currency sign, e.g. ``"£"``) goes after the minus sign:
    ``-5, "£"`` -> ``"-£0.05"``.
    """
    sign = "-" if minor < 0 else ""
    major, rest = divmod(abs(minor), MINOR_PER_MAJOR)
    return f"{sign}{symbol}{major}.{rest:0{MINOR_DIGITS}d}"


def format_scaled(value: int, places: int) -> str:
    """Format a value scaled by ``10**places`` without trailing zeros: ``2000, 2`` -> ``"20"``."""
    return f"{Decimal(value).scaleb(-places).normalize():f}"


def percent_of(amount: int, basis_points: int) -> int:
    """``basis_points`` hundredths of a percent of ``amount``, rounded half up."""
    return round_half_up(amount * basis_points, 10_000)

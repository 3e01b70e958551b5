"""Sanity checks on what the cashier types: a slip of the finger is asked about, not taken.

A quantity far above what one line usually holds, or cash that would give back more
change than the sale itself plus the largest note, is most likely a number typed into
the wrong place or a missing decimal point. The till asks first (only Y goes on).
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.catalog import Unit
from pos.domain.money import MAX_AMOUNT, MoneyError, format_money, parse_money
from pos.domain.tender import NOTES

DEFAULT_MAX_QTY = 99
"""Items on one line above which the till asks (setting ``max_qty_without_confirm``)."""

LARGEST_NOTE = max(NOTES)
"""The largest note on the payment screen's note keys."""


@dataclass(frozen=True, slots=True)
class EntryChecks:
    """The store's settings for what the cashier types.

    Attributes:
        max_qty_without_confirm: A counted line above this many items is asked about.
        implied_decimal: A price or amount typed without a point is in minor units
            (``2000`` is 20.00), as many tills do; quantities and barcodes never are.
    """

    max_qty_without_confirm: int = DEFAULT_MAX_QTY
    implied_decimal: bool = False

    def parse_amount(self, text: str, *, what: str) -> int:
        """A typed price or amount in minor units.

        Raises:
            MoneyError: not an amount; the message says why.
        """
        digits = text.strip()
        if self.implied_decimal and digits.isdigit() and digits.isascii():
            value = int(digits)
            if value > MAX_AMOUNT:
                raise MoneyError(f"{what} {digits!r} is too large")
            return value
        return parse_money(text, what=what)

    def quantity_question(self, name: str, unit: Unit, before: int, qty: int) -> str | None:
        """What to ask before a counted line goes from ``before`` up to ``qty`` items
        above the limit, or None if nothing needs asking."""
        if unit is Unit.KG or qty <= before or qty <= self.max_qty_without_confirm:
            return None
        return f"Sell {qty} x {name} on one line (more than {self.max_qty_without_confirm})?"


def change_question(remaining: int, tendered: int, symbol: str = "") -> str | None:
    """What to ask before cash of ``tendered`` is taken for ``remaining`` still to pay, if
    it would give back more change than the amount due plus the largest note (most likely
    a missing decimal point: ``2000`` for 20.00); None if nothing needs asking."""
    change = tendered - remaining
    if change <= remaining + LARGEST_NOTE:
        return None
    return (
        f"Take {format_money(tendered, symbol)} cash for {format_money(remaining, symbol)} "
        f"and give {format_money(change, symbol)} change?"
    )

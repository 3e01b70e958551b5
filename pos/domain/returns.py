"""Refund reasons, and refunds without a receipt (issue 21, items 6 and 7).

Every refund says why the customer brought it back: one of the ``refund_reasons``
setting (only those, as real tills do, so the report can add refunds up by reason). A
refund without a receipt pays back items that no sale on record sold: each at most
today's price (a lower price may be given, never a higher one), for a reason, by cash or
card, up to a limit a day on each till (the ``max_unreceipted_refunds`` setting). When
prices exclude VAT (``tax_inclusive`` no) each line pays back its price and its VAT, as a
sale of it adds the VAT (:func:`pos.domain.tax.vat_summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pos.domain.cart import CartLine, line_total
from pos.domain.cash import listing
from pos.domain.catalog import Unit
from pos.domain.money import format_money
from pos.domain.pricing import PricedBasket
from pos.domain.tax import RateLine, vat_summary

UNRECEIPTED_SCOPE = "refund:unreceipted"
"""The scope a refund without a receipt needs (managers), or a manager's approval of it."""

UNRECEIPTED = "refund_unreceipted"
"""The cash office's name for a refund without a receipt (its menu and the palette)."""
UNRECEIPTED_TITLE = "Refund without receipt"
"""Its name, as the palette and the menu say it (the issue's)."""

DEFAULT_REFUND_REASONS = "Faulty|Wrong size|Changed mind|Damaged|Not as described|Other"
"""The ``refund_reasons`` setting's default."""

METHODS = ("cash", "card")
"""How a refund is paid back."""

MAX_RETURN_LINES = 99
"""The most lines one refund without a receipt takes."""


class ReturnError(ValueError):
    """A refund that is refused as it stands; ``str()`` says what to do."""


def reason_of(text: str, reasons: Sequence[str]) -> str:
    """The refund reason ``text`` names: one of ``reasons`` (the ``refund_reasons``
    setting) by its number (1 first) or its words, in any case.

    Raises:
        ReturnError: no reason, or one not in the list.
    """
    if not reasons:
        raise ReturnError("No refund reasons are set up: a manager sets refund_reasons")
    typed = text.strip()
    if typed.isdigit() and 1 <= int(typed) <= len(reasons):
        return reasons[int(typed) - 1]
    for reason in reasons:
        if reason.casefold() == typed.casefold():
            return reason
    if not typed:
        raise ReturnError(f"A refund needs a reason: choose one of {listing(reasons)}")
    raise ReturnError(f"Choose one of the refund reasons: {listing(reasons)}")


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One line of a refund without a receipt.

    Attributes:
        code: What was scanned or typed for it (a weighed item's label, say).
        barcode: The product's barcode (as the catalog has it).
        name: Its name.
        unit: ``each`` or ``kg`` (``qty`` is then grams and the prices are per kg).
        today: Today's price per unit: the most that may be paid back per unit.
        qty: How many come back (items), or grams.
        tax_rate: The VAT rate in basis points (2000 is 20%).
        price: A lower price per unit given for it; None: today's.
        vat_added: The prices exclude VAT (``tax_inclusive`` no): its VAT is paid back
            on top of its price, as a sale adds it.
    """

    code: str
    barcode: str
    name: str
    unit: str
    today: int
    qty: int
    tax_rate: int
    price: int | None = None
    vat_added: bool = False

    @property
    def unit_price(self) -> int:
        """What is paid back per unit (per kg), before VAT when prices exclude it."""
        return self.today if self.price is None else self.price

    @property
    def price_total(self) -> int:
        """The line at its price: before VAT when prices exclude it."""
        return line_total(Unit(self.unit), self.unit_price, self.qty)

    @property
    def vat_row(self) -> RateLine:
        """The line's VAT row (net, VAT, gross at its rate), worked out as a sale of it
        alone works it out in the line's mode."""
        unit = Unit(self.unit)
        line = CartLine(1, self.barcode, self.name, unit, self.unit_price, self.qty, self.tax_rate)
        priced = PricedBasket(line.total, ())
        (row,) = vat_summary([line], priced, inclusive=not self.vat_added)
        return row

    @property
    def vat(self) -> int:
        """The VAT paid back on top of the price (0 when prices include VAT)."""
        return self.vat_row.vat if self.vat_added else 0

    @property
    def amount(self) -> int:
        """What the line pays back: its price, and its VAT when prices exclude it."""
        return self.price_total + self.vat

    def priced(self, price: int) -> ReturnLine:
        """The line at ``price`` a unit: above 0, at most today's.

        Raises:
            ReturnError: 0 or less, or above today's price.
        """
        if price <= 0:
            raise ReturnError(f"Type a price above 0.00 for {self.name}")
        if price > self.today:
            raise ReturnError(
                f"{format_money(price)} is more than today's price of {self.name} "
                f"({format_money(self.today)}): a refund without a receipt pays back at most "
                "today's price; type a lower one"
            )
        return replace(self, price=None if price == self.today else price)


def check_return(lines: Sequence[ReturnLine]) -> int:
    """What the lines pay back in all, once each is checked.

    Raises:
        ReturnError: no lines, too many, or a line that pays back nothing or more than
            today's price.
    """
    if not lines:
        raise ReturnError("Scan or find what comes back first")
    if len(lines) > MAX_RETURN_LINES:
        raise ReturnError(f"At most {MAX_RETURN_LINES} lines in one refund: make two")
    for line in lines:
        if line.qty < 1:
            raise ReturnError(f"Type how many of {line.name} come back")
        line.priced(line.unit_price)  # the same checks as when it was typed
        if line.amount <= 0:
            raise ReturnError(f"{line.name} would pay back nothing: type a higher price")
    return sum(line.amount for line in lines)


def vat_rows(lines: Sequence[ReturnLine]) -> list[RateLine]:
    """The VAT summary per rate of what ``lines`` pay back: each line's row (see
    :attr:`ReturnLine.vat_row`) added up at its rate."""
    rows: dict[int, RateLine] = {}
    for line in lines:
        row = line.vat_row
        was = rows.get(row.rate, RateLine(row.rate, 0, 0, 0))
        rows[row.rate] = RateLine(
            row.rate, was.net + row.net, was.vat + row.vat, was.gross + row.gross
        )
    return [rows[rate] for rate in sorted(rows)]


def check_limit(amount: int, already: int, limit: int) -> None:
    """Refuse a refund without a receipt of ``amount`` that takes the till's day over
    ``limit`` (the ``max_unreceipted_refunds`` setting), ``already`` paid back today.

    Raises:
        ReturnError: over the limit (the message says what to do).
    """
    if already + amount <= limit:
        return
    left = max(0, limit - already)
    raise ReturnError(
        f"{format_money(amount)} would take today's refunds without a receipt over this "
        f"till's limit of {format_money(limit)} ({format_money(left)} left): refund less, "
        "or a manager raises max_unreceipted_refunds (pos settings set)"
    )

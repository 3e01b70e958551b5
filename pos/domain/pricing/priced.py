"""What pricing reads and returns: the cart as the engine sees it, and the priced sale.

The shapes every caller (checkout, receipts, tax, refunds, the screens) shares, kept
apart from the engine so that reading a result never imports the search.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from pos.domain.cart import CartLine


class CartView(Protocol):
    """What the engine reads from a cart."""

    subtotal: int

    def __iter__(self) -> Iterator[CartLine]: ...

    def lines_for(self, barcode: str) -> Iterable[CartLine]: ...


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    """One rule applied to the sale.

    Attributes:
        name: The rule's name (shown on screen and on the receipt).
        kind: The rule's kind.
        amount: What it takes off, in minor units (positive).
        sets: How many times it applied (1 for basket rules).
        uses: ``(line_no, units)`` for every line whose units it used (empty for basket rules).
    """

    name: str
    kind: str
    amount: int
    sets: int
    uses: tuple[tuple[int, int], ...] = ()

    @property
    def last_line(self) -> int:
        """The last cart line the discount used (0 for basket discounts)."""
        return max((line_no for line_no, _ in self.uses), default=0)


@dataclass(frozen=True, slots=True)
class PricedBasket:
    """The cart priced against the rules."""

    subtotal: int
    discounts: tuple[AppliedDiscount, ...]

    @property
    def discount_total(self) -> int:
        return sum(d.amount for d in self.discounts)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total

    def by_name(self) -> dict[str, AppliedDiscount]:
        return {d.name: d for d in self.discounts}


EMPTY = PricedBasket(0, ())

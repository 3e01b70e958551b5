"""The cart: one line per product, with running totals kept incrementally.

Quantities are integers: a count of items for ``each`` lines, grams for ``kg``
lines. A weighed line's total is ``price per kg * grams / 1000`` rounded half up.

The cart never recomputes its totals from scratch on a change: :meth:`Cart.put`
and :meth:`Cart.remove` adjust them by the changed line's difference, so a scan
costs the same on a 1,000-line cart as on an empty one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from pos.domain.catalog import Product, Unit
from pos.domain.money import round_half_up

if TYPE_CHECKING:
    from pos.domain.manual_discounts import ManualDiscount

MAX_COUNT = 9_999
"""The most items of one product on one line."""

MAX_GRAMS = 999_999
"""The most weight on one line (999.999 kg)."""

LineKey = tuple[str, int | None]
"""A line is found by barcode, plus the price for price-embedded (in-store) codes."""


def line_total(unit: Unit, unit_price: int, qty: int) -> int:
    """The price of ``qty`` (items, or grams for ``kg``) at ``unit_price``."""
    if unit is Unit.KG:
        return round_half_up(unit_price * qty, 1000)
    return unit_price * qty


def max_qty(unit: Unit) -> int:
    """The largest quantity a line of this unit may hold."""
    return MAX_GRAMS if unit is Unit.KG else MAX_COUNT


@dataclass(frozen=True, slots=True)
class CartLine:
    """One line of the cart, with the name and price as they were when scanned.

    Attributes:
        line_no: Stable number within the cart (never reused, so voids do not renumber).
        barcode: The product's catalog code.
        name: The product name at the time of the scan.
        unit: ``each`` or ``kg``.
        unit_price: Minor units per item or per kg.
        qty: Items, or grams for ``kg``.
        tax_rate: Basis points.
        fixed_price: True when the price came from the barcode (in-store price code):
            such lines are kept apart per price.
        operator: The number of the operator who scanned the line (from their token).
        voucher: A gift voucher sold (issue 22): no promotion touches it, no VAT (its
            ``tax_rate`` is 0), and each item is one voucher of ``unit_price``.
    """

    line_no: int
    barcode: str
    name: str
    unit: Unit
    unit_price: int
    qty: int
    tax_rate: int
    fixed_price: bool = False
    operator: str | None = None
    voucher: bool = False

    @property
    def key(self) -> LineKey:
        return (self.barcode, self.unit_price if self.fixed_price else None)

    @property
    def total(self) -> int:
        return line_total(self.unit, self.unit_price, self.qty)

    @property
    def items(self) -> int:
        """How many items this line counts for: its quantity, or 1 for a weighed line."""
        return 1 if self.unit is Unit.KG else self.qty

    def with_qty(self, qty: int) -> CartLine:
        return replace(self, qty=qty)

    @classmethod
    def for_product(
        cls,
        line_no: int,
        product: Product,
        qty: int,
        *,
        price: int | None = None,
        operator: str | None = None,
    ) -> CartLine:
        """A new line for ``product``; ``price`` overrides the catalog price (price codes)."""
        return cls(
            operator=operator,
            line_no=line_no,
            barcode=product.barcode,
            name=product.name,
            unit=Unit.EACH if price is not None else product.unit,
            unit_price=product.price if price is None else price,
            qty=qty,
            tax_rate=0 if product.voucher else product.tax_rate,
            fixed_price=price is not None,
            voucher=product.voucher,
        )


class Cart:
    """The lines of one sale in scan order, with running totals.

    Attributes:
        subtotal: Sum of the line totals, in minor units.
        item_count: Items in the cart (a weighed line counts as one).
        voucher_lines: Gift voucher lines in the cart (issue 22).
        voucher_total: What they come to (part of ``subtotal``).
    """

    def __init__(self, lines: Iterable[CartLine] = ()) -> None:
        self._by_key: dict[LineKey, CartLine] = {}
        self._by_no: dict[int, CartLine] = {}
        self._by_barcode: dict[str, dict[int, CartLine]] = {}
        self.subtotal = 0
        self.item_count = 0
        self.voucher_lines = self.voucher_total = 0
        self._last_line_no = 0
        for line in sorted(lines, key=lambda ln: ln.line_no):
            self.put(line)

    def __len__(self) -> int:
        return len(self._by_no)

    def __iter__(self) -> Iterator[CartLine]:
        return iter(self._by_no.values())

    @property
    def lines(self) -> list[CartLine]:
        return list(self._by_no.values())

    @property
    def next_line_no(self) -> int:
        return self._last_line_no + 1

    def find(self, key: LineKey) -> CartLine | None:
        return self._by_key.get(key)

    def line(self, line_no: int) -> CartLine:
        """The line numbered ``line_no``; KeyError if there is none."""
        return self._by_no[line_no]

    def get(self, line_no: int) -> CartLine | None:
        return self._by_no.get(line_no)

    def lines_for(self, barcode: str) -> Iterable[CartLine]:
        """The lines of one product (more than one only for price-label codes)."""
        found = self._by_barcode.get(barcode)
        return found.values() if found else ()

    def put(self, line: CartLine) -> None:
        """Add a line, or replace the line with the same number; totals move by the difference."""
        old = self._by_no.get(line.line_no)
        if old is not None:
            self.subtotal -= old.total
            self.item_count -= old.items
            self._count_voucher(old, -1)
            if old.key != line.key:
                del self._by_key[old.key]
            if old.barcode != line.barcode:
                del self._by_barcode[old.barcode][old.line_no]
                if not self._by_barcode[old.barcode]:
                    del self._by_barcode[old.barcode]
        elif line.key in self._by_key:
            raise ValueError(f"cart already has a line for {line.key}")
        self._by_no[line.line_no] = line
        self._by_key[line.key] = line
        self._by_barcode.setdefault(line.barcode, {})[line.line_no] = line
        self.subtotal += line.total
        self.item_count += line.items
        self._count_voucher(line, 1)
        self._last_line_no = max(self._last_line_no, line.line_no)

    def _count_voucher(self, line: CartLine, sign: int) -> None:
        if line.voucher:
            self.voucher_lines += sign
            self.voucher_total += sign * line.total

    def remove(self, line_no: int) -> CartLine:
        """Take a line out of the cart and return it."""
        line = self._by_no.pop(line_no)
        del self._by_key[line.key]
        same = self._by_barcode[line.barcode]
        del same[line_no]
        if not same:
            del self._by_barcode[line.barcode]
        self.subtotal -= line.total
        self.item_count -= line.items
        self._count_voucher(line, -1)
        return line

    def clear(self) -> None:
        """Empty the cart (line numbers start again)."""
        self._by_key.clear()
        self._by_no.clear()
        self._by_barcode.clear()
        self.subtotal = 0
        self.item_count = 0
        self.voucher_lines = self.voucher_total = 0
        self._last_line_no = 0


@dataclass(frozen=True, slots=True)
class StoredCart:
    """An open or parked cart as stored."""

    id: int
    uuid: str
    opened_at: datetime
    lines: list[CartLine]
    age_checked: int | None = None
    """The age the customer was confirmed to be (a Y to "Customer 18 or over?"), or None."""
    discounts: tuple[ManualDiscount, ...] = ()
    """The cashier's discounts on it (issue 21: a line's, the sale's)."""


@dataclass(frozen=True, slots=True)
class ParkedCart:
    """A parked cart in the recall list."""

    id: int
    uuid: str
    parked_at: datetime
    lines: int
    items: int
    total: int
    names: tuple[str, ...] = ()
    """The names of its lines, first scanned first (for the list: "Milk, Bread, +3 more")."""

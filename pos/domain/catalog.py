"""Products as the till sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Unit(StrEnum):
    """How a product is sold."""

    EACH = "each"
    KG = "kg"


MAX_TAX_RATE = 10_000
"""Tax rates are basis points (hundredths of a percent): 2000 is 20%."""


@dataclass(frozen=True, slots=True)
class Product:
    """A catalog entry.

    Attributes:
        barcode: EAN-13 or EAN-8 (UPC-A is stored as EAN-13 with a leading 0).
        name: Shown literally, never as markup.
        price: Minor units per item, or per kg for ``kg`` products.
        tax_rate: Basis points (2000 = 20%).
        unit: ``each`` or ``kg``.
        plu: The price look-up code of loose produce (4 or 5 digits, ``4011`` for
            bananas), unique in the catalog; None if it has none.
        min_age: The age a customer must be to buy it (16, 18, 21); None if any age.
        voucher: A gift voucher product: each one sold is a voucher worth its price
            (issue 22), which no promotion touches and no VAT is charged on.
    """

    barcode: str
    name: str
    price: int
    tax_rate: int = 0
    unit: Unit = Unit.EACH
    plu: str | None = None
    min_age: int | None = None
    voucher: bool = False


PLU_LENGTHS = (4, 5)
"""A PLU is 4 digits (``4011`` bananas) or 5 (``94011``, the organic ones)."""
MIN_AGE_RANGE = (1, 99)
"""The ages a product may ask for (inclusive): beyond them a cell is a mistake."""

ProductRow = tuple[str, str, int, int, str, str | None, int | None]
"""A validated product as the bulk import writes it: barcode, name, price, tax_rate, the
unit's value, plu and min_age, in the columns' order (a tuple, not a :class:`Product`: a
million of them)."""


def product_from_row(row: ProductRow) -> Product:
    barcode, name, price, tax_rate, unit, plu, min_age = row
    return Product(barcode, name, price, tax_rate, Unit(unit), plu, min_age)


def product_row(product: Product) -> ProductRow:
    """The :data:`ProductRow` of ``product`` (the inverse of :func:`product_from_row`)."""
    p = product
    return (p.barcode, p.name, p.price, p.tax_rate, p.unit.value, p.plu, p.min_age)


class Catalog(Protocol):
    """Looks products up by barcode (by index: nothing is preloaded)."""

    def get(self, barcode: str) -> Product | None: ...

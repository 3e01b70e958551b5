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
    """

    barcode: str
    name: str
    price: int
    tax_rate: int = 0
    unit: Unit = Unit.EACH


ProductRow = tuple[str, str, int, int, str]
"""A validated product as the bulk import writes it: barcode, name, price, tax_rate and the
unit's value, in the columns' order (a tuple, not a :class:`Product`: a million of them)."""


def product_from_row(row: ProductRow) -> Product:
    barcode, name, price, tax_rate, unit = row
    return Product(barcode, name, price, tax_rate, Unit(unit))


class Catalog(Protocol):
    """Looks products up by barcode (by index: nothing is preloaded)."""

    def get(self, barcode: str) -> Product | None: ...

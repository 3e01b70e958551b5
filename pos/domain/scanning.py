"""What a scanned code means for the product it names: the one reading the till and
``pos basket`` share."""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.barcodes import Measure, Scan
from pos.domain.catalog import Product, Unit


class ScanProblem(ValueError):
    """The code cannot be sold as scanned; the message says why."""


@dataclass(frozen=True, slots=True)
class Embedded:
    """What a variable-measure code carries: a weight in grams, a price, or neither."""

    grams: int | None = None
    price: int | None = None


def embedded_measure(scan: Scan, product: Product) -> Embedded:
    """Read the value digits of ``scan`` for ``product``.

    A code with zero value digits is the product's own code (a shelf-edge label): it
    carries nothing, and a weighed product then needs its weight typed.

    Raises:
        ScanProblem: a weight on an item sold by the item, or a label-priced product
            scanned without its price label.
    """
    if scan.pattern is not None and scan.value:
        measure = scan.pattern.measure
        if measure is Measure.AUTO:
            measure = Measure.WEIGHT if product.unit is Unit.KG else Measure.PRICE
        if measure is Measure.WEIGHT:
            if product.unit is not Unit.KG:
                raise ScanProblem(
                    f"{product.name} is sold by the item, but {scan.code} carries a weight"
                )
            return Embedded(grams=scan.embedded_grams())
        return Embedded(price=scan.embedded_price())
    if scan.pattern is not None and product.unit is Unit.EACH and product.price == 0:
        raise ScanProblem(f"{product.name} is priced by its label: scan the price label")
    return Embedded()

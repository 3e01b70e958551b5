"""Past sales as the screens list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SaleSummary:
    """The last sale of a till (for "Last sale 0042 was completed")."""

    receipt_no: int
    at: datetime
    total: int
    operator: str | None


@dataclass(frozen=True, slots=True)
class SaleRow:
    """One row of the sales history: a sale, or a refund (``refund_of`` is the receipt
    number of the sale it paid back, and ``total`` is negative)."""

    receipt_no: int
    at: datetime
    operator: str | None
    lines: int
    total: int
    refund_of: int | None = None


@dataclass(frozen=True, slots=True)
class RefundableLine:
    """A sold line and what is left of it to refund (``barcode``, ``unit_price`` and
    ``tax_rate`` as sold, to price it again)."""

    line_no: int
    name: str
    unit: str
    sold: int
    paid: int
    refunded: int = 0
    refunded_amount: int = 0
    barcode: str = ""
    unit_price: int = 0
    tax_rate: int = 0

    @property
    def left(self) -> int:
        return self.sold - self.refunded

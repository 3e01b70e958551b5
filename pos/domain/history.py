"""Past sales as the screens list them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

OTHER_TILL_RECEIPT = re.compile(r"^\s*(?P<till>\S.*?)\s*[\s:]\s*(?P<no>[0-9]{1,18})\s*$")
"""A receipt of another till, as its receipt prints it: the till's name, then the
number (``front 42``, ``Till 2: 0042``, ``2 42``)."""


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
    till: str | None = None
    """The till it was made on, when it is another till's (None: this till's)."""
    refund_of_till: str | None = None
    """A refund of another till's sale: that till."""
    unreceipted: bool = False
    """A refund without a receipt (``refund_of`` None, ``total`` negative)."""

    @property
    def is_refund(self) -> bool:
        return self.refund_of is not None or self.unreceipted


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
    voucher: bool = False
    """A gift voucher sold (issue 22): money, not goods, priced by no promotion."""

    @property
    def left(self) -> int:
        return self.sold - self.refunded


def named_receipt(text: str) -> tuple[str, int] | None:
    """``(till, receipt number)`` when ``text`` names a till and a receipt number."""
    found = OTHER_TILL_RECEIPT.match(text)
    if found is None:
        return None
    till = found["till"].rstrip(" :")
    return (till, int(found["no"])) if till else None


def other_till_receipt(text: str, this_till: str) -> tuple[str, int] | None:
    """``(till, receipt number)`` when ``text`` names a receipt of a till other than
    ``this_till``; None otherwise."""
    named = named_receipt(text)
    return None if named is None or named[0] == this_till else named

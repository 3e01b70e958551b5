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
    """One row of the sales history."""

    receipt_no: int
    at: datetime
    operator: str | None
    lines: int
    total: int

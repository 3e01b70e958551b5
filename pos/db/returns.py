"""Refunds without a receipt (issue 21, item 6): rows of ``refund`` with no sale, whose
lines carry what a sale line would have told (schema v17, see
:mod:`pos.db.migrations.v17_refund_reasons`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee

from pos.db import models as m
from pos.db.errors import reading, writing
from pos.db.sales import SaleRepository
from pos.domain.returns import ReturnLine


@dataclass(frozen=True, slots=True)
class NewReturn:
    """A refund without a receipt as the service has checked it."""

    uuid: str
    lines: Sequence[ReturnLine]
    method: str
    reason: str
    at: datetime
    operator: str | None
    approver: str | None

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


class ReturnRepository:
    """Refunds without a receipt of one till: numbered with its sales and refunds, in its
    open trading day, as :meth:`SaleRepository.refund` writes a refund of a sale."""

    def __init__(self, sales: SaleRepository) -> None:
        self.sales = sales
        self.db = sales.db
        self.till = sales.till

    def _paid_back(self, day: int | None) -> int:
        """What the till's refunds without a receipt paid back in ``day`` (0: no day)."""
        if day is None:
            return 0
        total = (
            m.Refund.select(peewee.fn.SUM(m.Refund.total))
            .where((m.Refund.day == day) & (m.Refund.till == self.till) & m.Refund.sale.is_null())
            .scalar()
        )
        return int(total or 0)

    @reading
    def paid_back_today(self) -> int:
        """What refunds without a receipt paid back in the till's open day so far."""
        return self._paid_back(self.sales._day_now())

    def add(
        self,
        new: NewReturn,
        *,
        check: Callable[[int], None],
        receipt_text: Callable[[int], str],
        also: Callable[[int, int], None] | None = None,
    ) -> tuple[int, int]:
        """Write the refund and its lines in one transaction; returns (receipt number,
        amount). Idempotent on ``new.uuid``. ``check`` gets what the till's refunds without
        a receipt paid back today before this one, inside the transaction (under the write
        lock: no other refund in between), and raises to refuse it; ``also`` runs inside
        the transaction too (the approval used up, the audit entry)."""
        with writing(self.db):
            done = m.Refund.get_or_none(m.Refund.uuid == new.uuid)
            if done is not None:
                return int(done.receipt_no), int(done.total)
            number = self.sales._next_number()  # on PostgreSQL: the till's counter row locked
            day = self.sales._day_now()
            check(self._paid_back(day))
            total = new.total
            refund = m.Refund.create(
                uuid=new.uuid,
                sale=None,
                till=self.till,
                receipt_no=number,
                at=new.at,
                operator=new.operator,
                approver=new.approver,
                method=new.method,
                total=total,
                receipt_text=receipt_text(number),
                day=day,
                reason=new.reason,
            )
            m.RefundLine.insert_many(
                [
                    {
                        "refund": refund.id,
                        "line_no": line_no,
                        "qty": line.qty,
                        "amount": line.amount,
                        "barcode": line.barcode,
                        "name": line.name,
                        "unit": line.unit,
                        "unit_price": line.unit_price,
                        "tax_rate": line.tax_rate,
                    }
                    for line_no, line in enumerate(new.lines, 1)
                ]
            ).execute()
            if also is not None:
                also(number, total)
            return number, total

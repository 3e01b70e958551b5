"""The history screen's search: a till's sales and refunds by receipt number or day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import peewee

from pos.db import models as m
from pos.db.errors import bound, storage_errors
from pos.db.rows import dicts
from pos.domain.history import SaleRow

MAX_RECEIPT_NO = 2**63 - 1
"""The largest integer SQLite stores."""


def find_sales(db: peewee.Database, till: str, text: str, limit: int = 200) -> list[SaleRow]:
    """The till's sales and refunds, newest first: all of them, one receipt number, or one
    local day (``YYYY-MM-DD``). Read by index, at most ``limit`` rows."""
    needle = text.strip()
    start = end = None
    number = needle.isascii() and needle.isdigit()  # not "²", which int() refuses
    if number and int(needle) > MAX_RECEIPT_NO:
        return []  # no such receipt, and SQLite cannot even compare with it (> 2**63 - 1)
    if needle and not number:
        try:
            day = date.fromisoformat(needle)
        except ValueError:
            return []
        start = datetime.combine(day, time()).astimezone()  # local midnight
        end = datetime.combine(day + timedelta(days=1), time()).astimezone()
    with bound(db), storage_errors():
        sales = (
            m.Sale.select(
                m.Sale.receipt_no,
                m.Sale.at,
                m.Sale.operator,
                m.Sale.total,
                peewee.fn.COUNT(m.SaleLine.id).alias("n"),
            )
            .join(m.SaleLine, peewee.JOIN.LEFT_OUTER)
            .where(m.Sale.till == till)
            .group_by(m.Sale.id)
            .order_by(m.Sale.receipt_no.desc())
            .limit(limit)
        )
        original = m.Sale.alias()
        refunds = (
            m.Refund.select(
                m.Refund.receipt_no,
                m.Refund.at,
                m.Refund.operator,
                m.Refund.total,
                original.receipt_no.alias("sale_no"),
                original.till.alias("sale_till"),
                peewee.fn.COUNT(m.RefundLine.id).alias("n"),
            )
            # a refund without a receipt has no sale (v17)
            .join(original, peewee.JOIN.LEFT_OUTER, on=(m.Refund.sale == original.id))
            .switch(m.Refund)
            .join(m.RefundLine, peewee.JOIN.LEFT_OUTER)
            .where(m.Refund.till == till)
            .group_by(m.Refund.id, original.receipt_no, original.till)  # PostgreSQL wants them
            .order_by(m.Refund.receipt_no.desc())
            .limit(limit)
        )
        if number:
            sales = sales.where(m.Sale.receipt_no == int(needle))
            refunds = refunds.where(m.Refund.receipt_no == int(needle))
        elif start is not None:
            sales = sales.where((m.Sale.at >= start) & (m.Sale.at < end))
            refunds = refunds.where((m.Refund.at >= start) & (m.Refund.at < end))
        # by column name: n and sale_no are the queries' aliases, no attributes its stubs know
        rows = [
            SaleRow(r["receipt_no"], r["at"], r["operator"], int(r["n"]), r["total"])
            for r in dicts(sales)
        ]
        rows += [
            SaleRow(
                r["receipt_no"],
                r["at"],
                r["operator"],
                int(r["n"]),
                -r["total"],
                refund_of=r["sale_no"],
                refund_of_till=None if r["sale_till"] in (till, None) else r["sale_till"],
                unreceipted=r["sale_no"] is None,
            )
            for r in dicts(refunds)
        ]
    # receipt numbers are one sequence per till, shared by sales and refunds
    return sorted(rows, key=lambda row: row.receipt_no, reverse=True)[:limit]

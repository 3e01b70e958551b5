"""The figures of the X and Z reports, worked out by SQL aggregates (no Python loops
over sales), so a year of sales reports as fast as a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import peewee

from pos.db import models as m
from pos.db.errors import bound, storage_errors
from pos.domain.money import round_half_up
from pos.domain.report import DayFigures


def day_figures(db: peewee.Database, till: str, start: datetime, end: datetime) -> DayFigures:
    """Everything sold on ``till`` from ``start`` up to ``end`` (aware datetimes)."""
    with bound(db), storage_errors():
        in_day = (m.Sale.till == till) & (m.Sale.at >= start) & (m.Sale.at < end)
        totals = (
            m.Sale.select(
                peewee.fn.COUNT(m.Sale.id),
                peewee.fn.COALESCE(peewee.fn.SUM(m.Sale.subtotal), 0),
                peewee.fn.COALESCE(peewee.fn.SUM(m.Sale.discount_total), 0),
                peewee.fn.COALESCE(peewee.fn.SUM(m.Sale.total), 0),
            )
            .where(in_day)
            .tuples()
            .first()
        )
        count, gross, discounts, net = (int(v) for v in (totals or (0, 0, 0, 0)))
        tender = dict(
            m.Payment.select(m.Payment.method, peewee.fn.SUM(m.Payment.amount))
            .join(m.Sale)
            .where(in_day)
            .group_by(m.Payment.method)
            .tuples()
        )
        change = int(
            m.Payment.select(peewee.fn.COALESCE(peewee.fn.SUM(m.Payment.change), 0))
            .join(m.Sale)
            .where(in_day)
            .scalar()
            or 0
        )
        sales_vat = [
            (int(rate), int(n), int(v), int(g))
            for rate, n, v, g in m.SaleVat.select(
                m.SaleVat.rate,
                peewee.fn.SUM(m.SaleVat.net),
                peewee.fn.SUM(m.SaleVat.vat),
                peewee.fn.SUM(m.SaleVat.gross),
            )
            .join(m.Sale)
            .where(in_day)
            .group_by(m.SaleVat.rate)
            .order_by(m.SaleVat.rate)
            .tuples()
        ]
        # the hour is characters 12-13 of the stored ISO 8601 UTC text
        hour = peewee.fn.SUBSTR(m.Sale.at, 12, 2)
        hours = {
            int(h): int(t)
            for h, t in m.Sale.select(hour, peewee.fn.SUM(m.Sale.total))
            .where(in_day)
            .group_by(hour)
            .tuples()
        }
        refund_in_day = (m.Refund.till == till) & (m.Refund.at >= start) & (m.Refund.at < end)
        refunds = dict(
            m.Refund.select(m.Refund.method, peewee.fn.SUM(m.Refund.total))
            .where(refund_in_day)
            .group_by(m.Refund.method)
            .tuples()
        )
        # a refund pays back what was paid for its lines, VAT included: take it off
        # each line's rate (the VAT in a refunded gross is worked out as on a receipt)
        refunded_by_rate = dict(
            m.RefundLine.select(m.SaleLine.tax_rate, peewee.fn.SUM(m.RefundLine.amount))
            .join(m.Refund)
            .join(
                m.SaleLine,
                on=(m.SaleLine.sale == m.Refund.sale)
                & (m.SaleLine.line_no == m.RefundLine.line_no),
            )
            .where(refund_in_day)
            .group_by(m.SaleLine.tax_rate)
            .tuples()
        )
        by_rate = {rate: [n, v, g] for rate, n, v, g in sales_vat}
        for rate, gross_back in refunded_by_rate.items():
            vat_back = round_half_up(int(gross_back) * int(rate), 10_000 + int(rate))
            row = by_rate.setdefault(int(rate), [0, 0, 0])
            row[0] -= int(gross_back) - vat_back
            row[1] -= vat_back
            row[2] -= int(gross_back)
        vat = [(rate, n, v, g) for rate, (n, v, g) in sorted(by_rate.items())]
        sold = {
            op or "-": (int(n), int(t))
            for op, n, t in m.Sale.select(
                m.Sale.operator, peewee.fn.COUNT(m.Sale.id), peewee.fn.SUM(m.Sale.total)
            )
            .where(in_day)
            .group_by(m.Sale.operator)
            .tuples()
        }
        paid_back = {
            op or "-": int(t)
            for op, t in m.Refund.select(m.Refund.operator, peewee.fn.SUM(m.Refund.total))
            .where(refund_in_day)
            .group_by(m.Refund.operator)
            .tuples()
        }
        operators = [
            (op, *sold.get(op, (0, 0)), paid_back.get(op, 0))
            for op in sorted(sold.keys() | paid_back.keys())
        ]
        # the audit log keeps UTC text to the second: compare in UTC, and count the
        # second the range ends in (a Z report closes "now")
        first = start.astimezone(UTC).isoformat(timespec="seconds")
        last = (end.astimezone(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds")
        audit_in_day = (m.AuditLog.till == till) & (m.AuditLog.at >= first) & (m.AuditLog.at < last)
        events = dict(
            m.AuditLog.select(m.AuditLog.event, peewee.fn.COUNT(m.AuditLog.seq))
            .where(
                audit_in_day & m.AuditLog.event.in_(("void", "void_cart", "void_units", "override"))
            )
            .group_by(m.AuditLog.event)
            .tuples()
        )
    return DayFigures(
        sales=count,
        gross=gross,
        discounts=discounts,
        net=net - sum(int(v) for v in refunds.values()),
        vat_added=net - (gross - discounts),
        refunds=sum(int(v) for v in refunds.values()),
        cash_refunds=int(refunds.get("cash", 0)),
        cash=int(tender.get("cash", 0)),
        card=int(tender.get("card", 0)),
        change_given=change,
        vat=vat,
        operators=operators,
        takings_by_utc_hour=hours,
        voids=int(events.get("void", 0))
        + int(events.get("void_cart", 0))
        + int(events.get("void_units", 0)),
        overrides=int(events.get("override", 0)),
    )

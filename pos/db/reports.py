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
        # One pass over the till's sales in the range (the sale_report index covers it),
        # grouped by hour and operator: the day's totals, the takings by hour and the
        # figures per operator are sums over those few groups.
        # characters 12-13 of the UTC text; the positions are literals so that the grouped
        # expression and the selected one are the same to PostgreSQL (not two parameters)
        hour = peewee.fn.SUBSTR(m.Sale.at, peewee.SQL("12"), peewee.SQL("2"))
        groups = list(
            m.Sale.select(
                hour,
                m.Sale.operator,
                peewee.fn.COUNT(m.Sale.id),
                peewee.fn.SUM(m.Sale.subtotal),
                peewee.fn.SUM(m.Sale.discount_total),
                peewee.fn.SUM(m.Sale.total),
            )
            .where(in_day)
            .group_by(hour, m.Sale.operator)
            .tuples()
        )
        count = sum(int(g[2]) for g in groups)
        gross = sum(int(g[3]) for g in groups)
        discounts = sum(int(g[4]) for g in groups)
        net = sum(int(g[5]) for g in groups)
        hours: dict[int, int] = {}
        sold_by: dict[str, list[int]] = {}
        for h, op, n, _sub, _disc, total in groups:
            hours[int(h)] = hours.get(int(h), 0) + int(total)
            row = sold_by.setdefault(op or "-", [0, 0])
            row[0] += int(n)
            row[1] += int(total)
        tender: dict[str, int] = {}
        change = 0
        for method, amount, given in (
            m.Payment.select(
                m.Payment.method,
                peewee.fn.SUM(m.Payment.amount),
                peewee.fn.SUM(m.Payment.change),
            )
            .join(m.Sale)
            .where(in_day)
            .group_by(m.Payment.method)
            .tuples()
        ):
            tender[method] = int(amount)
            change += int(given or 0)
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
        sold = {op: (n, t) for op, (n, t) in sold_by.items()}
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

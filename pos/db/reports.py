"""The figures of the X and Z reports, worked out by SQL aggregates (no Python loops
over sales), so a year of sales reports as fast as a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import peewee

from pos.db import models as m
from pos.db.cash import in_report, movements
from pos.db.days import Day
from pos.db.errors import bound, is_sqlite, storage_errors
from pos.db.rows import tuples
from pos.domain.manual_discounts import KINDS as MANUAL_KINDS
from pos.domain.money import round_half_up
from pos.domain.report import NO_REASON, DayFigures


def day_figures(
    db: peewee.Database, till: str, start: datetime, end: datetime, day: int | None = None
) -> DayFigures:
    """Everything sold on ``till`` from ``start`` up to ``end`` (aware datetimes).

    With ``day`` (a trading day's id: the X and Z reports), the sales and refunds taken
    in that day are counted by the day they record, whatever time the clock gave them
    (it may have gone back during the day); rows that record no day (saved before
    schema v10) are counted by the time range, as before. The voids and overrides come
    from the audit log: for a day, its entries after where the log stood when the day
    opened (``till_day.audit_seq``) and up to the till's next day; otherwise (and for a
    day opened before schema v10) by the time range."""
    with bound(db), storage_errors():
        sale_parts = _parts(m.Sale, till, start, end, day)
        refund_parts = _parts(m.Refund, till, start, end, day)
        # One pass over the till's sales in the range (a covering index: sale_report for
        # a time range, sale_day_report for a day), grouped by hour and operator: the
        # day's totals, the takings by hour and the figures per operator are sums over
        # those few groups. A day is two such passes (its rows, and the old rows that
        # record no day), added up here: every figure is a sum.
        # characters 12-13 of the UTC text; the positions are literals so that the grouped
        # expression and the selected one are the same to PostgreSQL (not two parameters)
        hour = peewee.fn.SUBSTR(m.Sale.at, peewee.SQL("12"), peewee.SQL("2"))
        groups = [
            group
            for in_day in sale_parts
            for group in tuples(
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
            )
        ]
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
        # the cashier's discounts (issue 21), apart from the promotions: the few rows of
        # their kinds among the day's sales
        manual_count = manual = 0
        for in_day in sale_parts:
            for n, amount in tuples(
                m.SaleDiscount.select(
                    peewee.fn.COUNT(m.SaleDiscount.id), peewee.fn.SUM(m.SaleDiscount.amount)
                )
                .join(m.Sale)
                .where(in_day & m.SaleDiscount.kind.in_(MANUAL_KINDS))
            ):
                manual_count += int(n)
                manual += int(amount or 0)
        tender: dict[str, int] = {}
        tender_count: dict[str, int] = {}
        change = 0
        for in_day in sale_parts:
            for method, amount, given, n in tuples(
                m.Payment.select(
                    m.Payment.method,
                    peewee.fn.SUM(m.Payment.amount),
                    peewee.fn.SUM(m.Payment.change),
                    peewee.fn.COUNT(m.Payment.id),
                )
                .join(m.Sale)
                .where(in_day)
                .group_by(m.Payment.method)
            ):
                tender[method] = tender.get(method, 0) + int(amount)
                tender_count[method] = tender_count.get(method, 0) + int(n)
                change += int(given or 0)
        # gift vouchers sold (issue 22): a liability, not takings; their lines are at 0%
        # and no discount is shared onto them, so they come off as they are: off the
        # totals, and off each hour's takings and each operator's sales (grouped as above)
        voucher_count = vouchers = 0
        for in_day in sale_parts:
            for h, op, n, amount in tuples(
                m.SaleLine.select(
                    hour,
                    m.Sale.operator,
                    peewee.fn.SUM(m.SaleLine.qty),
                    peewee.fn.SUM(m.SaleLine.total),
                )
                .join(m.Sale)
                .where(in_day & (m.SaleLine.voucher == 1))
                .group_by(hour, m.Sale.operator)
            ):
                voucher_count += int(n or 0)
                vouchers += int(amount or 0)
                hours[int(h)] = hours.get(int(h), 0) - int(amount or 0)
                sold_by.setdefault(op or "-", [0, 0])[1] -= int(amount or 0)
        by_rate: dict[int, list[int]] = {}
        for in_day in sale_parts:
            for rate, n, v, g in tuples(
                m.SaleVat.select(
                    m.SaleVat.rate,
                    peewee.fn.SUM(m.SaleVat.net),
                    peewee.fn.SUM(m.SaleVat.vat),
                    peewee.fn.SUM(m.SaleVat.gross),
                )
                .join(m.Sale)
                .where(in_day)
                .group_by(m.SaleVat.rate)
            ):
                row = by_rate.setdefault(int(rate), [0, 0, 0])
                row[0] += int(n)
                row[1] += int(v)
                row[2] += int(g)
        refunds: dict[str, int] = {}
        refunded_by_rate: dict[int, int] = {}
        paid_back: dict[str, int] = {}
        unreceipted: dict[str, tuple[int, int]] = {}
        reasons: dict[str, tuple[int, int]] = {}
        # one expression object for SELECT and GROUP BY: PostgreSQL wants them the same
        no_sale = m.Refund.sale.is_null()
        for refund_in_day in refund_parts:
            for method, reason, without, n, total in tuples(
                m.Refund.select(
                    m.Refund.method,
                    m.Refund.reason,
                    no_sale,
                    peewee.fn.COUNT(m.Refund.id),
                    peewee.fn.SUM(m.Refund.total),
                )
                .where(refund_in_day)
                .group_by(m.Refund.method, m.Refund.reason, no_sale)
            ):
                refunds[method] = refunds.get(method, 0) + int(total)
                key = NO_REASON if reason is None else str(reason)
                reasons[key] = _add(reasons.get(key), int(n), int(total))
                if without:  # a refund without a receipt (v17)
                    unreceipted[method] = _add(unreceipted.get(method), int(n), int(total))
            # a refund pays back what was paid for its lines, VAT included: take it off
            # each line's rate (the VAT in a refunded gross is worked out as on a receipt);
            # a line of a refund without a receipt carries its own rate (v17), and its
            # amount has the VAT in it whatever tax_inclusive says (pos.domain.returns)
            rate_of = peewee.fn.COALESCE(m.RefundLine.tax_rate, m.SaleLine.tax_rate)
            for rate, gross_back in tuples(
                m.RefundLine.select(rate_of, peewee.fn.SUM(m.RefundLine.amount))
                .join(m.Refund)
                .join(
                    m.SaleLine,
                    peewee.JOIN.LEFT_OUTER,
                    on=(m.SaleLine.sale == m.Refund.sale)
                    & (m.SaleLine.line_no == m.RefundLine.line_no),
                )
                .where(refund_in_day)
                .group_by(rate_of)
            ):
                refunded_by_rate[int(rate)] = refunded_by_rate.get(int(rate), 0) + int(gross_back)
            for op, total in tuples(
                m.Refund.select(m.Refund.operator, peewee.fn.SUM(m.Refund.total))
                .where(refund_in_day)
                .group_by(m.Refund.operator)
            ):
                paid_back[op or "-"] = paid_back.get(op or "-", 0) + int(total)
        for rate, gross_back in refunded_by_rate.items():
            vat_back = round_half_up(gross_back * rate, 10_000 + rate)
            row = by_rate.setdefault(rate, [0, 0, 0])
            row[0] -= gross_back - vat_back
            row[1] -= vat_back
            row[2] -= gross_back
        if vouchers:
            row = by_rate.setdefault(0, [0, 0, 0])
            row[0] -= vouchers
            row[2] -= vouchers
            if row == [0, 0, 0]:
                del by_rate[0]
        vat = [(rate, n, v, g) for rate, (n, v, g) in sorted(by_rate.items())]
        sold = {op: (n, t) for op, (n, t) in sold_by.items()}
        operators = [
            (op, *sold.get(op, (0, 0)), paid_back.get(op, 0))
            for op in sorted(sold.keys() | paid_back.keys())
        ]
        # the audit log keeps UTC text to the second: compare in UTC, and count the
        # second the range ends in (a Z report closes "now")
        first = start.astimezone(UTC).isoformat(timespec="seconds")
        last = (end.astimezone(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds")
        audit_in_day = (m.AuditLog.till == till) & (m.AuditLog.at >= first) & (m.AuditLog.at < last)
        opened_seq = None if day is None else _audit_seq_of(day)
        later = None
        if opened_seq is not None:
            # a trading day's entries are those after the audit log's newest at its opening
            # (and before the till's next day's), whatever the clock said
            audit_in_day = (m.AuditLog.till == till) & (m.AuditLog.seq > opened_seq)
            later = (
                m.TillDay.select(peewee.fn.MIN(m.TillDay.audit_seq))
                .where((m.TillDay.till == till) & (m.TillDay.id > day))
                .scalar()
            )
            if later is not None:
                audit_in_day &= m.AuditLog.seq <= later
        events: dict[str, int] = dict(
            tuples(
                m.AuditLog.select(m.AuditLog.event, peewee.fn.COUNT(m.AuditLog.seq))
                .where(audit_in_day & m.AuditLog.event.in_(COUNTED_EVENTS))
                .group_by(m.AuditLog.event)
            )
        )
        if not is_sqlite(db):
            pushed = _till_chain_events(db, till, (first, last), (opened_seq, later))
            events = {e: events.get(e, 0) + pushed.get(e, 0) for e in events.keys() | pushed}
        # a day's few cash movements, listed one by one on the report (and added up here)
        moved = movements(in_report(till, start, end, day))
        # gift voucher redemptions a till took offline beyond what the voucher held when
        # its sale reached the store's server (issue 22): only a server has any
        over = m.VoucherOverspend
        overspent = [
            (int(n or 0), int(total or 0))
            for n, total in tuples(
                over.select(peewee.fn.COUNT(over.id), peewee.fn.SUM(over.amount))
                .where((over.till == till) & (over.at >= start.astimezone(UTC).isoformat()))
                .where(over.at < end.astimezone(UTC).isoformat())
            )
        ][0]
        clashes = (0, 0) if is_sqlite(db) else _code_clashes(db, till, start, end)
    moved_by_kind: dict[str, int] = {}
    for movement in moved:
        moved_by_kind[movement.kind] = moved_by_kind.get(movement.kind, 0) + movement.amount
    return DayFigures(
        sales=count,
        gross=gross - vouchers,
        discounts=discounts - manual,
        manual_discounts=manual,
        manual_discount_count=manual_count,
        net=net - vouchers - sum(int(v) for v in refunds.values()),
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
        paid_in=moved_by_kind.get("paid_in", 0),
        paid_out=moved_by_kind.get("paid_out", 0),
        pickups=moved_by_kind.get("pickup", 0),
        no_sales=sum(1 for movement in moved if movement.kind == "no_sale"),
        movements=moved,
        unreceipted=unreceipted,
        refund_reasons=reasons,
        vouchers_sold=(voucher_count, vouchers),
        vouchers_redeemed=(tender_count.get("voucher", 0), int(tender.get("voucher", 0))),
        voucher_overspends=(overspent[0], overspent[1]),
        voucher_clashes=clashes,
    )


def _code_clashes(
    db: peewee.Database, till: str, start: datetime, end: datetime
) -> tuple[int, int]:
    """On a store's server: how many vouchers the till sold in the range whose code another
    till's voucher held already (``voucher_collision``, schema v22), and their value."""
    n, total = db.execute_sql(
        "SELECT COUNT(*), SUM(value) FROM voucher_collision "
        "WHERE till = %s AND at >= %s AND at < %s",
        (till, start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat()),
    ).fetchone()
    return int(n or 0), int(total or 0)


def _add(pair: tuple[int, int] | None, count: int, amount: int) -> tuple[int, int]:
    """A (count, amount) pair with ``count`` and ``amount`` added."""
    return (count, amount) if pair is None else (pair[0] + count, pair[1] + amount)


def trading_day_figures(db: peewee.Database, till: str, day: Day, until: datetime) -> DayFigures:
    """A trading day's figures (the X and Z reports): the sales and refunds recording it,
    and those from before schema v10 by time, from its opening up to and including
    ``until`` (now, or its close)."""
    return day_figures(db, till, day.opened_at, until + timedelta(microseconds=1), day=day.id)


COUNTED_EVENTS = ("void", "void_cart", "void_units", "override")
"""The audit events the reports count (as voids, and as overrides)."""


def _till_chain_events(
    db: peewee.Database,
    till: str,
    times: tuple[str, str],
    seqs: tuple[int | None, int | None],
) -> dict[str, int]:
    """On a store's server: the till's own audit entries, which its sync worker pushed into
    ``till_audit`` (its chain, under its own sequence numbers, the ones its days record),
    counted as :func:`day_figures` counts the server's log. The server's ``audit_log``
    holds only what was done on the server itself."""
    opened, later = seqs
    marks = ", ".join(["%s"] * len(COUNTED_EVENTS))
    args: list[object]
    if opened is not None:
        where, args = "seq > %s", [opened]
        if later is not None:
            where, args = "seq > %s AND seq <= %s", [opened, later]
    else:
        where, args = "at >= %s AND at < %s", list(times)
    rows = db.execute_sql(
        f"SELECT event, COUNT(*) FROM till_audit WHERE chain = %s AND {where} "
        f"AND event IN ({marks}) GROUP BY event",
        (till, *args, *COUNTED_EVENTS),
    ).fetchall()
    return {str(event): int(count) for event, count in rows}


def _audit_seq_of(day: int) -> int | None:
    """Where the audit log stood when the day opened (None: a day from before schema 10)."""
    seq = m.TillDay.select(m.TillDay.audit_seq).where(m.TillDay.id == day).scalar()
    return None if seq is None else int(seq)


def _parts(
    table: type[m.Sale] | type[m.Refund],
    till: str,
    start: datetime,
    end: datetime,
    day: int | None,
) -> list[peewee.Expression]:
    """Which of ``table``'s rows a report counts, as conditions that are each one range
    of a covering index (the report adds up what each finds): the till's rows in the
    time range; or, for a trading day, the rows recording that day, and the ones
    recording none (saved before schema v10) in the time range. Apart, not ORed: the
    planner would take neither index for an OR of the two."""
    in_range = (table.till == till) & (table.at >= start) & (table.at < end)
    if day is None:
        return [in_range]
    return [(table.day == day) & (table.till == till), table.day.is_null() & in_range]

"""Completed sales: written in one transaction with the cart they replace."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import peewee

from pos.db import models as m
from pos.db.dialect import dialect
from pos.db.errors import is_sqlite, reading, writing
from pos.db.prepared import Prepared, slot
from pos.db.rows import tuples
from pos.domain.cart import CartLine
from pos.domain.discounts import Rule
from pos.domain.history import RefundableLine, SaleSummary
from pos.domain.manual_discounts import AMOUNT, PERCENT, SALE_LINE, ManualDiscount
from pos.domain.manual_discounts import KINDS as MANUAL_KINDS
from pos.domain.pricing import PricedBasket
from pos.domain.refunds import RefundPlan, SaleBasis, plan_refund
from pos.domain.rule_format import RuleError, parse_rule, rule_to_json
from pos.domain.tax import RateLine
from pos.domain.tender import Payment


class SaleRepository:
    """Sales of one till; receipt numbers are sequential per till with no gaps."""

    def __init__(self, db: peewee.Database, till: str) -> None:
        self.db = db
        self.till = till
        # the statements of every sale's commit, compiled once (pos.db.prepared)
        self._sale_of_uuid = Prepared(
            db, lambda: m.Sale.select(m.Sale.receipt_no).where(m.Sale.uuid == slot("uuid"))
        )
        counter = m.TillCounter
        self._next_receipt = Prepared(
            db,
            lambda: (
                counter.insert(till=slot("till"), last_receipt=1)
                .on_conflict(
                    conflict_target=[counter.till],
                    update={counter.last_receipt: counter.last_receipt + 1},
                )
                .returning(counter.last_receipt)
            ),
        )
        self._drop_cart_lines = Prepared(
            db, lambda: m.CartLine.delete().where(m.CartLine.cart == slot("cart"))
        )
        self._drop_cart = Prepared(db, lambda: m.Cart.delete().where(m.Cart.id == slot("cart")))
        day = m.TillDay
        self._open_day = Prepared(
            db,
            lambda: (
                day.select(day.id)
                .where((day.till == slot("till")) & day.closed_at.is_null())
                .order_by(day.id.desc())
                .limit(1)
            ),
        )

    def complete(
        self,
        *,
        cart_id: int,
        uuid: str,
        at: datetime,
        operator: str | None,
        lines: Sequence[CartLine],
        priced: PricedBasket,
        total: int,
        tax_inclusive: bool,
        payments: Sequence[Payment],
        vat: Sequence[RateLine],
        paid: dict[int, int],
        receipt_text: Callable[[int], str],
        also: Callable[[int], None] | None = None,
        rules: Sequence[Rule] | None = None,
        priced_at: datetime | None = None,
        manual: Sequence[ManualDiscount] = (),
        first: Callable[[], None] | None = None,
    ) -> int:
        """Write the sale and remove its cart, all in one transaction; returns the receipt
        number. Idempotent on ``uuid``: a sale already written is not written again.
        ``manual``: the cashier's discounts given (each kept with its reason and rate).

        ``rules`` (the discount rules that applied) and ``priced_at`` (the local, naive
        time it was priced at) are kept so that a refund can price what is kept again
        exactly as the sale was priced; without them its refunds are proportional.
        ``also`` runs inside the same transaction (the audit entry, the next open cart);
        ``first`` too, before anything is written or the receipt made (the redemption of
        gift vouchers: what it raises undoes the whole sale).
        The sale records the till's open trading day as it is in this transaction (its
        ``day_id``; NULL if none is open), which is what the Z report counts it by.

        Every row goes in by a prepared statement (the lines, discounts, payments and VAT
        rows each by one ``executemany``) and nothing written is read back: the commit is
        one short transaction with one sync of the log at COMMIT.
        """
        record = SaleRecord(
            uuid=uuid,
            at=at,
            operator=operator,
            lines=lines,
            priced=priced,
            total=total,
            tax_inclusive=tax_inclusive,
            payments=payments,
            vat=vat,
            paid=paid,
            receipt_text=receipt_text,
            rules=rules,
            priced_at=priced_at,
            manual=tuple(manual),
        )
        with writing(self.db):
            done = self._sale_of_uuid.run(uuid=uuid)
            if done:
                return int(done[0][0])
            if first is not None:
                first()
            number = self._next_number()
            row = _sale_row(record, self.till, number, self._day_now())
            sale_id = m.insert_row(self.db, m.Sale, row)
            self._insert_rows(
                {
                    m.SaleLine: _line_rows(sale_id, record),
                    m.SaleDiscount: _discount_rows(sale_id, record),
                    m.Payment: _payment_rows(sale_id, record),
                    m.SaleVat: _vat_rows(sale_id, record),
                }
            )
            self._drop_cart_lines.run(cart=cart_id)
            self._drop_cart.run(cart=cart_id)
            if also is not None:
                also(number)
            return number

    def complete_many(
        self, sales: Iterable[SaleRecord], progress: Callable[[int], None] | None = None
    ) -> int:
        """Write many completed sales (none of them written before) in one transaction,
        through prepared statements (``executemany``); returns how many. Each gets the
        till's next receipt number and exactly the rows :meth:`complete` writes for it
        (sale, lines, discounts, payments, VAT summary; the till's counter), but there is
        no cart to remove and no ``also`` hook: the bulk path for generated sales
        (``pos demo-data``), whose sales have no audit entries and no trading day (a
        year of them is reported by their times). A uuid already there fails
        the whole write (StorageError) and nothing is kept. ``progress`` gets counts of
        sales written."""
        count = 0
        with writing(self.db):
            counter = m.TillCounter.get_or_none(m.TillCounter.till == self.till)
            number = 0 if counter is None else int(counter.last_receipt)
            sale_id = int(m.Sale.select(peewee.fn.MAX(m.Sale.id)).scalar() or 0)
            batch: dict[type[m.BaseModel], list[dict[str, object]]] = {}
            for record in sales:
                number += 1
                sale_id += 1
                batch.setdefault(m.Sale, []).append(
                    {"id": sale_id, **_sale_row(record, self.till, number, None)}
                )
                for model, rows in (
                    (m.SaleLine, _line_rows(sale_id, record)),
                    (m.SaleDiscount, _discount_rows(sale_id, record)),
                    (m.Payment, _payment_rows(sale_id, record)),
                    (m.SaleVat, _vat_rows(sale_id, record)),
                ):
                    batch.setdefault(model, []).extend(rows)
                count += 1
                if count % BULK_SALES == 0:
                    self._insert_rows(batch)
                    batch = {}
                    if progress is not None:
                        progress(BULK_SALES)
            self._insert_rows(batch)
            if count:
                dialect(self.db).after_given_ids(self.db, m.Sale._meta.table_name, sale_id)
                m.TillCounter.insert(till=self.till, last_receipt=number).on_conflict(
                    conflict_target=[m.TillCounter.till],
                    update={m.TillCounter.last_receipt: number},
                ).execute()
        if progress is not None and count % BULK_SALES:
            progress(count % BULK_SALES)
        return count

    def _insert_rows(self, batch: dict[type[m.BaseModel], list[dict[str, object]]]) -> None:
        """Rows of several tables, parents first, each table by one ``executemany``; the
        values go through each field's own conversion (timestamps to UTC text)."""
        cursor = self.db.cursor()
        for model in (m.Sale, m.SaleLine, m.SaleDiscount, m.Payment, m.SaleVat):
            rows = batch.get(model)
            if not rows:
                continue
            names = tuple(rows[0])
            fields = [model._meta.fields[name] for name in names]
            cursor.executemany(
                m.insert_sql(model, names, self.db.param),
                [
                    tuple(f.db_value(row[n]) for f, n in zip(fields, names, strict=True))
                    for row in rows
                ],
            )

    def _day_now(self) -> int | None:
        """The till's open trading day (its newest, as DayRepository.latest), read inside
        the caller's write transaction: the row it is written to records the day that was
        open when it was committed. None if no day is open."""
        rows = self._open_day.run(till=self.till)
        return int(rows[0][0]) if rows else None

    def _next_number(self) -> int:
        """The till's next receipt number (sales and refunds share the sequence); call
        inside the transaction that uses it, so a number is never lost or repeated. The
        counter goes up and is read in one statement (``RETURNING``)."""
        ((number,),) = self._next_receipt.run(till=self.till)
        return int(number)

    @reading
    def refundable(self, receipt_no: int, till: str | None = None) -> list[RefundableLine] | None:
        """A sale's lines with what is left to refund, or None if there is no such sale
        (``till``: another till's sale, copied here from the store's server)."""
        sale = self._sale(receipt_no, till)
        return None if sale is None else self._lines(sale)

    def _sale(self, receipt_no: int, till: str | None = None) -> m.Sale | None:
        return m.Sale.get_or_none(
            (m.Sale.till == (till or self.till)) & (m.Sale.receipt_no == receipt_no)
        )

    def _no_sale(self, receipt_no: int, till: str | None) -> LookupError:
        of = f" of {till}" if till else ""
        return LookupError(f"no sale {receipt_no:04d}{of} on this till")

    def _lines(self, sale: m.Sale) -> list[RefundableLine]:
        done: dict[int, tuple[int, int]] = {}
        query = (
            m.RefundLine.select(
                m.RefundLine.line_no,
                peewee.fn.SUM(m.RefundLine.qty),
                peewee.fn.SUM(m.RefundLine.amount),
            )
            .join(m.Refund)
            .where(m.Refund.sale == sale.id)
            .group_by(m.RefundLine.line_no)
        )
        for line_no, qty, amount in tuples(query):
            done[int(line_no)] = (int(qty), int(amount))
        return [
            RefundableLine(
                row.line_no,
                row.name,
                row.unit,
                row.qty,
                row.paid,
                *done.get(row.line_no, (0, 0)),
                barcode=row.barcode,
                unit_price=row.unit_price,
                tax_rate=row.tax_rate,
                voucher=bool(row.voucher),
            )
            for row in m.SaleLine.select()
            .where(m.SaleLine.sale == sale.id)
            .order_by(m.SaleLine.line_no)
        ]

    def _basis(self, sale: m.Sale) -> SaleBasis:
        """What the sale's refunds are worked out from (no rules: saved before they were
        kept, or they no longer read as rules: the proportional refund)."""
        rules: tuple[Rule, ...] | None = None
        priced_at = None
        if sale.rules is not None and sale.priced_at is not None:
            try:
                rules = tuple(parse_rule(data) for data in json.loads(sale.rules))
                priced_at = datetime.fromisoformat(sale.priced_at)
            except (ValueError, TypeError, RuleError):
                rules = priced_at = None
        return SaleBasis(
            tuple(self._lines(sale)),
            int(sale.total),
            bool(sale.tax_inclusive),
            rules,
            priced_at,
            _manual_of(sale),
        )

    @reading
    def quote(
        self, receipt_no: int, quantities: dict[int, int], till: str | None = None
    ) -> RefundPlan:
        """What refunding ``quantities`` would pay back now (nothing is written).

        Raises:
            LookupError: no such sale, or more than is left to refund.
        """
        sale = self._sale(receipt_no, till)
        if sale is None:
            raise self._no_sale(receipt_no, till)
        return plan_refund(self._basis(sale), quantities)

    def refund(
        self,
        *,
        receipt_no: int,
        uuid: str,
        quantities: dict[int, int],
        method: str,
        at: datetime,
        operator: str | None,
        approver: str | None,
        receipt_text: Callable[[int, RefundPlan], str],
        also: Callable[[int, int], None] | None = None,
        till: str | None = None,
        reason: str | None = None,
        first: Callable[[str, int], None] | None = None,
    ) -> tuple[int, int]:
        """Refund ``quantities`` (line number -> units) of a sale, for ``reason``, in one
        transaction (``till``: a sale of another till, copied here; the refund is this
        till's). ``first`` runs in it with the sale's uuid and the refund's total before
        anything is written or the receipt made (a refund onto gift vouchers puts the
        money back on them: what it raises undoes the refund).

        What is kept is priced again with the rules the sale kept (see
        :mod:`pos.domain.refunds`); never more in total than was paid for a line,
        counting earlier refunds. Returns (receipt number, amount).

        On a server the sale's row is locked first: two refunds of one sale at once are
        made one after the other (each sees what the other refunded and gave back).

        Raises:
            LookupError: no such sale, more than is left to refund, or nothing to pay back.
        """
        with writing(self.db):
            done = m.Refund.get_or_none(m.Refund.uuid == uuid)
            if done is not None:
                return int(done.receipt_no), int(done.total)
            sale = self._sale(receipt_no, till)
            if sale is None:
                raise self._no_sale(receipt_no, till)
            if not is_sqlite(self.db):  # SQLite's write lock already makes them queue
                m.Sale.select(m.Sale.id).where(m.Sale.id == sale.id).for_update().execute()
            if (
                m.SaleLine.select()
                .where((m.SaleLine.sale == sale.id) & m.SaleLine.line_no.in_(list(quantities)))
                .where(m.SaleLine.voucher == 1)
                .exists()
            ):  # its code is out there: a voucher sold is not taken back as an item
                raise LookupError("a gift voucher sold is not refunded: it can still be spent")
            plan = plan_refund(self._basis(sale), quantities)
            if not plan.items:
                raise LookupError("nothing to refund")
            total = plan.total
            if total <= 0:
                lost = "; ".join(f"{name} no longer applies" for name in plan.lost)
                raise LookupError(f"nothing to pay back{': ' + lost if lost else ''}")
            if first is not None:
                first(str(sale.uuid), total)
            number = self._next_number()
            refund = m.Refund.create(
                uuid=uuid,
                sale=sale.id,
                till=self.till,
                receipt_no=number,
                at=at,
                operator=operator,
                approver=approver,
                method=method,
                total=total,
                receipt_text=receipt_text(number, plan),
                day=self._day_now(),
                reason=reason,
            )
            m.RefundLine.insert_many(
                [
                    {
                        "refund": refund.id,
                        "line_no": item.line.line_no,
                        "qty": item.qty,
                        "amount": item.amount,
                    }
                    for item in plan.items
                ]
            ).execute()
            if also is not None:
                also(number, total)
            return number, total

    @reading
    def uuid_of(self, receipt_no: int, till: str | None = None) -> str | None:
        """The id of the sale ``receipt_no`` (of ``till``, or this till), or None."""
        sale = self._sale(receipt_no, till)
        return None if sale is None else str(sale.uuid)

    @reading
    def receipt_no_of(self, uuid: str) -> int | None:
        sale = m.Sale.get_or_none(m.Sale.uuid == uuid)
        return None if sale is None else int(sale.receipt_no)

    @reading
    def last(self) -> SaleSummary | None:
        row = (
            m.Sale.select()
            .where(m.Sale.till == self.till)
            .order_by(m.Sale.receipt_no.desc())
            .first()
        )
        if row is None:
            return None
        return SaleSummary(row.receipt_no, row.at, row.total, row.operator)

    @reading
    def receipt_text(self, receipt_no: int, till: str | None = None) -> str | None:
        """The stored receipt of a sale or a refund (they share the numbering; ``till``:
        another till's, copied here)."""
        till = till or self.till
        sale = m.Sale.get_or_none((m.Sale.till == till) & (m.Sale.receipt_no == receipt_no))
        if sale is not None:
            return str(sale.receipt_text)
        refund = m.Refund.get_or_none((m.Refund.till == till) & (m.Refund.receipt_no == receipt_no))
        return None if refund is None else str(refund.receipt_text)


def _manual_of(sale: m.Sale) -> tuple[ManualDiscount, ...]:
    """The cashier's discounts a sale kept, as a refund applies them again: a percentage
    as given, an amount off as what it took off."""
    rows = m.SaleDiscount.select().where(
        (m.SaleDiscount.sale == sale.id) & m.SaleDiscount.kind.in_(MANUAL_KINDS)
    )
    found = []
    for row in rows:
        uses = json.loads(row.uses)
        line_no = int(uses[0][0]) if uses else SALE_LINE
        kind, value = (PERCENT, int(row.rate)) if row.rate is not None else (AMOUNT, row.amount)
        found.append(ManualDiscount(line_no, kind, int(value), row.reason or ""))
    return tuple(found)


BULK_SALES = 1_000
"""Sales per round of ``executemany`` in :meth:`SaleRepository.complete_many`."""


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """One completed sale as :meth:`SaleRepository.complete` writes it (see there)."""

    uuid: str
    at: datetime
    operator: str | None
    lines: Sequence[CartLine]
    priced: PricedBasket
    total: int
    tax_inclusive: bool
    payments: Sequence[Payment]
    vat: Sequence[RateLine]
    paid: Mapping[int, int]
    receipt_text: Callable[[int], str]
    rules: Sequence[Rule] | None = None
    priced_at: datetime | None = None
    manual: Sequence[ManualDiscount] = ()


def _sale_row(record: SaleRecord, till: str, number: int, day: int | None) -> dict[str, object]:
    kept = record.rules is not None and record.priced_at is not None
    return {
        "day": day,
        "uuid": record.uuid,
        "till": till,
        "receipt_no": number,
        "at": record.at,
        "operator": record.operator,
        "subtotal": record.priced.subtotal,
        "discount_total": record.priced.discount_total,
        "total": record.total,
        "tax_inclusive": int(record.tax_inclusive),
        "receipt_text": record.receipt_text(number),
        "rules": json.dumps([rule_to_json(rule) for rule in record.rules or ()], sort_keys=True)
        if kept
        else None,
        "priced_at": record.priced_at.isoformat() if kept and record.priced_at else None,
    }


def _line_rows(sale_id: int, record: SaleRecord) -> list[dict[str, object]]:
    return [
        {
            "sale": sale_id,
            "line_no": line.line_no,
            "barcode": line.barcode,
            "name": line.name,
            "unit": line.unit.value,
            "unit_price": line.unit_price,
            "qty": line.qty,
            "tax_rate": line.tax_rate,
            "total": line.total,
            "paid": record.paid.get(line.line_no, 0),
            "operator": line.operator,
            "voucher": int(line.voucher),
        }
        for line in record.lines
    ]


def _discount_rows(sale_id: int, record: SaleRecord) -> list[dict[str, object]]:
    """The sale's discounts; a cashier's with its reason and rate (its percentage)."""
    given = {d.line_no: d for d in record.manual}
    rows: list[dict[str, object]] = []
    for discount in record.priced.discounts:
        spec = None
        if discount.kind in MANUAL_KINDS:
            spec = given.get(discount.uses[0][0] if discount.uses else SALE_LINE)
        rows.append(
            {
                "sale": sale_id,
                "name": discount.name,
                "kind": discount.kind,
                "amount": discount.amount,
                "uses": json.dumps([list(u) for u in discount.uses]),
                "reason": None if spec is None else spec.reason,
                "rate": spec.value if spec is not None and spec.kind == PERCENT else None,
            }
        )
    return rows


def _payment_rows(sale_id: int, record: SaleRecord) -> list[dict[str, object]]:
    return [
        {
            "sale": sale_id,
            "method": payment.method.value,
            "amount": payment.amount,
            "tendered": payment.tendered,
            "change": payment.change,
            "reference": payment.reference,
        }
        for payment in record.payments
    ]


def _vat_rows(sale_id: int, record: SaleRecord) -> list[dict[str, object]]:
    return [
        {"sale": sale_id, "rate": row.rate, "net": row.net, "vat": row.vat, "gross": row.gross}
        for row in record.vat
    ]

"""Coupon codes in the database (issue 22): issued, looked up, voided and used.

A use is taken by a conditional update (``uses_left = uses_left - 1 WHERE ... AND
uses_left > 0``) in the transaction of the sale that used it, and the row count says
whether it was there to take: two tills on one database can never both take the last
use. A rule's ``max_uses`` is counted the same way in ``rule_use``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import peewee

from pos.db import models as m
from pos.db.errors import reading, storage_errors, writing
from pos.domain.coupons import Coupon

ISSUE_TRIES = 50
"""Fresh random digits drawn for one code before giving up (a store nearly out of codes)."""


class CodesExhausted(Exception):
    """No free code was found in :data:`ISSUE_TRIES` draws."""


def _coupon(row: m.CouponCode) -> Coupon:
    return Coupon(
        code=row.code,
        rule=row.rule,
        uses=row.uses,
        uses_left=row.uses_left,
        expires=date.fromisoformat(row.expires) if row.expires else None,
        voided=bool(row.voided),
    )


@dataclass(frozen=True, slots=True)
class Issue:
    """A batch of codes to issue: for ``rule``, each good for ``uses`` sales until
    ``expires``, issued ``at`` by ``by``."""

    rule: str
    count: int
    uses: int
    expires: date | None
    at: datetime
    by: str | None


class CouponRepository:
    """The coupon codes and the rules' use counts."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db

    def issue(
        self,
        batch: Issue,
        new_code: Callable[[], str],
        also: Callable[[list[Coupon]], None] | None = None,
    ) -> list[Coupon]:
        """Make ``batch.count`` new codes, each drawn by ``new_code`` (drawn again while it
        is taken), in one transaction with ``also`` (the audit entry).

        Raises:
            CodesExhausted: a code could not be found free (nothing is issued).
        """
        made: list[Coupon] = []
        with writing(self.db):
            for _ in range(batch.count):
                for _ in range(ISSUE_TRIES):
                    code = new_code()
                    if m.Product.select().where(m.Product.barcode == code).exists():
                        continue  # a product from before coupons (v19) has it: never issued
                    try:
                        with self.db.atomic():  # a savepoint: a taken code undoes only itself
                            m.CouponCode.insert(
                                code=code,
                                rule=batch.rule,
                                uses=batch.uses,
                                uses_left=batch.uses,
                                expires=batch.expires.isoformat() if batch.expires else None,
                                issued_at=batch.at,
                                issued_by=batch.by,
                            ).execute()
                    except peewee.IntegrityError:
                        continue
                    made.append(Coupon(code, batch.rule, batch.uses, batch.uses, batch.expires))
                    break
                else:
                    raise CodesExhausted(f"no free code found in {ISSUE_TRIES} tries")
            if also is not None:
                also(made)
        return made

    @reading
    def products_in_range(self) -> list[tuple[str, str]]:
        """The products (barcode, name) whose barcode is in the coupon range (13 digits
        starting ``99``): only ones added before coupons (v19) can be."""
        query = (
            m.Product.select(m.Product.barcode, m.Product.name)
            .where(m.Product.barcode.startswith("99"))
            .order_by(m.Product.barcode)
        )
        return [(r.barcode, r.name) for r in query if len(r.barcode) == 13 and r.barcode.isdigit()]

    @reading
    def get(self, code: str) -> Coupon | None:
        row = m.CouponCode.get_or_none(m.CouponCode.code == code)
        return None if row is None else _coupon(row)

    @reading
    def listed(self, rule: str | None = None, limit: int = 1000) -> list[Coupon]:
        """The codes (of ``rule``, or all), newest first, at most ``limit``."""
        query = m.CouponCode.select()
        if rule is not None:
            query = query.where(peewee.fn.LOWER(m.CouponCode.rule) == rule.lower())
        return [_coupon(row) for row in query.order_by(m.CouponCode.id.desc()).limit(limit)]

    @reading
    def used_in(self, code: str) -> list[str]:
        """The uuids of the sales that used ``code`` (and kept it: not refunded)."""
        query = (
            m.Sale.select(m.Sale.uuid)
            .join(m.SaleCoupon, on=(m.SaleCoupon.sale == m.Sale.id))
            .where((m.SaleCoupon.code == code) & (m.SaleCoupon.returned == 0))
            .order_by(m.Sale.id)
        )
        return [row.uuid for row in query]

    def void(self, code: str, also: Callable[[Coupon], None] | None = None) -> Coupon | None:
        """Void ``code`` with ``also`` (its audit entry); None if there is no such code.
        Voiding a voided code changes nothing (and audits nothing)."""
        with writing(self.db):
            row = m.CouponCode.get_or_none(m.CouponCode.code == code)
            if row is None:
                return None
            if not row.voided:
                m.CouponCode.update(voided=1).where(m.CouponCode.id == row.id).execute()
                if also is not None:
                    also(_coupon(row))
            row = m.CouponCode.get(m.CouponCode.id == row.id)
            return _coupon(row)

    # ------------------------------------------------------------ uses (in a sale's commit)

    def take_use(self, code: str, today: date) -> bool:
        """Take one use of ``code`` if it is good today: call inside the sale's
        transaction. False (nothing taken) if it is used up, voided or expired."""
        taken = (
            m.CouponCode.update(uses_left=m.CouponCode.uses_left - 1)
            .where(
                (m.CouponCode.code == code)
                & (m.CouponCode.uses_left > 0)
                & (m.CouponCode.voided == 0)
                & (m.CouponCode.expires.is_null() | (m.CouponCode.expires >= today.isoformat()))
            )
            .execute()
        )
        return bool(taken)

    def give_back(self, code: str) -> bool:
        """Give one use of ``code`` back (a refund broke its deal): call inside the
        refund's transaction. Never more than it was issued with."""
        back = (
            m.CouponCode.update(uses_left=m.CouponCode.uses_left + 1)
            .where((m.CouponCode.code == code) & (m.CouponCode.uses_left < m.CouponCode.uses))
            .execute()
        )
        return bool(back)

    def take_rule_use(self, rule: str, max_uses: int) -> bool:
        """Count one more sale for ``rule`` if it has had fewer than ``max_uses``: call
        inside the sale's transaction. False (nothing counted) if it has had them all."""
        m.RuleUse.insert(rule=rule, used=0).on_conflict_ignore().execute()
        taken = (
            m.RuleUse.update(used=m.RuleUse.used + 1)
            .where((m.RuleUse.rule == rule) & (m.RuleUse.used < max_uses))
            .execute()
        )
        return bool(taken)

    def give_rule_use_back(self, rule: str) -> None:
        """One sale fewer for ``rule`` (a refund broke its deal)."""
        m.RuleUse.update(used=m.RuleUse.used - 1).where(
            (m.RuleUse.rule == rule) & (m.RuleUse.used > 0)
        ).execute()

    @reading
    def rule_uses(self, rules: Iterable[str]) -> dict[str, int]:
        """The sales each of ``rules`` was used in (0 for none)."""
        names = list(rules)
        found = {name: 0 for name in names}
        if names:
            for row in m.RuleUse.select().where(m.RuleUse.rule.in_(names)):
                found[row.rule] = row.used
        return found

    # ------------------------------------------------------------ in an open cart, in a sale

    @reading
    def in_cart(self, cart_id: int) -> tuple[Coupon, ...]:
        """The coupons scanned into a cart, in the order they were scanned."""
        query = (
            m.CouponCode.select()
            .join(m.CartCoupon, on=(m.CartCoupon.code == m.CouponCode.code))
            .where(m.CartCoupon.cart == cart_id)
            .order_by(m.CartCoupon.id)
        )
        return tuple(_coupon(row) for row in query)

    def put_in_cart(self, cart_id: int, coupon: Coupon) -> None:
        """Keep ``coupon`` with the open cart (a restart keeps it)."""
        with writing(self.db):
            m.CartCoupon.insert(cart=cart_id, code=coupon.code, rule=coupon.rule).execute()

    def take_from_cart(self, cart_id: int, code: str) -> None:
        with writing(self.db):
            m.CartCoupon.delete().where(
                (m.CartCoupon.cart == cart_id) & (m.CartCoupon.code == code)
            ).execute()

    def record_sale(
        self, sale_uuid: str, used: Iterable[Coupon], offline: Collection[str] = ()
    ) -> None:
        """Note the coupons a sale used (those in ``offline`` used without the store's
        server): call inside the sale's transaction."""
        sale_id = m.Sale.select(m.Sale.id).where(m.Sale.uuid == sale_uuid).scalar()
        for coupon in used:
            m.SaleCoupon.insert(
                sale=sale_id,
                code=coupon.code,
                rule=coupon.rule,
                offline=int(coupon.code in offline),
            ).execute()

    @reading
    def used_offline(self, code: str) -> bool:
        """Whether a sale of this till used ``code`` offline and has not reached the
        store's server yet (its outbox entry waits): a store's till uses a code once
        while offline."""
        found = self.db.execute_sql(
            "SELECT 1 FROM sale_coupon sc JOIN sale s ON s.id = sc.sale_id "
            "JOIN outbox o ON o.kind = 'sale' AND o.ref = s.uuid "
            f"WHERE sc.code = {self.db.param} AND sc.offline = 1 AND o.pushed_at IS NULL LIMIT 1",
            (code,),
        ).fetchone()
        return found is not None

    @reading
    def of_sale(self, sale_uuid: str) -> list[tuple[str, str, bool]]:
        """The coupons a sale used: (code, rule, given back by a refund)."""
        query = (
            m.SaleCoupon.select(m.SaleCoupon.code, m.SaleCoupon.rule, m.SaleCoupon.returned)
            .join(m.Sale, on=(m.SaleCoupon.sale == m.Sale.id))
            .where(m.Sale.uuid == sale_uuid)
            .order_by(m.SaleCoupon.id)
        )
        return [(row.code, row.rule, bool(row.returned)) for row in query]

    # ------------------------------------------------------------ a refund

    @reading
    def of_receipt(self, till: str, receipt_no: int) -> list[tuple[str, str, bool]]:
        """The coupons the sale ``receipt_no`` of ``till`` used: (code, rule, given back)."""
        query = (
            m.SaleCoupon.select(m.SaleCoupon.code, m.SaleCoupon.rule, m.SaleCoupon.returned)
            .join(m.Sale, on=(m.SaleCoupon.sale == m.Sale.id))
            .where((m.Sale.till == till) & (m.Sale.receipt_no == receipt_no))
            .order_by(m.SaleCoupon.id)
        )
        return [(row.code, row.rule, bool(row.returned)) for row in query]

    @reading
    def capped_in_sale(self, till: str, receipt_no: int) -> frozenset[str]:
        """The rules the sale ``receipt_no`` of ``till`` applied that had a ``max_uses``
        then (the sale counted a use of each in ``rule_use``), as the sale kept them."""
        kept = (
            m.Sale.select(m.Sale.rules)
            .where((m.Sale.till == till) & (m.Sale.receipt_no == receipt_no))
            .scalar()
        )
        try:
            rules = json.loads(kept) if kept else []
            return frozenset(
                str(r["name"]) for r in rules if isinstance(r, dict) and r.get("max_uses")
            )
        except (ValueError, TypeError, KeyError):
            return frozenset()

    def return_use(self, till: str, receipt_no: int, code: str) -> bool:
        """Give back the use the sale took of ``code`` (a refund broke its deal), once:
        call inside the refund's transaction. False if it was given back before."""
        sale_id = (
            m.Sale.select(m.Sale.id)
            .where((m.Sale.till == till) & (m.Sale.receipt_no == receipt_no))
            .scalar()
        )
        marked = (
            m.SaleCoupon.update(returned=1)
            .where(
                (m.SaleCoupon.sale == sale_id)
                & (m.SaleCoupon.code == code)
                & (m.SaleCoupon.returned == 0)
            )
            .execute()
        )
        if not marked:
            return False
        self.give_back(code)
        return True


# ------------------------------------------------------------ a store's server (issue 22)


@dataclass(frozen=True, slots=True)
class Overuse:
    """A coupon use found over its limit when its sale reached the store's server (the
    till was offline and the code was used up, voided or unknown by then)."""

    code: str
    rule: str
    till: str
    receipt_no: int
    at: datetime
    why: str


def coupon_overuses(
    db: peewee.Database, till: str | None, start: datetime, end: datetime
) -> list[Overuse]:
    """The overuses of sales made from ``start`` to ``end`` (of ``till``, or any till), on
    a store's server; none on a file (it has no claims: it is its own authority)."""
    if isinstance(db, peewee.SqliteDatabase):
        return []
    field = m.Sale.at
    with storage_errors():
        rows = db.execute_sql(
            "SELECT c.code, sc.rule, s.till, s.receipt_no, s.at, c.note FROM coupon_claim c "
            "JOIN sale s ON s.uuid = c.sale_uuid "
            "JOIN sale_coupon sc ON sc.sale_id = s.id AND sc.code = c.code "
            "WHERE c.status = 'over' AND s.at >= %s AND s.at < %s "
            "AND (%s::text IS NULL OR s.till = %s) ORDER BY s.at, c.code",
            (field.db_value(start), field.db_value(end), till, till),
        ).fetchall()
    return [
        Overuse(str(code), str(rule), str(t), int(no), datetime.fromisoformat(at), str(why or ""))
        for code, rule, t, no, at, why in rows
    ]

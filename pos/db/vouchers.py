"""Gift vouchers at rest (schema step :mod:`pos.db.migrations.v21_vouchers`, issue 22).

A voucher's balance only ever changes by a conditional update, ``UPDATE voucher SET
balance = balance - x WHERE id = ? AND balance >= x AND voided = 0``, whose row count
says whether it was taken: two tills on one SQLite file or one PostgreSQL database
redeeming the same voucher at once can never take more than it holds, whatever balance
each read before (the CHECK ``balance >= 0`` is the last guard).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime

import peewee

from pos.db import models as m
from pos.db.errors import reading, writing
from pos.db.rows import tuples
from pos.domain.money import format_money
from pos.domain.vouchers import Voucher


class VoucherTaken(Exception):
    """A redemption that could not be taken: the voucher holds less than it asked for
    now (another till spent it), or it was voided; the message says so.

    Attributes:
        code: The voucher's code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _voucher(row: m.Voucher) -> Voucher:
    return Voucher(
        row.code, row.value, row.balance, date.fromisoformat(row.expires), bool(row.voided)
    )


class VoucherRepository:
    """The vouchers of one database (one store): issued, looked up and redeemed."""

    def __init__(self, db: peewee.Database, till: str) -> None:
        self.db = db
        self.till = till

    @reading
    def get(self, code: str) -> Voucher | None:
        """The voucher with ``code``, or None if there is none."""
        row = m.Voucher.get_or_none(m.Voucher.code == code)
        return None if row is None else _voucher(row)

    def insert(self, vouchers: Sequence[Voucher], sale: str | None, at: datetime) -> None:
        """Write newly issued vouchers, in the caller's transaction (a sale's). A code
        already taken (12 random digits collided) fails the transaction with a
        StorageError of kind ``constraint``: the caller draws new codes and tries again."""
        if not vouchers:
            return
        m.Voucher.insert_many(
            [
                {
                    "code": v.code,
                    "value": v.value,
                    "balance": v.balance,
                    "expires": v.expires.isoformat(),
                    "sale": sale,
                    "till": self.till,
                    "issued_at": at.isoformat(),
                    "voided": int(v.voided),
                }
                for v in vouchers
            ]
        ).execute()

    def issue(self, vouchers: Sequence[Voucher], at: datetime) -> None:
        """Write pre-printed cards (no sale) in one transaction of their own."""
        with writing(self.db):
            self.insert(vouchers, None, at)

    @reading
    def sold_by(self, sale: str) -> list[Voucher]:
        """The vouchers a sale (its uuid) sold, in code order."""
        query = m.Voucher.select().where(m.Voucher.sale == sale).order_by(m.Voucher.code)
        return [_voucher(row) for row in query]

    def mirror(self, voucher: Voucher, ref: str, amount: int, at: datetime) -> int:
        """A redemption the store's server granted (:func:`pos.db.sync.vouchers.claim`),
        kept on the till's file in the sale's transaction: the voucher as the server has
        it now (so the till knows it if the server is down later) and its use, claimed.
        Returns the balance left."""
        m.Voucher.insert(
            code=voucher.code,
            value=voucher.value,
            balance=voucher.balance,
            expires=voucher.expires.isoformat(),
            till=self.till,
            issued_at=at.isoformat(),
            voided=int(voucher.voided),
        ).on_conflict(
            conflict_target=[m.Voucher.code],
            update={m.Voucher.balance: voucher.balance, m.Voucher.voided: int(voucher.voided)},
        ).execute()
        row = m.Voucher.get(m.Voucher.code == voucher.code)
        m.VoucherUse.insert(
            voucher=row.id, ref=ref, amount=amount, till=self.till, at=at.isoformat(), claimed=1
        ).on_conflict_ignore().execute()
        return voucher.balance

    @reading
    def taken_offline(self, code: str) -> int:
        """What this till took off the voucher ``code`` while its store was unreachable."""
        total = (
            m.VoucherUse.select(peewee.fn.SUM(m.VoucherUse.amount))
            .join(m.Voucher, on=(m.Voucher.id == m.VoucherUse.voucher))
            .where((m.Voucher.code == code) & (m.VoucherUse.claimed == 0))
            .scalar()
        )
        return int(total or 0)

    def take(
        self, code: str, amount: int, ref: str, at: datetime, offline_limit: int | None = None
    ) -> int:
        """Redeem ``amount`` off the voucher ``code`` under ``ref`` (the sale's uuid), in
        the caller's transaction, by a conditional update; returns the balance left.
        Idempotent on ``ref``: a redemption already taken under it is not taken again.
        ``offline_limit``: a store's till whose server is down takes at most that much
        off one voucher in all while offline (its uses are marked unclaimed).

        Raises:
            VoucherTaken: the voucher holds less than ``amount`` now, or was voided, or
                there is no such voucher, or the offline limit would be passed: nothing
                was taken.
        """
        row = m.Voucher.get_or_none(m.Voucher.code == code)
        if row is None:
            raise VoucherTaken(code, f"Voucher {code} is not known here: nothing was taken")
        done = m.VoucherUse.get_or_none(
            (m.VoucherUse.voucher == row.id) & (m.VoucherUse.ref == ref)
        )
        if done is not None:
            return int(row.balance)
        if offline_limit is not None and self.taken_offline(code) + amount > offline_limit:
            raise VoucherTaken(
                code,
                "Sale NOT saved: the store's server cannot be reached, and a voucher may pay "
                f"at most {format_money(offline_limit)} while it is down (offline_voucher_limit). "
                "Its payment is taken off: take another payment",
            )
        changed = (
            m.Voucher.update(balance=m.Voucher.balance - amount)
            .where(
                (m.Voucher.id == row.id) & (m.Voucher.balance >= amount) & (m.Voucher.voided == 0)
            )
            .execute()
        )
        if changed != 1:
            raise VoucherTaken(
                code,
                f"Sale NOT saved: voucher ...{code[-4:]} was just used on another till (or "
                f"voided) and no longer holds {format_money(amount)}. Its payment is taken "
                "off: scan it again for what it holds now, or take another payment",
            )
        m.VoucherUse.insert(
            voucher=row.id,
            ref=ref,
            amount=amount,
            till=self.till,
            at=at.isoformat(),
            claimed=int(offline_limit is None),
        ).execute()
        left = m.Voucher.select(m.Voucher.balance).where(m.Voucher.id == row.id).scalar()
        return int(left)

    def _paid_back(self, sale: str) -> list[tuple[int, str, int]]:
        """Each voucher that paid the sale ``sale`` (its uuid), in the order they paid:
        its id, its code, and what of its payment refunds have not put back yet."""
        paid = tuples(
            m.VoucherUse.select(m.VoucherUse.voucher, m.Voucher.code, m.VoucherUse.amount)
            .join(m.Voucher, on=(m.Voucher.id == m.VoucherUse.voucher))
            .where((m.VoucherUse.ref == sale) & (m.VoucherUse.amount > 0))
            .order_by(m.VoucherUse.id)
        )
        refunds = m.Refund.select(m.Refund.uuid).join(m.Sale).where(m.Sale.uuid == sale)
        back = {  # (a refund's rows are negative)
            int(vid): -int(total)
            for vid, total in tuples(
                m.VoucherUse.select(m.VoucherUse.voucher, peewee.fn.SUM(m.VoucherUse.amount))
                .where(m.VoucherUse.ref.in_(refunds) & (m.VoucherUse.amount < 0))
                .group_by(m.VoucherUse.voucher)
            )
        }
        return [
            (int(vid), str(code), int(amount) - back.get(int(vid), 0)) for vid, code, amount in paid
        ]

    @reading
    def restorable(self, sale: str) -> int:
        """What refunds of the sale ``sale`` (its uuid) may still put back onto the
        vouchers that paid it."""
        return sum(max(0, left) for _vid, _code, left in self._paid_back(sale))

    def restore(
        self, sale: str, ref: str, amount: int, at: datetime, today: date
    ) -> list[tuple[str, int, int]]:
        """Put ``amount`` back onto the vouchers that paid the sale ``sale`` (its uuid),
        under ``ref`` (the refund's uuid), in the caller's transaction: each at most what
        it paid less what earlier refunds put back, in the order they paid, each by a
        conditional update (never above its value). Returns (code, amount put back,
        balance now) for each.

        Raises:
            LookupError: the vouchers cannot take it all back (not paid by voucher, or
                already put back, or a voucher voided or expired): nothing changed.
        """
        left = amount
        done: list[tuple[str, int, int]] = []
        for vid, code, room in self._paid_back(sale):
            part = min(left, room)
            if part <= 0:
                continue
            row = m.Voucher.get_by_id(vid)
            if row.voided or date.fromisoformat(row.expires) < today:
                state = "voided" if row.voided else f"expired on {row.expires}"
                raise LookupError(
                    f"voucher ...{code[-4:]} is {state}: refund to cash or card instead"
                )
            changed = (
                m.Voucher.update(balance=m.Voucher.balance + part)
                .where((m.Voucher.id == vid) & (m.Voucher.balance + part <= m.Voucher.value))
                .execute()
            )
            if changed != 1:
                raise LookupError(f"voucher ...{code[-4:]} cannot take {format_money(part)} back")
            m.VoucherUse.insert(
                voucher=vid, ref=ref, amount=-part, till=self.till, at=at.isoformat()
            ).execute()
            balance = int(m.Voucher.select(m.Voucher.balance).where(m.Voucher.id == vid).scalar())
            done.append((code, part, balance))
            left -= part
        if left > 0:
            paid = amount - left
            raise LookupError(
                f"only {format_money(paid)} of this refund can go back onto the vouchers that "
                "paid the sale: refund to cash or card instead"
            )
        return done


def flag_product(
    db: peewee.Database, barcode: str, voucher: bool, also: Callable[[], object]
) -> str:
    """Make the product ``barcode`` a gift voucher product (or an ordinary one again), with
    ``also`` (its audit entry) in the same transaction; returns its name.

    Raises:
        LookupError: no such product (nothing changed).
        ValueError: a product sold by weight (nothing changed).
    """
    with writing(db):
        row = m.Product.get_or_none(m.Product.barcode == barcode)
        if row is None:
            raise LookupError(f"No product with barcode {barcode}")
        if voucher and row.unit != "each":  # one voucher a unit: never one a gram
            raise ValueError(f"{row.name} is sold by weight: a gift voucher is sold one by one")
        m.Product.update(voucher=int(voucher)).where(m.Product.id == row.id).execute()
        also()
        return str(row.name)


def void_voucher(db: peewee.Database, code: str, also: Callable[[], object]) -> Voucher | None:
    """Void the voucher ``code`` (a manager's ``pos vouchers void``), with ``also`` (its
    audit entry) in the same transaction the first time; voiding a voided voucher changes
    nothing. None if there is no such voucher (nothing changed)."""
    with writing(db):
        row = m.Voucher.get_or_none(m.Voucher.code == code)
        if row is None:
            return None
        if not row.voided:
            m.Voucher.update(voided=1).where(m.Voucher.id == row.id).execute()
            also()
            row = m.Voucher.get(m.Voucher.id == row.id)
        return _voucher(row)

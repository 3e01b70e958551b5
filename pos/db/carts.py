"""The till's carts: the open one, saved on every change, and the parked ones. Every
change is one transaction; a failure surfaces as :class:`pos.db.errors.StorageError`
with its root cause, and nothing of the write is kept."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime

import peewee

from pos.db import models as m
from pos.db.errors import one_write, reading, writing
from pos.db.prepared import Prepared, slot
from pos.db.rows import dicts
from pos.domain.cart import CartLine, ParkedCart, StoredCart
from pos.domain.catalog import Unit
from pos.domain.manual_discounts import SALE_LINE, ManualDiscount


def cart_line(row: m.CartLine) -> CartLine:
    """A stored cart line as the domain's :class:`CartLine`."""
    return CartLine(
        line_no=row.line_no,
        barcode=row.barcode,
        name=row.name,
        unit=Unit(row.unit),
        unit_price=row.unit_price,
        qty=row.qty,
        tax_rate=row.tax_rate,
        fixed_price=bool(row.fixed_price),
        operator=row.operator,
        voucher=bool(row.voucher),
    )


_SAVED_LINE_FIELDS = (
    m.CartLine.cart,
    m.CartLine.line_no,
    m.CartLine.barcode,
    m.CartLine.name,
    m.CartLine.unit,
    m.CartLine.unit_price,
    m.CartLine.qty,
    m.CartLine.tax_rate,
    m.CartLine.fixed_price,
    m.CartLine.operator,
    m.CartLine.voucher,
)
"""What a saved cart line holds (every column but the id)."""


class CartRepository:
    """Open and parked carts of one till; every change is its own transaction."""

    def __init__(self, db: peewee.Database, till: str) -> None:
        self.db = db
        self.till = till
        # looked for in every sale's commit (the next cart): compiled once (pos.db.prepared)
        self._open = Prepared(
            db,
            lambda: (
                m.Cart.select(m.Cart.id, m.Cart.uuid, m.Cart.opened_at, m.Cart.age_checked)
                .where((m.Cart.till == slot("till")) & (m.Cart.status == "open"))
                .order_by(m.Cart.id.desc())
                .limit(1)
            ),
        )
        # every scan saves its line: compiled once too, as is a void
        self._save_line = Prepared(
            db,
            lambda: m.CartLine.insert(
                {field: slot(field.name) for field in _SAVED_LINE_FIELDS}
            ).on_conflict(
                conflict_target=[m.CartLine.cart, m.CartLine.line_no],
                update={
                    m.CartLine.qty: peewee.EXCLUDED.qty,
                    m.CartLine.unit_price: peewee.EXCLUDED.unit_price,
                    m.CartLine.fixed_price: peewee.EXCLUDED.fixed_price,
                },
            ),
        )
        self._delete_line = Prepared(
            db,
            lambda: m.CartLine.delete().where(
                (m.CartLine.cart == slot("cart")) & (m.CartLine.line_no == slot("line"))
            ),
        )

    @reading
    def _lines(self, cart_id: int) -> list[CartLine]:
        query = m.CartLine.select().where(m.CartLine.cart == cart_id).order_by(m.CartLine.line_no)
        return [cart_line(row) for row in query]

    def _discounts(self, cart_id: int) -> tuple[ManualDiscount, ...]:
        query = (
            m.CartDiscount.select()
            .where(m.CartDiscount.cart == cart_id)
            .order_by(m.CartDiscount.line_no)
        )
        return tuple(
            ManualDiscount(row.line_no, row.kind, row.value, row.reason, row.operator, row.approver)
            for row in query
        )

    @reading
    def has_open_cart(self) -> bool:
        """Whether the till has an open cart (else :meth:`open_cart` writes a new one)."""
        return bool(self._open.run(till=self.till))

    def open_cart(self, uuid: str, now: datetime) -> StoredCart:
        """The till's open cart with its lines; a new empty one (``uuid``) if there is none."""
        with writing(self.db):
            rows = self._open.run(till=self.till)
            if not rows:  # a new cart has no lines to read back
                new = {"uuid": uuid, "till": self.till, "opened_at": now, "status": "open"}
                return StoredCart(m.insert_row(self.db, m.Cart, new), uuid, now, [])
            ((cart_id, cart_uuid, opened_at, age),) = rows
            opened = m.Cart.opened_at.python_value(opened_at)
            assert opened is not None  # the column is NOT NULL
            lines = self._lines(int(cart_id))
            given = self._discounts(int(cart_id))
            return StoredCart(int(cart_id), cart_uuid, opened, lines, age, given)

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction around several changes (an approved void and its audit)."""
        return writing(self.db)

    def save_line(self, cart_id: int, line: CartLine, outgrown: tuple[int, ...] = ()) -> None:
        """Insert or replace one line (one statement: see :func:`one_write`); with the
        cashier's discounts it ``outgrew`` (their line numbers) taken off in the same
        transaction (:func:`pos.domain.manual_discounts.outgrown`)."""
        if not outgrown:
            with one_write(self.db):
                self._put_line(cart_id, line)
            return
        with writing(self.db):
            self._put_line(cart_id, line)
            m.CartDiscount.delete().where(
                (m.CartDiscount.cart == cart_id) & m.CartDiscount.line_no.in_(outgrown)
            ).execute()

    def _put_line(self, cart_id: int, line: CartLine) -> None:
        self._save_line.run(
            cart=cart_id,
            line_no=line.line_no,
            barcode=line.barcode,
            name=line.name,
            unit=line.unit.value,
            unit_price=line.unit_price,
            qty=line.qty,
            tax_rate=line.tax_rate,
            fixed_price=int(line.fixed_price),
            operator=line.operator,
            voucher=int(line.voucher),
        )

    def check_age(self, cart_id: int, age: int) -> None:
        """Remember that the cart's customer was confirmed to be ``age`` or over."""
        with writing(self.db):
            m.Cart.update(age_checked=age).where(m.Cart.id == cart_id).execute()

    def delete_line(self, cart_id: int, line_no: int) -> None:
        """Remove a line and its cashier's discount; the sale discount too once the cart
        has no line left (the next items may be the next customer's)."""
        with writing(self.db):
            self._delete_line.run(cart=cart_id, line=line_no)
            given = m.CartDiscount.cart == cart_id
            m.CartDiscount.delete().where(given & (m.CartDiscount.line_no == line_no)).execute()
            if not m.CartLine.select().where(m.CartLine.cart == cart_id).exists():
                m.CartDiscount.delete().where(given).execute()

    def clear(self, cart_id: int) -> None:
        """Remove every line of the cart, its cashier's discounts and the age its customer
        was confirmed to be: the next items rung up on it may be the next customer's."""
        with writing(self.db):
            m.CartLine.delete().where(m.CartLine.cart == cart_id).execute()
            m.CartDiscount.delete().where(m.CartDiscount.cart == cart_id).execute()
            m.CartCoupon.delete().where(m.CartCoupon.cart == cart_id).execute()  # issue 22
            m.Cart.update(age_checked=None).where(m.Cart.id == cart_id).execute()

    def save_discount(self, cart_id: int, discount: ManualDiscount) -> None:
        """Give a cashier's discount, in place of the one its line (or the sale) had."""
        with writing(self.db):
            m.CartDiscount.insert(
                cart=cart_id,
                line_no=discount.line_no,
                kind=discount.kind,
                value=discount.value,
                reason=discount.reason,
                operator=discount.operator,
                approver=discount.approver,
            ).on_conflict(
                conflict_target=[m.CartDiscount.cart, m.CartDiscount.line_no],
                update={
                    m.CartDiscount.kind: peewee.EXCLUDED.kind,
                    m.CartDiscount.value: peewee.EXCLUDED.value,
                    m.CartDiscount.reason: peewee.EXCLUDED.reason,
                    m.CartDiscount.operator: peewee.EXCLUDED.operator,
                    m.CartDiscount.approver: peewee.EXCLUDED.approver,
                },
            ).execute()

    def delete_discount(self, cart_id: int, line_no: int = SALE_LINE) -> None:
        """Take a line's (or the sale's) cashier's discount off."""
        with writing(self.db):
            m.CartDiscount.delete().where(
                (m.CartDiscount.cart == cart_id) & (m.CartDiscount.line_no == line_no)
            ).execute()

    def park(self, cart_id: int, now: datetime, new_uuid: str) -> StoredCart:
        """Park the cart and open a new empty one, in one transaction."""
        with writing(self.db):
            m.Cart.update(status="parked", parked_at=now).where(m.Cart.id == cart_id).execute()
            row = m.Cart.create(uuid=new_uuid, till=self.till, opened_at=now, status="open")
            return StoredCart(row.id, row.uuid, row.opened_at, [])

    def lines_of(self, cart_id: int) -> list[CartLine]:
        """The lines of a cart (a parked one, to price it for the recall list)."""
        return self._lines(cart_id)

    @reading
    def parked(self) -> list[ParkedCart]:
        """The till's parked carts, oldest first, with their line count and total."""
        line = m.CartLine
        line_total = peewee.Case(
            None,
            [(line.unit == "kg", (line.unit_price * line.qty + 500) / 1000)],
            line.unit_price * line.qty,
        )
        items = peewee.Case(None, [(line.unit == "kg", 1)], line.qty)
        query = (
            m.Cart.select(
                m.Cart.id,
                m.Cart.uuid,
                m.Cart.parked_at,
                peewee.fn.COUNT(line.id).alias("n"),
                peewee.fn.COALESCE(peewee.fn.SUM(items), 0).alias("items"),
                peewee.fn.COALESCE(peewee.fn.SUM(line_total), 0).alias("total"),
            )
            .join(line, peewee.JOIN.LEFT_OUTER)
            .where((m.Cart.till == self.till) & (m.Cart.status == "parked"))
            .group_by(m.Cart.id, m.Cart.uuid, m.Cart.parked_at)
            .order_by(m.Cart.parked_at, m.Cart.id)
        )
        return [  # by column name: the aliases are no attributes its stubs know
            ParkedCart(
                row["id"],
                row["uuid"],
                row["parked_at"],
                int(row["n"]),
                int(row["items"]),
                int(row["total"]),
            )
            for row in dicts(query)
        ]

    def recall(self, parked_id: int, open_id: int) -> StoredCart:
        """Make a parked cart the open one; the (empty) open cart is dropped."""
        with writing(self.db):
            row = m.Cart.get_or_none(
                (m.Cart.id == parked_id) & (m.Cart.till == self.till) & (m.Cart.status == "parked")
            )
            if row is None:
                raise LookupError("that parked cart is gone (recalled on another screen?)")
            m.Cart.delete().where(m.Cart.id == open_id).execute()
            m.Cart.update(status="open", parked_at=None).where(m.Cart.id == parked_id).execute()
            lines = self._lines(row.id)
            given = self._discounts(row.id)
            return StoredCart(row.id, row.uuid, row.opened_at, lines, row.age_checked, given)

"""The current models (schema version :data:`pos.db.migrations.SCHEMA_VERSION`).

Tables are created by :mod:`pos.db.migrations`, never from these classes, so the
two must agree: ``test_models_match_the_migrated_schema`` (in ``tests/db/test_database.py``)
compares them column by column.
Money and quantities are integers (minor units, items or grams); timestamps are
ISO 8601 UTC text. Each model is bound to the open database by
:func:`pos.db.database.open_database`.
"""

from __future__ import annotations

from collections.abc import Collection

import peewee

from pos.db.fields import UtcTextDateTimeField


class BaseModel(peewee.Model):
    class Meta:
        database = None
        strict_tables = True


class Setting(BaseModel):
    key = peewee.TextField(primary_key=True)
    value = peewee.TextField()
    version = peewee.IntegerField(default=0)  # the store's, v12 (pos.db.store_schema)

    class Meta:
        table_name = "setting"


class Product(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    barcode = peewee.TextField(unique=True)
    name = peewee.TextField()
    price = peewee.IntegerField()
    tax_rate = peewee.IntegerField(default=0)
    unit = peewee.TextField(default="each")
    version = peewee.IntegerField(default=0)  # the store's, v12 (pos.db.store_schema)
    plu = peewee.TextField(null=True)  # unique where set (a partial index), v13
    min_age = peewee.IntegerField(null=True)  # v13
    voucher = peewee.IntegerField(default=0)  # a gift voucher product (issue 22)

    class Meta:
        table_name = "product"


class Cart(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    uuid = peewee.TextField(unique=True)
    till = peewee.TextField()
    opened_at = UtcTextDateTimeField()
    status = peewee.TextField(default="open")
    parked_at = UtcTextDateTimeField(null=True)
    age_checked = peewee.IntegerField(null=True)  # the customer's age confirmed (v14)

    class Meta:
        table_name = "cart"


class CartLine(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", backref="lines")
    line_no = peewee.IntegerField()
    barcode = peewee.TextField()
    name = peewee.TextField()
    unit = peewee.TextField()
    unit_price = peewee.IntegerField()
    qty = peewee.IntegerField()
    tax_rate = peewee.IntegerField()
    fixed_price = peewee.IntegerField(default=0)
    operator = peewee.TextField(null=True)
    voucher = peewee.IntegerField(default=0)  # a gift voucher line (issue 22)

    class Meta:
        table_name = "cart_line"


class CartDiscount(BaseModel):
    """A cashier's discount on a cart (v18): a line's (``line_no``) or the sale's (0)."""

    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", index=False, backref="discounts")
    line_no = peewee.IntegerField()
    kind = peewee.TextField()
    value = peewee.IntegerField()
    reason = peewee.TextField()
    operator = peewee.TextField(null=True)
    approver = peewee.TextField(null=True)

    class Meta:
        table_name = "cart_discount"
        indexes = ((("cart", "line_no"), True),)


class DiscountRule(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    name = peewee.TextField(unique=True)
    kind = peewee.TextField()
    conditions = peewee.TextField()
    reward = peewee.TextField()
    exclusive = peewee.IntegerField(default=0)
    priority = peewee.IntegerField(default=0)
    rule_group = peewee.TextField(null=True)
    starts_at = peewee.TextField(null=True)
    ends_at = peewee.TextField(null=True)
    weekdays = peewee.TextField(null=True)
    hours = peewee.TextField(null=True)
    active = peewee.IntegerField(default=1)
    version = peewee.IntegerField(default=0)  # the store's, v12 (pos.db.store_schema)

    class Meta:
        table_name = "discount_rule"


class Operator(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    number = peewee.TextField(unique=True)
    name = peewee.TextField()
    role = peewee.TextField()
    active = peewee.IntegerField(default=1)
    pin_hash = peewee.TextField()
    failed_attempts = peewee.IntegerField(default=0)
    locked_until = UtcTextDateTimeField(null=True)
    tokens_valid_after = peewee.IntegerField(default=0)  # kept; no longer compared (v10)
    token_generation = peewee.IntegerField(default=0)  # a token is good while it is equal
    row_mac = peewee.TextField(null=True)  # the seal (pos.auth.seal), v11
    version = peewee.IntegerField(default=0)  # the store's, v12 (pos.db.store_schema)

    class Meta:
        table_name = "operator"


class RefreshToken(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    token_hash = peewee.TextField(unique=True)
    family = peewee.TextField(index=True)
    operator = peewee.TextField(index=True)
    expires_at = peewee.IntegerField()
    used_at = peewee.IntegerField(null=True)
    revoked = peewee.IntegerField(default=0)

    class Meta:
        table_name = "refresh_token"


class RevokedToken(BaseModel):
    jti = peewee.TextField()
    iss = peewee.TextField()
    expires_at = peewee.IntegerField(index=True)

    class Meta:
        table_name = "revoked_token"
        primary_key = peewee.CompositeKey("jti", "iss")


class UsedOverride(BaseModel):
    jti = peewee.TextField(primary_key=True)
    used_at = peewee.IntegerField()

    class Meta:
        table_name = "used_override"


class AuditLog(BaseModel):
    seq = peewee.AutoField()
    at = peewee.TextField()
    till = peewee.TextField()
    operator = peewee.TextField(null=True)
    event = peewee.TextField(index=True)
    details = peewee.TextField()
    prev_hash = peewee.TextField()
    hash = peewee.TextField()

    class Meta:
        table_name = "audit_log"


class TillCounter(BaseModel):
    till = peewee.TextField(primary_key=True)
    last_receipt = peewee.IntegerField(default=0)

    class Meta:
        table_name = "till_counter"


class TillDay(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    till = peewee.TextField(index=True)
    z_no = peewee.IntegerField(null=True)
    opened_at = UtcTextDateTimeField()
    opened_by = peewee.TextField(null=True)
    float_amount = peewee.IntegerField()
    closed_at = UtcTextDateTimeField(null=True)
    closed_by = peewee.TextField(null=True)
    counted = peewee.IntegerField(null=True)
    expected = peewee.IntegerField(null=True)
    audit_seq = peewee.IntegerField(null=True)  # the audit log's newest entry at opening
    uuid = peewee.TextField(null=True, unique=True)  # chosen on the till, v12

    class Meta:
        table_name = "till_day"


class Sale(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    uuid = peewee.TextField(unique=True)
    till = peewee.TextField()
    receipt_no = peewee.IntegerField()
    at = UtcTextDateTimeField()
    operator = peewee.TextField(null=True)
    subtotal = peewee.IntegerField()
    discount_total = peewee.IntegerField()
    total = peewee.IntegerField()
    tax_inclusive = peewee.IntegerField()
    receipt_text = peewee.TextField()
    rules = peewee.TextField(null=True)  # the rules that priced it, JSON (NULL: before v7)
    priced_at = peewee.TextField(null=True)  # the local time it was priced at (ISO, naive)
    # the trading day it was taken in (NULL: saved before v10, reported by its time)
    day = peewee.ForeignKeyField(TillDay, null=True, index=False, on_delete="RESTRICT")

    class Meta:
        table_name = "sale"


class SaleLine(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="lines")
    line_no = peewee.IntegerField()
    barcode = peewee.TextField()
    name = peewee.TextField()
    unit = peewee.TextField()
    unit_price = peewee.IntegerField()
    qty = peewee.IntegerField()
    tax_rate = peewee.IntegerField()
    total = peewee.IntegerField()
    paid = peewee.IntegerField()
    operator = peewee.TextField(null=True)
    voucher = peewee.IntegerField(default=0)  # a gift voucher sold (issue 22)

    class Meta:
        table_name = "sale_line"


class SaleDiscount(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="discounts")
    name = peewee.TextField()
    kind = peewee.TextField()
    amount = peewee.IntegerField()
    uses = peewee.TextField()
    reason = peewee.TextField(null=True)  # a cashier's discount's (v18)
    rate = peewee.IntegerField(null=True)  # its percentage, basis points (v18)

    class Meta:
        table_name = "sale_discount"


class Payment(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="payments")
    method = peewee.TextField()
    amount = peewee.IntegerField()
    tendered = peewee.IntegerField()
    change = peewee.IntegerField(default=0)
    reference = peewee.TextField(default="")

    class Meta:
        table_name = "payment"


class SaleVat(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="vat")
    rate = peewee.IntegerField()
    net = peewee.IntegerField()
    vat = peewee.IntegerField()
    gross = peewee.IntegerField()

    class Meta:
        table_name = "sale_vat"


class Refund(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    uuid = peewee.TextField(unique=True)
    # NULL: a refund without a receipt (v17), whose lines carry what a sale line would
    sale = peewee.ForeignKeyField(Sale, null=True, on_delete="RESTRICT", backref="refunds")
    till = peewee.TextField()
    receipt_no = peewee.IntegerField()
    at = UtcTextDateTimeField()
    operator = peewee.TextField(null=True)
    approver = peewee.TextField(null=True)
    method = peewee.TextField()
    total = peewee.IntegerField()
    receipt_text = peewee.TextField()
    day = peewee.ForeignKeyField(TillDay, null=True, index=False, on_delete="RESTRICT")
    reason = peewee.TextField(null=True)  # one of refund_reasons (v17; NULL before)

    class Meta:
        table_name = "refund"


class RefundLine(BaseModel):
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    refund = peewee.ForeignKeyField(Refund, on_delete="RESTRICT", backref="lines")
    line_no = peewee.IntegerField()
    qty = peewee.IntegerField()
    amount = peewee.IntegerField()
    # a refund without a receipt's line (v17): what a sale line would tell; NULL otherwise
    barcode = peewee.TextField(null=True)
    name = peewee.TextField(null=True)
    unit = peewee.TextField(null=True)
    unit_price = peewee.IntegerField(null=True)  # paid back per unit (kg: per kg)
    tax_rate = peewee.IntegerField(null=True)

    class Meta:
        table_name = "refund_line"


class CashMovement(BaseModel):
    """A movement of cash that is no sale (v16): ``no_sale`` (the drawer opened, amount
    0), ``paid_in``, ``paid_out`` or ``pickup`` (to the safe)."""

    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    uuid = peewee.TextField(unique=True)
    till = peewee.TextField()
    day = peewee.ForeignKeyField(TillDay, null=True, index=False, on_delete="RESTRICT")
    at = UtcTextDateTimeField()
    operator = peewee.TextField(null=True)
    approver = peewee.TextField(null=True)
    kind = peewee.TextField()
    amount = peewee.IntegerField()
    reason = peewee.TextField()

    class Meta:
        table_name = "cash_movement"


class CouponCode(BaseModel):
    """A coupon code (v19): the coupon rule it unlocks and the sales it is still good for."""

    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    code = peewee.TextField(unique=True)
    rule = peewee.TextField(index=True)
    uses = peewee.IntegerField()
    uses_left = peewee.IntegerField()
    expires = peewee.TextField(null=True)  # the last day it is good on (local, YYYY-MM-DD)
    voided = peewee.IntegerField(default=0)
    issued_at = UtcTextDateTimeField()
    issued_by = peewee.TextField(null=True)
    version = peewee.IntegerField(default=0)  # the store's (pos.db.store_schema)

    class Meta:
        table_name = "coupon_code"


class RuleUse(BaseModel):
    """How many sales a rule was used in (v19), for its ``max_uses``."""

    rule = peewee.TextField(primary_key=True)
    used = peewee.IntegerField(default=0)

    class Meta:
        table_name = "rule_use"


class CartCoupon(BaseModel):
    """A coupon scanned into an open or parked cart (v19)."""

    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", index=False)
    code = peewee.TextField()
    rule = peewee.TextField()

    class Meta:
        table_name = "cart_coupon"
        indexes = ((("cart", "code"), True),)


class SaleCoupon(BaseModel):
    """A coupon a completed sale used (v19; ``offline`` v20); ``returned`` once a refund
    gave the use back."""

    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    sale = peewee.ForeignKeyField(Sale, on_delete="CASCADE", index=False)
    code = peewee.TextField(index=True)
    rule = peewee.TextField()
    returned = peewee.IntegerField(default=0)
    offline = peewee.IntegerField(default=0)
    """1: used while the store's server could not be reached (v20)."""

    class Meta:
        table_name = "sale_coupon"
        indexes = ((("sale", "code"), True),)


def insert_sql(model: type[BaseModel], fields: tuple[str, ...], param: str = "?") -> str:
    """A plain ``INSERT`` of ``fields`` (by field name) into the model's table, with one
    placeholder (the database's ``param``: ``?`` for SQLite, ``%s`` for PostgreSQL) per
    field: for ``executemany`` on the bulk paths (no per-row query building)."""
    columns = ", ".join(f'"{model._meta.fields[name].column_name}"' for name in fields)
    marks = ", ".join([param] * len(fields))
    return f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ({marks})'


def upsert_sql(
    model: type[BaseModel],
    fields: tuple[str, ...],
    key: str,
    param: str = "?",
    keep: Collection[str] = (),
) -> str:
    """:func:`insert_sql`, but a row whose ``key`` (a unique column) is already there
    updates that row's other ``fields`` instead (``ON CONFLICT DO UPDATE``, the same on
    SQLite and PostgreSQL), but for those in ``keep``, which stay as they are."""
    column = model._meta.fields
    updates = ", ".join(
        f'"{column[name].column_name}" = excluded."{column[name].column_name}"'
        for name in fields
        if name != key and name not in keep
    )
    target = column[key].column_name
    return f'{insert_sql(model, fields, param)} ON CONFLICT ("{target}") DO UPDATE SET {updates}'


def insert_row(db: peewee.Database, model: type[BaseModel], row: dict[str, object]) -> int:
    """Insert one row by a plain prepared ``INSERT`` (each value through its field's own
    conversion, as peewee would); returns its id. For the paths where peewee building the
    query would cost more than the database running it (a sale's commit)."""
    names = tuple(row)
    fields = [model._meta.fields[name] for name in names]
    values = tuple(f.db_value(row[n]) for f, n in zip(fields, names, strict=True))
    cursor = db.cursor()
    if isinstance(db, peewee.SqliteDatabase):
        cursor.execute(insert_sql(model, names), values)
        return int(cursor.lastrowid)
    primary_key = model._meta.primary_key
    assert isinstance(primary_key, peewee.Field), f"{model.__name__} has a composite key"
    key = primary_key.column_name
    cursor.execute(f'{insert_sql(model, names, db.param)} RETURNING "{key}"', values)
    return int(cursor.fetchone()[0])


class Voucher(BaseModel):  # v20 (issue 22): a gift voucher
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    code = peewee.TextField(unique=True)
    value = peewee.IntegerField()
    balance = peewee.IntegerField()  # CHECK 0 <= balance <= value
    expires = peewee.TextField()  # ISO date: the last day it is good for
    sale = peewee.TextField(null=True)  # the uuid of the sale that sold it (NULL: a card)
    till = peewee.TextField()
    issued_at = peewee.TextField()
    voided = peewee.IntegerField(default=0)

    class Meta:
        table_name = "voucher"


class VoucherUse(BaseModel):  # v20: a redemption (amount > 0) or a refund onto it (< 0)
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    voucher = peewee.ForeignKeyField(Voucher, on_delete="RESTRICT", index=False)
    ref = peewee.TextField()  # the sale's or refund's uuid; unique per voucher
    amount = peewee.IntegerField()
    till = peewee.TextField()
    at = peewee.TextField()
    claimed = peewee.IntegerField(default=1)  # 0: taken offline on a store's till

    class Meta:
        table_name = "voucher_use"


class VoucherOverspend(BaseModel):  # v20: an offline redemption beyond the balance
    id = peewee.AutoField()  # peewee's own key, declared so that mypy knows it
    code = peewee.TextField()
    ref = peewee.TextField()  # the sale's uuid
    till = peewee.TextField()
    at = peewee.TextField()
    amount = peewee.IntegerField()

    class Meta:
        table_name = "voucher_overspend"


MODELS: tuple[type[BaseModel], ...] = (
    Setting,
    Product,
    Cart,
    CartLine,
    DiscountRule,
    Operator,
    RefreshToken,
    RevokedToken,
    UsedOverride,
    AuditLog,
    TillCounter,
    Sale,
    SaleLine,
    SaleDiscount,
    Payment,
    SaleVat,
    TillDay,
    Refund,
    RefundLine,
    CashMovement,
    CartDiscount,
    CouponCode,
    RuleUse,
    CartCoupon,
    SaleCoupon,
    Voucher,
    VoucherUse,
    VoucherOverspend,
)

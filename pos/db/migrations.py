"""Schema migrations, one function per version, each with frozen copies of its models.

Every database, new or old, reaches the current schema through the same steps:
``pos init`` runs them all on an empty file, and opening an older database runs
the ones it lacks. All the steps of one upgrade run in one transaction, so a
crash or failure leaves the database at its old version, untouched.

Never edit a released step: add a new one and bump :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from pos.db import without_driver

with without_driver():  # see pos.db: no psycopg through its CockroachDB support
    from playhouse.migrate import SchemaMigrator, migrate

from pos.db.store_schema import v12_store_sync  # noqa: E402 (after the driver is hidden)


def _strict(db: peewee.Database) -> bool:
    # STRICT makes SQLite enforce column types; other databases do that anyway.
    return isinstance(db, peewee.SqliteDatabase)


def _v1_initial(db: peewee.Database) -> None:
    """Products, settings, and the open cart with its lines."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = _strict(db)

    class Setting(Base):
        key = peewee.TextField(primary_key=True)
        value = peewee.TextField()

        class Meta:
            table_name = "setting"

    class Product(Base):
        barcode = peewee.TextField(
            unique=True, constraints=[peewee.Check("length(barcode) BETWEEN 8 AND 14")]
        )
        name = peewee.TextField(constraints=[peewee.Check("length(name) BETWEEN 1 AND 120")])
        price = peewee.IntegerField(constraints=[peewee.Check("price BETWEEN 0 AND 99999999999")])
        tax_rate = peewee.IntegerField(
            default=0, constraints=[peewee.Check("tax_rate BETWEEN 0 AND 10000")]
        )
        unit = peewee.TextField(
            default="each", constraints=[peewee.Check("unit IN ('each', 'kg')")]
        )

        class Meta:
            table_name = "product"

    class Cart(Base):
        uuid = peewee.TextField(unique=True)
        till = peewee.TextField()
        opened_at = peewee.TextField()

        class Meta:
            table_name = "cart"

    class CartLine(Base):
        cart = peewee.ForeignKeyField(Cart, on_delete="CASCADE", backref="lines")
        line_no = peewee.IntegerField(constraints=[peewee.Check("line_no >= 1")])
        barcode = peewee.TextField()
        name = peewee.TextField()
        unit = peewee.TextField(constraints=[peewee.Check("unit IN ('each', 'kg')")])
        unit_price = peewee.IntegerField(
            constraints=[peewee.Check("unit_price BETWEEN 0 AND 99999999999")]
        )
        qty = peewee.IntegerField(constraints=[peewee.Check("qty BETWEEN 1 AND 999999")])
        tax_rate = peewee.IntegerField(constraints=[peewee.Check("tax_rate BETWEEN 0 AND 10000")])
        fixed_price = peewee.IntegerField(
            default=0, constraints=[peewee.Check("fixed_price IN (0, 1)")]
        )

        class Meta:
            table_name = "cart_line"
            indexes = ((("cart", "line_no"), True),)

    db.create_tables([Setting, Product, Cart, CartLine])


def _v2_parking(db: peewee.Database) -> None:
    """Carts can be parked (held) and recalled: a status and the time it was parked."""
    migrator = SchemaMigrator.from_database(db)
    migrate(
        # allow_not_null with a DDL default adds the column in place: SQLite's
        # table rebuild (peewee's route for NOT NULL) would drop STRICT.
        migrator.add_column(
            "cart",
            "status",
            peewee.TextField(
                constraints=[
                    peewee.SQL("DEFAULT 'open'"),
                    peewee.Check("status IN ('open', 'parked')"),
                ]
            ),
            allow_not_null=True,
        ),
        migrator.add_column("cart", "parked_at", peewee.TextField(null=True)),
        migrator.add_index("cart", ("status", "till")),
    )


def _v3_discounts(db: peewee.Database) -> None:
    """Discount rules: the condition and the reward as JSON keyed by type, the rest as columns."""

    class DiscountRule(peewee.Model):
        name = peewee.TextField(
            unique=True, constraints=[peewee.Check("length(name) BETWEEN 1 AND 80")]
        )
        kind = peewee.TextField()
        conditions = (
            peewee.TextField()
        )  # {"items": {...}} | {"any_of": [...], "count": n}, min_subtotal
        reward = peewee.TextField()  # {"price": "1.30"} | {"free": 1} | {"percent": "10"} | ...
        exclusive = peewee.IntegerField(
            default=0, constraints=[peewee.Check("exclusive IN (0, 1)")]
        )
        priority = peewee.IntegerField(default=0)
        rule_group = peewee.TextField(null=True)
        starts_at = peewee.TextField(null=True)
        ends_at = peewee.TextField(null=True)
        weekdays = peewee.TextField(null=True)
        hours = peewee.TextField(null=True)
        active = peewee.IntegerField(default=1, constraints=[peewee.Check("active IN (0, 1)")])

        class Meta:
            database = db
            table_name = "discount_rule"
            strict_tables = _strict(db)

    db.create_tables([DiscountRule])


def _v4_operators(db: peewee.Database) -> None:
    """Operators, refresh-token state, revoked tokens, used overrides, the audit log."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = _strict(db)

    class Operator(Base):
        number = peewee.TextField(
            unique=True, constraints=[peewee.Check("length(number) BETWEEN 1 AND 12")]
        )
        name = peewee.TextField(constraints=[peewee.Check("length(name) BETWEEN 1 AND 80")])
        role = peewee.TextField(
            constraints=[peewee.Check("role IN ('cashier', 'supervisor', 'manager')")]
        )
        active = peewee.IntegerField(default=1, constraints=[peewee.Check("active IN (0, 1)")])
        pin_hash = peewee.TextField()
        failed_attempts = peewee.IntegerField(default=0)
        locked_until = peewee.TextField(null=True)
        tokens_valid_after = peewee.IntegerField(default=0)

        class Meta:
            table_name = "operator"

    class RefreshToken(Base):
        token_hash = peewee.TextField(unique=True)
        family = peewee.TextField(index=True)
        operator = peewee.TextField(index=True)
        expires_at = peewee.IntegerField()
        used_at = peewee.IntegerField(null=True)
        revoked = peewee.IntegerField(default=0)

        class Meta:
            table_name = "refresh_token"

    class RevokedToken(Base):
        jti = peewee.TextField()
        iss = peewee.TextField()
        expires_at = peewee.IntegerField(index=True)

        class Meta:
            table_name = "revoked_token"
            primary_key = peewee.CompositeKey("jti", "iss")

    class UsedOverride(Base):
        jti = peewee.TextField(primary_key=True)
        used_at = peewee.IntegerField()

        class Meta:
            table_name = "used_override"

    class AuditLog(Base):
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

    db.create_tables([Operator, RefreshToken, RevokedToken, UsedOverride, AuditLog])
    if not isinstance(db, peewee.SqliteDatabase):  # PostgreSQL: the same rule in PL/pgSQL
        db.execute_sql(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        # append-only: the chain of hashes shows tampering, these make it harder
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )
        db.execute_sql(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )


def _v5_line_operator(db: peewee.Database) -> None:
    """Each cart line records the operator who scanned it."""
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("cart_line", "operator", peewee.TextField(null=True)))


def _v6_sales(db: peewee.Database) -> None:
    """Completed sales with their lines, discounts and payments; receipt numbers per till."""

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = _strict(db)

    class TillCounter(Base):
        till = peewee.TextField(primary_key=True)
        last_receipt = peewee.IntegerField(default=0)

        class Meta:
            table_name = "till_counter"

    class Sale(Base):
        uuid = peewee.TextField(unique=True)
        till = peewee.TextField()
        receipt_no = peewee.IntegerField(constraints=[peewee.Check("receipt_no >= 1")])
        at = peewee.TextField(index=True)
        operator = peewee.TextField(null=True)
        subtotal = peewee.IntegerField()
        discount_total = peewee.IntegerField(constraints=[peewee.Check("discount_total >= 0")])
        total = peewee.IntegerField(constraints=[peewee.Check("total >= 0")])
        tax_inclusive = peewee.IntegerField(constraints=[peewee.Check("tax_inclusive IN (0, 1)")])
        receipt_text = peewee.TextField()

        class Meta:
            table_name = "sale"
            indexes = ((("till", "receipt_no"), True),)

    class SaleLine(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="lines")
        line_no = peewee.IntegerField()
        barcode = peewee.TextField()
        name = peewee.TextField()
        unit = peewee.TextField()
        unit_price = peewee.IntegerField()
        qty = peewee.IntegerField(constraints=[peewee.Check("qty >= 1")])
        tax_rate = peewee.IntegerField()
        total = peewee.IntegerField()
        paid = peewee.IntegerField(constraints=[peewee.Check("paid >= 0")])
        operator = peewee.TextField(null=True)

        class Meta:
            table_name = "sale_line"
            indexes = ((("sale", "line_no"), True),)

    class SaleDiscount(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="discounts")
        name = peewee.TextField()
        kind = peewee.TextField()
        amount = peewee.IntegerField(constraints=[peewee.Check("amount > 0")])
        uses = peewee.TextField()  # JSON [[line_no, units], ...]

        class Meta:
            table_name = "sale_discount"

    class Payment(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="payments")
        method = peewee.TextField(constraints=[peewee.Check("method IN ('cash', 'card')")])
        amount = peewee.IntegerField(constraints=[peewee.Check("amount > 0")])
        tendered = peewee.IntegerField()
        change = peewee.IntegerField(default=0, constraints=[peewee.Check("change >= 0")])
        reference = peewee.TextField(default="")

        class Meta:
            table_name = "payment"

    class SaleVat(Base):
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="vat")
        rate = peewee.IntegerField()
        net = peewee.IntegerField()
        vat = peewee.IntegerField()
        gross = peewee.IntegerField()

        class Meta:
            table_name = "sale_vat"

    class TillDay(Base):
        till = peewee.TextField(index=True)
        z_no = peewee.IntegerField(null=True)
        opened_at = peewee.TextField()
        opened_by = peewee.TextField(null=True)
        float_amount = peewee.IntegerField(constraints=[peewee.Check("float_amount >= 0")])
        closed_at = peewee.TextField(null=True)
        closed_by = peewee.TextField(null=True)
        counted = peewee.IntegerField(null=True)
        expected = peewee.IntegerField(null=True)

        class Meta:
            table_name = "till_day"
            indexes = ((("till", "z_no"), True),)

    class Refund(Base):
        uuid = peewee.TextField(unique=True)
        sale = peewee.ForeignKeyField(Sale, on_delete="RESTRICT", backref="refunds")
        till = peewee.TextField()
        receipt_no = peewee.IntegerField()
        at = peewee.TextField(index=True)
        operator = peewee.TextField(null=True)
        approver = peewee.TextField(null=True)
        method = peewee.TextField(constraints=[peewee.Check("method IN ('cash', 'card')")])
        total = peewee.IntegerField(constraints=[peewee.Check("total > 0")])
        receipt_text = peewee.TextField()

        class Meta:
            table_name = "refund"
            indexes = ((("till", "receipt_no"), True),)

    class RefundLine(Base):
        refund = peewee.ForeignKeyField(Refund, on_delete="RESTRICT", backref="lines")
        line_no = peewee.IntegerField()
        qty = peewee.IntegerField(constraints=[peewee.Check("qty >= 1")])
        amount = peewee.IntegerField(constraints=[peewee.Check("amount >= 0")])

        class Meta:
            table_name = "refund_line"

    db.create_tables(
        [TillCounter, Sale, SaleLine, SaleDiscount, Payment, SaleVat, TillDay, Refund, RefundLine]
    )


def _v7_refund_pricing(db: peewee.Database) -> None:
    """A sale keeps the discount rules that priced it (their file format) and the local time
    it was priced at, so a refund can re-price what the customer keeps; sales saved before
    have neither (NULL) and keep the proportional refund. A refund line may carry only money
    (``qty`` 0): the rest of what was paid for a line that came back in an earlier refund."""
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("sale", "rules", peewee.TextField(null=True)),  # JSON list
        migrator.add_column("sale", "priced_at", peewee.TextField(null=True)),  # local, naive
    )
    if not isinstance(db, peewee.SqliteDatabase):  # PostgreSQL changes a CHECK in place
        db.execute_sql('ALTER TABLE "refund_line" DROP CONSTRAINT "refund_line_qty_check"')
        db.execute_sql(
            'ALTER TABLE "refund_line" ADD CONSTRAINT "refund_line_qty_check" CHECK (qty >= 0)'
        )
        db.execute_sql(
            'ALTER TABLE "refund_line" ADD CONSTRAINT "refund_line_check" '
            "CHECK (qty >= 1 OR amount > 0)"
        )
        return

    class Base(peewee.Model):
        class Meta:
            database = db
            strict_tables = _strict(db)

    class Refund(Base):  # only what the foreign key needs
        class Meta:
            table_name = "refund"

    class RefundLine(Base):
        refund = peewee.ForeignKeyField(Refund, on_delete="RESTRICT", backref="lines")
        line_no = peewee.IntegerField()
        qty = peewee.IntegerField(constraints=[peewee.Check("qty >= 0")])
        amount = peewee.IntegerField(
            constraints=[peewee.Check("amount >= 0"), peewee.Check("qty >= 1 OR amount > 0")]
        )

        class Meta:
            table_name = "refund_line"

    # SQLite cannot change a CHECK in place: move the old table aside, create the new one
    # (same name, same index), copy the rows, drop the old one.
    db.execute_sql('ALTER TABLE "refund_line" RENAME TO "refund_line_v6"')
    db.execute_sql('DROP INDEX IF EXISTS "refundline_refund_id"')
    db.create_tables([RefundLine])
    db.execute_sql(
        'INSERT INTO "refund_line" (id, refund_id, line_no, qty, amount) '
        'SELECT id, refund_id, line_no, qty, amount FROM "refund_line_v6"'
    )
    db.execute_sql('DROP TABLE "refund_line_v6"')


def _v8_product_names(db: peewee.Database) -> None:
    """An index on product names in any case, for the discount editor's product search
    (a name prefix is a range on it, whatever the size of the catalog)."""
    if not isinstance(db, peewee.SqliteDatabase):  # PostgreSQL has no NOCASE: lower()
        db.execute_sql("CREATE INDEX IF NOT EXISTS product_name_nocase ON product (lower(name))")
        return
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS product_name_nocase ON product (name COLLATE NOCASE)"
    )


def _v9_report_indexes(db: peewee.Database) -> None:
    """Covering indexes for the X and Z reports: each of their aggregates reads one index
    range (a till's sales in a time range, and the payments and VAT rows of those sales)
    and never the wide sale rows, which carry the receipt text. The payment and VAT
    indexes start with the sale id, so they replace the plain ones on it (one index to
    keep up on every sale, and the planner cannot pick the narrower one)."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS sale_report "
        "ON sale (till, at, operator, subtotal, discount_total, total)"
    )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS payment_report ON payment (sale_id, method, amount, "change")'
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS salevat_report ON sale_vat (sale_id, rate, net, vat, gross)"
    )
    db.execute_sql('DROP INDEX IF EXISTS "payment_sale_id"')
    db.execute_sql('DROP INDEX IF EXISTS "salevat_sale_id"')


def _v10_day_ids_and_token_generation(db: peewee.Database) -> None:
    """Each sale and refund records the trading day it was taken in (``day_id``, written
    in its own transaction), so the Z report counts a day's rows by that id whatever the
    clock said; rows saved before (NULL) keep the time-range rule. A covering index per
    table serves that path as ``sale_report`` serves the time range: the day's rows are
    one range on (day_id, till), and the old rows one range on (NULL, till, at).

    Operators get a revocation counter (``token_generation``): a PIN change, a
    deactivation or a reactivation adds one, and a token carries the value it was issued
    under and is good only while it is equal, so revocation no longer compares times and
    a clock that went back locks nobody out.

    A trading day also records where the audit log stood when it opened (``audit_seq``:
    the newest entry's number), so the voids and overrides of a day are the till's entries
    after it, whatever the clock said (NULL for days opened before: by time).

    Standard SQL only (ADD COLUMN, CREATE INDEX IF NOT EXISTS): it runs on SQLite and on
    PostgreSQL alike, with no table rebuild."""

    class TillDay(peewee.Model):  # only what the foreign keys need
        class Meta:
            database = db
            table_name = "till_day"

    def day_field() -> peewee.ForeignKeyField:
        return peewee.ForeignKeyField(
            TillDay, field=TillDay.id, null=True, index=False, on_delete="RESTRICT"
        )

    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("sale", "day_id", day_field()),
        migrator.add_column("refund", "day_id", day_field()),
        # a DDL default with allow_not_null adds the column in place (see _v2_parking)
        migrator.add_column(
            "operator",
            "token_generation",
            peewee.IntegerField(constraints=[peewee.SQL("DEFAULT 0")]),
            allow_not_null=True,
        ),
        migrator.add_column("till_day", "audit_seq", peewee.IntegerField(null=True)),
    )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "sale_day_report" ON "sale" '
        '("day_id", "till", "at", "operator", "subtotal", "discount_total", "total")'
    )
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "refund_day_report" ON "refund" '
        '("day_id", "till", "at", "method", "operator", "total", "sale_id")'
    )


def _v11_operator_seal(db: peewee.Database) -> None:
    """Operator rows carry a seal (``row_mac``, :mod:`pos.auth.seal`), an HMAC keyed from
    the key file. The rows there are sealed in the same upgrade by its caller
    (:func:`pos.db.database.sealing_upgrade`), which has the key file; this step only adds
    the column (standard SQL, SQLite and PostgreSQL alike)."""
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("operator", "row_mac", peewee.TextField(null=True)))


MIGRATIONS: tuple[Callable[[peewee.Database], None], ...] = (
    _v1_initial,
    _v2_parking,
    _v3_discounts,
    _v4_operators,
    _v5_line_operator,
    _v6_sales,
    _v7_refund_pricing,
    _v8_product_names,
    _v9_report_indexes,
    _v10_day_ids_and_token_generation,
    _v11_operator_seal,
    v12_store_sync,
)
"""Step ``i`` takes a database from version ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code reads and writes."""


def upgrade(db: peewee.Database, from_version: int) -> None:
    """Run the steps after ``from_version``. The caller holds the transaction."""
    for step in MIGRATIONS[from_version:]:
        step(db)

"""Looking inside a test database on either backend (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pos.db.database import Database
from pos.db.errors import is_sqlite


def indexes(db: Database, table: str = "product") -> dict[str, str]:
    """The table's indexes (not a primary key) and the SQL that makes each."""
    if not is_sqlite(db):
        query = (
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = %s AND indexname <> %s"
        )
        return dict(db.execute_sql(query, (table, f"{table}_pkey")).fetchall())
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
    return dict(db.execute_sql(query, (table,)).fetchall())


def name_index_plan(db: Database, text: str) -> str:
    """The plan of a lookup of the names that begin with ``text``, in any case, in order:
    the query the product name index (``product_name_nocase``) serves. (PostgreSQL plans
    a table this small as a scan of it whatever the indexes: with scans off, the plan
    shows the index the query can use.)"""
    needle = text.lower()
    upper = needle[:-1] + chr(ord(needle[-1]) + 1)
    if is_sqlite(db):
        sql = (
            "SELECT * FROM product WHERE name COLLATE NOCASE >= ? AND name COLLATE NOCASE < ? "
            "ORDER BY name COLLATE NOCASE, barcode LIMIT 8"
        )
        plan = db.execute_sql("EXPLAIN QUERY PLAN " + sql, (needle, upper))
        return " ".join(str(row) for row in plan)
    sql = (
        "SELECT * FROM product WHERE lower(name) >= %s AND lower(name) < %s "
        "ORDER BY lower(name), barcode LIMIT 8"
    )
    with db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")
        return " ".join(str(row) for row in db.execute_sql("EXPLAIN " + sql, (needle, upper)))


def rows_in_main_file(path: Path, table: str, scratch: Path) -> int:
    """How many rows of ``table`` a SQLite database's main file holds on its own, without
    its write-ahead log (what a checkpoint has copied there): counted in a copy of the
    file alone at ``scratch``."""
    scratch.write_bytes(path.read_bytes())
    con = sqlite3.connect(scratch)
    try:
        return int(con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    finally:
        con.close()


def undo_v20(con: sqlite3.Connection) -> None:
    """Take schema 20 (a sale's coupon used offline, issue 22) off a SQLite file."""
    con.execute("ALTER TABLE sale_coupon DROP COLUMN offline")


def undo_v19(con: sqlite3.Connection) -> None:
    """Take schema 19 (the coupon codes, issue 22) off a SQLite file."""
    for table in ("sale_coupon", "cart_coupon", "rule_use", "coupon_code"):
        con.execute(f"DROP TABLE {table}")


def _without_voucher_method(con: sqlite3.Connection, tables: tuple[str, ...]) -> None:
    """``tables[0]`` made again without the ``voucher`` method (its children set aside)."""
    marks = ", ".join("?" * len(tables))
    creates = dict(
        con.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN ({marks})",
            tables,
        ).fetchall()
    )
    extras = [
        sql
        for (sql,) in con.execute(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            f"AND tbl_name IN ({marks}) AND sql IS NOT NULL",
            tables,
        ).fetchall()
    ]
    for name in tables[::-1]:
        con.execute(f'CREATE TABLE "{name}_v21" AS SELECT * FROM "{name}"')
        con.execute(f'DROP TABLE "{name}"')
    con.execute(creates[tables[0]].replace(", 'voucher')", ")"))
    for name in tables[1:]:
        con.execute(creates[name])
    for name in tables:
        con.execute(f'INSERT INTO "{name}" SELECT * FROM "{name}_v21"')
        con.execute(f'DROP TABLE "{name}_v21"')
    for sql in extras:
        con.execute(sql)


def undo_vouchers(con: sqlite3.Connection) -> None:
    """Take the gift vouchers' step (:mod:`pos.db.migrations.v21_vouchers`) off a SQLite
    file: its two tables, the voucher flag on products, cart lines and sale lines, and the
    ``voucher`` payment method."""
    for tables in (("payment",), ("refund", "refund_line")):
        _without_voucher_method(con, tables)
    con.execute("DROP TABLE voucher_overspend")
    con.execute("DROP TABLE voucher_use")
    con.execute("DROP TABLE voucher")
    con.execute("DROP INDEX sale_line_voucher")
    for table in ("product", "cart_line", "sale_line"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN voucher")


def undo_after_v12(con: sqlite3.Connection) -> None:
    """Take schemas 13 to 21 off a SQLite file (the gift vouchers, the coupons' claims and
    codes, the cashier discounts, the refunds' reasons and their lines' items, the cash
    movements, a cart's confirmed age, the catalog's search index, its PLU and age
    columns), leaving a file of version 12 (but for ``refund.sale_id``, which stays
    nullable: v17 then leaves it as it is)."""
    undo_vouchers(con)
    undo_v20(con)
    undo_v19(con)
    con.execute("DROP INDEX sale_discount_report")
    con.execute('CREATE INDEX "salediscount_sale_id" ON "sale_discount" ("sale_id")')
    con.execute("ALTER TABLE sale_discount DROP COLUMN rate")
    con.execute("ALTER TABLE sale_discount DROP COLUMN reason")
    con.execute("DROP TABLE cart_discount")
    con.execute("DROP INDEX refund_day_report")
    con.execute(
        'CREATE INDEX "refund_day_report" ON "refund" '
        '("day_id", "till", "at", "method", "operator", "total", "sale_id")'
    )
    con.execute("ALTER TABLE refund DROP COLUMN reason")
    for column in ("barcode", "name", "unit", "unit_price", "tax_rate"):
        con.execute(f"ALTER TABLE refund_line DROP COLUMN {column}")
    con.execute("DROP TRIGGER cash_movement_outbox")
    con.execute("DROP TABLE cash_movement")
    con.execute("ALTER TABLE cart DROP COLUMN age_checked")
    for trigger in ("product_search_insert", "product_search_delete", "product_search_update"):
        con.execute(f"DROP TRIGGER {trigger}")
    con.execute("DROP TABLE product_search_terms")
    con.execute("DROP TABLE product_search")
    con.execute("DROP INDEX product_plu")
    con.execute("ALTER TABLE product DROP COLUMN plu")
    con.execute("ALTER TABLE product DROP COLUMN min_age")


def undo_store_schema(con: sqlite3.Connection) -> None:
    """Take schema 12's additions (pos.db.store_schema), and all after them, off a SQLite
    file, so a test can make a file of an older version from a new one."""
    undo_after_v12(con)
    for trigger in ("sale_outbox", "refund_outbox", "day_open_outbox", "day_close_outbox"):
        con.execute(f"DROP TRIGGER {trigger}")
    con.execute("DROP TRIGGER audit_outbox")
    con.execute("DROP TABLE outbox")
    con.execute("DROP TABLE sync_state")
    con.execute("DROP INDEX till_day_uuid")
    con.execute("ALTER TABLE till_day DROP COLUMN uuid")
    for table in ("product", "discount_rule", "operator", "setting"):
        con.execute(f"ALTER TABLE {table} DROP COLUMN version")

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import peewee
import pytest

from pos.db import migrations
from pos.db.database import APPLICATION_ID, open_database, schema_version
from pos.db.errors import DatabaseOpenError, StorageError
from pos.db.integrity import integrity_check
from pos.db.migrations import v10_day_ids_and_token_generation
from pos.db.models import MODELS
from pos.db.repositories import ProductRepository
from pos.db.server import server_database
from pos.domain.catalog import Product
from pos.services.store_setup import init_database

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_file_is_never_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.sqlite"
    with pytest.raises(DatabaseOpenError, match="No database at .*pos init"):
        open_database(path)
    assert not path.exists()


@pytest.mark.sqlite_only  # SQLite's pragmas; the server's settings below
def test_every_connection_is_set_up_safely(empty_db: Path) -> None:
    db = open_database(empty_db)
    try:
        pragma = {
            name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
        assert pragma == {
            "journal_mode": "wal",
            "synchronous": 2,
            "foreign_keys": 1,
            "busy_timeout": 5000,
        }
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert db.execute_sql("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    finally:
        db.close()


def test_garbage_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "garbage.sqlite"
    path.write_bytes(b"this is not a database at all" * 100)
    before = _digest(path)
    with pytest.raises(DatabaseOpenError, match="not a POS database, or it is damaged"):
        open_database(path)
    assert _digest(path) == before


def test_foreign_sqlite_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.execute("INSERT INTO notes VALUES ('hello')")
    con.commit()
    con.close()
    before = _digest(path)
    with pytest.raises(DatabaseOpenError, match="not a POS database"):
        open_database(path)
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists()


@pytest.mark.sqlite_only  # the file's user_version; the server's below
def test_newer_schema_is_refused_and_untouched(empty_db: Path) -> None:
    con = sqlite3.connect(empty_db)
    con.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 7}")
    con.commit()
    con.close()
    before = _digest(empty_db)
    with pytest.raises(DatabaseOpenError, match="newer version of the till"):
        open_database(empty_db)
    assert _digest(empty_db) == before


@pytest.mark.sqlite_only  # a damaged file
def test_truncated_database_is_refused(demo_db: Path) -> None:
    data = demo_db.read_bytes()
    demo_db.write_bytes(data[:100] + b"\x00" * 50)
    with pytest.raises(DatabaseOpenError):
        open_database(demo_db)


def test_empty_file_needs_init(tmp_path: Path) -> None:
    path = tmp_path / "blank.sqlite"
    path.touch()
    with pytest.raises(DatabaseOpenError, match="is empty.*pos init"):
        open_database(path)


def _make_v1(path: Path) -> None:
    """A database exactly as version 1 of the till left it, with some data."""
    db = peewee.SqliteDatabase(str(path))
    db.connect()
    with db.atomic():
        migrations.MIGRATIONS[0](db)
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute_sql("PRAGMA user_version = 1")
    db.execute_sql(
        "INSERT INTO product (barcode, name, price, tax_rate, unit) "
        "VALUES ('4006381333931', 'Pen', 120, 2000, 'each')"
    )
    db.execute_sql(
        "INSERT INTO cart (uuid, till, opened_at) "
        "VALUES ('u-1', 'Till 1', '2026-01-01T00:00:00+00:00')"
    )
    db.execute_sql(
        "INSERT INTO cart_line (cart_id, line_no, barcode, name, unit, unit_price, qty, tax_rate,"
        " fixed_price) VALUES (1, 1, '4006381333931', 'Pen', 'each', 120, 3, 2000, 0)"
    )
    db.close()


@pytest.mark.sqlite_only  # a damaged file
def test_a_damaged_older_schema_is_refused_before_its_migration(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    _make_v1(path)
    con = sqlite3.connect(path)
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'product'").fetchone()[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.close()
    assert 1 < root < pages  # a page in the middle: the header is intact
    with path.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * page_size)
    before = path.read_bytes()
    # even as the till opens it (which checks later, in the background): a migration
    # would rewrite the file, so the check comes first
    with pytest.raises(DatabaseOpenError, match="is damaged.*Nothing was written"):
        open_database(path, check=False)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").read_bytes() == b""


def test_older_schema_is_migrated_with_data_kept(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    _make_v1(path)
    db = open_database(path)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert integrity_check(db) == ["ok"]
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute_sql("SELECT status, parked_at FROM cart").fetchall() == [("open", None)]
        assert db.execute_sql("SELECT qty FROM cart_line").fetchall() == [(3,)]
        # the products already there are in the search index (v14 builds it)
        found = db.execute_sql(
            "SELECT rowid FROM product_search WHERE product_search MATCH '\"pe\"*'"
        ).fetchall()
        assert found == [(1,)]
        # still STRICT after the migration (peewee's table rebuild would have dropped it)
        sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'cart'").fetchone()[0]
        assert sql.rstrip().endswith("STRICT")
    finally:
        db.close()


def _sqlite_at(path: Path, version: int) -> peewee.SqliteDatabase:
    """A SQLite file exactly as that version of the till left it, connected."""
    db = peewee.SqliteDatabase(str(path), pragmas={"foreign_keys": 1})
    db.connect()
    with db.atomic():
        for step in migrations.MIGRATIONS[:version]:
            step(db)
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute_sql(f"PRAGMA user_version = {version}")
    return db


def test_sales_and_refunds_of_version_6_are_kept_by_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "v6.sqlite"
    db = _sqlite_at(path, 6)
    db.execute_sql(
        "INSERT INTO sale (uuid, till, receipt_no, at, operator, subtotal, discount_total, total,"
        " tax_inclusive, receipt_text) VALUES ('s-1', 'Till 1', 1, '2026-01-01T10:00:00+00:00',"
        " '9001', 150, 20, 130, 1, 'receipt')"
    )
    db.execute_sql(
        "INSERT INTO sale_line (sale_id, line_no, barcode, name, unit, unit_price, qty, tax_rate,"
        " total, paid) VALUES (1, 1, '5000000000012', 'Lemons', 'each', 50, 3, 0, 150, 130)"
    )
    db.execute_sql(
        "INSERT INTO refund (uuid, sale_id, till, receipt_no, at, method, total, receipt_text)"
        " VALUES ('r-1', 1, 'Till 1', 2, '2026-01-01T11:00:00+00:00', 'cash', 43, 'refund')"
    )
    db.execute_sql("INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (1, 1, 1, 43)")
    db.close()

    db = open_database(path)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert integrity_check(db) == ["ok"]
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        # no rules kept: the sale's refunds stay proportional
        assert db.execute_sql("SELECT rules, priced_at FROM sale").fetchall() == [(None, None)]
        rows = "SELECT refund_id, line_no, qty, amount FROM refund_line"
        assert db.execute_sql(rows).fetchall() == [(1, 1, 1, 43)]
        # a refund line may now carry only money (the rest of a line returned earlier)...
        db.execute_sql(
            "INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (1, 1, 0, 5)"
        )
        with pytest.raises(peewee.IntegrityError):  # ...but never nothing at all
            db.execute_sql(
                "INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (1, 1, 0, 0)"
            )
        with pytest.raises(peewee.IntegrityError):  # and still belongs to a refund
            db.execute_sql(
                "INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (9, 1, 1, 5)"
            )
        sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'refund_line'").fetchone()
        assert sql[0].rstrip().endswith("STRICT")
        indexes = db.execute_sql("PRAGMA index_list(refund_line)").fetchall()
        assert [row[1] for row in indexes] == ["refundline_refund_id"]
    finally:
        db.close()


def test_failed_migration_leaves_the_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v1.sqlite"
    _make_v1(path)

    def broken(db: peewee.Database) -> None:
        db.execute_sql("ALTER TABLE cart ADD COLUMN half_done TEXT")
        raise RuntimeError("power cut in the middle of a migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", (migrations.MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError):
        open_database(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in con.execute("PRAGMA table_info(cart)")]
    assert "half_done" not in columns
    con.close()


@pytest.mark.sqlite_only  # PRAGMA table_info; the server's below
def test_models_match_the_migrated_schema(empty_db: Path) -> None:
    db = open_database(empty_db)
    try:
        for model in MODELS:
            table = model._meta.table_name
            actual = {row[1] for row in db.execute_sql(f"PRAGMA table_info({table})")}
            assert actual == set(model._meta.columns), table
    finally:
        db.close()


def test_database_refuses_bad_money(empty_db: Path, backend: str) -> None:
    db = open_database(empty_db)
    try:
        bad_rows = [
            "('4006381333931', 'Pen', -1, 0, 'each')",
            "('4006381333931', 'Pen', 'abc', 0, 'each')",
            "('4006381333931', 'Pen', 100, 0, 'litre')",
            "('4006381333931', '', 100, 0, 'each')",
        ]
        if backend == "sqlite":  # STRICT; PostgreSQL rounds 1.5 into a BIGINT column (the
            bad_rows.append("('4006381333931', 'Pen', 1.5, 0, 'each')")  # till sends ints)
        for values in bad_rows:
            # SQLite says IntegrityError for all; PostgreSQL DataError for 'abc'
            with pytest.raises((peewee.IntegrityError, peewee.DataError)), db.atomic():
                db.execute_sql(
                    f"INSERT INTO product (barcode, name, price, tax_rate, unit) VALUES {values}"
                )
    finally:
        db.close()


@pytest.mark.sqlite_only  # a full disk made by SQLite's page limit
def test_disk_full_reports_the_real_cause(empty_db: Path) -> None:
    db = open_database(empty_db)
    try:
        pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
        db.execute_sql(f"PRAGMA max_page_count = {pages + 1}")
        repo = ProductRepository(db)
        many = (
            Product(f"{n:012d}0", f"Product number {n} " + "x" * 80, 100) for n in range(10_000)
        )
        with pytest.raises(StorageError) as info:
            repo.upsert_many(many)
        assert info.value.kind == "full"
        assert "cannot rollback" not in info.value.detail
        assert repo.count() == 0  # nothing half-imported
        assert integrity_check(db) == ["ok"]
    finally:
        db.close()


@pytest.mark.sqlite_only  # SQLite's query plans
def test_the_report_reads_covering_indexes_only(empty_db: Path) -> None:
    """The X/Z report's aggregates read index ranges, never the wide sale rows (which hold
    the receipt text): a year of sales reports in well under a second."""
    from datetime import UTC, datetime

    from pos.db.reports import day_figures

    db = open_database(empty_db)
    try:
        plans: list[str] = []
        connection = db.connection()
        connection.set_trace_callback(plans.append)
        year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
        day_figures(db, "Till 1", *year)
        connection.set_trace_callback(None)
        on_sales = [q for q in plans if '"sale" AS' in q or 'JOIN "sale"' in q]
        # one pass over the sales, one over payments, one over VAT, one over the discounts,
        # one over the gift vouchers sold (their lines' partial index)
        assert len(on_sales) == 5
        for query in on_sales:
            plan = " / ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + query))
            assert "SCAN" not in plan, plan
            assert plan.count("COVERING INDEX") == plan.count("SEARCH"), plan
    finally:
        db.close()


def test_server_connections_are_set_up_safely(pg_server: Callable[[], str]) -> None:
    """Durable commits (refused otherwise), UTC, a lock timeout, 64-bit integers and text
    in byte order; the schema version is kept in pos_schema."""
    url = pg_server()
    db = open_database(url, create=True)
    try:
        show = {
            name: db.execute_sql(f"SHOW {name}").fetchone()[0]
            for name in ("synchronous_commit", "fsync", "TimeZone", "lock_timeout")
        }
        assert show == {
            "synchronous_commit": "on",
            "fsync": "on",
            "TimeZone": "UTC",
            "lock_timeout": "5s",
        }
        assert schema_version(db) == migrations.SCHEMA_VERSION
        types = dict(
            db.execute_sql(
                "SELECT column_name, data_type || coalesce(' ' || collation_name, '') "
                "FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'sale'"
            ).fetchall()
        )
        assert types["total"] == "bigint"
        assert types["id"] == "bigint"
        assert types["at"] == "text C"
    finally:
        db.close()


def test_a_server_without_durable_commits_is_refused(pg_server: Callable[[], str]) -> None:
    url = pg_server()
    open_database(url, create=True).close()
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))["options"] + " -csynchronous_commit=off"
    off = parts._replace(query=urlencode({"options": options})).geturl()
    with pytest.raises(DatabaseOpenError, match="synchronous_commit=off"):
        open_database(off)


def test_a_newer_server_schema_is_refused_and_untouched(pg_server: Callable[[], str]) -> None:
    url = pg_server()
    db = open_database(url, create=True)
    db.execute_sql("UPDATE pos_schema SET version = %s", (migrations.SCHEMA_VERSION + 1,))
    db.close()
    with pytest.raises(DatabaseOpenError, match="newer version of the till"):
        open_database(url)
    db = server_database(url)
    try:
        assert db.execute_sql("SELECT version FROM pos_schema").fetchone()[0] == (
            migrations.SCHEMA_VERSION + 1
        )
    finally:
        db.close()


def test_server_tables_that_are_not_ours_are_refused(pg_server: Callable[[], str]) -> None:
    url = pg_server()
    db = server_database(url)
    db.execute_sql("CREATE TABLE orders (id int)")
    db.close()
    with pytest.raises(DatabaseOpenError, match="not a POS database"):
        open_database(url)
    with pytest.raises(DatabaseOpenError, match="already holds tables"):
        init_database(url)
    with pytest.raises(DatabaseOpenError, match="empty"):
        open_database(pg_server())  # a blank one needs pos init


def test_server_models_match_the_migrated_schema(pg_server: Callable[[], str]) -> None:
    db = open_database(pg_server(), create=True)
    try:
        for model in MODELS:
            table = model._meta.table_name
            actual = {
                name
                for (name,) in db.execute_sql(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = %s",
                    (table,),
                )
            }
            assert actual == set(model._meta.columns), table
    finally:
        db.close()


def test_the_audit_log_is_append_only_on_the_server(pg_server: Callable[[], str]) -> None:
    db = open_database(pg_server(), create=True)
    try:
        db.execute_sql(
            "INSERT INTO audit_log (seq, at, till, event, details, prev_hash, hash) "
            "VALUES (1, 'now', 'Till 1', 'x', '{}', '', '')"
        )
        for statement in (
            "UPDATE audit_log SET event = 'y'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(peewee.DatabaseError, match="append-only"), db.atomic():
                db.execute_sql(statement)
        assert db.execute_sql("SELECT count(*) FROM audit_log").fetchone()[0] == 1
    finally:
        db.close()


def _server_at(url: str, version: int) -> None:
    """A server database exactly as that version of the till left it."""
    db = server_database(url)
    db.connect()
    with db.atomic():
        for step in migrations.MIGRATIONS[:version]:
            step(db)
        db.execute_sql("CREATE TABLE pos_schema (application TEXT NOT NULL, version BIGINT)")
        db.execute_sql("INSERT INTO pos_schema VALUES ('pos-till', %s)", (version,))
    db.close()


def test_a_server_database_of_version_6_is_upgraded_with_its_sales(
    pg_server: Callable[[], str],
) -> None:
    url = pg_server()
    _server_at(url, 6)
    db = server_database(url)
    db.execute_sql(
        "INSERT INTO sale (uuid, till, receipt_no, at, operator, subtotal, discount_total, total,"
        " tax_inclusive, receipt_text) VALUES ('s-1', 'Till 1', 1, '2026-01-01T10:00:00+00:00',"
        " '9001', 150, 20, 130, 1, 'receipt')"
    )
    sale_id = db.execute_sql("SELECT id FROM sale").fetchone()[0]
    db.execute_sql(
        "INSERT INTO refund (uuid, sale_id, till, receipt_no, at, method, total, receipt_text)"
        " VALUES ('r-1', %s, 'Till 1', 2, '2026-01-01T11:00:00+00:00', 'cash', 43, 'refund')",
        (sale_id,),
    )
    refund_id = db.execute_sql("SELECT id FROM refund").fetchone()[0]
    db.execute_sql(
        "INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (%s, 1, 1, 43)",
        (refund_id,),
    )
    db.close()

    db = open_database(url)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert db.execute_sql("SELECT rules, priced_at FROM sale").fetchall() == [(None, None)]
        line = "INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (%s, 1, %s, %s)"
        db.execute_sql(line, (refund_id, 0, 5))  # money only: allowed from version 7 on
        with pytest.raises(peewee.IntegrityError), db.atomic():  # but never nothing at all
            db.execute_sql(line, (refund_id, 0, 0))
        with pytest.raises(peewee.IntegrityError), db.atomic():  # and still a refund's
            db.execute_sql(line, (refund_id + 100, 1, 5))
        assert db.execute_sql("SELECT count(*) FROM refund_line").fetchone()[0] == 2
    finally:
        db.close()


def test_a_failed_server_migration_leaves_the_old_version(
    pg_server: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server()
    _server_at(url, 1)

    def broken(db: peewee.Database) -> None:
        db.execute_sql("ALTER TABLE cart ADD COLUMN half_done TEXT")
        raise RuntimeError("power cut in the middle of a migration")

    monkeypatch.setattr(migrations, "MIGRATIONS", (migrations.MIGRATIONS[0], broken))
    with pytest.raises(RuntimeError):
        open_database(url)
    db = server_database(url)
    try:
        assert db.execute_sql("SELECT version FROM pos_schema").fetchone()[0] == 1
        columns = {
            name
            for (name,) in db.execute_sql(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'cart'"
            )
        }
        assert "half_done" not in columns
    finally:
        db.close()


def _sale_sql(n: int, at: str, total: int) -> str:
    return (
        "INSERT INTO sale (uuid, till, receipt_no, at, operator, subtotal, discount_total,"
        f" total, tax_inclusive, receipt_text) VALUES ('s-{n}', 'Till 1', {n}, '{at}', '9001',"
        f" {total}, 0, {total}, 1, 'receipt')"
    )


def test_version_9_sales_are_reported_by_time_after_the_upgrade(tmp_path: Path) -> None:
    """Schema v10 records each sale's and refund's trading day; the rows saved before
    record none (NULL) and a day's report still counts them by its time range, while
    the new rows count by their day whatever their time."""
    from datetime import UTC, datetime

    from pos.db.reports import day_figures

    path = tmp_path / "v9.sqlite"
    db = _sqlite_at(path, 9)
    db.execute_sql(
        "INSERT INTO till_day (till, opened_at, float_amount) "
        "VALUES ('Till 1', '2026-03-14T09:00:00+00:00', 0)"
    )
    db.execute_sql(_sale_sql(1, "2026-03-13T17:00:00+00:00", 999))  # the day before
    db.execute_sql(_sale_sql(2, "2026-03-14T10:00:00+00:00", 150))
    db.execute_sql(
        "INSERT INTO refund (uuid, sale_id, till, receipt_no, at, method, total, receipt_text)"
        " VALUES ('r-1', 2, 'Till 1', 3, '2026-03-14T11:00:00+00:00', 'cash', 50, 'refund')"
    )
    db.execute_sql(
        "INSERT INTO operator (number, name, role, active, pin_hash, failed_attempts,"
        " tokens_valid_after) VALUES ('1001', 'Ann', 'cashier', 1, 'x', 0, 1773478800)"
    )
    db.close()

    db = open_database(path)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert integrity_check(db) == ["ok"]
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute_sql("SELECT day_id FROM sale").fetchall() == [(None,), (None,)]
        assert db.execute_sql("SELECT day_id FROM refund").fetchall() == [(None,)]
        assert db.execute_sql("SELECT token_generation FROM operator").fetchall() == [(0,)]
        # a sale of the new version, stamped before the day opened (the clock went back)
        db.execute_sql(_sale_sql(4, "2026-03-14T08:00:00+00:00", 70))
        db.execute_sql("UPDATE sale SET day_id = 1 WHERE receipt_no = 4")
        opened = datetime(2026, 3, 14, 9, tzinfo=UTC)
        now = datetime(2026, 3, 14, 18, tzinfo=UTC)
        figures = day_figures(db, "Till 1", opened, now, day=1)
        assert (figures.sales, figures.gross, figures.refunds) == (2, 150 + 70, 50)
        by_time = day_figures(db, "Till 1", opened, now)  # pos report: by time only
        assert (by_time.sales, by_time.gross, by_time.refunds) == (1, 150, 50)
        with pytest.raises(peewee.IntegrityError):  # the day must exist
            db.execute_sql("UPDATE sale SET day_id = 7 WHERE receipt_no = 4")
    finally:
        db.close()


def test_an_open_cart_of_version_14_gets_no_confirmed_age(tmp_path: Path) -> None:
    """Schema v15: a cart remembers the customer's confirmed age (issue 20); a cart saved
    before has none (NULL), and only the ages a product may ask for (1 to 99) are kept."""
    path = tmp_path / "v14.sqlite"
    db = _sqlite_at(path, 14)
    db.execute_sql(
        "INSERT INTO cart (uuid, till, opened_at, status) "
        "VALUES ('c-1', 'Till 1', '2026-03-14T09:00:00+00:00', 'open')"
    )
    db.close()

    db = open_database(path)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert integrity_check(db) == ["ok"]
        assert db.execute_sql("SELECT uuid, age_checked FROM cart").fetchall() == [("c-1", None)]
        db.execute_sql("UPDATE cart SET age_checked = 18")
        for bad in (0, 100):
            with pytest.raises(peewee.IntegrityError):
                db.execute_sql(f"UPDATE cart SET age_checked = {bad}")
        assert db.execute_sql("SELECT age_checked FROM cart").fetchall() == [(18,)]
        sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'cart'").fetchone()[0]
        assert sql.rstrip().endswith("STRICT")
    finally:
        db.close()


def test_version_15_gets_the_cash_movements_and_their_outbox(tmp_path: Path) -> None:
    """Schema v16 (issue 21): a file of version 15 gets the cash movements table, with
    its checks (a No sale moves no money, the others some), and the trigger that puts a
    store's till's movements in its outbox."""
    path = tmp_path / "v15.sqlite"
    _sqlite_at(path, 15).close()
    db = open_database(path)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert integrity_check(db) == ["ok"]
        db.execute_sql("INSERT INTO sync_state (key, value) VALUES ('store', 'x')")
        row = "INSERT INTO cash_movement (uuid, till, at, operator, kind, amount, reason) "
        db.execute_sql(row + "VALUES ('m-1', 'Till 1', '2026', '9001', 'paid_in', 100, 'Float')")
        for bad in ("'no_sale', 100", "'paid_out', 0", "'paid_out', -5", "'tip', 100"):
            with pytest.raises(peewee.IntegrityError):
                db.execute_sql(row + f"VALUES ('m-2', 'Till 1', '2026', '9001', {bad}, 'x')")
        assert db.execute_sql("SELECT kind, ref FROM outbox").fetchall() == [("cash", "m-1")]
    finally:
        db.close()


def test_version_16_refunds_are_kept_and_may_have_no_sale(tmp_path: Path) -> None:
    """Schema v17 (issue 21): refund is made again on SQLite so that its sale may be NULL
    (a refund without a receipt); its rows, its lines, its indexes and the store's outbox
    trigger are kept, the foreign keys still hold, and a refund without a sale must have
    a reason."""
    path = tmp_path / "v16.sqlite"
    db = _sqlite_at(path, 16)
    db.execute_sql(_sale_sql(1, "2026-03-14T09:00:00+00:00", 120))
    db.execute_sql(
        "INSERT INTO refund (uuid, sale_id, till, receipt_no, at, method, total, receipt_text)"
        " VALUES ('r-1', 1, 'Till 1', 2, '2026-03-14T10:00:00+00:00', 'cash', 120, 'r')"
    )
    db.execute_sql(
        "INSERT INTO refund_line (refund_id, line_no, qty, amount) VALUES (1, 1, 1, 120)"
    )
    before = db.execute_sql(
        "SELECT type, name FROM sqlite_master WHERE tbl_name IN ('refund', 'refund_line') "
        "ORDER BY type, name"
    ).fetchall()
    db.close()

    db = open_database(path)
    try:
        assert schema_version(db) == migrations.SCHEMA_VERSION
        assert integrity_check(db) == ["ok"]
        assert db.execute_sql("PRAGMA foreign_key_check").fetchall() == []
        after = db.execute_sql(
            "SELECT type, name FROM sqlite_master WHERE tbl_name IN ('refund', 'refund_line') "
            "ORDER BY type, name"
        ).fetchall()
        assert after == before  # the same indexes and trigger (refund_day_report made again)
        assert db.execute_sql("SELECT uuid, sale_id, reason FROM refund").fetchall() == [
            ("r-1", 1, None)
        ]
        assert db.execute_sql(
            "SELECT refund_id, qty, amount, barcode FROM refund_line"
        ).fetchall() == [(1, 1, 120, None)]
        sql = db.execute_sql("SELECT sql FROM sqlite_master WHERE name = 'refund'").fetchone()[0]
        assert sql.rstrip().endswith("STRICT")
        db.execute_sql("INSERT INTO sync_state (key, value) VALUES ('store', 'x')")
        row = (
            "INSERT INTO refund (uuid, sale_id, till, receipt_no, at, method, total, "
            "receipt_text, reason) VALUES "
        )
        with pytest.raises(peewee.IntegrityError):  # no sale and no reason
            db.execute_sql(row + "('r-2', NULL, 'Till 1', 3, '2026', 'cash', 50, 'r', NULL)")
        with pytest.raises(peewee.IntegrityError):  # the sale must exist
            db.execute_sql(row + "('r-2', 9, 'Till 1', 3, '2026', 'cash', 50, 'r', 'Faulty')")
        db.execute_sql(row + "('r-2', NULL, 'Till 1', 3, '2026', 'cash', 50, 'r', 'Faulty')")
        line = "INSERT INTO refund_line (refund_id, line_no, qty, amount, unit, unit_price) VALUES "
        for bad in ("'litre', 50", "'each', 0"):
            with pytest.raises(peewee.IntegrityError):
                db.execute_sql(line + f"(2, 1, 1, 50, {bad})")
        with pytest.raises(peewee.IntegrityError):  # the refund must exist
            db.execute_sql(line + "(7, 1, 1, 50, 'each', 50)")
        assert db.execute_sql("SELECT kind, ref FROM outbox").fetchall() == [("refund", "r-2")]
    finally:
        db.close()


@pytest.mark.sqlite_only  # SQLite's query plans
def test_a_days_report_reads_covering_indexes_only(empty_db: Path) -> None:
    """The X/Z report of a trading day (by the day each sale records, schema v10) reads
    index ranges as the time-range report does: the day's rows, then the old rows."""
    from datetime import UTC, datetime

    from pos.db.reports import day_figures

    db = open_database(empty_db)
    try:
        db.execute_sql(
            "INSERT INTO till_day (till, opened_at, float_amount) "
            "VALUES ('Till 1', '2026-03-14T09:00:00+00:00', 0)"
        )
        plans: list[str] = []
        connection = db.connection()
        connection.set_trace_callback(plans.append)
        year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
        day_figures(db, "Till 1", *year, day=1)
        connection.set_trace_callback(None)
        on_sales = [q for q in plans if '"sale" AS' in q or 'JOIN "sale"' in q]
        on_refunds = [q for q in plans if '"refund" AS' in q]
        # sales, payments, VAT, discounts, vouchers sold: the day's, and the old rows
        assert len(on_sales) == 10
        # by method and reason, by rate, by operator: the same two
        assert len(on_refunds) == 6
        for query in on_sales:
            plan = " / ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + query))
            assert "SCAN" not in plan, plan
            assert "sale_day_report" in plan, plan
            assert plan.count("COVERING INDEX") == plan.count("SEARCH"), plan
        for query in on_refunds:
            plan = " / ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + query))
            assert "SCAN" not in plan, plan
            assert "COVERING INDEX refund_day_report" in plan, plan
    finally:
        db.close()


def test_the_version_10_step_is_standard_sql_for_postgresql() -> None:
    """v10 must run on PostgreSQL too (its support is on the way): ALTER TABLE ... ADD
    COLUMN (with the foreign key as a constraint) and CREATE INDEX IF NOT EXISTS, no
    PRAGMA, no table rebuild. The statements are caught, not run (no server here)."""
    statements: list[str] = []

    class Captured(peewee.PostgresqlDatabase):
        def execute_sql(self, sql: str, params: object = None, *args: object) -> None:  # type: ignore[override]
            statements.append(sql)

        def execute(self, query: object, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            sql, _ = self.get_sql_context().sql(query).query()
            statements.append(sql)

    v10_day_ids_and_token_generation.step(Captured("pos"))
    text = "\n".join(statements)
    assert "PRAGMA" not in text.upper()
    assert "RENAME" not in text.upper()
    assert "DROP" not in text.upper()
    assert all(s.startswith(("ALTER TABLE", "CREATE INDEX IF NOT EXISTS")) for s in statements)
    assert 'ADD COLUMN "day_id" INTEGER' in text
    assert 'ADD COLUMN "token_generation" INTEGER NOT NULL DEFAULT 0' in text
    assert 'REFERENCES "till_day" ("id")' in text

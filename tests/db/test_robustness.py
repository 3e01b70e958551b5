"""Damaged files, read-only checks, safe re-initialisation and one process per till."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.database import open_database, till_lock
from pos.db.errors import DatabaseOpenError
from pos.db.models import MODELS
from pos.db.repositories import ProductRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.paths import DEMO_CATALOG
from pos.services.container import build_services
from pos.services.store_setup import init_database
from tests.conftest import MANAGER
from tests.db.test_database import _make_v1

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage_product_index(path: Path) -> None:
    """Overwrite a page in the middle of the file, where the product rows live."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'product_barcode'"
    ).fetchone()[0]
    con.close()
    with path.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * page_size)


def files_beside(path: Path) -> dict[str, bytes]:
    """The database file and its -wal (if any): what the till could have written to."""
    return {p.name: p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()}


def unchanged(before: dict[str, bytes], path: Path) -> bool:
    """The file is byte for byte as it was, and no -wal holds anything new."""
    after = files_beside(path)
    wal = f"{path.name}-wal"
    if after.get(wal, b"") == b"":
        after.pop(wal, None)
        before = {k: v for k, v in before.items() if not (k == wal and v == b"")}
    return after == before


def damaged_after_a_first_start(path: Path, clock: FixedClock) -> dict[str, bytes]:
    """The till has run on ``path`` once (its cart is open, as on any later start); then
    a page in the middle of the file is damaged, the header left intact. Returns the
    files as they are then."""
    build_services(path, clock=clock, ids=SequentialIds()).close()
    _damage_product_index(path)
    return files_beside(path)


@pytest.mark.sqlite_only  # a damaged file
def test_the_till_opens_a_damaged_file_but_its_check_fails(
    demo_db: Path, clock: FixedClock
) -> None:
    before = damaged_after_a_first_start(demo_db, clock)
    services = build_services(demo_db, clock=clock, ids=SequentialIds())  # not read through
    try:
        services.integrity.start()
        assert services.integrity.wait(30)
        assert not services.integrity.passed
        assert "is damaged" in services.integrity.problem
        assert "Nothing was written" in services.integrity.problem
        assert f"pos db check --db {demo_db}" in services.integrity.problem
    finally:
        services.close()
    assert unchanged(before, demo_db)


@pytest.mark.sqlite_only  # a damaged file
def test_the_services_refuse_a_login_on_a_damaged_file_whoever_asks(
    demo_db: Path, clock: FixedClock
) -> None:
    """The rule is the session service's, not only the login screen's: a login (right
    PIN) or a first manager asked for directly, with no check started, waits for the
    check and is refused; nothing is written."""
    from pos.auth.service import LoginFailed
    from tests.conftest import MANAGER

    before = damaged_after_a_first_start(demo_db, clock)
    services = build_services(demo_db, clock=clock, ids=SequentialIds())
    try:
        with pytest.raises(LoginFailed, match="Nobody can log in.*is damaged"):
            services.sessions.login(*MANAGER)
        refused = services.sessions.create_first_manager("9002", "Second", "4826")
        assert refused is not None
        assert "is damaged" in refused
        assert services.guard.session is None
    finally:
        services.close()
    assert unchanged(before, demo_db)


@pytest.mark.sqlite_only  # a damaged file
def test_a_first_start_on_a_damaged_file_is_refused_before_its_first_cart(
    demo_db: Path, clock: FixedClock
) -> None:
    _damage_product_index(demo_db)  # no till has run here: the start would write a cart
    before = files_beside(demo_db)
    with pytest.raises(DatabaseOpenError, match="is damaged.*Nothing was written"):
        build_services(demo_db, clock=clock, ids=SequentialIds())
    assert unchanged(before, demo_db)


@pytest.mark.sqlite_only  # a damaged file
@pytest.mark.parametrize(
    "command",
    [
        ["products", "import", "{csv}"],
        ["discounts", "import", "{csv}"],
        ["settings", "set", "store_name", "Corner Shop"],
        ["keys", "rotate"],
        ["operators", "deactivate", "--number", "1001"],
    ],
)
def test_cli_commands_that_write_refuse_a_damaged_file(
    demo_db: Path, tmp_path: Path, command: list[str]
) -> None:
    catalog = tmp_path / "in.csv"
    catalog.write_text("barcode,name,price\n4006381333931,Pen,1.30\n")
    _damage_product_index(demo_db)
    before = files_beside(demo_db)
    args = [part.replace("{csv}", str(catalog)) for part in command]
    result = CliRunner().invoke(cli, [*args, "--db", str(demo_db)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "is damaged" in result.output
    assert "Nothing was written" in result.output
    assert unchanged(before, demo_db)


@pytest.mark.sqlite_only  # a damaged file
def test_db_check_reports_damage_without_a_traceback(demo_db: Path) -> None:
    _damage_product_index(demo_db)
    before = _digest(demo_db)
    result = CliRunner().invoke(cli, ["db", "check", "--db", str(demo_db)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "the database is damaged" in result.output
    assert _digest(demo_db) == before  # looked at, never written


def test_db_check_does_not_upgrade_an_old_database(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    _make_v1(path)
    before = _digest(path)
    result = CliRunner().invoke(cli, ["db", "check", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "schema version: 1 (older than this till's" in result.output
    assert _digest(path) == before


@pytest.mark.sqlite_only  # a damaged file
def test_a_damaged_catalog_gives_a_message_not_a_crash(demo_db: Path, clock: FixedClock) -> None:
    services = build_services(demo_db, clock=clock, ids=SequentialIds())
    try:
        services.sessions.login(*MANAGER)  # a scan is an operator's (the guard)
        services.db.close()
        _damage_product_index(demo_db)
        outcome = services.checkout.submit("4006381333931")
        assert outcome.error
        assert outcome.message.startswith("The database could not be read")
        assert len(services.checkout.cart) == 0
    finally:
        services.close()


def test_init_on_a_blank_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.sqlite"
    sqlite3.connect(path).execute("VACUUM").connection.close()  # a valid, empty SQLite file
    assert path.stat().st_size >= 0
    init_database(path)  # no --force needed: nothing is in it


def _contents(target: Path) -> object:
    """The file's bytes (SQLite), or every row of the till's tables (a server)."""
    if isinstance(target, Path):
        return _digest(target)
    db = open_database(target)
    try:
        return {
            model._meta.table_name: db.execute_sql(
                f'SELECT * FROM "{model._meta.table_name}" ORDER BY 1'
            ).fetchall()
            for model in MODELS
        }
    finally:
        db.close()


def _products(target: Path) -> int:
    db = open_database(target)
    try:
        return ProductRepository(db).count()
    finally:
        db.close()


def test_force_keeps_the_old_database_when_building_the_new_one_fails(
    demo_db: Path, tmp_path: Path
) -> None:
    before = _contents(demo_db)
    bad_catalog = tmp_path / "bad.csv"
    bad_catalog.write_text("barcode,name,price\n123,x,1\n")
    with pytest.raises(DatabaseOpenError, match="demo catalog is invalid"):
        init_database(demo_db, demo_catalog=bad_catalog, force=True)
    assert _contents(demo_db) == before
    assert _products(demo_db) == 56
    assert not list(tmp_path.glob(".*.new*"))


def test_force_replaces(demo_db: Path) -> None:
    with pytest.raises(DatabaseOpenError, match="already"):
        init_database(demo_db)
    init_database(demo_db, force=True)
    assert _products(demo_db) == 0
    init_database(demo_db, demo_catalog=DEMO_CATALOG, force=True)
    assert _products(demo_db) == 56


def test_one_process_per_till(demo_db: Path, clock: FixedClock) -> None:
    first = build_services(demo_db, clock=clock, ids=SequentialIds())
    try:
        with pytest.raises(DatabaseOpenError, match="Till 1 is already running"):
            build_services(demo_db, clock=clock, ids=SequentialIds())
    finally:
        first.close()
    build_services(demo_db, clock=clock, ids=SequentialIds()).close()  # free again
    lock = till_lock(demo_db, "Till 2")  # another till's name is another lock
    lock.acquire()
    lock.release()

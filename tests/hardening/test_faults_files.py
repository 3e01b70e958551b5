"""Faults in the files beside the till: the signing-key file missing, too open or
unreadable; the database damaged, read-only, or locked by another process; met at
start-up, while the till runs, and by the commands (``pos``, ``pos db check``,
``pos init``, imports). Each is reported in words, never a traceback, and nothing
that was saved is lost."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.app import PosApp
from pos.auth.keys import key_file_for
from pos.cli import cli
from pos.db.errors import DatabaseOpenError
from pos.screens import LoginScreen, ScanScreen
from pos.widgets import MessageLine
from tests.conftest import CASHIER
from tests.db.test_robustness import _damage_product_index
from tests.hardening.faults import check_sales, hold_write_lock, release
from tests.ui.helpers import scan, sell, settle

SIZE = (100, 30)
PEN = "4006381333931"
LEMON = "5000000000012"
AppFactory = Callable[..., PosApp]


def pos(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


# --------------------------------------------------------------------------- the key file


def _missing(keys: Path) -> None:
    keys.unlink()


def _too_open(keys: Path) -> None:
    keys.chmod(0o644)


def _garbage(keys: Path) -> None:
    keys.write_text("{not json")


def _truncated(keys: Path) -> None:
    keys.write_text("")


def _folder(keys: Path) -> None:
    keys.unlink()
    keys.mkdir(mode=0o700)


KEY_FAULTS = {
    "missing": (_missing, ["is missing", "Restore it from a backup", "pos keys rotate"]),
    "too open": (_too_open, ["can be read by other users", "chmod 600"]),
    "garbage": (_garbage, ["cannot be read"]),
    "empty": (_truncated, ["cannot be read"]),
    "a folder": (_folder, ["cannot be read"]),
}


@pytest.mark.parametrize("name", list(KEY_FAULTS))
def test_the_till_refuses_to_start_without_a_good_key_file(demo_db: Path, name: str) -> None:
    """``pos`` (the till) stops before the screen with the reason and what to do; once
    the file is back, the same command would start (checked by building the app)."""
    from pos.factory import make_app

    keys = key_file_for(demo_db)
    good = keys.read_bytes()
    damage, words = KEY_FAULTS[name]
    damage(keys)
    code, out = pos("--db", str(demo_db))
    assert code == 1
    for word in words:
        assert word in out, (word, out)
    with pytest.raises(DatabaseOpenError):
        make_app(demo_db)
    if keys.is_dir():
        keys.rmdir()
    keys.write_bytes(good)
    keys.chmod(0o600)
    make_app(demo_db).services.close()  # restored: the till starts again


@pytest.mark.parametrize("name", ["missing", "too open", "garbage"])
def test_commands_that_sign_refuse_without_a_good_key_file(demo_db: Path, name: str) -> None:
    damage, words = KEY_FAULTS[name]
    damage(key_file_for(demo_db))
    for args in (
        ["operators", "unlock", "--db", str(demo_db), "--number", "1001"],
        ["audit", "verify", "--db", str(demo_db)],
    ):
        code, out = pos(*args)
        assert code == 1, args
        for word in words:
            assert word in out, (args, word, out)


def test_a_new_key_file_says_the_old_audit_entries_cannot_be_verified(demo_db: Path) -> None:
    """Following the missing-key message's second way out: rotate makes a new file, and
    says what that costs instead of leaving a false alarm to be found later."""
    assert pos("operators", "unlock", "--db", str(demo_db), "--number", "1001")[0] == 0
    key_file_for(demo_db).unlink()
    result = CliRunner().invoke(cli, ["keys", "rotate", "--db", str(demo_db)])
    assert result.exit_code == 0
    assert "The key file was missing" in result.output
    assert "cannot be verified with the new key" in result.output
    # the new key starts a new segment with a signed "chain restarted" entry: verify
    # says once which entries it cannot check, and checks the rest (issue 17 item 6)
    code, out = pos("audit", "verify", "--db", str(demo_db))
    assert code == 0, out
    assert out.count("cannot be verified") == 1
    assert "the chain restarted at entry" in out
    assert "broken" not in out


async def test_a_key_file_removed_while_the_till_runs(
    app_factory: AppFactory, demo_db: Path
) -> None:
    """The till holds its keys in memory: it keeps selling, locking and logging in, and
    the file put back is picked up again; nothing was lost."""
    keys = key_file_for(demo_db)
    good = keys.read_bytes()
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        keys.unlink()
        app.tick()  # the key file is looked at every second
        await sell(pilot, LEMON)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await pilot.press(*CASHIER[0], "enter", *CASHIER[1], "enter")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        keys.write_bytes(good)
        keys.chmod(0o600)
        app.tick()
        await sell(pilot, PEN)
        assert isinstance(app.screen, ScanScreen)
    check_sales(demo_db, [1, 2, 3])


async def test_a_damaged_key_file_while_the_till_runs(
    app_factory: AppFactory, demo_db: Path
) -> None:
    """A key file garbled mid-shift does not end anyone's session: the keys in memory
    stand; the next start says what is wrong."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        key_file_for(demo_db).write_text("{not json")
        app.tick()
        await sell(pilot, LEMON)
        assert isinstance(app.screen, ScanScreen)
    check_sales(demo_db, [1, 2])
    code, out = pos("--db", str(demo_db))
    assert code == 1
    assert "cannot be read" in out


# --------------------------------------------------------------------------- a damaged file


def test_a_file_damaged_at_the_header(demo_db: Path) -> None:
    """Every command refuses it in words and leaves it as it is; init will not
    overwrite it without --force."""
    with demo_db.open("r+b") as f:
        f.write(b"this is not SQLite")
    before = demo_db.read_bytes()
    csv = demo_db.with_name("p.csv")
    csv.write_text("barcode,name,price\n4006381333931,Pen,1.30\n")
    for args in (
        ["--db", str(demo_db)],
        ["db", "check", "--db", str(demo_db)],
        ["products", "import", "--db", str(demo_db), str(csv)],
        ["report", "--db", str(demo_db)],
    ):
        code, out = pos(*args)
        assert code == 1, args
        assert "not a POS database, or it is damaged" in out, (args, out)
    code, out = pos("init", "--db", str(demo_db))
    assert code == 1
    assert "use --force to replace it" in out
    assert demo_db.read_bytes() == before


async def test_damage_found_while_scanning(app_factory: AppFactory, demo_db: Path) -> None:
    """Damage deep in the file (the product index) shows at the first scan that reads
    it: the message says the file is damaged and what to do, the till keeps running,
    the sales already made are intact, and pos db check names it."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await sell(pilot, PEN)
        app.services.db.close()  # (the next read opens the file as it is now)
        _damage_product_index(demo_db)
        await scan(pilot, LEMON)
        text = message(app)
        assert "The database could not be read: the database file is damaged" in text
        assert "run pos db check and restore the database from a backup" in text
        assert len(app.services.checkout.cart) == 0
        assert isinstance(app.screen, ScanScreen)
    con = sqlite3.connect(demo_db)
    assert con.execute("SELECT receipt_no, total FROM sale").fetchall() == [(1, 120)]
    con.close()
    code, out = pos("db", "check", "--db", str(demo_db))
    assert code == 1
    assert "the database is damaged: restore it from a backup" in out


# --------------------------------------------------------------------------- read-only


def test_a_read_only_database_is_refused_at_start(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite opens a write-protected file read-only without a word: the till checks
    first and says what to do. (Tests run as root, who may write anything, so the
    operating system's answer is stood in for.)"""
    import pos.db.database as database

    real = os.access

    def access(path: object, mode: int) -> bool:
        if Path(str(path)) == demo_db and mode & os.W_OK:
            return False
        return real(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(database.os, "access", access)
    code, out = pos("--db", str(demo_db))
    assert code == 1
    assert "is read-only: the till could not save a sale" in out
    assert "chmod u+w" in out
    code, out = pos("db", "check", "--db", str(demo_db))  # only reads: still works
    assert code == 0
    assert "integrity: ok" in out


def test_a_read_only_folder_is_refused_at_start(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pos.db.database as database

    for suffix in ("-wal", "-shm"):
        Path(f"{demo_db}{suffix}").unlink(missing_ok=True)
    real = os.access
    folder = demo_db.resolve().parent

    def access(path: object, mode: int) -> bool:
        if Path(str(path)) == folder and mode & os.W_OK:
            return False
        return real(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(database.os, "access", access)
    code, out = pos("--db", str(demo_db))
    assert code == 1
    assert "is read-only: the till could not save a sale" in out


def test_a_command_on_a_read_only_connection(demo_db: Path, tmp_path: Path) -> None:
    """The import writes in one transaction: on a read-only medium it says NOT saved
    and why, and nothing is half-imported. (A read-only copy is made by opening the
    file with SQLite's own read-only mode, as a read-only mount would.)"""
    from pos.db.database import open_database
    from pos.db.errors import StorageError
    from pos.db.repositories import ProductRepository
    from pos.domain.catalog import Product

    db = open_database(demo_db)
    try:
        db.execute_sql("PRAGMA query_only = 1")
        repo = ProductRepository(db)
        before = repo.count()
        with pytest.raises(StorageError) as info:
            repo.upsert_many(Product(f"{n:012d}0", f"Item {n}", 100) for n in range(100))
        assert info.value.kind == "readonly"
        assert info.value.advice.startswith("make the database file and its folder writable")
        assert repo.count() == before
    finally:
        db.close()


# --------------------------------------------------------------------------- locked


def test_commands_while_another_process_holds_the_lock(demo_db: Path, tmp_path: Path) -> None:
    """pos db check reads past a writer (WAL); an import waits the busy timeout, then
    says the database is busy and what to do, and imports nothing; released, it works."""
    csv = tmp_path / "p.csv"
    csv.write_text("barcode,name,price\n4006381333931,Pen blue,1.30\n")
    holder = hold_write_lock(demo_db)
    try:
        code, out = pos("db", "check", "--db", str(demo_db))
        assert code == 0
        assert "integrity: ok" in out
        code, out = pos("products", "import", "--db", str(demo_db), str(csv))
        assert code == 1
        assert "the database is busy (locked by another program)" in out
        assert "close it or wait, then try again" in out
    finally:
        release(holder)
    code, out = pos("products", "import", "--db", str(demo_db), str(csv))
    assert code == 0, out
    con = sqlite3.connect(demo_db)
    assert con.execute("SELECT name FROM product WHERE barcode = ?", (PEN,)).fetchone() == (
        "Pen blue",
    )
    con.close()


def test_init_into_a_missing_folder(tmp_path: Path) -> None:
    code, out = pos("init", "--db", str(tmp_path / "nowhere" / "till.sqlite"))
    assert code == 1
    assert "does not exist" in out
    assert not (tmp_path / "nowhere").exists()

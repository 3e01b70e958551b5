"""Issue 17, item 6c: operator rows carry a seal keyed from the key file (SECURITY.md
10.3.x: records protected from modification; S-05: a role change takes effect only
through the till). A row changed outside the till refuses that operator's login and
tokens, with a clear message, and ``pos db check`` and ``pos audit verify`` name it;
every write the till makes keeps the seal."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.auth.keys import key_file_for, load_seal_key
from pos.auth.service import MAX_ATTEMPTS, LoginFailed
from pos.auth.tokens import TokenError
from pos.cli import cli
from pos.db.database import open_database
from pos.db.operator_seals import changed_operators
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin
from tests.dbtools import undo_store_schema

CHANGED = "operator 1001's record was changed outside the till"


pytestmark = pytest.mark.backends


def _sql(db: Path, statement: str) -> None:
    """A change made outside the till (a database shell), on SQLite or PostgreSQL."""
    database = open_database(db)
    try:
        with database.atomic():
            database.execute_sql(statement)
    finally:
        database.close()


def _open(db: Path, clock: FixedClock) -> Services:
    return build_services(db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)


def _changed(db: Path) -> list[str]:
    database = open_database(db)
    try:
        return changed_operators(load_seal_key(key_file_for(db)))
    finally:
        database.close()


def _pos(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "change",
    [
        "role = 'manager'",
        "active = 0",
        "pin_hash = (SELECT pin_hash FROM operator WHERE number = '9001')",
        "token_generation = token_generation + 1",
        "failed_attempts = 5",
        "locked_until = '2020-01-01T00:00:00.000000+00:00'",
    ],
    ids=["role", "active", "pin", "generation", "lockout", "lock-time"],
)
def test_10_3_a_row_changed_in_the_database_refuses_that_operators_login(
    demo_db: Path, clock: FixedClock, change: str
) -> None:
    _sql(demo_db, f"UPDATE operator SET {change} WHERE number = '1001'")
    services = _open(demo_db, clock)
    try:
        with pytest.raises(LoginFailed, match=CHANGED):
            services.auth.login(*CASHIER)
        with pytest.raises(LoginFailed, match=CHANGED):  # still: the attempt sealed nothing in
            services.auth.login(*CASHIER)
        assert services.auth.login(*MANAGER).identity.number == "9001"  # only that operator
        assert any(e.event == "operator_tampered" for e in services.audit.entries())
    finally:
        services.close()
    assert _changed(demo_db) == ["1001"]


def test_s05_a_session_ends_when_its_operators_row_is_changed(
    demo_db: Path, clock: FixedClock
) -> None:
    services = _open(demo_db, clock)
    try:
        session = services.auth.login(*CASHIER)
        assert services.auth.validate(session.access).role == "cashier"
        _sql(demo_db, "UPDATE operator SET role = 'manager' WHERE number = '1001'")
        with pytest.raises(TokenError):
            services.auth.validate(session.access)  # never a manager's scopes
        with pytest.raises(TokenError):
            services.auth.refresh(session)
    finally:
        services.close()


def test_10_3_db_check_and_audit_verify_name_the_changed_operator(demo_db: Path) -> None:
    assert _pos("db", "check", "--db", str(demo_db))[0] == 0
    assert _pos("audit", "verify", "--db", str(demo_db))[0] == 0
    _sql(demo_db, "UPDATE operator SET role = 'manager' WHERE number = '1001'")
    for command in (("db", "check"), ("audit", "verify")):
        code, out = _pos(*command, "--db", str(demo_db))
        assert code == 1, out
        assert CHANGED in out
        assert (
            "9001" not in out.split("changed outside the till (listed above)")[0].split(CHANGED)[-1]
        )
        assert "1 operator changed outside the till" in out
    code, out = _pos("operators", "list", "--db", str(demo_db))
    assert code == 0, out
    listed = {line.split()[0]: line for line in out.splitlines()}
    assert "CHANGED OUTSIDE THE TILL" in listed["1001"]
    assert "CHANGED" not in listed["9001"]


def test_10_3_a_manager_setting_the_pin_again_seals_the_row(
    demo_db: Path, clock: FixedClock
) -> None:
    _sql(demo_db, "UPDATE operator SET failed_attempts = 0 WHERE number = '1001'")
    assert _changed(demo_db) == []  # the same value written again: nothing changed
    _sql(demo_db, "UPDATE operator SET failed_attempts = 3 WHERE number = '1001'")
    assert _changed(demo_db) == ["1001"]
    code, out = _pos("operators", "set-pin", "--db", str(demo_db), "--number", "1001",
                     stdin="5173\n")  # fmt: skip
    assert code == 0, out
    assert _changed(demo_db) == []
    services = _open(demo_db, clock)
    try:
        assert services.auth.login("1001", "5173").identity.role == "cashier"
    finally:
        services.close()


def test_10_3_every_write_of_the_till_keeps_the_rows_sealed(
    demo_db: Path, clock: FixedClock
) -> None:
    services = _open(demo_db, clock)
    try:
        for _ in range(MAX_ATTEMPTS):  # counted attempts, then the lockout
            with pytest.raises(LoginFailed):
                services.auth.login(CASHIER[0], "8264")
        assert _changed(demo_db) == []
        admin = shell_admin(services, "9001")  # pos operators ... at a shell
        admin.unlock("1001")
        services.auth.login(*CASHIER)  # a success clears the count
        admin.add("42", "Alex", "cashier", "8264")
        admin.set_pin("42", "5173")
        admin.deactivate("42")
        admin.reactivate("42")
        assert services.auth.login("42", "5173").identity.number == "42"
    finally:
        services.close()
    assert _changed(demo_db) == []


@pytest.mark.sqlite_only
def test_10_3_an_upgrade_seals_the_rows_already_there(demo_db: Path, clock: FixedClock) -> None:
    """A database from before seals (version 10): the upgrade seals its operators with the
    key file beside it, in the same transaction, and they log in as before."""
    con = sqlite3.connect(demo_db)
    undo_store_schema(con)
    con.execute("ALTER TABLE operator DROP COLUMN row_mac")
    con.execute("PRAGMA user_version = 10")
    con.commit()
    con.close()
    assert _changed(demo_db) == []  # opening upgraded it, and sealed both rows
    services = _open(demo_db, clock)
    try:
        assert services.auth.login(*CASHIER).identity.number == "1001"
        assert services.auth.login(*MANAGER).identity.number == "9001"
    finally:
        services.close()


def test_10_3_a_new_key_file_after_a_lost_one_seals_the_rows_again(demo_db: Path) -> None:
    """No seal made with the lost key can be checked: ``pos keys rotate`` seals the rows
    as they are, says so, and records it in the key rotation's audit entry."""
    key_file_for(demo_db).unlink()
    code, out = _pos("keys", "rotate", "--db", str(demo_db))
    assert code == 0, out
    assert "sealed again with the new key" in out
    assert _changed(demo_db) == []
    database = open_database(demo_db)
    try:
        details = database.execute_sql(
            "SELECT details FROM audit_log WHERE event = 'key_rotation'"
        ).fetchall()
    finally:
        database.close()
    assert '"operators_resealed":2' in details[-1][0]

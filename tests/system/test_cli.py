"""The ``pos`` command line, run in-process with click's runner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.migrations import SCHEMA_VERSION
from pos.paths import DEMO_CATALOG


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_help_shows_the_default_database(runner: CliRunner) -> None:
    code, out = run(runner, "--help")
    assert code == 0
    assert "pos.sqlite" in out
    assert "Default database" in out


def test_init_creates_and_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    code, out = run(runner, "init", "--db", str(db), "--demo")
    assert code == 0
    assert "imported 56 products: 56 new, 0 updated" in out
    code, out = run(runner, "init", "--db", str(db))
    assert code == 1
    assert "already exists and is not empty; use --force" in out
    code, out = run(runner, "init", "--db", str(db), "--force")
    assert code == 0
    assert sqlite3.connect(db).execute("SELECT count(*) FROM product").fetchone() == (0,)


def test_import_of_one_product_says_product(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    one = tmp_path / "one.csv"
    one.write_text("barcode,name,price\n4006381333931,Highlighter pen yellow,1.20\n")
    code, out = run(runner, "products", "import", "--db", str(db), str(one))
    assert code == 0
    assert out.strip() == "imported 1 product: 1 new, 0 updated"


def test_init_refuses_a_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "init", "--db", str(tmp_path / "no" / "such" / "x.sqlite"))
    assert code == 1
    assert "does not exist" in out


def test_db_option_from_environment(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite"
    result = runner.invoke(cli, ["init"], env={"POS_DB": str(db)})
    assert result.exit_code == 0
    assert db.exists()


def test_import_export_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    code, out = run(runner, "products", "import", "--db", str(db), str(DEMO_CATALOG))
    assert code == 0
    assert out.strip() == "imported 56 products: 56 new, 0 updated"
    code, out = run(runner, "products", "import", "--db", str(db), str(DEMO_CATALOG))
    assert out.strip() == "imported 56 products: 0 new, 56 updated"
    exported = tmp_path / "out.csv"
    code, _ = run(runner, "products", "export", "--db", str(db), str(exported))
    assert code == 0
    assert exported.read_text(encoding="utf-8") == DEMO_CATALOG.read_text(encoding="utf-8")
    code, out = run(runner, "products", "export", "--db", str(db))
    assert out == DEMO_CATALOG.read_text(encoding="utf-8")


@pytest.mark.parametrize("terminal", [True, False])
def test_a_large_import_shows_a_progress_bar_on_a_terminal(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    """A file over ``LARGE_FILE`` bytes shows "Importing" and a bar on stderr when stderr
    is a terminal; piped, only the summary (nothing for a log to fill up with)."""
    import click.testing

    import pos.cli.products

    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    monkeypatch.setattr(pos.cli.products, "LARGE_FILE", DEMO_CATALOG.stat().st_size - 1)
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda _self: terminal)
    result = runner.invoke(
        cli, ["products", "import", "--db", str(db), str(DEMO_CATALOG)], catch_exceptions=False
    )
    assert result.exit_code == 0
    assert result.stdout.strip() == "imported 56 products: 56 new, 0 updated"
    assert ("Importing" in result.stderr) is terminal
    if terminal:
        assert "100%" in result.stderr


def test_bad_import_lists_rows_and_imports_nothing(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "barcode,name,price\n4006381333931,Pen,1.20\n4006381333932,Bad,1.00\n"
        "96385074,Gum,-1\n4006381333931,Again,1\n"
    )
    code, out = run(runner, "products", "import", "--db", str(db), str(bad))
    assert code == 1
    assert "bad.csv: line 3: barcode: 4006381333932 has a bad check digit" in out
    assert "bad.csv: line 4: price '-1' is negative" in out
    assert "bad.csv: line 5: barcode 4006381333931 is already on line 2" in out
    assert "3 bad rows in bad.csv: nothing was imported" in out
    assert sqlite3.connect(db).execute("SELECT count(*) FROM product").fetchone() == (0,)


def test_dry_run(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    code, out = run(runner, "products", "import", "--dry-run", "--db", str(db), str(DEMO_CATALOG))
    assert code == 0
    assert out.strip() == "would import 56 products: 56 new, 0 updated"
    assert sqlite3.connect(db).execute("SELECT count(*) FROM product").fetchone() == (0,)


def test_commands_never_create_a_missing_database(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "missing.sqlite"
    for args in (
        ["db", "check", "--db", str(db)],
        ["products", "export", "--db", str(db)],
        ["settings", "show", "--db", str(db)],
    ):
        code, out = run(runner, *args)
        assert code == 1, args
        assert "No database at" in out, args
    assert not db.exists()


def test_db_check(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db), "--demo")
    code, out = run(runner, "db", "check", "--db", str(db))
    assert code == 0
    assert f"schema version: {SCHEMA_VERSION}" in out
    assert "integrity: ok" in out
    assert "product" in out
    assert "56" in out


def test_db_check_on_a_damaged_file(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "junk.sqlite"
    db.write_bytes(b"garbage" * 1000)
    code, out = run(runner, "db", "check", "--db", str(db))
    assert code == 1
    assert "not a POS database, or it is damaged" in out
    assert "Traceback" not in out


def test_settings(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    code, out = run(runner, "settings", "set", "--db", str(db), "store_name", "Corner Shop")
    assert code == 0
    assert out.strip() == "store_name = Corner Shop"
    code, out = run(runner, "settings", "set", "--db", str(db), "colour", "red")
    assert code == 1
    assert "unknown setting 'colour'" in out
    code, out = run(runner, "settings", "set", "--db", str(db), "barcode_patterns", "[{}]")
    assert code == 1
    assert "barcode pattern 1" in out
    code, out = run(
        runner,
        "settings",
        "set",
        "--db",
        str(db),
        "barcode_patterns",
        '[{"name": "Weight 3dp", "pattern": "21IIIIIVVVVVC", "measure": "weight", "decimals": 3}]',
    )
    assert code == 0
    code, out = run(runner, "settings", "set", "--db", str(db), "currency_symbol", "€")
    assert code == 0
    assert out.strip() == "currency_symbol = €"
    code, out = run(runner, "settings", "set", "--db", str(db), "currency_symbol", "12")
    assert code == 1
    assert "currency_symbol is 1 to 3" in out
    code, out = run(runner, "settings", "show", "--db", str(db))
    assert "store_name = Corner Shop" in out
    assert "21IIIIIVVVVVC" in out
    assert "currency_symbol = €" in out


def test_first_run_creates_the_default_database_with_demo_data(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pos.factory
    from pos.config import default_db_path

    started: list[Path] = []

    class FakeApp:
        def run(self) -> None:
            started.append(path)

    def fake_make_app(db: Path, **_: object) -> FakeApp:
        assert db == path
        return FakeApp()

    path = default_db_path()
    assert not path.exists()  # the fixture points the data folder at tmp_path
    monkeypatch.setattr(pos.factory, "make_app", fake_make_app)
    code, _ = run(runner)
    assert code == 0
    assert started == [path]
    assert sqlite3.connect(path).execute("SELECT count(*) FROM product").fetchone() == (56,)


def test_the_till_refuses_a_missing_explicit_database(runner: CliRunner, tmp_path: Path) -> None:
    code, out = run(runner, "--db", str(tmp_path / "typo.sqlite"))
    assert code == 1
    assert "No database at" in out
    assert not (tmp_path / "typo.sqlite").exists()


# ---------------------------------------------------------------- operators, keys, audit


def _os_actor() -> str:
    import os
    import pwd

    return f"os:{pwd.getpwuid(os.getuid()).pw_name}"


def _log(db: Path) -> list[tuple[int, str | None, str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT seq, operator, event, details FROM audit_log ORDER BY seq"
        ).fetchall()
    finally:
        con.close()


def _services(db: Path):  # type: ignore[no-untyped-def]
    from pos.domain.clock import SystemClock, UuidIds
    from pos.services.container import build_services

    return build_services(db, clock=SystemClock(), ids=UuidIds())


@pytest.fixture
def till_db(runner: CliRunner, tmp_path: Path) -> Path:
    """A database made by ``pos init`` (no demo), with operator 42 added on the CLI."""
    db = tmp_path / "till.sqlite"
    assert run(runner, "init", "--db", str(db))[0] == 0
    result = runner.invoke(
        cli,
        ["operators", "add", "--db", str(db), "--number", "42", "--name", "Alex"]
        + ["--role", "cashier"],
        input="8264\n",
    )
    assert result.exit_code == 0, result.output
    return db


def test_the_demo_operators_log_in_after_init_demo(runner: CliRunner, tmp_path: Path) -> None:
    from tests.conftest import CASHIER, MANAGER

    db = tmp_path / "till.sqlite"
    code, out = run(runner, "init", "--db", str(db), "--demo")
    assert code == 0
    assert "cashier 1001 (PIN 2580), manager 9001 (PIN 7391)" in out
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert "**1001, PIN 2580**" in readme  # the README lists the same operators
    assert "**9001, PIN 7391**" in readme
    services = _services(db)
    try:
        cashier = services.auth.login(*CASHIER).identity
        manager = services.auth.login(*MANAGER).identity
    finally:
        services.close()
    assert (cashier.name, cashier.role) == ("Demo Cashier", "cashier")
    assert (manager.name, manager.role) == ("Demo Manager", "manager")
    assert "operators:edit" in manager.scopes
    code, out = run(runner, "operators", "list", "--db", str(db))
    assert [line.split()[:3] for line in out.splitlines()] == [
        ["1001", "cashier", "active"],
        ["9001", "manager", "active"],
    ]


def test_init_demo_audits_the_demo_operators(runner: CliRunner, tmp_path: Path) -> None:
    """Operator changes are audited, the demo operators too, in a chain that verifies;
    and a database made again with --force starts a chain of its own that verifies."""
    db = tmp_path / "till.sqlite"
    for extra in ((), ("--force",)):
        assert run(runner, "init", "--db", str(db), "--demo", *extra)[0] == 0
        code, out = run(runner, "audit", "--db", str(db))
        assert code == 0
        added = [line for line in out.splitlines() if "operator_added" in line]
        assert len(added) == 2, out
        assert '"number":"1001","role":"cashier"' in added[0]
        assert '"number":"9001","role":"manager"' in added[1]
        code, out = run(runner, "audit", "verify", "--db", str(db))
        assert code == 0, out
        assert "intact: 2 entries" in out


def test_operators_list_shows_no_pin(runner: CliRunner, till_db: Path) -> None:
    code, out = run(runner, "operators", "list", "--db", str(till_db))
    assert code == 0
    assert out.split() == ["42", "cashier", "active", "Alex"]
    assert "8264" not in out
    assert "argon2" not in out


def test_operators_set_pin_reads_stdin_and_ends_the_old_pin(
    runner: CliRunner, till_db: Path
) -> None:
    from pos.auth.service import LoginFailed

    result = runner.invoke(
        cli, ["operators", "set-pin", "--db", str(till_db), "--number", "42"], input="3691\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "new PIN set for 42"
    assert "3691" not in result.output
    services = _services(till_db)
    try:
        with pytest.raises(LoginFailed):
            services.auth.login("42", "8264")
        assert services.auth.login("42", "3691").identity.number == "42"
    finally:
        services.close()
    bad = runner.invoke(
        cli, ["operators", "set-pin", "--db", str(till_db), "--number", "42"], input="1234\n"
    )
    assert bad.exit_code == 1  # a run of digits: refused, the PIN is unchanged
    missing = runner.invoke(
        cli, ["operators", "set-pin", "--db", str(till_db), "--number", "77"], input="3691\n"
    )
    assert missing.exit_code == 1
    assert "no operator 77" in missing.output


def test_operators_deactivate(runner: CliRunner, till_db: Path) -> None:
    from pos.auth.service import LoginFailed

    code, out = run(runner, "operators", "deactivate", "--db", str(till_db), "--number", "42")
    assert (code, out.strip()) == (0, "deactivated 42")
    code, out = run(runner, "operators", "list", "--db", str(till_db))
    assert out.split()[:3] == ["42", "cashier", "inactive"]
    services = _services(till_db)
    try:
        with pytest.raises(LoginFailed):
            services.auth.login("42", "8264")
    finally:
        services.close()
    code, out = run(runner, "operators", "deactivate", "--db", str(till_db), "--number", "77")
    assert code == 1
    assert "no operator 77" in out


def test_operators_unlock(runner: CliRunner, till_db: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from pos.auth.keys import key_file_for, load_seal_key
    from pos.auth.service import LoginFailed
    from pos.db.auth_repositories import OperatorRepository
    from pos.db.database import open_database

    database = open_database(till_db)
    repo = OperatorRepository(database, load_seal_key(key_file_for(till_db)))
    repo.record_failure("42", datetime.now(UTC) + timedelta(minutes=30))
    database.close()
    code, out = run(runner, "operators", "list", "--db", str(till_db))
    assert "locked until" in out
    services = _services(till_db)
    try:
        with pytest.raises(LoginFailed, match="locked until"):
            services.auth.login("42", "8264")
    finally:
        services.close()
    code, out = run(runner, "operators", "unlock", "--db", str(till_db), "--number", "42")
    assert (code, out.strip()) == (0, "unlocked 42")
    code, out = run(runner, "operators", "list", "--db", str(till_db))
    assert "locked" not in out
    services = _services(till_db)
    try:
        assert services.auth.login("42", "8264").identity.number == "42"
    finally:
        services.close()


def test_keys_rotate_keeps_the_old_key_for_its_tokens(runner: CliRunner, till_db: Path) -> None:
    from datetime import UTC, datetime

    from pos.auth.keys import key_file_for, load_keyring

    keys = key_file_for(till_db)
    before = load_keyring(keys, datetime.now(UTC))
    code, out = run(runner, "keys", "rotate", "--db", str(till_db))
    assert code == 0
    kid = out.strip().removeprefix("new signing key ")
    after = load_keyring(keys, datetime.now(UTC))
    assert after.current == kid != before.current
    assert before.current in after.keys  # still verifies the tokens it signed
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    seq, operator, event, details = _log(till_db)[-1]
    assert (operator, event) == (_os_actor(), "key_rotation")
    assert kid in details


def test_every_cli_change_is_attributed_to_the_os_user(runner: CliRunner, till_db: Path) -> None:
    for args in (
        ["operators", "unlock", "--number", "42"],
        ["operators", "deactivate", "--number", "42"],
        ["keys", "rotate"],
    ):
        assert run(runner, *args[:2], "--db", str(till_db), *args[2:])[0] == 0, args
    assert (
        runner.invoke(
            cli, ["operators", "set-pin", "--db", str(till_db), "--number", "42"], input="3691\n"
        ).exit_code
        == 0
    )
    log = _log(till_db)
    assert [event for _, _, event, _ in log] == [
        "operator_added",
        "operator_unlocked",
        "operator_deactivated",
        "key_rotation",
        "operator_pin_changed",
    ]
    assert {operator for _, operator, _, _ in log} == {_os_actor()}
    code, out = run(runner, "audit", "--db", str(till_db))
    assert code == 0
    assert all(_os_actor() in line for line in out.splitlines())
    assert "(command line)" in out


def test_cli_actor_without_an_account(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import pwd

    from pos.cli.common import cli_actor

    def no_account(uid: int) -> object:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_account)
    monkeypatch.setenv("USER", "someone-else")  # the environment is not believed
    assert cli_actor() == f"os:uid{os.getuid()}"


def _audit_at(db: Path, moments: list[str]) -> None:
    """Audit entries written at the given UTC moments (as a till would)."""
    from datetime import datetime

    from pos.auth.keys import key_file_for, load_audit_key
    from pos.db.auth_repositories import AuditRepository
    from pos.db.database import open_database
    from pos.domain.clock import FixedClock

    database = open_database(db)
    try:
        key = load_audit_key(key_file_for(db))
        for i, moment in enumerate(moments):
            clock = FixedClock(datetime.fromisoformat(moment))
            AuditRepository(database, clock, "Till 1", key).append("login", "1001", {"n": i})
    finally:
        database.close()


def test_audit_prints_the_log_and_since_filters_it(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "till.sqlite"
    run(runner, "init", "--db", str(db))
    _audit_at(
        db, ["2026-03-14T09:00:00+00:00", "2026-03-14T12:30:00+00:00", "2026-03-15T08:00:00+00:00"]
    )
    code, out = run(runner, "audit", "--db", str(db))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 3
    assert lines[0].split()[:3] == ["1", "2026-03-14T09:00:00+00:00", "Till"]
    assert '{"n":0}' in lines[0]
    code, out = run(runner, "audit", "--db", str(db), "--since", "2026-03-14T12:00")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["2", "3"]
    code, out = run(runner, "audit", "--db", str(db), "--since", "2026-03-15")
    assert [line.split()[0] for line in out.splitlines()] == ["3"]
    code, out = run(runner, "audit", "--db", str(db), "--since", "2027-01-01")
    assert (code, out) == (0, "")


def test_audit_verify_ok_then_names_the_edited_entry(runner: CliRunner, till_db: Path) -> None:
    run(runner, "keys", "rotate", "--db", str(till_db))
    run(runner, "operators", "unlock", "--db", str(till_db), "--number", "42")
    code, out = run(runner, "audit", "verify", "--db", str(till_db))
    assert code == 0
    assert out.startswith("audit log intact: 3 entries; newest entry 3, hash ")
    con = sqlite3.connect(till_db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit_log SET operator = 'someone' WHERE seq = 2")
    # someone who drops the guard can edit an entry, but the chain shows which
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET operator = 'someone' WHERE seq = 2")
    con.commit()
    con.close()
    code, out = run(runner, "audit", "verify", "--db", str(till_db))
    assert code == 1
    assert "the audit log is broken at entry 2" in out


def test_audit_verify_names_a_removed_entry(runner: CliRunner, till_db: Path) -> None:
    run(runner, "keys", "rotate", "--db", str(till_db))
    run(runner, "operators", "unlock", "--db", str(till_db), "--number", "42")
    con = sqlite3.connect(till_db)
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute("DELETE FROM audit_log WHERE seq = 2")
    con.commit()
    con.close()
    code, out = run(runner, "audit", "verify", "--db", str(till_db))
    assert code == 1
    assert "the audit log is broken at entry 2" in out

"""The ``pos`` commands on either database: a SQLite file or a PostgreSQL URL (issue 9).
The same command lines, the same outputs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.auth.keys import key_file_for
from pos.cli import cli
from pos.db.migrations import SCHEMA_VERSION
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def test_init_import_export_check_and_settings(new_db: Callable[[str], Path]) -> None:
    db = str(new_db("till"))
    code, out = run("init", "--db", db)
    assert code == 0, out
    assert "No operators yet" in out
    assert key_file_for(db if db.startswith("postgresql:") else Path(db)).exists()
    code, out = run("init", "--db", db)
    assert code == 1
    assert "--force" in out
    code, out = run("products", "import", "--db", db, str(DEMO_CATALOG))
    assert out.strip() == "imported 56 products: 56 new, 0 updated"
    code, out = run("products", "export", "--db", db)
    assert out == DEMO_CATALOG.read_text(encoding="utf-8")
    code, out = run("discounts", "import", "--db", db, str(DEMO_DISCOUNTS))
    assert code == 0, out
    code, out = run("db", "check", "--db", db)
    assert code == 0, out
    assert f"schema version: {SCHEMA_VERSION} (current)" in out
    assert "integrity: ok" in out
    counts = dict(line.split() for line in out.splitlines()[3:] if len(line.split()) == 2)
    assert counts["product"] == "56"
    assert counts["discount_rule"] == "10"
    code, out = run("settings", "set", "--db", db, "store_name", "Corner Shop")
    assert code == 0, out
    code, out = run("settings", "show", "--db", db)
    assert "Corner Shop" in out


def test_operators_audit_and_report(new_db: Callable[[str], Path]) -> None:
    db = str(new_db("till"))
    run("init", "--db", db, "--demo")
    code, out = run(
        "operators",
        "add",
        "--db",
        db,
        "--number",
        "42",
        "--name",
        "Sam",
        "--role",
        "cashier",
        stdin="4827\n4827\n",
    )
    assert code == 0, out
    code, out = run("operators", "list", "--db", db)
    assert "Sam" in out
    assert "4827" not in out
    code, out = run("audit", "verify", "--db", db)
    assert code == 0, out
    assert out.startswith("audit log intact: ")
    code, out = run("report", "--db", db, "--json")
    assert code == 0, out
    assert json.loads(out)["sales"] == 0


def test_a_bad_url_or_an_unreachable_server_is_a_message() -> None:
    code, out = run("db", "check", "--db", "mysql://someone@localhost/shop")
    assert code == 2
    assert "only postgresql:// URLs are supported" in out
    code, out = run("db", "check", "--db", "postgresql://pos:secret@127.0.0.1:1/shop")
    assert code == 1
    assert "cannot connect to the server" in out
    assert "secret" not in out  # the password never shows
    assert "Traceback" not in out

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


def test_products_search_prints_a_table_or_json(new_db: Callable[[str], Path]) -> None:
    """On a till's file FTS5, on a store's server its full-text index: the same lines."""
    db = str(new_db("till"))
    assert run("init", "--db", db, "--demo")[0] == 0
    code, out = run("products", "search", "--db", db, "SEM sk")
    assert code == 0, out
    assert out.split() == ["5010000123451", "Semi-skimmed", "milk", "2", "pints", "1.45"]
    code, out = run("products", "search", "--db", db, "4011")
    assert out.split() == ["2100001000004", "4011", "Bananas", "loose", "0.85/kg"]
    code, out = run("products", "search", "--db", db, "--json", "--limit", "2", "milk")
    assert code == 0, out
    assert json.loads(out) == [
        {
            "barcode": "5010740143658",
            "name": "Milk chocolate bar 100g",
            "price": "1.25",
            "plu": None,
        },
        {
            "barcode": "5010000123451",
            "name": "Semi-skimmed milk 2 pints",
            "price": "1.45",
            "plu": None,
        },
    ]
    code, out = run("products", "search", "--db", db, "--json", "bananas lo")
    assert json.loads(out) == [
        {"barcode": "2100001000004", "name": "Bananas loose", "price": "0.85", "plu": "4011"}
    ]
    code, out = run("products", "search", "--db", db, "zebra")
    assert (code, out) == (0, "no product matches 'zebra'\n")
    assert run("products", "search", "--db", db, "--json", "zebra") == (0, "[]\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["  "], "type a few letters of the product's name, its PLU or its barcode"),
        (["x" * 500], "the search is 500 characters long; type at most 120"),
        (["milk\x07"], "the search holds a control character"),
        (["--limit", "0", "milk"], "the limit must be from 1 to 200, not 0"),
        (["--limit", "x", "milk"], "'x' is not a valid integer"),
    ],
)
def test_products_search_refuses_bad_input(
    new_db: Callable[[str], Path], args: list[str], message: str
) -> None:
    db = str(new_db("till"))
    assert run("init", "--db", db)[0] == 0
    code, out = run("products", "search", "--db", db, *args)
    assert code == 2
    assert message in out

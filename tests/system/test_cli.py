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
    assert "3 bad row(s) in bad.csv: nothing was imported" in out
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

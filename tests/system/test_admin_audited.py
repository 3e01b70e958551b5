"""Issue 17 item 6d: every administrative change is an audit entry (SECURITY.md
10.2.1.2: "all actions taken by any individual with administrative access"; 10.2.2)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import ean

from pos.cli import cli


def pos(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def entries(db: Path, event: str) -> list[tuple[str, dict[str, object]]]:
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT operator, details FROM audit_log WHERE event = ? ORDER BY seq", (event,)
    ).fetchall()
    con.close()
    return [(who, json.loads(details)) for who, details in rows]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "till.sqlite"
    assert pos("init", "--db", str(path))[0] == 0
    return path


def test_10_2_1_2_settings_set_is_audited_with_old_and_new(db: Path) -> None:
    assert pos("settings", "set", "--db", str(db), "store_name", "Corner Shop")[0] == 0
    assert pos("settings", "set", "--db", str(db), "store_name", "Other Shop")[0] == 0
    found = entries(db, "setting_changed")
    assert [d for _, d in found] == [
        {"key": "store_name", "old": found[0][1]["old"], "new": "Corner Shop"},
        {"key": "store_name", "old": "Corner Shop", "new": "Other Shop"},
    ]
    assert all(str(who).startswith("os:") for who, _ in found)
    assert pos("audit", "verify", "--db", str(db))[0] == 0


def test_10_2_1_2_a_refused_setting_is_not_audited(db: Path) -> None:
    assert pos("settings", "set", "--db", str(db), "idle_lock_minutes", "99")[0] == 1
    assert entries(db, "setting_changed") == []


def test_10_2_1_2_products_import_audits_counts_and_each_price_change(
    db: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    first.write_text("barcode,name,price\n4006381333931,Highlighter,3.95\n5012345678900,Tea,2.00\n")
    assert pos("products", "import", "--db", str(db), str(first))[0] == 0
    second = tmp_path / "second.csv"
    second.write_text(
        "barcode,name,price\n4006381333931,Highlighter,0.01\n5012345678900,Tea,2.00\n"
        "4000417025005,New,1.00\n"
    )
    assert pos("products", "import", "--db", str(db), "--dry-run", str(second))[0] == 0
    assert pos("products", "import", "--db", str(db), str(second))[0] == 0
    imports = [d for _, d in entries(db, "products_imported")]
    assert imports == [
        {"file": "first.csv", "rows": 2, "price_changes": 0},
        {"file": "second.csv", "rows": 3, "price_changes": 1},  # the dry run wrote nothing
    ]
    changes = [d for _, d in entries(db, "price_changed")]
    assert changes == [{"changes": [["4006381333931", 395, 1]]}]
    code, out = pos("audit", "--db", str(db))
    assert "4006381333931" in out
    assert pos("audit", "verify", "--db", str(db))[0] == 0


def test_10_2_1_2_many_price_changes_are_all_listed(db: Path, tmp_path: Path) -> None:
    bodies = [f"400000{n:06d}" for n in range(250)]
    codes = [body + ean.calc_check_digit(body) for body in bodies]
    for cents in (100, 105):
        csv = tmp_path / f"p{cents}.csv"
        csv.write_text(
            "barcode,name,price\n"
            + "".join(f"{c},Item {i},{cents / 100:.2f}\n" for i, c in enumerate(codes))
        )
        assert pos("products", "import", "--db", str(db), str(csv))[0] == 0
    listed = [tuple(c) for _, d in entries(db, "price_changed") for c in d["changes"]]  # type: ignore[union-attr]
    assert listed == [(c, 100, 105) for c in sorted(codes)]


def test_10_3_entries_written_inside_a_change_are_anchored_once_it_commits(
    db: Path, tmp_path: Path
) -> None:
    """The setting's and the import's entries commit with the change; the anchor then
    names the newest of them (it was left behind before: found on PostgreSQL)."""
    from pos.auth.anchor import anchor_file_for, read_anchor
    from pos.auth.keys import key_file_for, load_audit_key

    keys = key_file_for(db)
    anchor_file_for(keys).unlink(missing_ok=True)
    assert pos("settings", "set", "--db", str(db), "store_name", "Corner Shop")[0] == 0
    newest = lambda: sqlite3.connect(db).execute("SELECT max(seq) FROM audit_log").fetchone()[0]  # noqa: E731
    found = read_anchor(anchor_file_for(keys), load_audit_key(keys))
    assert found is not None
    assert found.seq == newest()
    csv = tmp_path / "one.csv"
    csv.write_text("barcode,name,price\n4006381333931,Highlighter,3.95\n")
    assert pos("products", "import", "--db", str(db), str(csv))[0] == 0
    found = read_anchor(anchor_file_for(keys), load_audit_key(keys))
    assert found is not None
    assert found.seq == newest()

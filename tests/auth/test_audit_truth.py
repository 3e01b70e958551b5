"""Issue 17 item 6: the audit log tells the whole truth (SECURITY.md 10.3.x, 10.2.1).

Removing the newest entries (or all) is caught by the anchor beside the key file;
``pos audit verify`` lists every problem, not only the first; after a lost key file a
signed restart lets the rest be checked; every Z report shows the chain's head.
"""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.auth.anchor import anchor_file_for, read_anchor
from pos.auth.audit import check_chain
from pos.auth.keys import key_file_for, load_audit_key
from pos.cli import cli
from pos.domain.clock import FixedClock
from pos.services.container import Services
from tests.conftest import MANAGER


def pos(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture
def till_db(tmp_path: Path) -> Path:
    """``pos init`` and a few audited commands: entries 1 to 4."""
    db = tmp_path / "till.sqlite"
    assert pos("init", "--db", str(db))[0] == 0
    assert pos("operators", "add", "--db", str(db), "--number", "42", "--name", "Alex",
               "--role", "cashier", stdin="8264\n")[0] == 0  # fmt: skip
    for _ in range(3):
        assert pos("operators", "unlock", "--db", str(db), "--number", "42")[0] == 0
    return db


def _sql(db: Path, *statements: str) -> None:
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    con.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def test_10_3_the_anchor_follows_every_committed_entry(till_db: Path) -> None:
    keys = key_file_for(till_db)
    anchor = anchor_file_for(keys)
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
    found = read_anchor(anchor, load_audit_key(keys))
    con = sqlite3.connect(till_db)
    newest = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    con.close()
    assert found is not None
    assert (found.seq, found.hash) == tuple(newest)


def test_10_3_removing_the_newest_entries_is_caught(till_db: Path) -> None:
    _sql(till_db, "DELETE FROM audit_log WHERE seq >= 3")
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1, out
    assert "entries 3 to 4 are missing at the end of the log" in out
    assert "the audit log is broken at entry 3" in out


def test_10_3_emptying_the_log_is_caught(till_db: Path) -> None:
    _sql(till_db, "DELETE FROM audit_log")
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1, out
    assert "entries 1 to 4 are missing" in out
    assert "no entry at all" in out


def test_10_3_a_cut_log_regrown_with_other_entries_is_caught(till_db: Path) -> None:
    """Cut to 2, then two new entries with the real key (the till keeps working): the
    log is a good chain of 4 again, but entry 4 is not the one the anchor named."""
    keys = key_file_for(till_db)
    old = read_anchor(anchor_file_for(keys), load_audit_key(keys))
    assert old is not None
    anchor_file_for(keys).rename(keys.with_name("saved-anchor"))
    _sql(till_db, "DELETE FROM audit_log WHERE seq >= 3")
    for _ in range(2):  # entries of their own (a new key id each)
        assert pos("keys", "rotate", "--db", str(till_db))[0] == 0
    keys.with_name("saved-anchor").replace(anchor_file_for(keys))  # the anchor of before
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1, out
    assert "entry 4 is not the one the audit anchor names" in out


def test_10_3_a_missing_anchor_is_said_not_failed(till_db: Path) -> None:
    anchor_file_for(key_file_for(till_db)).unlink()
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 0, out
    assert "no audit anchor" in out
    assert "copied database" in out
    assert "audit log intact: 4 entries" in out
    # the next entry writes a new one
    pos("operators", "unlock", "--db", str(till_db), "--number", "42")
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert (code, "no audit anchor" in out) == (0, False)


def test_10_3_an_edited_anchor_is_refused(till_db: Path) -> None:
    anchor = anchor_file_for(key_file_for(till_db))
    data = json.loads(anchor.read_text())
    anchor.write_text(json.dumps({**data, "seq": 2}))
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1
    assert "was not written with this key file's audit key" in out


def test_10_3_verify_lists_every_broken_entry(till_db: Path) -> None:
    _sql(
        till_db,
        "UPDATE audit_log SET operator = 'x' WHERE seq = 2",
        "UPDATE audit_log SET details = '{}' WHERE seq = 4",
    )
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1
    assert "entry 2 was changed" in out
    assert "entry 4 was changed" in out
    assert "entry 3" not in out  # an edit breaks its own entry, not all after it
    assert "2 problems" in out


def test_10_3_a_removed_middle_entry_and_an_edit_after_it_are_both_named(till_db: Path) -> None:
    _sql(
        till_db,
        "DELETE FROM audit_log WHERE seq = 2",
        "UPDATE audit_log SET event = 'nothing' WHERE seq = 4",
    )
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1
    assert "entry 2 is missing" in out
    assert "entry 4 was changed" in out


def test_10_3_after_a_lost_key_the_restart_is_said_once_and_the_rest_checked(
    till_db: Path,
) -> None:
    key_file_for(till_db).unlink()
    assert pos("keys", "rotate", "--db", str(till_db))[0] == 0
    pos("operators", "unlock", "--db", str(till_db), "--number", "42")
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 0, out
    assert out.count("entries 1 to 4 were made with an audit key that was lost") == 1
    assert "the chain restarted at entry 5" in out
    assert "audit log intact: 7 entries" in out
    # an edit after the restart is still found
    _sql(till_db, "UPDATE audit_log SET operator = 'x' WHERE seq = 7")
    code, out = pos("audit", "verify", "--db", str(till_db))
    assert code == 1
    assert "entry 7 was changed" in out


def test_10_3_a_forged_restart_does_not_hide_anything(till_db: Path) -> None:
    """A restart entry made without the key does not verify: it is no new segment."""
    _sql(
        till_db,
        "UPDATE audit_log SET details = '{}' WHERE seq = 2",
        "UPDATE audit_log SET event = 'chain_restarted' WHERE seq = 3",
    )
    entries_report = pos("audit", "verify", "--db", str(till_db))
    assert entries_report[0] == 1
    assert "entry 2 was changed" in entries_report[1]
    assert "entry 3 was changed" in entries_report[1]


@pytest.fixture
def services(services: Services) -> Services:
    """The demo database's services with the demo manager logged in."""
    services.sessions.login(*MANAGER)
    return services


def test_10_3_a_sale_is_anchored_between_customers_not_in_its_commit(
    services: Services, demo_db: Path
) -> None:
    keys = key_file_for(demo_db)
    key = load_audit_key(keys)
    services.checkout.submit("4006381333931")
    tender = services.sales.start()
    tender.cash(tender.due)
    services.sales.complete(tender)
    head = services.audit.head()
    assert head is not None
    anchored = read_anchor(anchor_file_for(keys), key)
    assert anchored is not None
    assert anchored.seq == head[0] - 1  # the sale's entry is not yet anchored
    services.sales.between_customers()
    anchored = read_anchor(anchor_file_for(keys), key)
    assert anchored is not None
    assert (anchored.seq, anchored.hash) == head


def test_10_3_the_z_report_shows_the_chain_head(
    services: Services, demo_db: Path, clock: FixedClock
) -> None:
    services.checkout.submit("4006381333931")  # the day opens with its sale
    tender = services.sales.start()
    tender.cash(tender.due)
    services.sales.complete(tender)
    cash_up = services.days.close_day(0)
    head = services.audit.head()
    assert head is not None
    line = f"Audit log head  entry {head[0]}  hash {head[1][:16]}"
    assert line in cash_up.lines()
    assert check_chain(list(services.audit.entries()), services.audit.key).intact
    services.close()
    code, out = pos("report", "--db", str(demo_db), "--z", "1")
    assert code == 0, out
    assert line in out.splitlines()
    code, out = pos("report", "--db", str(demo_db), "--z", "1", "--json")
    assert json.loads(out)["audit_head"] == {"seq": head[0], "hash": head[1]}

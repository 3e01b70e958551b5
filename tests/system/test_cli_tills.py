"""The subcommands that act as or for a till honour ``pos --till NAME`` and ``$POS_TILL``
as the till itself does, and take their own ``--till`` as they take their own ``--db``:
two tills on one database each get their own report and their own audit entries."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.domain.clock import FixedClock, UuidIds
from pos.services.container import Services, build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER
from tests.sales import sell as ring_up

NO_ENV: dict[str, str | None] = {"POS_TILL": None, "POS_DB": None}


def _sell(services: Services, *codes: str) -> None:
    ring_up(services, *codes)


@pytest.fixture
def two_tills(demo_db: Path, clock: FixedClock) -> Path:
    """Till A sells one pen (1.20) as the cashier; Till B two lemons (0.50 each) as the
    manager; both on the demo database (whose till_name setting is "Till 1")."""
    for till, login, codes in (
        ("Till A", CASHIER, ["4006381333931"]),
        ("Till B", MANAGER, ["5000000000012", "5000000000012"]),
    ):
        services = build_services(
            demo_db, clock=clock, ids=UuidIds(), hasher=FAST_HASHER, till_name=till
        )
        try:
            services.sessions.login(*login)
            _sell(services, *codes)
            if till == "Till B":
                _sell(services, "5000000000012")
        finally:
            services.close()
    return demo_db


def _invoke(
    *args: str, env: dict[str, str | None] | None = None, stdin: str | None = None
) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={**NO_ENV, **(env or {})}, input=stdin)
    return result.exit_code, result.output


def _report(
    db: Path,
    group: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    env: dict[str, str | None] | None = None,
) -> dict[str, object]:
    """``pos --db DB GROUP... report --date 2026-03-14 --json SUB...``, parsed."""
    code, out = _invoke(
        "--db", str(db), *group, "report", "--date", "2026-03-14", "--json", *sub, env=env
    )
    assert code == 0, out
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def test_report_for_each_of_two_tills(two_tills: Path) -> None:
    a = _report(two_tills, group=("--till", "Till A"))  # pos --till "Till A" report
    b = _report(two_tills, sub=("--till", "Till B"))  # pos report --till "Till B"
    assert (a["till"], a["sales"], a["gross"]) == ("Till A", 1, "1.20")
    assert (b["till"], b["sales"], b["gross"]) == ("Till B", 2, "1.50")
    assert [o["operator"] for o in a["operators"]] == ["1001"]  # type: ignore[union-attr,index]
    assert [o["operator"] for o in b["operators"]] == ["9001"]  # type: ignore[union-attr,index]
    from_env = _report(two_tills, env={"POS_TILL": "Till B"})
    assert (from_env["till"], from_env["sales"]) == ("Till B", 2)
    # the subcommand's own --till wins over the group's, and the group's over $POS_TILL
    inner = _report(two_tills, group=("--till", "Till A"), sub=("--till", "Till B"))
    assert inner["till"] == "Till B"
    outer = _report(two_tills, group=("--till", "Till A"), env={"POS_TILL": "Till B"})
    assert outer["till"] == "Till A"
    default = _report(two_tills)  # neither: the till_name setting, which sold nothing
    assert (default["till"], default["sales"]) == ("Till 1", 0)
    code, out = _invoke("--db", str(two_tills), "--till", "Till A", "report", "--date", "x")
    assert code != 0
    assert "not a date" in out


def test_a_bad_till_name_is_refused_by_the_subcommands(two_tills: Path) -> None:
    for args in (
        ["--till", "bad\x1bname", "report"],
        ["report", "--till", "x" * 41],
        ["--till", "", "audit"],
        ["audit", "verify", "--till", "bad\x1bname"],
    ):
        code, out = _invoke("--db", str(two_tills), *args)
        assert code == 2, (args, out)
        assert "--till" in out


def test_audit_for_each_of_two_tills(two_tills: Path) -> None:
    # a change made on the command line for Till B is Till B's (command line) entry
    code, out = _invoke(
        "--db", str(two_tills), "operators", "unlock", "--number", "1001", "--till", "Till B"
    )
    assert code == 0, out
    con = sqlite3.connect(two_tills)
    try:
        rows = con.execute("SELECT till, event FROM audit_log ORDER BY seq").fetchall()
    finally:
        con.close()
    assert ("Till B (command line)", "operator_unlocked") in rows
    tills = {till for till, _ in rows}
    # and pos init's entries (the demo operators) are its own
    assert tills == {"Till 1 (pos init)", "Till A", "Till B", "Till B (command line)"}

    code, everything = _invoke("--db", str(two_tills), "audit")
    assert code == 0, everything
    assert len(everything.splitlines()) == len(rows)  # no till given: the whole log
    code, a = _invoke("--db", str(two_tills), "--till", "Till A", "audit")
    assert code == 0, a
    code, b = _invoke("--db", str(two_tills), "audit", env={"POS_TILL": "Till B"})
    assert code == 0, b
    code, b_own = _invoke("--db", str(two_tills), "audit", "--till", "Till B")
    assert b_own == b
    a_lines, b_lines = a.splitlines(), b.splitlines()
    assert len(a_lines) == sum(t == "Till A" for t, _ in rows)
    assert len(b_lines) == sum(t.startswith("Till B") for t, _ in rows)
    assert all("Till A" in line and "Till B" not in line for line in a_lines)
    assert all("Till B" in line and "Till A" not in line for line in b_lines)
    assert any("operator_unlocked" in line for line in b_lines)
    assert not any("operator_unlocked" in line for line in a_lines)
    assert sum("sale_completed" in line for line in a_lines) == 1
    assert sum("sale_completed" in line for line in b_lines) == 2

    # the chain is the database's: verify checks all of it, and counts the till's part
    code, whole = _invoke("--db", str(two_tills), "audit", "verify")
    assert code == 0, whole
    assert whole.startswith(f"audit log intact: {len(rows)} entries; newest entry {len(rows)}")
    code, out = _invoke("--db", str(two_tills), "--till", "Till A", "audit", "verify")
    assert code == 0, out
    assert out.startswith(whole.rstrip("\n"))
    assert out.rstrip().endswith(f"; {len(a_lines)} of them from Till A")
    code, out = _invoke("--db", str(two_tills), "audit", "--till", "Till B", "verify")
    assert code == 0, out
    assert out.rstrip().endswith(f"; {len(b_lines)} of them from Till B")


def test_demo_data_makes_its_sales_on_the_till_given(tmp_path: Path) -> None:
    db = tmp_path / "demo-tills.sqlite"
    code, out = _invoke(
        "--db", str(db), "demo-data", "--products", "40", "--rules", "0", "--sales", "3",
        env={"POS_TILL": "Till 9"},
    )  # fmt: skip
    assert code == 0, out
    con = sqlite3.connect(db)
    try:
        assert con.execute("SELECT DISTINCT till FROM sale").fetchall() == [("Till 9",)]
    finally:
        con.close()

"""``pos audit --since`` (what it accepts, what it refuses) and the PIN prompt of
``pos operators`` on a terminal (masked, asked twice), run in-process with click's runner."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import click.testing
import pytest
from click.testing import CliRunner

from pos.auth.keys import key_file_for, load_audit_key
from pos.cli import cli
from pos.db.auth_repositories import AuditRepository
from pos.db.database import open_database
from pos.domain.clock import FixedClock

MOMENTS = ["2026-03-14T09:00:00+00:00", "2026-03-14T12:30:00+00:00", "2026-03-15T08:00:00+00:00"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def logged(runner: CliRunner, tmp_path: Path) -> Path:
    """A database made by ``pos init`` with three audit entries at :data:`MOMENTS`."""
    db = tmp_path / "till.sqlite"
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    database = open_database(db)
    try:
        key = load_audit_key(key_file_for(db))
        for i, moment in enumerate(MOMENTS):
            clock = FixedClock(datetime.fromisoformat(moment))
            AuditRepository(database, clock, "Till 1", key).append("login", "1001", {"n": i})
    finally:
        database.close()
    return db


def _seqs(runner: CliRunner, db: Path, since: str) -> list[str]:
    result = runner.invoke(cli, ["audit", "--db", str(db), "--since", since])
    assert result.exit_code == 0, result.output
    return [line.split()[0] for line in result.output.splitlines()]


@pytest.mark.parametrize(
    "since", ["garbage", "2026-02-30", "14/03/2026", "2026-03-14T25:00", "yesterday", ""]
)
def test_a_since_that_is_no_date_is_refused(runner: CliRunner, logged: Path, since: str) -> None:
    result = runner.invoke(cli, ["audit", "--db", str(logged), "--since", since])
    assert result.exit_code == 2
    assert (
        f"Error: Invalid value for --since: {since!r} is not a date or time; give a date "
        "like 2026-03-14 or a date and time like 2026-03-14T09:30 (UTC unless it ends with "
        "an offset like +01:00)\n"
    ) in result.output
    assert "login" not in result.output  # nothing listed


@pytest.mark.parametrize(
    ("since", "seqs"),
    [
        ("2026-03-14", ["1", "2", "3"]),
        ("2026-03-14T12:00", ["2", "3"]),
        ("2026-03-14 12:30", ["2", "3"]),  # at the moment itself: included
        ("2026-03-14T12:30:01", ["3"]),
        ("2026-03-14T12:30:00Z", ["2", "3"]),
        ("2026-03-14T13:30+01:00", ["2", "3"]),  # 12:30 UTC
        ("2026-03-14T13:30:01+01:00", ["3"]),
        ("2026-03-15T08:30+00:30", ["3"]),  # 08:00 UTC
        ("2026-03-15T07:31-00:30", []),  # 08:01 UTC
        ("2027-01-01", []),
    ],
)
def test_since_takes_a_date_or_a_date_time_in_utc_or_with_an_offset(
    runner: CliRunner, logged: Path, since: str, seqs: list[str]
) -> None:
    assert _seqs(runner, logged, since) == seqs


# ------------------------------------------------------------------ the PIN prompt


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input is a terminal: the PIN is asked for (hidden), not read as a line."""
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda _self: True)


def _operators(db: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT number, name FROM operator ORDER BY number").fetchall()
    finally:
        con.close()


ADD = ["operators", "add", "--number", "42", "--name", "Alex", "--role", "cashier"]


def test_on_a_terminal_the_pin_is_asked_twice_and_never_shown(
    runner: CliRunner, tmp_path: Path, terminal: None
) -> None:
    db = tmp_path / "till.sqlite"
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, [*ADD, "--db", str(db)], input="8264\n8264\n")
    assert result.exit_code == 0, result.output
    assert result.output == "PIN: \nAgain: \nadded cashier 42 (Alex)\n"  # hidden: not echoed
    assert _operators(db) == [("42", "Alex")]
    result = runner.invoke(
        cli, ["operators", "set-pin", "--db", str(db), "--number", "42"], input="3691\n3691\n"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "New PIN: \nAgain: \nnew PIN set for 42\n"


def test_on_a_terminal_two_different_pins_change_nothing(
    runner: CliRunner, tmp_path: Path, terminal: None
) -> None:
    db = tmp_path / "till.sqlite"
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, [*ADD, "--db", str(db)], input="8264\n8265\n")
    assert result.exit_code == 1
    assert "the two PINs are different" in result.output
    assert "8264" not in result.output
    assert "8265" not in result.output
    assert _operators(db) == []


def test_without_a_terminal_the_pin_is_the_first_line_of_standard_input(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = tmp_path / "till.sqlite"
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, [*ADD, "--db", str(db)], input="8264\n8265\n")
    assert result.exit_code == 0, result.output
    assert result.output == "added cashier 42 (Alex)\n"  # no prompt, read once

"""``pos report --z N --print``: a copy of a past Z report on the receipt printer (issue 21,
item 5), audited as the command line's; bad numbers, no printer and a printer fault are
refused with what to do, and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from pos.cli import cli
from pos.cli.common import cli_actor
from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from tests.conftest import FAST_HASHER, MANAGER
from tests.sales import sell

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"  # 1.20


def _set(db: Path, key: str, value: str) -> None:
    database = open_database(db)
    SettingsRepository(database).set(key, value)
    database.close()


def _days(db: Path, clock: FixedClock) -> None:
    """Z 0001 (a pen, 1.20, counted 1.00) and Z 0002 (nothing sold); day 3 left open."""
    services = build_services(db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        services.sessions.login(*MANAGER)
        sell(services, PEN)
        clock.advance(hours=8)
        services.days.close_day(100)
        services.days.open_day(0)
        services.days.close_day(0)
        services.days.open_day(0)
    finally:
        services.close()


def pos(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def events(db: Path) -> list[str]:
    """``pos audit``'s lines (number, time, till, operator, event, details)."""
    code = pos("audit", "--db", str(db))
    assert code.exit_code == 0, code.output
    return code.output.splitlines()


def test_a_copy_of_a_past_z_prints_at_the_receipt_width(
    demo_db: Path, clock: FixedClock, tmp_path: Path
) -> None:
    _days(demo_db, clock)
    paper = tmp_path / "printer.bin"
    _set(demo_db, "printer", str(paper))
    _set(demo_db, "receipt_width", "32")
    done = pos("report", "--db", str(demo_db), "--z", "1", "--print")
    assert done.exit_code == 0, done.output
    assert done.output == f"Copy of Z report 0001 of Till 1 printed on {paper}\n"
    text = paper.read_bytes().decode("cp437")
    assert text.count("*** COPY ***") == 2
    assert "\nTill 1" + " " * 13 + "Z REPORT 0001\n" in text
    assert "\n  Difference" + " " * 9 + "-0.20 short\n" in text
    assert "Audit log head\n" in text
    lines = [line for line in text.splitlines() if line.isprintable()]
    assert max(map(len, lines)) == 32
    last = events(demo_db)[-1].split()
    assert last[-3:] == [cli_actor(), "z_copy", '{"z":1}']
    assert " ".join(last[-7:-3]) == "Till 1 (command line)"


def test_bad_z_numbers_are_refused_with_what_to_do(
    demo_db: Path, clock: FixedClock, tmp_path: Path
) -> None:
    _days(demo_db, clock)
    paper = tmp_path / "printer.bin"
    _set(demo_db, "printer", str(paper))
    before = events(demo_db)
    for bad, said in [
        ("abc", "Z report 'abc' is not a number: give the number of a closed day's Z report "
         "(1 to 2)"),
        ("0", "Z report '0' is not a number"),
        ("-3", "Z report '-3' is not a number"),
        ("3", "Z report 0003 is the day still open: it prints when the day is closed; or give "
         "the number of a closed day's Z report (1 to 2)"),
        ("99", "Till 1 has no Z report 0099: give the number of a closed day's Z report "
         "(1 to 2)"),
    ]:  # fmt: skip
        refused = pos("report", "--db", str(demo_db), "--z", bad, "--print")
        assert refused.exit_code == 1, (bad, refused.output)
        assert refused.output.startswith(f"Error: {said}"), (bad, refused.output)
        assert refused.output.endswith("(1 to 2)\n"), bad  # the numbers there are
    shown = pos("report", "--db", str(demo_db), "--z", "abc")  # the same words without --print
    assert shown.exit_code == 1
    assert "'abc' is not a number" in shown.output
    for args, said in [
        (["--print"], "--print prints a copy of a Z report: give its number"),
        (["--z", "1", "--print", "--json"], "without --json"),
        (["--date", "2026-03-14", "--print"], "--print prints a copy of a Z report"),
    ]:
        usage = pos("report", "--db", str(demo_db), *args)
        assert usage.exit_code == 2, args
        assert said in usage.output
    assert not paper.exists()  # nothing printed
    assert events(demo_db) == before  # nothing audited


def test_no_printer_or_a_fault_prints_nothing_and_says_so(
    demo_db: Path, clock: FixedClock, tmp_path: Path
) -> None:
    _days(demo_db, clock)
    before = events(demo_db)
    none = pos("report", "--db", str(demo_db), "--z", "1", "--print")
    assert none.exit_code == 1
    assert none.output == (
        "Error: Z report 0001 not printed: no printer is set up (pos settings set printer "
        "host:port, or a device or file path)\n"
    )
    _set(demo_db, "printer", str(tmp_path / "no" / "such" / "lp0"))
    fault = pos("report", "--db", str(demo_db), "--z", "1", "--print")
    assert fault.exit_code == 1
    assert fault.output.startswith("Error: Z report 0001 not printed: printer ")
    assert "cannot be reached" in fault.output
    assert fault.output.endswith("nothing was changed, try again\n")
    assert events(demo_db) == before

"""Each till process on a shared database runs under its own name (``pos --till`` or
``$POS_TILL``): its own open cart, receipt numbers and lock, over the ``till_name``
setting they all read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.errors import DatabaseOpenError
from pos.domain.clock import FixedClock, SequentialIds, UuidIds
from pos.services.container import Services, build_services
from tests.conftest import FAST_HASHER, MANAGER
from tests.sales import sell as ring_up

PEN = "4006381333931"
LEMON = "5000000000012"


def _open(db: Path, clock: FixedClock, till: str | None) -> Services:
    services = build_services(db, clock=clock, ids=UuidIds(), hasher=FAST_HASHER, till_name=till)
    services.sessions.login(*MANAGER)
    return services


def _sell(services: Services, *codes: str) -> int:
    return ring_up(services, *codes).receipt_no


def test_two_named_tills_share_a_database(demo_db: Path, clock: FixedClock) -> None:
    one = _open(demo_db, clock, "Till A")
    two = _open(demo_db, clock, "Till B")
    try:
        assert (one.settings.till_name, two.settings.till_name) == ("Till A", "Till B")
        one.checkout.submit(PEN)
        two.checkout.submit(LEMON)
        assert [line.barcode for line in one.checkout.cart.lines] == [PEN]
        assert [line.barcode for line in two.checkout.cart.lines] == [LEMON]
        # each till numbers its own receipts from 1
        assert _sell(one) == 1
        assert _sell(two) == 1
        assert _sell(two, PEN) == 2
        assert _sell(one, LEMON) == 2
        rows = one.db.execute_sql(
            "SELECT till, receipt_no FROM sale ORDER BY till, receipt_no"
        ).fetchall()
        assert rows == [("Till A", 1), ("Till A", 2), ("Till B", 1), ("Till B", 2)]
    finally:
        one.close()
        two.close()


def test_the_same_name_twice_is_still_refused(demo_db: Path, clock: FixedClock) -> None:
    one = _open(demo_db, clock, "Till A")
    try:
        with pytest.raises(DatabaseOpenError, match="Till A is already running.*--till"):
            build_services(demo_db, clock=clock, ids=SequentialIds(), till_name="Till A")
        # the setting's name is another till
        other = _open(demo_db, clock, None)
        assert other.settings.till_name == "Till 1"
        other.close()
    finally:
        one.close()


@pytest.mark.parametrize("name", ["", "x" * 41, "bad\x1bname"])
def test_a_bad_till_name_is_refused(demo_db: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["--db", str(demo_db), "--till", name])
    assert result.exit_code == 2
    assert "--till" in result.output
    assert "1 to 40 printable characters" in result.output


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], None, None),
        (["--till", "Till B"], None, "Till B"),
        ([], "Till C", "Till C"),
        (["--till", " Till D "], "Till C", "Till D"),
    ],
)
def test_the_till_runs_under_the_name_given(
    demo_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    expected: str | None,
) -> None:
    import pos.factory

    started: list[str | None] = []

    class NotRun:
        def run(self) -> None:
            pass

    def make_app(path: Path, **options: object) -> NotRun:
        started.append(options.get("till_name"))  # type: ignore[arg-type]
        return NotRun()

    monkeypatch.setattr(pos.factory, "make_app", make_app)
    if env is not None:
        monkeypatch.setenv("POS_TILL", env)
    result = CliRunner().invoke(cli, ["--db", str(demo_db), *args])
    assert result.exit_code == 0, result.output
    assert started == [expected]


def test_a_bad_till_name_from_the_environment_is_refused(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_TILL", "x" * 41)
    result = CliRunner().invoke(cli, ["--db", str(demo_db)])
    assert result.exit_code == 2
    assert "1 to 40 printable characters" in result.output

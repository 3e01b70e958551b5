"""A manager's approval is used up in the same transaction as the action it approves:
a write that fails leaves it unused (a retry works), and a used one is never taken again."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos.db.errors import StorageError
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER

PEN = "4006381333931"


def _open(db: Path, clock: FixedClock) -> Services:
    services = build_services(db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    services.sessions.login(*CASHIER)
    return services


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = _open(demo_db, clock)
    yield built
    built.close()


def _approve_voiding_the_pen(services: Services) -> tuple[int, str]:
    services.checkout.submit(PEN)
    line_no = services.checkout.cart.lines[0].line_no
    action = services.checkout.action_for("void", line_no)
    token = services.approvals.grant(*MANAGER, requester="1001", scope="void", action=action)
    return line_no, token


def _used(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute("SELECT count(*) FROM used_override").fetchone()[0])
    finally:
        con.close()


def _events(services: Services) -> list[str]:
    return [e.event for e in services.audit.entries()]


def test_a_void_that_cannot_be_written_leaves_the_approval_unused(
    services: Services, demo_db: Path
) -> None:
    line_no, token = _approve_voiding_the_pen(services)
    services.db.execute_sql("PRAGMA query_only = 1")  # the disk refuses writes
    outcome = services.checkout.void_line(line_no, token)
    assert outcome.error
    assert outcome.message.startswith("NOT saved")
    services.db.execute_sql("PRAGMA query_only = 0")
    assert len(services.checkout.cart) == 1
    assert _used(demo_db) == 0
    retry = services.checkout.void_line(line_no, token)
    assert not retry.error, retry.message  # the same approval still works
    assert len(services.checkout.cart) == 0
    assert _used(demo_db) == 1
    assert _events(services)[-2:] == ["override", "void"]


def test_a_failure_after_the_approval_was_used_rolls_its_use_back(
    services: Services, demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The approval is consumed, then the last write of the transaction (the void's audit
    entry) fails: the consumption is rolled back with everything else."""
    line_no, token = _approve_voiding_the_pen(services)
    record = services.approvals.record
    consumed: list[bool] = []

    def failing_record(event: str, actor: str, details: dict[str, Any]) -> None:
        record(event, actor, details)
        if event == "void":
            consumed.append(_used_in_transaction(services))
            raise StorageError("io", "disk I/O error")

    monkeypatch.setattr(services.approvals, "record", failing_record)
    outcome = services.checkout.void_line(line_no, token)
    assert outcome.error
    assert consumed == [True]  # it was used up inside the transaction ...
    assert _used(demo_db) == 0  # ... and that was rolled back
    assert "override" not in _events(services)
    monkeypatch.setattr(services.approvals, "record", record)
    assert not services.checkout.void_line(line_no, token).error
    assert _used(demo_db) == 1


def _used_in_transaction(services: Services) -> bool:
    cursor = services.db.execute_sql("SELECT count(*) FROM used_override")
    return bool(cursor.fetchone()[0])


def test_a_used_approval_is_refused_when_replayed(demo_db: Path, clock: FixedClock) -> None:
    services = _open(demo_db, clock)
    line_no, token = _approve_voiding_the_pen(services)
    cart = services.checkout.cart_uuid
    assert not services.checkout.void_line(line_no, token).error
    services.close()
    # after a restart the same cart has the same line again: the approval still matches
    # the action (cart, line, product, amount), but it has been used
    services = _open(demo_db, clock)
    try:
        services.checkout.submit(PEN)
        assert services.checkout.cart_uuid == cart
        assert services.checkout.cart.lines[0].line_no == line_no
        replay = services.checkout.void_line(line_no, token)
        assert replay.error
        assert replay.message == "That approval was already used"
        assert len(services.checkout.cart) == 1
        assert _events(services).count("void") == 1
    finally:
        services.close()

"""The cash office (issue 21, items 1-4): No sale, paid in and out, cash pickups; each
checked, approved and audited in one transaction, and counted by the X and Z reports'
cash-up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from escpos.printer import Dummy

from pos.auth.roles import scopes_for
from pos.cli import cli
from pos.db import models as m
from pos.db.database import open_database
from pos.db.errors import bound
from pos.db.repositories import SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.cash_office import CashRefused
from pos.services.container import Services, build_services
from pos.services.printing import PrinterError, ReceiptPrinter
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin
from tests.sales import sell as ring_up

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"  # 1.20
SUPERVISOR = ("2001", "4826")


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def sell(services: Services, code: str, cash: int) -> int:
    return ring_up(services, code, cash=cash).receipt_no


def rows(services: Services) -> list[tuple[Any, ...]]:
    with bound(services.db):
        c = m.CashMovement
        query = c.select(c.kind, c.amount, c.reason, c.operator, c.approver).order_by(c.id)
        return [tuple(row) for row in query.tuples()]


def events(services: Services) -> list[str]:
    return [entry.event for entry in services.audit.entries()]


def test_supervisors_and_managers_hold_the_cash_scopes() -> None:
    for role in ("supervisor", "manager"):
        assert {"cash:no_sale", "cash:paid", "cash:pickup"} <= set(scopes_for(role))
    assert not {"cash:no_sale", "cash:paid", "cash:pickup"} & set(scopes_for("cashier"))


def test_every_movement_is_counted_in_the_x_and_z_cash_up(
    services: Services, clock: FixedClock
) -> None:
    services.days.open_day(5000)  # a 50.00 float
    sell(services, PEN, 500)  # 1.20 cash
    receipt = sell(services, PEN, 500)  # 1.20 cash, refunded below
    line = (services.refunds.lines(receipt) or [])[0].line_no
    services.refunds.refund(receipt, {line: 1}, "cash", reason="Faulty")
    cash = services.cash
    assert cash.record("paid_in", 2000, "1").reason == "Float top-up"  # by its number
    assert cash.record("paid_out", 550, "window cleaner").reason == "Window cleaner"
    cash.record("paid_out", 125, "Stamps for the post office")  # free text
    clock.advance(minutes=5)
    cash.record("pickup", 3000, "Safe drop")
    cash.record("no_sale", 0, "2")
    cash.record("no_sale", 0, "Change for a customer")
    expected = 5000 + 240 - 120 + 2000 - 550 - 125 - 3000
    x = services.sales.x_report()[1]
    assert (x.paid_in, x.paid_out, x.pickups, x.no_sales) == (2000, 675, 3000, 2)
    assert x.expected_cash(5000) == expected
    assert x.as_json()["expected_cash"] == "34.45"
    text = "\n".join(x.lines())
    assert "Window cleaner" in text
    assert "Stamps for the post office" in text
    assert "Expected               34.45" in text
    assert all(len(line) <= 42 for line in x.lines())
    cash_up = services.days.close_day(expected - 5)
    assert cash_up.day.expected == expected
    assert cash_up.difference == -5
    figures = cash_up.figures.as_json()
    assert figures["cash_movements"] == {
        "paid_in": "20.00",
        "paid_out": "6.75",
        "pickups": "30.00",
        "no_sales": 2,
    }
    assert figures["no_sales_by_operator"] == {"9001": 2}
    moves = figures["movements"]
    assert isinstance(moves, list)
    assert [(mv["kind"], mv["amount"], mv["operator"]) for mv in moves] == [
        ("paid_in", "20.00", "9001"),
        ("paid_out", "5.50", "9001"),
        ("paid_out", "1.25", "9001"),
        ("pickup", "30.00", "9001"),
        ("no_sale", "0.00", "9001"),
        ("no_sale", "0.00", "9001"),
    ]
    assert cash_up.cash_up_json()["pickups"] == "30.00"
    lines = "\n".join(cash_up.lines())
    assert "  Paid out                6.75" in lines
    assert events(services).count("no_sale") == 2
    assert events(services).count("cash_pickup") == 1


def test_a_day_without_movements_reports_zeros(services: Services) -> None:
    sell(services, PEN, 500)
    figures = services.sales.x_report()[1].as_json()
    assert figures["cash_movements"] == {
        "paid_in": "0.00",
        "paid_out": "0.00",
        "pickups": "0.00",
        "no_sales": 0,
    }


@pytest.mark.parametrize(
    ("kind", "amount", "reason", "message"),
    [
        ("paid_in", 0, "Float top-up", "above 0.00"),
        ("paid_out", -100, "Float top-up", "above 0.00"),
        ("paid_out", 100_001, "Float top-up", "over the limit of 1000.00"),
        ("pickup", 200_000, "Safe", "over the limit"),
        ("pickup", 5_001, "Safe", r"Only 50.00 is expected in the drawer"),
        ("paid_out", 100, "x" * 200, "shorten it to 60"),
        ("paid_out", 100, "Window\x1b[31m cleaner", "control character"),
        ("paid_out", 100, "   ", "Type a reason"),
        ("paid_in", 100, "7", "no reason 7"),
        ("no_sale", 0, "Because", "Choose one of the reasons"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    services: Services, kind: str, amount: int, reason: str, message: str
) -> None:
    services.days.open_day(5000)
    before = events(services)
    with pytest.raises(CashRefused, match=message):
        services.cash.check(kind, amount, reason)
    with pytest.raises(CashRefused, match=message):
        services.cash.record(kind, amount, reason)
    assert rows(services) == []
    assert events(services) == before


def test_the_limit_follows_the_setting(services: Services, demo_db: Path) -> None:
    database = open_database(demo_db)  # as pos settings set beside the till
    try:
        SettingsRepository(database).set("max_cash_movement", "50.00")
    finally:
        database.close()
    assert services.take_up_settings() == {"max_cash_movement"}  # live: no restart
    with pytest.raises(CashRefused, match="over the limit of 50.00"):
        services.cash.record("paid_in", 5001, "Float top-up")
    services.cash.record("paid_in", 5000, "Float top-up")
    assert len(rows(services)) == 1


def test_a_pickup_cannot_take_more_than_the_drawer_holds(services: Services) -> None:
    services.days.open_day(1000)
    sell(services, PEN, 500)
    services.cash.record("paid_out", 500, "Milk and tea")
    with pytest.raises(CashRefused, match="Only 6.20 is expected"):
        services.cash.record("pickup", 621, "Safe")
    services.cash.record("pickup", 620, "Safe")
    with pytest.raises(CashRefused, match="Only 0.00 is expected"):
        services.cash.record("pickup", 1, "Safe")


def test_a_cashier_needs_a_manager_bound_to_that_movement(services: Services) -> None:
    services.guard.logout()
    services.sessions.login(*CASHIER)
    for kind, amount, reason in [("no_sale", 0, "1"), ("paid_out", 550, "Window cleaner")]:
        with pytest.raises(CashRefused, match="needs a manager's approval"):
            services.cash.record(kind, amount, reason)
    action = services.cash.action("paid_out", 550, "Window cleaner")
    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="cash:paid", action=action
    )
    with pytest.raises(CashRefused):  # bound to 5.50: not to 9.50
        services.cash.record("paid_out", 950, "Window cleaner", approval=token)
    done = services.cash.record("paid_out", 550, "window cleaner", approval=token)
    assert done.summary() == "Paid out 5.50 recorded (Window cleaner)"
    assert "Approved by 9001" in done.slip
    assert rows(services) == [("paid_out", 550, "Window cleaner", "1001", "9001")]
    assert events(services)[-2:] == ["override", "paid_out"]
    with pytest.raises(CashRefused):  # used up
        services.cash.record("paid_out", 550, "Window cleaner", approval=token)


def test_a_supervisor_needs_no_approval(services: Services) -> None:
    shell_admin(services).add(SUPERVISOR[0], "Sam Supervisor", "supervisor", SUPERVISOR[1])
    services.guard.logout()
    services.sessions.login(*SUPERVISOR)
    services.cash.record("no_sale", 0, "1")
    services.cash.record("paid_in", 1000, "Float top-up")
    services.cash.record("pickup", 500, "Safe")
    assert [r[0] for r in rows(services)] == ["no_sale", "paid_in", "pickup"]
    figures = services.sales.x_report()[1]
    assert figures.no_sales_by_operator == {SUPERVISOR[0]: 1}


def test_a_closed_day_takes_no_movement(services: Services) -> None:
    sell(services, PEN, 500)
    services.days.close_day(120)
    with pytest.raises(CashRefused, match="closed by Z report 0001"):
        services.cash.check("paid_in", 100, "Float top-up")  # said in the dialog
    with pytest.raises(CashRefused, match="closed by Z report 0001"):
        services.cash.record("paid_in", 100, "Float top-up")
    assert rows(services) == []


def test_a_printer_fault_never_loses_the_movement(services: Services) -> None:
    def broken() -> Any:
        raise ConnectionRefusedError(111, "Connection refused")

    services.sales.printer = ReceiptPrinter(opener=broken, timeout=2)
    done = services.cash.record("no_sale", 0, "Check a note")
    assert done.job is not None
    assert done.job.open_drawer  # the slip kicks the drawer open
    with pytest.raises(PrinterError, match="cannot be reached"):
        done.job.send()
    assert rows(services) == [("no_sale", 0, "Check a note", "9001", None)]
    assert "NO SALE" in done.slip
    assert "Reason: Check a note" in done.slip


def test_the_slip_goes_to_the_printer_with_the_drawer_kick(services: Services) -> None:
    """Through python-escpos's own Dummy printer: the slip's text, the cut, then the
    drawer kick (ESC p)."""
    printed: list[Dummy] = []

    def dummy() -> Dummy:
        printed.append(Dummy())
        return printed[-1]

    services.sales.printer = ReceiptPrinter(opener=dummy)
    done = services.cash.record("paid_in", 2000, "Float top-up")
    assert done.job is not None
    done.job.send()
    output = printed[0].output
    assert b"Amount" in output
    assert b"\x1dV" in output  # the cut
    assert output.index(b"\x1dV") < output.index(b"\x1bp\x00")  # cut, then the drawer


def test_the_slip_text(services: Services) -> None:
    """A slip as it prints (a text snapshot): what, how much, why, who, when."""
    done = services.cash.record("paid_out", 550, "Window cleaner")
    assert done.slip == SLIP


SLIP = """\
           DEMO - NOT A RECEIPT
                 My Shop
Till 1                            PAID OUT
2026-03-14 09:30              Demo Manager
------------------------------------------
Amount                               £5.50
Reason: Window cleaner
------------------------------------------

Signed

------------------------------------------
           DEMO - NOT A RECEIPT
"""


def test_without_a_printer_there_is_no_job(services: Services) -> None:
    done = services.cash.record("paid_in", 2000, "Float top-up")
    assert done.job is None
    assert rows(services)


def test_before_the_first_day_the_drawer_is_empty(services: Services) -> None:
    with pytest.raises(CashRefused, match="Only 0.00 is expected"):
        services.cash.check("pickup", 1, "Safe")
    services.cash.record("paid_in", 1000, "Float top-up")  # the first day opens with it
    assert services.cash.check("pickup", 1000, "Safe") == (1000, "Safe")


def test_a_cashier_is_not_told_what_the_drawer_holds(services: Services) -> None:
    """A blind cash-up: the expected cash is the reports' figure, not a cashier's."""
    services.days.open_day(1000)
    services.guard.logout()
    services.sessions.login(*CASHIER)
    with pytest.raises(CashRefused, match="more than the cash expected") as refused:
        services.cash.check("pickup", 1001, "Safe")
    assert "10.00" not in str(refused.value)
    action = services.cash.action("pickup", 1001, "Safe")
    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="cash:pickup", action=action
    )
    with pytest.raises(CashRefused, match="more than the cash expected"):
        services.cash.record("pickup", 1001, "Safe", approval=token)
    assert rows(services) == []


def test_pos_report_json_has_the_cash_movements(services: Services, demo_db: Path) -> None:
    services.cash.record("paid_in", 2000, "Float top-up")
    services.cash.record("no_sale", 0, "1")
    runner = CliRunner()
    shown = runner.invoke(cli, ["report", "--db", str(demo_db), "--date", "2026-03-14", "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["cash_movements"] == {
        "paid_in": "20.00",
        "paid_out": "0.00",
        "pickups": "0.00",
        "no_sales": 1,
    }
    assert report["sales"] == 0  # the keys there were are as they were
    text = runner.invoke(cli, ["report", "--db", str(demo_db), "--date", "2026-03-14"]).output
    assert "Paid in                20.00" in text
    assert "why: Change for a customer" in text

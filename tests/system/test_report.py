"""pos report: the X report's figures, from SQL aggregates."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER


def _sell(services, codes: list[str], card: int = 0) -> None:  # type: ignore[no-untyped-def]
    for code in codes:
        asked = services.checkout.submit(code)
        if asked.age is not None:  # wine: the customer is of age
            services.checkout.answer(asked, lambda: services.checkout.submit(code), yes=True)  # noqa: B023
    tender = services.sales.start()
    if card:
        tender.card(card)
    tender.cash(tender.remaining + 1000)  # with 10.00 change
    services.sales.complete(tender)


def test_x_report_adds_up(shop_db: Path, clock: FixedClock) -> None:
    services = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        services.sessions.login(*CASHIER)
        _sell(services, ["5000000000012"] * 3 + ["4006381333931"])  # 1.30 + 1.20
        services.guard.logout()
        services.sessions.login(*MANAGER)
        _sell(services, ["5011332159811"] * 3, card=1000)  # weekend wine 20.00
    finally:
        services.close()
    result = CliRunner().invoke(
        cli, ["report", "--db", str(shop_db), "--date", "2026-03-14", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sales"] == 2
    assert data["gross"] == "25.20"  # 1.50 + 1.20 + 22.50
    assert data["discounts"] == "2.70"
    assert data["net"] == "22.50"
    assert data["tender"] == {"cash": "12.50", "card": "10.00"}
    assert sum(float(v["gross"]) for v in data["vat"]) == 22.50
    assert {o["operator"]: o["total"] for o in data["operators"]} == {
        "1001": "2.50",
        "9001": "20.00",
    }
    text = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--date", "2026-03-14"])
    assert "X report  Till 1  2026-03-14  (closes nothing)" in text.output
    hours = text.output.split("Takings by hour (local time, UTC+00:00)\n")[1].splitlines()
    assert hours == ["  09:00       22.50  " + "#" * 20]  # the clock is fixed at 09:30 UTC
    empty = CliRunner().invoke(
        cli, ["report", "--db", str(shop_db), "--date", "2026-03-13", "--json"]
    )
    assert json.loads(empty.output)["sales"] == 0
    bad = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--date", "yesterday"])
    assert bad.exit_code == 1
    assert "is not a date" in bad.output


def _two_closed_days(shop_db: Path, clock: FixedClock) -> None:
    """Z 0001: one sale from 09:30, closed at 17:30 with 0.20 short; Z 0002: two sales from
    09:30 the next day (a 50.00 float), closed at 17:30 with 1.00 over."""
    services = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        services.sessions.login(*MANAGER)
        _sell(services, ["4006381333931"])  # 1.20 cash
        clock.advance(hours=8)
        services.days.close_day(100)
        clock.advance(hours=16)
        services.days.open_day(5000)
        _sell(services, ["4006381333931"])
        clock.advance(hours=1)
        _sell(services, ["5000000000012"])  # 0.50, at 10:30
        clock.advance(hours=7)
        services.days.close_day(5000 + 170 + 100)
    finally:
        services.close()


def test_a_z_report_by_number_with_its_cash_up(shop_db: Path, clock: FixedClock) -> None:
    _two_closed_days(shop_db, clock)
    first = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--z", "1"])
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert lines[0] == "Z report 0001  Till 1  2026-03-14 09:30 to 2026-03-14 17:30  (closed)"
    assert lines[2:13] == [
        "Cash-up",
        "  Float                   0.00",
        "  Cash takings            1.20",
        "  Cash refunds            0.00",
        "  Paid in                 0.00",
        "  Paid out                0.00",
        "  Pickups                 0.00",
        "  Expected                1.20",
        "  Counted                 1.00",
        "  Difference             -0.20  short",
        "",
    ]
    assert "Sales                        1" in lines
    assert "Takings by hour (local time, UTC+00:00)" in lines
    second = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--z", "2", "--json"])
    assert second.exit_code == 0, second.output
    data = json.loads(second.output)
    assert (data["till"], data["z"], data["sales"]) == ("Till 1", 2, 2)  # its own sales only
    assert data["opened_at"] == "2026-03-15T09:30:00+00:00"
    assert data["closed_at"] == "2026-03-15T17:30:00+00:00"
    assert data["cash_up"] == {
        "float": "50.00",
        "cash_takings": "1.70",
        "cash_refunds": "0.00",
        "unreceipted_cash_refunds": "0.00",
        "paid_in": "0.00",
        "paid_out": "0.00",
        "pickups": "0.00",
        "expected": "51.70",
        "counted": "52.70",
        "difference": "1.00",
        "over_short": "over",
    }
    text = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--z", "2"]).output
    hours = text.split("Takings by hour (local time, UTC+00:00)\n")[1].splitlines()
    assert hours == ["  09:00        1.20  " + "#" * 20, "  10:00        0.50  " + "#" * 8]
    missing = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--z", "3"])
    assert missing.exit_code == 1
    assert "Till 1 has no Z report 0003" in missing.output
    both = CliRunner().invoke(
        cli, ["report", "--db", str(shop_db), "--z", "1", "--date", "2026-03-14"]
    )
    assert both.exit_code == 2
    assert "not both" in both.output


def test_report_hours_are_local_time(
    shop_db: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like the report screen: a sale at 09:30 UTC is at 10:00 in Paris (UTC+1 in March)."""
    services = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        services.sessions.login(*CASHIER)
        _sell(services, ["4006381333931"])
    finally:
        services.close()
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        out = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--date", "2026-03-14"])
    finally:
        monkeypatch.undo()
        time.tzset()
    assert out.exit_code == 0, out.output
    hours = out.output.split("Takings by hour (local time, UTC+01:00)\n")[1].splitlines()
    assert hours == ["  10:00        1.20  " + "#" * 20]

"""pos report: the X report's figures, from SQL aggregates."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pos.cli import cli
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER


def _sell(services, codes: list[str], card: int = 0) -> None:  # type: ignore[no-untyped-def]
    who = services.guard.identity
    for code in codes:
        services.checkout.submit(code, actor=who)
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
    hours = text.output.split("Takings by hour (UTC)\n")[1].splitlines()
    assert hours == ["  09:00       22.50  " + "#" * 20]  # the clock is fixed at 09:30 UTC
    empty = CliRunner().invoke(
        cli, ["report", "--db", str(shop_db), "--date", "2026-03-13", "--json"]
    )
    assert json.loads(empty.output)["sales"] == 0
    bad = CliRunner().invoke(cli, ["report", "--db", str(shop_db), "--date", "yesterday"])
    assert bad.exit_code == 1
    assert "is not a date" in bad.output

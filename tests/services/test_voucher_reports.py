"""The X/Z figures and pos report --json with gift vouchers (issue 22, slice 5): vouchers
sold are a liability, not takings (not in gross, net or the VAT rows); vouchers redeemed are
a tender, not cash; the drawer's expected cash counts the cash paid for vouchers only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.errors import bound
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.report_print import figures_lines
from pos.domain.vouchers import Voucher, make_code
from pos.services.container import Services, build_services
from tests.conftest import FAST_HASHER, FIXED_NOW, MANAGER
from tests.sales import sell

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"  # 1.20 at 20%
GIFT = "5012345670010"  # a 10.00 voucher product
CARD = make_code("001", "000000000005")


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    with bound(built.db):
        built.db.execute_sql(
            "INSERT INTO product (barcode, name, price, tax_rate, unit, voucher) "
            f"VALUES ('{GIFT}', 'Gift voucher 10', 1000, 0, 'each', 1)"
        )
    assert built.vouchers is not None
    built.vouchers.repo.issue([Voucher(CARD, 500, 500, date(2027, 1, 1))], FIXED_NOW)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def _day(services: Services) -> None:
    """Two 10.00 vouchers and a pen sold for cash (21.20); three pens (3.60) paid by the
    5.00 card; two pens (2.40) paid by what is left on it (1.40) and 1.00 cash."""
    sell(services, "2*" + GIFT, PEN)  # cash 21.20: 20.00 of it for vouchers
    assert services.vouchers is not None
    for _ in range(3):
        services.checkout.submit(PEN)
    tender = services.sales.start()
    services.vouchers.pay(CARD, tender)  # 3.60 of its 5.00
    services.sales.complete(tender)
    services.checkout.submit(PEN)
    services.checkout.submit(PEN)
    tender = services.sales.start()
    services.vouchers.pay(CARD, tender)  # the 1.40 left
    tender.cash(tender.remaining)  # 1.00 cash
    services.sales.complete(tender)


def test_vouchers_sold_are_not_takings_and_redeemed_are_not_cash(services: Services) -> None:
    _day(services)
    _title, figures, _hourly = services.sales.x_report()
    assert figures.sales == 3
    assert figures.gross == 120 + 360 + 240  # the pens only
    assert figures.net == 720
    assert figures.cash == 2120 + 100  # the drawer took the vouchers' 20.00
    assert figures.card == 0
    assert figures.vouchers_sold == (2, 2000)
    assert figures.vouchers_redeemed == (2, 500)
    assert figures.cash + figures.card + figures.vouchers_redeemed[1] == figures.net + 2000
    assert figures.vat == [(2000, 600, 120, 720)]  # no 0% row: the vouchers are not in it
    assert figures.expected_cash(0) == 2220
    lines = figures.lines()
    assert "  Voucher     2           5.00" in lines
    assert "Gift vouchers sold (not takings)" in lines
    assert "  Sold        2          20.00" in lines
    printed = figures_lines(figures, 42)
    assert "  Voucher x2                          5.00" in printed
    assert "  Sold x2                            20.00" in printed
    data = figures.as_json()
    assert data["tender"] == {"cash": "22.20", "card": "0.00", "voucher": "5.00"}
    assert data["vouchers"] == {
        "overspent": {"count": 0, "amount": "0.00"},
        "sold": {"count": 2, "amount": "20.00"},
        "redeemed": {"count": 2, "amount": "5.00"},
    }


def test_pos_report_json_counts_them(services: Services, demo_db: Path) -> None:
    _day(services)
    services.close()
    args = ["report", "--db", str(demo_db), "--date", "2026-03-14", "--json"]
    data = json.loads(CliRunner().invoke(cli, args).output)
    assert data["vouchers"]["sold"] == {"count": 2, "amount": "20.00"}
    assert data["vouchers"]["redeemed"] == {"count": 2, "amount": "5.00"}
    assert data["gross"] == "7.20"


def test_without_vouchers_nothing_changes(services: Services) -> None:
    sell(services, PEN)
    figures = services.sales.x_report()[1]
    assert not any("oucher" in line for line in figures.lines())
    assert figures.as_json()["tender"] == {"cash": "1.20", "card": "0.00"}


def test_hourly_takings_and_operators_leave_the_vouchers_out(services: Services) -> None:
    _day(services)
    _title, figures, hourly = services.sales.x_report()
    assert sum(hourly) == figures.net == 720  # not the 20.00 of vouchers sold
    assert sum(figures.takings_by_utc_hour.values()) == figures.net
    assert sum(total for _op, _n, total, _back in figures.operators) == figures.net
    assert [n for _op, n, _total, _back in figures.operators] == [3]  # still three sales

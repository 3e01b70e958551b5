"""The trading day: the first opens by itself, a Z report closes it with the cash count,
and a closed day takes no sale until a manager opens the next."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.report import LINE_WIDTH
from pos.services.container import Services, build_services
from pos.services.days import DayClosed
from pos.services.sales import SaleFailed
from tests.conftest import FAST_HASHER, MANAGER
from tests.pty_till import read_only
from tests.sales import sell as ring_up

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def sell(services: Services, code: str, cash: int) -> None:
    ring_up(services, code, cash=cash)


def test_z_report_cash_up_and_a_closed_day(services: Services, clock: FixedClock) -> None:
    boss = services.guard.identity
    assert boss is not None
    sell(services, "4006381333931", 500)  # 1.20 in cash (5.00 tendered, 3.80 change)
    first = services.days.current()
    assert first is not None
    assert first.open
    assert first.float_amount == 0
    clock.advance(hours=8)
    cashup = services.days.close_day(100)  # 1.00 counted
    assert cashup.day.z_no == 1
    assert cashup.day.expected == 120  # float 0 + cash takings 1.20
    assert cashup.difference == -20
    assert "short" in "\n".join(cashup.lines())
    with pytest.raises(SaleFailed, match="closed by Z report 0001"):
        sell(services, "4006381333931", 500)
    assert len(services.checkout.cart) == 1  # the refused sale's cart is kept
    with pytest.raises(DayClosed):
        services.days.close_day(0)
    services.days.open_day(5000)  # a 50.00 float
    tender = services.sales.start()
    tender.cash(tender.due)
    services.sales.complete(tender)
    clock.advance(hours=8)
    second = services.days.close_day(5120)
    assert (second.day.z_no, second.day.expected, second.difference) == (2, 5120, 0)
    assert second.figures.sales == 1  # only the new day's sale
    events = [e.event for e in services.audit.entries()]
    assert events.count("z_report") == 2
    assert "day_opened" in events


def test_x_report_covers_the_open_day_and_counts_voids(
    services: Services, clock: FixedClock
) -> None:
    boss = services.guard.identity
    assert boss is not None
    sell(services, "4006381333931", 500)
    services.checkout.submit("5000000000012")
    services.checkout.void_line(services.checkout.cart.lines[0].line_no)
    figures = services.sales.x_report()[1]
    assert (figures.sales, figures.voids) == (1, 1)
    clock.advance(hours=1)
    services.days.close_day(120)
    clock.advance(minutes=5)
    services.days.open_day(0)
    sell(services, "4006381333931", 500)
    after = services.sales.x_report()[1]
    assert (after.sales, after.voids) == (1, 0)  # only the new day, as its Z will show


def test_refunds_come_off_the_vat_rates_and_show_per_operator(
    services: Services, clock: FixedClock
) -> None:
    boss = services.guard.identity
    assert boss is not None
    for code in ("4006381333931", "4006381333931", "5000000000012"):
        services.checkout.submit(code)  # 2 pens at 20%, lemons at 0%
    tender = services.sales.start()
    tender.cash(tender.due)
    services.sales.complete(tender)
    before = services.sales.x_report()[1]
    assert {r: g for r, _, _, g in before.vat} == {0: 50, 2000: 240}
    pen = next(line for line in services.refunds.lines(1) or [] if line.name.startswith("Highl"))
    services.refunds.refund(
        1, {pen.line_no: 1}, "cash", reason="Faulty"
    )  # 1.20 back, 0.20 of it VAT
    after = services.sales.x_report()[1]
    assert [(r, n, v, g) for r, n, v, g in after.vat] == [(0, 50, 0, 50), (2000, 100, 20, 120)]
    assert sum(g for *_, g in after.vat) == after.net == 170
    assert after.operators == [("9001", 1, 290, 120)]
    lines = after.lines()
    assert lines[lines.index("By operator") + 1 :] == [
        "  Operator   Sales       Total   Refunds",
        "  9001           1        2.90      1.20",
    ]
    assert max(map(len, lines)) <= LINE_WIDTH  # the report screen's panel: no row wraps
    assert after.as_json()["operators"] == [
        {"operator": "9001", "sales": 1, "total": "2.90", "refunds": "1.20"}
    ]


def test_tax_exclusive_reports_show_the_vat_added(demo_db: Path, clock: FixedClock) -> None:
    from pos.db.database import open_database
    from pos.db.repositories import SettingsRepository

    database = open_database(demo_db)
    SettingsRepository(database).set("tax_inclusive", "no")
    database.close()
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        built.sessions.login(*MANAGER)
        sell(built, "4006381333931", 500)  # 1.20 net + 0.24 VAT
        figures = built.sales.x_report()[1]
    finally:
        built.close()
    assert (figures.gross, figures.discounts, figures.vat_added, figures.net) == (120, 0, 24, 144)
    assert figures.vat == [(2000, 120, 24, 144)]
    assert "VAT added                 0.24" in figures.lines()


def test_a_z_report_after_the_clock_went_back_counts_every_sale_of_the_day(
    services: Services, clock: FixedClock
) -> None:
    """Each sale and refund records its trading day (schema v10), and the day where the
    audit log stood when it opened: the Z report counts the sales, refunds and voids by
    them, not by the clock, which went back an hour during the day."""
    boss = services.guard.identity
    assert boss is not None
    services.days.open_day(1000)  # the first day, opened at 09:30 by the clock
    sell(services, "4006381333931", 500)
    services.checkout.submit("5000000000012")
    services.checkout.void_line(services.checkout.cart.lines[0].line_no)  # a void
    sell(services, "5000000000012", 100)
    clock.advance(hours=-1)  # 08:30: now "before" the day opened
    services.checkout.submit("5000000000012")
    services.checkout.void_line(services.checkout.cart.lines[0].line_no)  # at 08:30
    sell(services, "4006381333931", 200)
    sell(services, "5000000000012", 50)
    pen = next(line for line in services.refunds.lines(3) or [] if line.name.startswith("Highl"))
    services.refunds.refund(3, {pen.line_no: 1}, "cash", reason="Faulty")  # taken at 08:30 too
    x = services.sales.x_report()[1]
    cash_up = services.days.close_day(1000 + 120 + 50 + 120 + 50 - 120)
    figures = cash_up.figures
    # the X report said the same, by the same rule (and, the day being open, its float)
    assert x.float_amount == 1000
    assert replace(x, float_amount=None) == figures
    assert figures.sales == 4
    assert figures.cash == 120 + 50 + 120 + 50  # what was paid (the change is not kept)
    assert figures.gross == 340
    assert figures.refunds == figures.cash_refunds == 120
    assert figures.net == 340 - 120
    assert sum(g for *_, g in figures.vat) == figures.net
    assert figures.operators == [("9001", 4, 340, 120)]
    assert figures.voids == 2
    assert cash_up.difference == 0

    con = read_only(services.db_path)  # from outside the till, on either database
    try:
        totals = con.execute("SELECT COUNT(*), SUM(total) FROM sale").fetchone()
        days = con.execute("SELECT DISTINCT day_id FROM sale UNION SELECT day_id FROM refund")
        assert (totals[0], int(totals[1])) == (figures.sales, figures.gross)
        assert [d for (d,) in days] == [1]
    finally:
        con.close()


def test_a_day_opened_after_the_clock_went_back_counts_only_its_own_sales(
    services: Services, clock: FixedClock
) -> None:
    """The next day opens "before" the last day's sales by the clock: neither day takes
    the other's sales."""
    boss = services.guard.identity
    assert boss is not None
    sell(services, "4006381333931", 500)  # 09:30, the first day (opened by itself)
    clock.advance(hours=1)
    sell(services, "4006381333931", 500)  # 10:30
    first = services.days.close_day(240)
    assert first.figures.sales == 2
    clock.advance(hours=-2)  # 08:30
    services.days.open_day(0)
    sell(services, "5000000000012", 100)
    clock.advance(hours=1, minutes=30)  # 10:00: between the old day's two sales
    sell(services, "5000000000012", 100)
    second = services.days.close_day(100)
    assert (second.figures.sales, second.figures.gross) == (2, 100)

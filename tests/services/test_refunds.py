"""Refunds re-price what the customer keeps with the sale's own rules: never more than was
paid, in total or per line, counting earlier refunds; the same whatever the order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.auth.service import Identity
from pos.domain.clock import FixedClock, SequentialIds
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.container import Services, build_services
from pos.services.refunds import RefundFailed
from pos.services.store_setup import init_database
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin
from tests.sales import sell as ring_up

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

LEMON = "5000000000012"  # 0.50, "Lemons 3 for 1.30"
PEN = "4006381333931"  # 1.20
LAUNDRY = "5010962149711"  # 5.00
COFFEE = "5010555138603"  # 5.50; "5 off over 50" on the sale


def _open(db: Path, clock: FixedClock) -> Services:
    built = build_services(db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    return built


def _sell(services: Services, *codes: str) -> int:
    """Scan ``codes``, pay cash; the receipt number."""
    return ring_up(services, *codes).receipt_no


def _boss(services: Services) -> Identity:
    who = services.guard.identity
    assert who is not None
    return who


def _line(services: Services, receipt_no: int, name: str) -> int:
    return next(
        line.line_no for line in services.refunds.lines(receipt_no) or [] if line.name == name
    )


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = _open(shop_db, clock)
    _sell(built, LEMON, LEMON, LEMON, PEN)  # 3 lemons for 1.30, a pen 1.20
    yield built
    built.close()


def test_refunds_reprice_what_is_kept_and_never_pay_back_more(services: Services) -> None:
    # Before discounts were recomputed the first refund paid its share, 0.43, and the
    # second 0.87: the 2 lemons kept cost 1.00 at full price, so it is 0.30 and 1.00.
    _boss(services)
    lines = {line.name: line for line in services.refunds.lines(1) or []}
    lemons = lines["Lemons unwaxed"]
    assert (lemons.sold, lemons.paid) == (3, 130)
    quote = services.refunds.quote(1, {lemons.line_no: 1})
    assert (quote.total, quote.lost) == (30, ("Lemons 3 for 1.30",))
    first = services.refunds.refund(1, {lemons.line_no: 1}, "cash", reason="Faulty")
    assert (first.receipt_no, first.amount) == (2, 30)  # the next number in the sequence
    assert "Refund 0002" in first.receipt_text
    assert "For sale 0001" in first.receipt_text
    assert "Lemons 3 for 1.30 no longer applies" in first.receipt_text
    with pytest.raises(RefundFailed, match="at most 2"):
        services.refunds.refund(1, {lemons.line_no: 3}, "cash", reason="Faulty")
    rest = services.refunds.refund(1, {lemons.line_no: 2}, "card", reason="Faulty")
    assert rest.amount == 100  # 30 + 100 = 130: exactly what the lemons cost after the deal
    assert "no longer applies" not in rest.receipt_text  # it was lost by the first refund
    with pytest.raises(RefundFailed, match="at most 0"):
        services.refunds.refund(1, {lemons.line_no: 1}, "cash", reason="Faulty")
    figures = services.sales.x_report()[1]
    assert (figures.refunds, figures.cash_refunds, figures.net) == (130, 30, 250 - 130)


def test_a_deal_that_still_holds_is_kept(shop_db: Path, clock: FixedClock) -> None:
    services = _open(shop_db, clock)
    try:
        number = _sell(services, LEMON, LEMON, LEMON, LEMON)  # 1.30 + 0.50
        lemons = _line(services, number, "Lemons unwaxed")
        done = services.refunds.refund(number, {lemons: 1}, "cash", reason="Faulty")
        assert done.amount == 50  # the 3 kept are still 3 for 1.30
        assert "no longer applies" not in done.receipt_text
    finally:
        services.close()


def test_a_refund_under_a_basket_threshold_loses_it(shop_db: Path, clock: FixedClock) -> None:
    services = _open(shop_db, clock)
    try:
        number = _sell(services, *[LAUNDRY] * 9, COFFEE)  # 50.50, 5 off over 50: 45.50
        coffee = _line(services, number, "Instant coffee 200g")
        laundry = _line(services, number, "Laundry powder 1.3kg")
        paid = {line.line_no: line.paid for line in services.refunds.lines(number) or []}
        assert sum(paid.values()) == 4550
        quote = services.refunds.quote(number, {coffee: 1})
        assert (quote.total, quote.lost) == (50, ("5 off over 50",))  # 45.00 is kept
        done = services.refunds.refund(number, {coffee: 1}, "card", reason="Faulty")
        assert done.amount == 50
        assert "5 off over 50 no longer applies" in done.receipt_text
        # the rest comes back: all that was paid, the coffee's unpaid part included
        rest = services.refunds.refund(number, {laundry: 9}, "card", reason="Faulty")
        assert rest.amount == 4550 - 50
        assert (
            "Instant coffee 200g (returned\nbefore)                              -4.46"
            in rest.receipt_text
        )
        lines = {line.line_no: line for line in services.refunds.lines(number) or []}
        assert {no: line.refunded_amount for no, line in lines.items()} == paid
        figures = services.sales.x_report()[1]
        assert figures.refunds == 4550
    finally:
        services.close()


def test_nothing_to_pay_back_when_keeping_is_dearer(shop_db: Path, clock: FixedClock) -> None:
    services = _open(shop_db, clock)
    try:
        number = _sell(services, *[LAUNDRY] * 10, PEN)  # 51.20 - 5.00 = 46.20
        pen = _line(services, number, "Highlighter pen yellow")
        assert services.refunds.quote(number, {pen: 1}).total == 0  # 50.00 kept: no discount
        with pytest.raises(RefundFailed, match="Nothing to pay back: 5 off over 50 no longer"):
            services.refunds.refund(number, {pen: 1}, "cash", reason="Faulty")
    finally:
        services.close()


def _refunded_in(
    db: Path, clock: FixedClock, codes: tuple[str, ...], parts: list[dict[str, int]]
) -> int:
    """Sell ``codes`` and refund ``parts`` one after the other; what they paid back."""
    services = _open(db, clock)
    try:
        number = _sell(services, *codes)
        names = {line.name: line.line_no for line in services.refunds.lines(number) or []}
        for part in parts:
            quantities = {names[name]: qty for name, qty in part.items()}
            quote = services.refunds.quote(number, quantities).total
            try:
                done = services.refunds.refund(number, quantities, "cash", reason="Faulty")
                assert done.amount == quote  # the screen showed what was paid back
            except RefundFailed:  # nothing to pay back: refused, the goods stay
                assert quote == 0
                raise
        return services.sales.x_report()[1].refunds
    finally:
        services.close()


@pytest.mark.parametrize(
    ("codes", "first", "then"),
    [
        ((LEMON, LEMON, LEMON, PEN), {"Lemons unwaxed": 1}, {"Lemons unwaxed": 1}),
        ((LEMON, LEMON, LEMON, PEN), {"Highlighter pen yellow": 1}, {"Lemons unwaxed": 2}),
        ((*[LAUNDRY] * 9, COFFEE), {"Instant coffee 200g": 1}, {"Laundry powder 1.3kg": 4}),
        (
            (*[LAUNDRY] * 9, COFFEE, PEN),
            {"Highlighter pen yellow": 1},
            {"Instant coffee 200g": 1},
        ),
        (
            (*[LAUNDRY] * 9, COFFEE, PEN),
            {"Instant coffee 200g": 1},
            {"Laundry powder 1.3kg": 5, "Highlighter pen yellow": 1},
        ),
    ],
)
def test_two_refunds_add_up_to_one_of_the_same_units(
    tmp_path: Path,
    clock: FixedClock,
    codes: tuple[str, ...],
    first: dict[str, int],
    then: dict[str, int],
) -> None:
    dbs = []
    for name in ("split", "whole"):
        path = tmp_path / name / "shop.sqlite"
        path.parent.mkdir()
        init_database(
            path,
            demo_catalog=DEMO_CATALOG,
            demo_discounts=DEMO_DISCOUNTS,
            demo_operators=True,
            hasher=FAST_HASHER,
        )
        dbs.append(path)
    together = dict(first)
    for name, qty in then.items():
        together[name] = together.get(name, 0) + qty
    split = _refunded_in(dbs[0], clock, codes, [first, then])
    whole = _refunded_in(dbs[1], clock, codes, [together])
    assert split == whole


def test_a_sale_saved_before_rules_were_kept_refunds_its_share(
    shop_db: Path, clock: FixedClock
) -> None:
    services = _open(shop_db, clock)
    try:
        number = _sell(services, LEMON, LEMON, LEMON, PEN)
        services.db.execute_sql("UPDATE sale SET rules = NULL, priced_at = NULL")  # as v6 left it
        lemons = _line(services, number, "Lemons unwaxed")
        first = services.refunds.refund(number, {lemons: 1}, "cash", reason="Faulty")
        assert first.amount == 43  # 1.30 * 1 / 3, floored
        assert "no longer applies" not in first.receipt_text
        assert services.refunds.refund(number, {lemons: 2}, "cash", reason="Faulty").amount == 87
    finally:
        services.close()


def test_the_sale_keeps_the_rules_that_priced_it(services: Services) -> None:
    row = services.db.execute_sql("SELECT rules, priced_at FROM sale").fetchone()
    assert json.loads(row[0]) == [
        {"name": "Lemons 3 for 1.30", "kind": "multibuy", "items": {LEMON: 3}, "price": "1.30"}
    ]
    assert row[1] == "2026-03-14T09:30:00"  # local time (the tests run in UTC)


def test_a_cashier_needs_a_manager_for_a_refund(services: Services) -> None:
    services.guard.logout()
    services.sessions.login(*CASHIER)
    clerk = services.guard.identity
    assert clerk is not None
    pen = next(line for line in services.refunds.lines(1) or [] if line.name.startswith("High"))
    with pytest.raises(RefundFailed, match="needs a manager"):
        services.refunds.refund(1, {pen.line_no: 1}, "cash", reason="Faulty")
    action = services.refunds.action(1, {pen.line_no: 1}, "cash", reason="Faulty")
    token = services.approvals.grant(
        "9001", "7391", requester="1001", scope="refund", action=action
    )
    with pytest.raises(RefundFailed):  # bound to one line: not valid for another method
        services.refunds.refund(1, {pen.line_no: 1}, "card", approval=token, reason="Faulty")
    done = services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token, reason="Faulty")
    assert done.amount == 120
    events = [e.event for e in services.audit.entries()]
    assert events[-2:] == ["override", "refund"]
    with pytest.raises(RefundFailed):  # the approval is used up
        services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token, reason="Faulty")


def test_nothing_or_no_such_sale(services: Services) -> None:
    boss = services.guard.identity
    assert boss is not None
    with pytest.raises(RefundFailed, match="Choose what comes back"):
        services.refunds.refund(1, {}, "cash", reason="Faulty")
    with pytest.raises(RefundFailed, match="No sale 0009"):
        services.refunds.refund(9, {1: 1}, "cash", reason="Faulty")
    assert services.refunds.lines(9) is None


def test_a_refund_asks_the_guard_when_it_is_made(services: Services) -> None:
    """A refund that runs after a manager's approval, or after the session ended, is
    checked then: the service asks the guard, it takes no identity from the screen."""
    services.guard.logout()
    services.sessions.login(*CASHIER)
    pen = next(line for line in services.refunds.lines(1) or [] if line.name.startswith("High"))
    action = services.refunds.action(1, {pen.line_no: 1}, "cash", reason="Faulty")
    token = services.approvals.grant(
        "9001", "7391", requester="1001", scope="refund", action=action
    )
    shell_admin(services, "9001").deactivate("1001")  # while the manager was typing
    with pytest.raises(LoginRequired):
        services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token, reason="Faulty")
    assert services.guard.session is None
    with pytest.raises(LoginRequired):  # nobody at the till: the sale is not shown either
        services.refunds.lines(1)
    assert [line.refunded for line in services.refunds.sales.refundable(1) or []] == [0, 0]
    events = [e.event for e in services.audit.entries()]
    assert "refund" not in events
    assert "override" not in events
    # another cashier logged in now cannot use 1001's approval either
    shell_admin(services, "9001").add("1002", "Other Cashier", "cashier", "3690")
    services.sessions.login("1002", "3690")
    with pytest.raises(RefundFailed, match="another action"):
        services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token, reason="Faulty")

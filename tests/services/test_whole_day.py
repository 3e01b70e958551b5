"""A trading day with every kind of sale, refund and cash movement of issue 21, and the Z
report's expected cash against a drawer counted beside it: cash in for what each cash sale
took (after promotions and the cashier's discounts), cash out for each cash refund (of a
sale, or without a receipt), the float, paid in and out, and the pickups; card money and
No sales never touch it. Closing the day with the drawer's count gives no difference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.returns import ReturnLine
from pos.services.container import Services, build_services
from tests.conftest import FAST_HASHER, MANAGER

pytestmark = pytest.mark.backends  # on SQLite and on a store's PostgreSQL server

PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50
MILK = "5010000123451"  # 1.45, no deal
BREAD = "5010222129514"  # 1.35


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def ring_up(
    services: Services, *codes: str, card: bool = False, line: str = "", sale: str = ""
) -> tuple[int, int]:
    """Scan ``codes``, give a line discount on the first line and a sale discount (if
    asked), pay by card or with a 20.00 note; the receipt number and what was due."""
    for code in codes:
        assert not services.checkout.submit(code).error
    if line:
        first = services.checkout.cart.lines[0].line_no
        assert not services.manual_discounts.give(first, line, "Damaged").error
    if sale:
        assert not services.manual_discounts.give(None, sale, "Staff").error
    tender = services.sales.start()
    due = tender.due
    if card:
        tender.card()
    else:
        tender.cash(2000)
    done = services.sales.complete(tender)
    assert done.change == (0 if card else 2000 - due)
    return done.receipt_no, due


def test_the_z_expects_what_the_drawer_holds_after_every_kind_of_movement(
    services: Services, clock: FixedClock
) -> None:
    drawer = 5000
    services.days.open_day(drawer)  # the float

    receipt, due = ring_up(services, MILK, PEN, LEMON, line="10%", sale="5")  # cash
    drawer += due
    _, due_card = ring_up(services, BREAD, card=True)  # card: not in the drawer
    receipt2, due2 = ring_up(services, MILK, line="0.45")  # cash, an amount off
    drawer += due2

    # a refund of the manually discounted milk: what was paid for it, in cash
    milk = next(line for line in services.refunds.lines(receipt) or [] if line.barcode == MILK)
    back = services.refunds.refund(receipt, {milk.line_no: 1}, "cash", reason="Faulty")
    assert back.amount < 145  # its 10% and its share of the sale's 5% stay off
    drawer -= back.amount
    whole = services.refunds.lines(receipt2) or []
    back2 = services.refunds.refund(receipt2, {whole[0].line_no: 1}, "card", reason="Damaged")
    assert back2.amount == due2  # all that was paid for it (1.45 - 0.45), to the card

    # refunds without a receipt: a lower price in cash, today's by card
    lemon, pen = services.returns.item(LEMON, 1), services.returns.item(PEN, 1)
    assert isinstance(lemon, ReturnLine), lemon
    assert isinstance(pen, ReturnLine), pen
    drawer -= services.returns.refund([lemon.priced(40)], "cash", "Changed mind").amount
    services.returns.refund([pen], "card", "Faulty")

    clock.advance(minutes=5)
    services.cash.record("paid_in", 2000, "Float top-up")
    drawer += 2000
    services.cash.record("paid_out", 550, "Window cleaner")
    drawer -= 550
    services.cash.record("pickup", 3000, "Safe drop")
    drawer -= 3000
    services.cash.record("no_sale", 0, "Change for a customer")

    x = services.sales.x_report()[1]
    assert x.expected_cash(5000) == drawer
    cash_up = services.days.close_day(drawer)
    assert cash_up.day.expected == drawer
    assert cash_up.difference == 0
    figures: dict[str, Any] = cash_up.figures.as_json()
    assert figures["manual_discounts"]["count"] == 3
    assert figures["unreceipted_refunds"]["count"] == 2
    assert figures["cash_movements"] == {
        "paid_in": "20.00",
        "paid_out": "5.50",
        "pickups": "30.00",
        "no_sales": 1,
    }
    assert set(figures["refund_reasons"]) == {"Faulty", "Damaged", "Changed mind"}
    assert due_card > 0

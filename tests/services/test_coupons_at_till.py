"""Coupons at the till (issue 22, slice 3): scanned into the cart, refused saying why,
kept through a restart, used when the sale commits (in its transaction), and a till
that lost the race re-priced before payment. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.db.coupons import CouponRepository, Issue
from pos.db.repositories import DiscountRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.coupons import make_code
from pos.domain.rule_format import parse_rule
from pos.services.container import Services, build_services
from pos.services.outcomes import Change
from pos.services.sales import Repriced
from tests.conftest import FAST_HASHER, FIXED_NOW, MANAGER

pytestmark = pytest.mark.backends

LEMON = "5000000000012"  # 0.50
PEN = "4006381333931"  # 1.20 (two: 0.20 off, a demo deal)
MILK = "5010000123451"  # 1.45


def _rules(db: Path) -> None:
    services = build_services(
        db, clock=FixedClock(FIXED_NOW), ids=SequentialIds(), hasher=FAST_HASHER
    )
    try:
        DiscountRepository(services.db).upsert_many(
            [
                parse_rule(
                    {"name": "Pound off", "kind": "basket_amount_off", "amount": "1.00",
                     "coupon": True}
                ),
                parse_rule(
                    {"name": "Two pens for 2.00", "kind": "multibuy", "items": {PEN: 2},
                     "price": "2.00", "coupon": True, "priority": 5}
                ),
                parse_rule(
                    {"name": "Milk for 10p", "kind": "multibuy", "items": {MILK: 1},
                     "price": "0.10", "max_uses": 1}
                ),
            ]
        )  # fmt: skip
    finally:
        services.close()


@pytest.fixture
def db(shop_db: Path) -> Path:
    _rules(shop_db)
    return shop_db


OPENED = itertools.count(1)


def _till(db: Path, clock: FixedClock, till: str = "Till 1") -> Services:
    ids = SequentialIds()
    ids._n = 1_000 * next(OPENED)  # each till its own ids, as UUIDs would be
    built = build_services(db, clock=clock, ids=ids, hasher=FAST_HASHER, till_name=till)
    built.sessions.login(*MANAGER)
    return built


@pytest.fixture
def services(db: Path, clock: FixedClock) -> Iterator[Services]:
    built = _till(db, clock)
    yield built
    built.close()


def _issue(services: Services, uses: int = 1, digits: str = "1234567") -> str:
    code = make_code("001", digits)
    CouponRepository(services.db).issue(
        Issue("Pound off", 1, uses, None, services.clock.now(), None), lambda: code
    )
    return code


def _pay(services: Services) -> int:
    tender = services.sales.start()
    tender.cash(tender.due)
    return services.sales.complete(tender).receipt_no


def test_a_scanned_coupon_adds_its_row_and_unlocks_its_rule(services: Services) -> None:
    code = _issue(services)
    co = services.checkout
    co.submit(LEMON)
    co.submit(LEMON)
    assert co.priced.discount_total == 0
    outcome = co.submit(code)
    assert (outcome.change, outcome.message, outcome.error) == (
        Change.RELOAD,
        "Coupon: Pound off",
        False,
    )
    assert [c.code for c in co.coupons] == [code]
    assert co.priced.discount_total == 100
    again = co.submit(code)  # the same code twice counts once
    assert "in the sale already: it counts once" in again.message
    assert len(co.coupons) == 1
    assert co.priced.discount_total == 100


def test_refused_codes_say_which_and_change_nothing(services: Services) -> None:
    code = _issue(services)
    used = _issue(services, digits="7654321")
    repo = CouponRepository(services.db)
    assert repo.take_use(used, services.clock.now().date())
    voided = _issue(services, digits="1111111")
    repo.void(voided)
    co = services.checkout
    co.submit(LEMON)
    cases = {
        code[:-1] + str((int(code[-1]) + 1) % 10): "has a bad check digit",
        make_code("042", "1234567"): "is from store 042; this is store 001",
        make_code("001", "9999999"): "is not known here",
        used: "is used up",
        voided: "was voided",
        "3*" + code: "A coupon cannot be multiplied",
    }
    for scanned, message in cases.items():
        outcome = co.submit(scanned)
        assert outcome.error, scanned
        assert message in outcome.message
    assert co.coupons == ()
    assert len(co.cart) == 1


def test_a_coupon_stays_with_the_cart_through_a_restart_and_can_be_taken_off(
    db: Path, clock: FixedClock
) -> None:
    first = _till(db, clock)
    code = _issue(first)
    first.checkout.submit(PEN)
    first.checkout.submit(code)
    first.close()
    again = _till(db, clock)
    try:
        co = again.checkout
        assert [c.code for c in co.coupons] == [code]
        assert co.priced.by_name()["Pound off"].amount == 100
        outcome = co.remove_coupon(code)
        assert (outcome.change, outcome.message) == (Change.RELOAD, "Coupon taken off: Pound off")
        assert co.coupons == ()
        assert "Pound off" not in co.priced.by_name()
        assert co.remove_coupon(code).error
    finally:
        again.close()


def test_the_sale_takes_the_use_and_prints_the_coupon(services: Services) -> None:
    code = _issue(services)
    co = services.checkout
    co.submit(PEN)
    co.submit(PEN)
    co.submit(code)
    tender = services.sales.start()
    tender.cash(tender.due)
    done = services.sales.complete(tender)
    assert "Coupon: Pound off" in done.receipt_text
    assert code in done.receipt_text
    coupon = CouponRepository(services.db).get(code)
    assert coupon is not None
    assert coupon.uses_left == 0
    assert co.coupons == ()  # the next cart starts without it
    assert co.submit(code).message.endswith("is used up (1 of 1)")


def test_a_voided_carts_coupon_goes_with_it_unused(services: Services) -> None:
    code = _issue(services)
    co = services.checkout
    co.submit(LEMON)
    co.submit(code)
    assert co.priced.total == 0  # 0.50 with a pound off
    co.void_cart()
    assert co.coupons == ()
    co.submit(PEN)
    _pay(services)
    coupon = CouponRepository(services.db).get(code)
    assert coupon is not None
    assert coupon.uses_left == 1


def test_the_till_that_loses_the_race_is_repriced_before_money_is_taken(
    db: Path, clock: FixedClock
) -> None:
    one, two = _till(db, clock, "Till 1"), _till(db, clock, "Till 2")
    try:
        code = _issue(one)
        for till in (one, two):
            till.checkout.submit(PEN)
            till.checkout.submit(PEN)
            till.checkout.submit(code)
            assert till.checkout.priced.total == 120
        paying = two.sales.start()  # till 2 is at its payment screen
        paying.cash(paying.due)
        _pay(one)  # till 1 takes the coupon's only use
        with pytest.raises(Repriced, match=f"Coupon {code} \\(Pound off\\) was just used up"):
            two.sales.complete(paying)
        assert two.checkout.coupons == ()
        assert two.sales.start().due == 220  # re-priced: pay again
        assert two.sales.recheck_coupons() == ""
        _pay(two)
        coupon = CouponRepository(one.db).get(code)
        assert coupon is not None
        assert coupon.uses_left == 0
        rows = one.db.execute_sql("SELECT COUNT(*) FROM sale_coupon").fetchone()[0]
        assert rows == 1
    finally:
        one.close()
        two.close()


def test_the_payment_screen_rechecks_a_coupon_used_up_while_scanning(
    db: Path, clock: FixedClock
) -> None:
    one, two = _till(db, clock, "Till 1"), _till(db, clock, "Till 2")
    try:
        code = _issue(one)
        for till in (one, two):
            till.checkout.submit(PEN)
            till.checkout.submit(code)
        _pay(one)
        note = two.sales.recheck_coupons()
        assert note == f"Coupon {code} is used up (1 of 1): taken off, the sale re-priced"
        assert two.sales.start().due == 120
    finally:
        one.close()
        two.close()


def test_max_uses_on_a_rule_counts_sales_across_tills(db: Path, clock: FixedClock) -> None:
    one, two = _till(db, clock, "Till 1"), _till(db, clock, "Till 2")
    try:
        for till in (one, two):
            till.checkout.submit(MILK)
            assert till.checkout.priced.by_name()["Milk for 10p"].amount == 135
        paying = two.sales.start()
        paying.cash(paying.due)
        _pay(one)
        with pytest.raises(Repriced, match="The deal 'Milk for 10p' was just used up"):
            two.sales.complete(paying)
        assert two.sales.start().due == 145
        _pay(two)
        used = one.db.execute_sql("SELECT used FROM rule_use WHERE rule = 'Milk for 10p'")
        assert used.fetchone()[0] == 1
    finally:
        one.close()
        two.close()


def test_a_refund_that_breaks_the_coupons_deal_gives_its_use_back(services: Services) -> None:
    code = make_code("001", "5555555")
    CouponRepository(services.db).issue(
        Issue("Two pens for 2.00", 1, 1, None, services.clock.now(), None), lambda: code
    )
    co = services.checkout
    co.submit(PEN)
    co.submit(PEN)
    co.submit(code)
    assert co.priced.by_name()["Two pens for 2.00"].amount == 40
    number = _pay(services)
    repo = CouponRepository(services.db)
    assert repo.get(code).uses_left == 0  # type: ignore[union-attr]
    [pens] = services.refunds.lines(number) or []
    done = services.refunds.refund(number, {pens.line_no: 1}, "cash", reason="Faulty")
    assert "Two pens for 2.00 no longer applies" in done.receipt_text
    assert f"Coupon {code} given back\n" in done.receipt_text
    assert repo.get(code).uses_left == 1  # type: ignore[union-attr]
    assert repo.of_receipt("Till 1", number) == [(code, "Two pens for 2.00", True)]
    # the rest of the sale: the deal was lost already, the use is not given back twice
    again = services.refunds.refund(number, {pens.line_no: 1}, "cash", reason="Faulty")
    assert "given back" not in again.receipt_text
    assert repo.get(code).uses_left == 1  # type: ignore[union-attr]


def test_a_refund_that_keeps_the_deal_keeps_the_use(services: Services) -> None:
    code = _issue(services)
    co = services.checkout
    co.submit(PEN)
    co.submit(LEMON)
    co.submit(code)
    number = _pay(services)
    lines = {line.barcode: line for line in services.refunds.lines(number) or []}
    done = services.refunds.refund(number, {lines[LEMON].line_no: 1}, "cash", reason="Faulty")
    # what the lemon's line was paid (its share of the pound off taken): the pen kept is
    # priced with the coupon's deal still on (without it, 1.20 kept: nothing to pay back)
    assert done.amount == 21
    assert "given back" not in done.receipt_text
    assert CouponRepository(services.db).get(code).uses_left == 0  # type: ignore[union-attr]


def test_a_coupon_rule_added_while_the_till_is_open_takes_its_coupon_at_once(
    services: Services, clock: FixedClock
) -> None:
    """The till read the rules at its first scan; a manager adds a coupon rule and its
    codes after: the first scan of such a code is taken, not refused as "no longer a
    deal" until an item is scanned (review of issue 22)."""
    checkout = services.checkout
    checkout.submit(PEN)
    DiscountRepository(services.db).upsert_many(
        [parse_rule({"name": "Lemon deal", "kind": "basket_amount_off", "amount": "0.30",
                     "coupon": True})]
    )  # fmt: skip
    code = make_code("001", "3333333")
    CouponRepository(services.db).issue(
        Issue("Lemon deal", 1, 1, None, clock.now(), None), lambda: code
    )
    outcome = checkout.submit(code)
    assert not outcome.error, outcome.message
    assert outcome.message == "Coupon: Lemon deal"
    assert checkout.priced.total == 120 - 30


def test_a_number_typed_after_a_coupon_changes_no_line(services: Services) -> None:
    """Straight after an item a number corrects its quantity; after a coupon scanned
    next, it corrects nothing (a coupon counts once; review of issue 22)."""
    code = _issue(services)
    checkout = services.checkout
    checkout.submit(LEMON)
    assert not checkout.submit(code).error
    outcome = checkout.submit("3")
    assert outcome.error
    assert "A coupon counts once" in outcome.message
    assert [(line.barcode, line.qty) for line in checkout.cart.lines] == [(LEMON, 1)]

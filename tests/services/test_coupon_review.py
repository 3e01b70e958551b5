"""Coupons, second review (issue 22): a rule's max_uses seen by every till, given back by
a refund; a commit's refusal by its real cause; a code whose rule no longer needs one; a
free sale's refund; old products in the coupon range; the other scan paths; one order
for the rows a sale takes. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest
from stdnum import ean

from pos.db.coupons import CouponRepository, Issue
from pos.db.repositories import DiscountRepository
from pos.domain.clock import FixedClock
from pos.domain.coupons import make_code
from pos.domain.rule_format import parse_rule
from pos.services.outcomes import Outcome
from pos.services.refunds import RefundFailed
from pos.services.sales import Repriced
from tests.dbtools import undo_v19, undo_v20, undo_vouchers
from tests.services.test_coupons_at_till import LEMON, MILK, PEN, _issue, _pay, _rules, _till

pytestmark = pytest.mark.backends


def test_a_rule_at_its_max_uses_is_left_out_by_every_till(shop_db: Path, clock: FixedClock) -> None:
    _rules(shop_db)  # "Milk for 10p": max_uses 1
    one = _till(shop_db, clock, "Till 1")
    two = _till(shop_db, clock, "Till 2")
    try:
        two.checkout.submit(MILK)  # scanning while till 1 sells the last use
        assert two.sales.start().due == 10
        one.checkout.submit(MILK)
        _pay(one)
        # the till that used it: the next customer's recheck leaves it out, saying why
        one.checkout.submit(MILK)
        said = one.sales.recheck_coupons()
        assert said == (
            "The deal 'Milk for 10p' has had all its 1 uses: taken off, the sale re-priced"
        )
        assert one.sales.start().due == 145
        # the other till, at its payment screen, likewise (before any money is taken)
        assert "has had all its 1 uses" in two.sales.recheck_coupons()
        tender = two.sales.start()
        assert tender.due == 145
        tender.cash(tender.due)
        two.sales.complete(tender)
    finally:
        one.close()
        two.close()
    three = _till(shop_db, clock, "Till 3")  # a till started now: left out at rule load
    try:
        three.checkout.submit(MILK)
        assert three.sales.start().due == 145
        assert three.sales.recheck_coupons() == ""
    finally:
        three.close()


def test_a_refund_that_breaks_a_capped_deal_gives_its_use_back(
    shop_db: Path, clock: FixedClock
) -> None:
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        DiscountRepository(t.db).upsert_many(
            [
                parse_rule(
                    {"name": "Pens 2 for 2", "kind": "multibuy", "items": {PEN: 2},
                     "price": "2.00", "coupon": True, "max_uses": 1}
                )
            ]
        )  # fmt: skip
        code = make_code("001", "6666666")
        repo = CouponRepository(t.db)
        repo.issue(Issue("Pens 2 for 2", 1, 1, None, clock.now(), None), lambda: code)
        co = t.checkout
        co.submit(PEN)
        co.submit(PEN)
        co.submit(code)
        number = _pay(t)
        assert repo.rule_uses(["Pens 2 for 2"]) == {"Pens 2 for 2": 1}
        [pens] = t.refunds.lines(number) or []
        done = t.refunds.refund(number, {pens.line_no: 2}, "cash", reason="Faulty")
        assert f"Coupon {code} given back" in done.receipt_text
        assert repo.rule_uses(["Pens 2 for 2"]) == {"Pens 2 for 2": 0}
        # the customer comes back with the code: its deal is good again
        co.submit(PEN)
        co.submit(PEN)
        co.submit(code)
        assert t.sales.recheck_coupons() == ""
        tender = t.sales.start()
        assert tender.due == 200
        tender.cash(tender.due)
        t.sales.complete(tender)
    finally:
        t.close()


def test_a_refund_says_given_back_only_for_what_it_gave_back(
    shop_db: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another refund of the same sale at once (its read of the sale's coupons stale)
    gave the use back first: this refund's receipt does not say it did too."""
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        code = _issue(t, uses=2)
        t.checkout.submit(PEN)
        t.checkout.submit(code)
        number = _pay(t)
        repo = CouponRepository(t.db)
        with t.db.atomic():
            assert repo.return_use("Till 1", number, code)  # the other refund, just before
        stale = CouponRepository.of_receipt
        monkeypatch.setattr(
            CouponRepository,
            "of_receipt",
            lambda self, till, no: [(c, r, False) for c, r, _ in stale(self, till, no)],
        )
        [pen] = t.refunds.lines(number) or []
        done = t.refunds.refund(number, {pen.line_no: 1}, "cash", reason="Faulty")
        assert "given back" not in done.receipt_text
        coupon = repo.get(code)
        assert coupon is not None
        assert coupon.uses_left == 2  # given back once, not twice
    finally:
        t.close()


def test_a_code_that_expired_during_payment_says_so_at_the_commit(shop_db: Path) -> None:
    _rules(shop_db)
    clock = FixedClock(datetime(2026, 3, 14, 23, 59, 0).astimezone())  # local 23:59
    t = _till(shop_db, clock)
    try:
        code = make_code("001", "2222222")
        CouponRepository(t.db).issue(
            Issue("Pound off", 1, 1, date(2026, 3, 14), clock.now(), None), lambda: code
        )
        t.checkout.submit(PEN)
        t.checkout.submit(code)
        assert t.sales.recheck_coupons() == ""
        tender = t.sales.start()
        tender.cash(tender.due)
        clock.advance(seconds=90)  # past midnight: its last day is over
        with pytest.raises(Repriced) as exc:
            t.sales.complete(tender)
        assert str(exc.value).startswith(f"Coupon {code} (Pound off) expired on 2026-03-14")
        assert "another till" not in str(exc.value)
    finally:
        t.close()


def test_a_voided_code_at_the_commit_says_voided(shop_db: Path, clock: FixedClock) -> None:
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        code = _issue(t)
        t.checkout.submit(PEN)
        t.checkout.submit(code)
        assert t.sales.recheck_coupons() == ""
        tender = t.sales.start()
        tender.cash(tender.due)
        CouponRepository(t.db).void(code)  # a manager, while the customer pays
        with pytest.raises(Repriced) as exc:
            t.sales.complete(tender)
        assert str(exc.value).startswith(f"Coupon {code} (Pound off) was voided")
    finally:
        t.close()


def test_a_code_whose_rule_no_longer_needs_one_is_not_used(
    shop_db: Path, clock: FixedClock
) -> None:
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        code = _issue(t, uses=1)
        co = t.checkout
        co.submit(PEN)
        co.submit(code)
        DiscountRepository(t.db).upsert_many(
            [parse_rule({"name": "Pound off", "kind": "basket_amount_off", "amount": "1.00"})]
        )
        co.submit(PEN)  # re-priced with the new rules: the deal for everyone
        assert co.used_coupons() == ()
        said = t.sales.recheck_coupons()
        assert "is now a deal for everyone (the coupon is not used)" in said
        assert co.coupons == ()
        number = _pay(t)
        coupon = CouponRepository(t.db).get(code)
        assert coupon is not None
        assert coupon.uses_left == 1
        assert code not in (t.sales.receipt(number) or "")
    finally:
        t.close()


def test_a_free_sales_refund_says_what_to_do_with_its_coupon(
    shop_db: Path, clock: FixedClock
) -> None:
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        code = _issue(t)
        t.checkout.submit(LEMON)
        t.checkout.submit(code)
        tender = t.sales.start()
        assert tender.due == 0
        number = t.sales.complete(tender).receipt_no
        [lemon] = t.refunds.lines(number) or []
        with pytest.raises(RefundFailed) as exc:
            t.refunds.refund(number, {lemon.line_no: 1}, "cash", reason="Faulty")
        assert str(exc.value) == (
            f"Nothing to pay back: Pound off no longer applies. Coupon {code} stays used "
            "(the sale was paid by its deal): give the customer a new one "
            "(pos coupons issue --rule 'Pound off' --count 1)"
        )
    finally:
        t.close()


def _old_99_product(shop_db: Path) -> str:
    """A product with a 99... barcode, added before coupons (v18)."""
    body = "990012345678"
    code = body + ean.calc_check_digit(body)
    con = sqlite3.connect(shop_db)
    undo_vouchers(con)  # back to v18: the gift vouchers, the claims, the codes
    undo_v20(con)
    undo_v19(con)
    con.execute("PRAGMA user_version=18")
    con.execute(
        "INSERT INTO product (barcode, name, price, tax_rate, unit) "
        "VALUES (?, 'House blend coffee', 450, 0, 'each')",
        (code,),
    )
    con.commit()
    con.close()
    return code


@pytest.mark.sqlite_only
def test_an_old_product_in_the_coupon_range_still_sells_and_is_never_issued(
    shop_db: Path, clock: FixedClock
) -> None:
    code = _old_99_product(shop_db)
    _rules(shop_db)  # opens it: v19 and on
    t = _till(shop_db, clock)
    try:
        scanned = t.checkout.submit(code)
        assert not scanned.error
        assert scanned.message.startswith("House blend coffee")
        assert t.sales.start().due == 450
        repo = CouponRepository(t.db)
        assert repo.products_in_range() == [(code, "House blend coffee")]
        draws = iter([code, make_code("001", "7777777")])
        [made] = repo.issue(Issue("Pound off", 1, 1, None, clock.now(), None), lambda: next(draws))
        assert made.code != code  # the product's barcode is never a coupon's code
    finally:
        t.close()


def test_a_coupon_on_the_price_check_and_a_return_says_it_is_one(
    shop_db: Path, clock: FixedClock
) -> None:
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        code = _issue(t)
        said = f"{code} is a coupon, not a product: scan it into a sale on the scanning screen"
        found = t.price_check.look_up(code)
        assert getattr(found, "message", None) == said
        back = t.returns.item(code)
        assert getattr(back, "message", None) == said
    finally:
        t.close()


def test_a_sale_takes_its_coupons_in_code_order(
    shop_db: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two carts with the same codes scanned in opposite orders take their rows in one
    order (no deadlock on a server)."""
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        pens = make_code("001", "9999999")
        CouponRepository(t.db).issue(
            Issue("Two pens for 2.00", 1, 5, None, clock.now(), None), lambda: pens
        )
        pound = _issue(t, uses=5)
        assert pound < pens
        taken: list[str] = []
        real = CouponRepository.take_use

        def recorded(self: CouponRepository, code: str, today: date) -> bool:
            taken.append(code)
            return real(self, code, today)

        monkeypatch.setattr(CouponRepository, "take_use", recorded)
        co = t.checkout
        for scan in (PEN, PEN, LEMON, LEMON, LEMON, pens, pound):
            co.submit(scan)
        assert [c.code for c in co.used_coupons()] == [pens, pound]
        _pay(t)
        assert taken == [pound, pens]
    finally:
        t.close()


def test_the_parked_carts_list_shows_totals_with_their_coupons(
    shop_db: Path, clock: FixedClock
) -> None:
    _rules(shop_db)
    t = _till(shop_db, clock)
    try:
        code = _issue(t)
        co = t.checkout
        co.submit(PEN)
        co.submit(code)
        assert co.priced.total == 20
        assert not co.park().error
        parked = co.parked()
        assert not isinstance(parked, Outcome)
        assert [p.total for p in parked] == [20]  # 1.20, 1.00 off with its coupon
    finally:
        t.close()

"""Coupons, second review (issue 22): a rule's max_uses seen by every till, given back by
a refund; a commit's refusal by its real cause; a code whose rule no longer needs one; a
free sale's refund; old products in the coupon range; the other scan paths; one order
for the rows a sale takes. On SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from stdnum import ean

from pos.domain.clock import FixedClock
from tests.dbtools import undo_v19
from tests.services.test_coupons_at_till import MILK, _pay, _rules, _till

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


def _old_99_product(shop_db: Path) -> str:
    """A product with a 99... barcode, added before coupons (v18)."""
    body = "990012345678"
    code = body + ean.calc_check_digit(body)
    con = sqlite3.connect(shop_db)
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

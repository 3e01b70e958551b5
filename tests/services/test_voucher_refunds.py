"""A refund of a sale paid by gift voucher can go back onto the voucher (issue 22, slice
6): at most what the vouchers paid (less earlier refunds), never above a voucher's value,
never onto a voided or expired one; the refund receipt says what each now holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pos.db.errors import bound
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.vouchers import Voucher, make_code
from pos.services.container import Services, build_services
from pos.services.refunds import RefundFailed
from tests.conftest import FAST_HASHER, FIXED_NOW, MANAGER

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"  # 1.20
CARD = make_code("001", "000000000005")


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    assert built.vouchers is not None
    built.vouchers.repo.issue([Voucher(CARD, 500, 500, date(2027, 1, 1))], FIXED_NOW)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def _balance(services: Services) -> int:
    with bound(services.db):
        return int(services.db.execute_sql("SELECT balance FROM voucher").fetchone()[0])


def _sell_pens(services: Services, count: int, *, voucher: bool = True) -> int:
    """``count`` pens (1.20 each): the card pays what it can, cash the rest."""
    assert services.vouchers is not None
    for _ in range(count):
        services.checkout.submit(PEN)
    tender = services.sales.start()
    if voucher:
        services.vouchers.pay(CARD, tender)
    if not tender.complete:
        tender.cash(tender.remaining)
    return services.sales.complete(tender).receipt_no


def test_a_refund_goes_back_onto_the_voucher(services: Services) -> None:
    sale = _sell_pens(services, 3)  # 3.60 off the 5.00 card: 1.40 left
    assert _balance(services) == 140
    refunds = services.refunds
    assert refunds.onto_vouchers(sale) == 360
    done = refunds.refund(sale, {1: 2}, "voucher", reason="Faulty")
    assert (done.amount, done.method) == (240, "voucher")
    assert _balance(services) == 380
    assert f"  Voucher ...{CARD[-4:]}" in done.receipt_text
    assert "Paid back by voucher                 £2.40" in done.receipt_text
    assert "    now holds                        £3.80" in done.receipt_text
    assert refunds.onto_vouchers(sale) == 120
    figures = services.sales.x_report()[1]
    assert (figures.refunds, figures.cash_refunds) == (240, 0)  # no cash left the drawer
    with pytest.raises(RefundFailed, match="Line 1: at most 1"):
        refunds.refund(sale, {1: 2}, "voucher", reason="Faulty")  # only 1 pen is left
    refunds.refund(sale, {1: 1}, "voucher", reason="Faulty")
    assert _balance(services) == 500  # back to its value, never above
    assert refunds.onto_vouchers(sale) == 0


def test_more_than_the_vouchers_paid_is_refused(services: Services) -> None:
    sale = _sell_pens(services, 6)  # 7.20: 5.00 by the card, 2.20 cash
    with pytest.raises(RefundFailed, match="Only 5.00 of this refund can go back"):
        services.refunds.refund(sale, {1: 6}, "voucher", reason="Faulty")
    assert _balance(services) == 0  # nothing changed
    assert services.sales.history("")[0].receipt_no == sale  # no refund saved
    done = services.refunds.refund(sale, {1: 4}, "voucher", reason="Faulty")  # 4.80 fits
    assert done.amount == 480
    assert _balance(services) == 480


def test_a_sale_not_paid_by_voucher_and_an_expired_voucher(services: Services) -> None:
    cash_sale = _sell_pens(services, 1, voucher=False)
    assert services.refunds.onto_vouchers(cash_sale) == 0
    with pytest.raises(RefundFailed, match="Only 0.00 of this refund"):
        services.refunds.refund(cash_sale, {1: 1}, "voucher", reason="Faulty")
    sale = _sell_pens(services, 1)
    with bound(services.db):
        services.db.execute_sql("UPDATE voucher SET expires = '2026-03-13'")
    with pytest.raises(RefundFailed, match="expired on 2026-03-13: refund to cash or card"):
        services.refunds.refund(sale, {1: 1}, "voucher", reason="Faulty")
    with pytest.raises(RefundFailed, match="Refund to cash or card"):
        services.refunds.refund(sale, {1: 1}, "cheque", reason="Faulty")


CHEDDAR = "5010148127496"  # 3.75, 0% VAT; the demo's "5 off over 50" counts it
GIFT_50 = "5012345670027"


def _gift_voucher_product(services: Services) -> None:
    mark = services.db.param
    with bound(services.db):
        services.db.execute_sql(
            "INSERT INTO product (barcode, name, price, tax_rate, unit, voucher) "
            f"VALUES ({mark}, 'Gift voucher 50', 5000, 0, 'each', 1)",
            (GIFT_50,),
        )
    assert services.vouchers is not None
    numbers = iter(range(100, 200))
    services.vouchers.draw = lambda: f"{next(numbers):012d}"


def _sell(services: Services, *codes: str, half_off: bool = False) -> int:
    for code in codes:
        assert not services.checkout.submit(code).error
    if half_off:
        assert not services.manual_discounts.give(None, "50%", "Damaged").error
    tender = services.sales.start()
    tender.cash(tender.due)
    return services.sales.complete(tender).receipt_no


@pytest.fixture
def shop(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    """The shop with its deals ("5 off over 50") and a 50.00 gift voucher product."""
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    _gift_voucher_product(built)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def test_a_voucher_sold_beside_goods_changes_none_of_their_refunds(shop: Services) -> None:
    """What is kept is re-priced as the sale priced it: the voucher line (never refunded,
    so always kept) counts towards no "spend over" deal and takes no share of a sale
    discount (review of issue 22: 7.50 came back instead of 2.50)."""
    services = shop
    alone = _sell(services, *[CHEDDAR] * 14)  # 52.50 less "5 off over 50"
    beside = _sell(services, GIFT_50, *[CHEDDAR] * 14)
    quoted = services.refunds.quote(alone, {1: 2}).total
    assert services.refunds.quote(beside, {2: 2}).total == quoted == 250
    assert services.refunds.refund(beside, {2: 2}, "cash", reason="Faulty").amount == 250
    alone = _sell(services, PEN, PEN, half_off=True)
    beside = _sell(services, GIFT_50, PEN, PEN, half_off=True)
    assert (
        services.refunds.quote(beside, {2: 1}).total == services.refunds.quote(alone, {1: 1}).total
    )

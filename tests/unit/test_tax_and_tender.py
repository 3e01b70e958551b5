from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import Cart, CartLine
from pos.domain.catalog import Product, Unit
from pos.domain.pricing import price_cart
from pos.domain.rule_format import parse_rule
from pos.domain.tax import amount_due, share, vat_summary
from pos.domain.tender import Method, Tender, TenderError, quick_cash

AT = datetime(2026, 3, 14, 10)


@given(
    st.integers(0, 10**6),
    st.dictionaries(st.integers(0, 3000), st.integers(1, 10**5), min_size=1, max_size=4),
)
def test_shares_add_up_exactly(amount: int, weights: dict[int, int]) -> None:
    parts = share(amount, weights)
    assert sum(parts.values()) == amount
    assert set(parts) == set(weights)


def test_vat_inclusive_rows_add_up() -> None:
    cart = Cart()
    cart.put(CartLine.for_product(1, Product("5010000000011", "Pen", 333, 2000), 3))  # 9.99
    cart.put(CartLine.for_product(2, Product("5010000000028", "Bread", 145, 0), 1))
    cart.put(CartLine.for_product(3, Product("5010000000035", "Juice", 99, 500), 1))
    basket = parse_rule(
        {"name": "1 off over 5", "kind": "basket_amount_off", "min_subtotal": "5", "amount": "1.00"}
    )
    priced = price_cart(cart, [basket], AT)
    rows = vat_summary(cart.lines, priced)
    assert amount_due(rows) == priced.total == 1243 - 100
    assert all(r.net + r.vat == r.gross for r in rows)
    twenty = next(r for r in rows if r.rate == 2000)
    assert twenty.vat == round(twenty.gross / 6)  # 20% inclusive is a sixth


def test_an_item_discount_on_a_weighed_line_is_in_the_vat_summary() -> None:
    cart = Cart()
    bananas = Product("2100001000004", "Bananas", 85, 0, Unit.KG)
    cart.put(CartLine.for_product(1, bananas, 1000))  # 1 kg, 0.85
    happy = parse_rule(
        {"name": "20% off", "kind": "percent_off", "items": {"2100001000004": 1}, "percent": "20"}
    )
    priced = price_cart(cart, [happy], AT)
    assert amount_due(vat_summary(cart.lines, priced)) == priced.total == 68


def test_vat_exclusive_adds_tax() -> None:
    cart = Cart()
    cart.put(CartLine.for_product(1, Product("5010000000011", "Pen", 1000, 2000), 1))
    rows = vat_summary(cart.lines, price_cart(cart, [], AT), inclusive=False)
    assert [(r.net, r.vat, r.gross) for r in rows] == [(1000, 200, 1200)]


def test_cash_with_change_and_split_tender() -> None:
    tender = Tender(1243)
    card = tender.card(1000, "ref-77")
    assert (card.method, card.amount) == (Method.CARD, 1000)
    with pytest.raises(TenderError, match="more than is left"):
        tender.card(500)
    cash = tender.cash(2000)
    assert (cash.amount, cash.change) == (243, 1757)
    assert tender.complete
    assert tender.change == 1757
    with pytest.raises(TenderError, match="Nothing is left"):
        tender.cash(100)


@pytest.mark.parametrize("bad", [0, -5, 10**9])
def test_refused_amounts(bad: int) -> None:
    with pytest.raises(TenderError):
        Tender(500).cash(bad)


def test_quick_cash_offers_exact_and_next_notes() -> None:
    assert quick_cash(1243) == [1243, 1500, 2000, 5000]
    assert quick_cash(2000) == [2000, 5000]
    assert quick_cash(7) == [7, 500, 1000, 2000]


def test_repriced_keeps_what_was_taken_towards_the_new_amount() -> None:
    """A sale re-priced after its payments were taken (a coupon lost to another till):
    the card stands, cash counts again as handed over with its change worked out anew."""
    tender = Tender(20)
    tender.card(10, "AUTH1")
    tender.cash(500)  # 0.10 of it pays, 4.90 change
    again = tender.repriced(120)
    assert [(p.method, p.amount, p.tendered, p.change) for p in again.payments] == [
        (Method.CARD, 10, 10, 0),
        (Method.CASH, 110, 500, 390),
    ]
    assert again.complete
    assert again.change == 390
    short = Tender(20)
    short.cash(20)
    assert short.repriced(120).remaining == 100


def test_repriced_below_the_card_payments_is_refused() -> None:
    tender = Tender(120)
    tender.card(120)
    with pytest.raises(TenderError, match="The card paid 0.20 more than the new total"):
        tender.repriced(100)

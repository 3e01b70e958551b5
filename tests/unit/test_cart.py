from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import Cart, CartLine, line_total
from pos.domain.catalog import Product, Unit

MILK = Product("5010000000001", "Milk", 145, 0)
BANANAS = Product("2100001000004", "Bananas", 85, 0, Unit.KG)


def test_weighed_line_total_rounds_half_up() -> None:
    assert line_total(Unit.KG, 85, 850) == 72  # 0.7225 -> 0.72
    assert line_total(Unit.KG, 100, 5) == 1  # 1.00/kg x 5 g = 0.5 minor units -> 1 (half up)
    assert line_total(Unit.KG, 199, 1500) == 299  # 2.985 -> 2.99 (half up)
    assert line_total(Unit.EACH, 145, 3) == 435


def test_put_and_remove_keep_running_totals() -> None:
    cart = Cart()
    cart.put(CartLine.for_product(1, MILK, 2))
    cart.put(CartLine.for_product(2, BANANAS, 850))
    assert (cart.subtotal, cart.item_count, len(cart)) == (290 + 72, 3, 2)
    cart.put(cart.line(1).with_qty(5))
    assert cart.subtotal == 725 + 72
    removed = cart.remove(1)
    assert removed.qty == 5
    assert (cart.subtotal, cart.item_count) == (72, 1)
    assert cart.next_line_no == 3  # numbers are never reused


def test_one_line_per_product_but_price_codes_apart() -> None:
    cart = Cart()
    cart.put(CartLine.for_product(1, MILK, 1))
    with pytest.raises(ValueError, match="already has a line"):
        cart.put(CartLine.for_product(2, MILK, 1))
    cart.put(CartLine.for_product(2, MILK, 1, price=199))  # a price-label code: its own line
    assert cart.find((MILK.barcode, None)) is not None
    assert cart.find((MILK.barcode, 199)) is not None


def test_restored_cart_is_in_line_order() -> None:
    lines = [CartLine.for_product(3, MILK, 1), CartLine.for_product(1, BANANAS, 100)]
    assert [line.line_no for line in Cart(lines)] == [1, 3]


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 50)), max_size=60))
def test_incremental_totals_equal_a_full_recount(ops: list[tuple[int, int]]) -> None:
    products = [
        Product(f"50100000000{i}", f"P{i}", 37 * (i + 1), 0, Unit.KG if i == 5 else Unit.EACH)
        for i in range(6)
    ]
    cart = Cart()
    for index, qty in ops:
        product = products[index]
        existing = cart.find((product.barcode, None))
        if existing and qty % 7 == 0:
            cart.remove(existing.line_no)
        elif existing:
            cart.put(existing.with_qty(qty))
        else:
            cart.put(CartLine.for_product(cart.next_line_no, product, qty))
    assert cart.subtotal == sum(line.total for line in cart)
    assert cart.item_count == sum(line.items for line in cart)

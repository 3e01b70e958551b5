"""The pricing engine: every kind, every combination rule, and a brute-force check."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from collections.abc import Iterator
from datetime import datetime, time

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pos.domain import pricing
from pos.domain.cart import Cart, CartLine
from pos.domain.catalog import Product, Unit
from pos.domain.discounts import Rule
from pos.domain.pricing import AppliedDiscount, Pricer, components, price_cart
from pos.domain.pricing.components import _slots_for
from pos.domain.pricing.greedy import _heuristic
from pos.domain.pricing.search import _Search, _TooBig
from pos.domain.rule_format import parse_rule

AT = datetime(2026, 3, 14, 10, 0)  # a Saturday morning

LEMON = Product("5000000000012", "Lemons", 50)
BRUSH = Product("5000000000029", "Toothbrush", 150)
SANDWICH = Product("5000000000036", "Sandwich", 225)
CRISPS = Product("5000000000043", "Crisps", 95)
JUICE = Product("5000000000050", "Juice", 160)
RICE = Product("5012345678900", "Rice", 240)
PEN = Product("4006381333931", "Pen", 120)
BANANAS = Product("2100001000004", "Bananas", 85, 0, Unit.KG)
WINE = Product("5011332159811", "Wine", 750)


def rule(**data: object) -> Rule:
    return parse_rule({"name": "r", **data})


def cart_of(*items: tuple[Product, int]) -> Cart:
    cart = Cart()
    for product, qty in items:
        existing = cart.find((product.barcode, None))
        if existing:
            cart.put(existing.with_qty(existing.qty + qty))
        else:
            cart.put(CartLine.for_product(cart.next_line_no, product, qty))
    return cart


def discounts(cart: Cart, *rules: Rule, at: datetime = AT) -> dict[str, int]:
    return {d.name: d.amount for d in price_cart(cart, rules, at).discounts}


LEMONS_3_FOR_130 = rule(
    name="Lemons 3 for 1.30", kind="multibuy", items={LEMON.barcode: 3}, price="1.30"
)
BRUSH_3_FOR_2 = rule(name="Toothbrush 3 for 2", kind="free_items", items={BRUSH.barcode: 3}, free=1)
MEAL_DEAL = rule(
    name="Meal deal",
    kind="multibuy",
    any_of=[SANDWICH.barcode, CRISPS.barcode, JUICE.barcode],
    count=3,
    price="3.50",
)


# ---------------------------------------------------------------- each kind


def test_multibuy_once_per_complete_set() -> None:
    assert discounts(cart_of((LEMON, 2)), LEMONS_3_FOR_130) == {}
    assert discounts(cart_of((LEMON, 3)), LEMONS_3_FOR_130) == {"Lemons 3 for 1.30": 20}
    assert discounts(cart_of((LEMON, 7)), LEMONS_3_FOR_130) == {"Lemons 3 for 1.30": 40}
    priced = price_cart(cart_of((LEMON, 7)), [LEMONS_3_FOR_130], AT)
    assert (priced.subtotal, priced.discount_total, priced.total) == (350, 40, 310)
    assert priced.discounts[0].sets == 2
    assert priced.discounts[0].uses == ((1, 6),)


def test_free_items_makes_the_cheapest_free() -> None:
    assert discounts(cart_of((BRUSH, 3)), BRUSH_3_FOR_2) == {"Toothbrush 3 for 2": 150}
    mixed = rule(
        name="any 3 for 2",
        kind="free_items",
        any_of=[BRUSH.barcode, PEN.barcode, LEMON.barcode],
        count=3,
        free=1,
    )
    # 1.50, 1.50, 1.20 | 0.50 0.50 0.50: the cheapest of each set is free
    assert discounts(cart_of((BRUSH, 2), (PEN, 1), (LEMON, 3)), mixed) == {"any 3 for 2": 170}


def test_mix_and_match_uses_the_dearest_items() -> None:
    cart = cart_of((SANDWICH, 2), (CRISPS, 1), (JUICE, 1))
    # 2.25 + 2.25 + 1.60 = 6.10 -> 3.50 saves 2.60 (with crisps instead it would save 1.95)
    assert discounts(cart, MEAL_DEAL) == {"Meal deal": 260}


def test_percent_off_rounds_half_up_per_set() -> None:
    ten = rule(name="10%", kind="percent_off", items={PEN.barcode: 1}, percent="12.5")
    # 12.5% of 1.20 = 0.15 exactly; of 0.95 = 0.11875 -> 0.12
    assert discounts(cart_of((PEN, 3)), ten) == {"10%": 45}
    crisps = rule(name="c", kind="percent_off", items={CRISPS.barcode: 1}, percent="12.5")
    assert discounts(cart_of((CRISPS, 2)), crisps) == {"c": 24}


def test_percent_off_on_a_weighed_line_total() -> None:
    cart = Cart([CartLine.for_product(1, BANANAS, 1500)])  # 1.5 kg x 0.85 = 1.275 -> 1.28
    off = rule(name="b", kind="percent_off", items={BANANAS.barcode: 1}, percent="15")
    assert cart.subtotal == 128
    assert discounts(cart, off) == {"b": 19}  # 15% of 1.28 = 0.192 -> 0.19


def test_amount_off_each_set_never_more_than_the_set() -> None:
    off = rule(name="20p off two", kind="amount_off", items={PEN.barcode: 2}, amount="0.20")
    assert discounts(cart_of((PEN, 5)), off) == {"20p off two": 40}
    huge = rule(name="huge", kind="amount_off", items={LEMON.barcode: 1}, amount="9.00")
    assert discounts(cart_of((LEMON, 2)), huge) == {"huge": 100}  # never below zero


def test_a_deal_dearer_than_normal_prices_is_not_applied() -> None:
    dear = rule(name="3 for 2.00", kind="multibuy", items={LEMON.barcode: 3}, price="2.00")
    assert discounts(cart_of((LEMON, 6)), dear) == {}


def test_basket_thresholds_are_strict_and_after_item_discounts() -> None:
    five = rule(name="5 off over 50", kind="basket_amount_off", min_subtotal="50.00", amount="5.00")
    ten = rule(
        name="10% off over 10", kind="basket_percent_off", min_subtotal="10.00", percent="10"
    )
    exactly_50 = cart_of((WINE, 6), (LEMON, 10))  # 45.00 + 5.00 = 50.00: not over
    assert discounts(exactly_50, five) == {}
    over = cart_of((WINE, 6), (LEMON, 11))  # 50.50
    assert discounts(over, five) == {"5 off over 50": 500}
    # the lemons deal (3 sets, -0.60) brings 50.50 down to 49.90: no longer over 50
    assert discounts(over, five, LEMONS_3_FOR_130) == {"Lemons 3 for 1.30": 60}
    # basket rules stack, each on the subtotal after item discounts (not after each other)
    assert discounts(over, five, ten) == {"5 off over 50": 500, "10% off over 10": 505}


def test_basket_rules_in_one_group_give_the_best_only() -> None:
    five = rule(
        name="5 off over 50",
        kind="basket_amount_off",
        min_subtotal="50.00",
        amount="5.00",
        group="spend",
    )
    eight = rule(
        name="8% off over 40",
        kind="basket_percent_off",
        min_subtotal="40.00",
        percent="8",
        group="spend",
    )
    assert discounts(cart_of((WINE, 6)), five, eight) == {"8% off over 40": 360}  # 45.00
    assert discounts(cart_of((WINE, 7)), five, eight) == {"5 off over 50": 500}  # 4.20 < 5
    assert discounts(cart_of((WINE, 16)), five, eight) == {"8% off over 40": 960}


def test_item_min_subtotal_is_before_discounts() -> None:
    gated = rule(
        name="gated", kind="multibuy", items={LEMON.barcode: 3}, price="1.00", min_subtotal="2.00"
    )
    assert discounts(cart_of((LEMON, 4)), gated) == {}  # 2.00 is not over 2.00
    assert discounts(cart_of((LEMON, 5)), gated) == {"gated": 50}


# ---------------------------------------------------------------- combining


def test_exclusive_rule_is_the_only_discount_highest_priority_first() -> None:
    low = rule(
        name="low",
        kind="basket_percent_off",
        min_subtotal="0",
        percent="5",
        exclusive=True,
        priority=1,
    )
    high = rule(
        name="high",
        kind="percent_off",
        items={WINE.barcode: 1},
        percent="50",
        exclusive=True,
        priority=9,
    )
    cart = cart_of((LEMON, 3), (WINE, 1))
    assert discounts(cart, LEMONS_3_FOR_130, low, high) == {"high": 375}
    # the high one needs wine; without it, the next exclusive rule is the only discount
    assert discounts(cart_of((LEMON, 3)), LEMONS_3_FOR_130, low, high) == {"low": 8}
    # an exclusive rule whose conditions do not hold leaves the others alone
    needs_100 = rule(
        name="x", kind="basket_amount_off", min_subtotal="100", amount="1", exclusive=True
    )
    assert discounts(cart_of((LEMON, 3)), LEMONS_3_FOR_130, needs_100) == {"Lemons 3 for 1.30": 20}


def test_competing_rules_give_the_customer_the_lowest_total() -> None:
    # six lemons: two sets of "3 for 1.30" save 0.40; "6 for 2.00" saves 1.00
    six = rule(name="6 for 2.00", kind="multibuy", items={LEMON.barcode: 6}, price="2.00")
    assert discounts(cart_of((LEMON, 6)), LEMONS_3_FOR_130, six) == {"6 for 2.00": 100}
    # nine lemons: 6 for 2.00 + 3 for 1.30 = 1.20 off
    assert discounts(cart_of((LEMON, 9)), LEMONS_3_FOR_130, six) == {
        "6 for 2.00": 100,
        "Lemons 3 for 1.30": 20,
    }


def test_a_unit_is_used_by_one_rule_only() -> None:
    lemon_deal = rule(
        name="lemon in the meal",
        kind="multibuy",
        any_of=[LEMON.barcode, CRISPS.barcode],
        count=2,
        price="1.00",
    )
    cart = cart_of((LEMON, 3), (CRISPS, 1))  # 1.50 + 0.95
    found = price_cart(cart, [LEMONS_3_FOR_130, lemon_deal], AT)
    used: dict[int, int] = {}
    for d in found.discounts:
        for line_no, units in d.uses:
            used[line_no] = used.get(line_no, 0) + units
    assert all(used[line.line_no] <= line.qty for line in cart)
    # best: lemon+crisps (1.45 -> 1.00 saves 0.45) beats 3 lemons (saves 0.20)
    assert found.discount_total == 45


def test_ties_go_to_the_higher_priority_then_the_name() -> None:
    a = rule(name="a", kind="amount_off", items={LEMON.barcode: 1}, amount="0.10")
    b = rule(name="b", kind="amount_off", items={LEMON.barcode: 1}, amount="0.10", priority=1)
    assert discounts(cart_of((LEMON, 1)), a, b) == {"b": 10}
    c = rule(name="c", kind="amount_off", items={LEMON.barcode: 1}, amount="0.10")
    assert discounts(cart_of((LEMON, 1)), c, a) == {"a": 10}


TIE_PRODUCTS = [
    Product("5017720000017", "P017", 44),
    Product("5017720000024", "P024", 270),
    Product("5017720000031", "P031", 382),
    Product("5017720000048", "P048", 208),
]
BRAVO = parse_rule(
    {
        "name": "bravo",
        "kind": "free_items",
        "any_of": ["5017720000048", "5017720000031", "5017720000024", "5017720000017"],
        "count": 3,
        "free": 1,
        "priority": 2,
    }
)
ECHO = parse_rule(
    {"name": "echo", "kind": "free_items", "any_of": ["5017720000024"], "count": 2, "free": 1}
)


def test_equal_totals_give_the_higher_priority_rule_more_sets() -> None:
    """Issue 18 (found by a differential test): echo's 2.70 + bravo's 0.44 and bravo's
    two sets ({024, 024, 031} and {017, 017, 048}: 2.70 + 0.44) cost the same 9.04;
    rule 3 gives the tie to the higher priority, bravo, with both sets."""
    p017, p024, p031, p048 = TIE_PRODUCTS
    cart = cart_of((p031, 1), (p017, 2), (p024, 2), (p048, 1))
    for rules in ([BRAVO, ECHO], [ECHO, BRAVO]):
        priced = price_cart(cart, rules, AT)
        assert [(d.name, d.amount, d.sets) for d in priced.discounts] == [("bravo", 314, 2)]
        assert priced.total == 904
        assert priced.discounts[0].uses == ((1, 1), (2, 2), (3, 2), (4, 1))
        assert Pricer(rules).price(cart, AT, {p.barcode for p in TIE_PRODUCTS}) == priced
    # the other way round, echo first, when it has the higher priority
    echo_first = dataclasses.replace(ECHO, priority=3)
    assert discounts(cart, BRAVO, echo_first) == {"echo": 270, "bravo": 44}
    # and the greedy orders past the budget break ties the same way
    slots = _slots_for([BRAVO, ECHO], cart)
    assert [a.name for a in _heuristic([BRAVO, ECHO], slots).applied] == ["bravo"]


def test_one_rule_per_group_the_one_that_saves_most() -> None:
    g1 = rule(name="pens", kind="percent_off", items={PEN.barcode: 1}, percent="10", group="g")
    g2 = rule(name="lemons", kind="percent_off", items={LEMON.barcode: 1}, percent="50", group="g")
    assert discounts(cart_of((PEN, 2), (LEMON, 2)), g1, g2) == {"lemons": 50}
    assert discounts(cart_of((PEN, 20), (LEMON, 1)), g1, g2) == {"pens": 240}


def test_windows_switch_rules_on_and_off() -> None:
    happy = rule(
        name="happy",
        kind="percent_off",
        items={LEMON.barcode: 1},
        percent="50",
        hours="17:00-19:00",
    )
    cart = cart_of((LEMON, 2))
    assert discounts(cart, happy, at=datetime(2026, 3, 14, 16, 59)) == {}
    assert discounts(cart, happy, at=datetime(2026, 3, 14, 17, 0)) == {"happy": 50}
    off = rule(name="off", kind="percent_off", items={LEMON.barcode: 1}, percent="50", active=False)
    assert discounts(cart, off) == {}


def test_repricing_after_changes_never_adds_a_discount_twice() -> None:
    pricer = Pricer([LEMONS_3_FOR_130, MEAL_DEAL])
    cart = Cart()
    for _ in range(3):
        cart.put(CartLine.for_product(1, LEMON, (cart.get(1).qty + 1) if cart.get(1) else 1))
        pricer.price(cart, AT, {LEMON.barcode})
    again = pricer.price(cart, AT, {LEMON.barcode})
    assert [d.name for d in again.discounts] == ["Lemons 3 for 1.30"]
    assert again == price_cart(cart, [LEMONS_3_FOR_130, MEAL_DEAL], AT)


# ---------------------------------------------------------------- brute force


def edit_steps(cart: Cart, steps: list[tuple[int, int]]) -> Iterator[Product]:
    """Apply (product index, quantity change) edits one by one, yielding each product."""
    for index, delta in steps:
        product = PRODUCTS[index]
        line = cart.find((product.barcode, None))
        qty = (line.qty if line else 0) + delta
        if line and qty <= 0:
            cart.remove(line.line_no)
        elif line:
            cart.put(line.with_qty(qty))
        elif qty > 0:
            cart.put(CartLine.for_product(cart.next_line_no, product, qty))
        yield product


PRODUCTS = [LEMON, BRUSH, PEN, CRISPS]


@st.composite
def small_rule(draw: st.DrawFn, index: int) -> Rule:
    kind = draw(st.sampled_from(["multibuy", "free_items", "percent_off", "amount_off"]))
    codes = [p.barcode for p in PRODUCTS]
    data: dict[str, object] = {
        "name": f"rule {index}",
        "kind": kind,
        "priority": draw(st.integers(0, 2)),
    }
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True))
        data["items"] = {code: draw(st.integers(1, 2)) for code in chosen}
        size = sum(data["items"].values())  # type: ignore[attr-defined]
    else:
        data["any_of"] = draw(st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True))
        size = draw(st.integers(1, 3))
        data["count"] = size
    if kind == "multibuy":
        data["price"] = f"{draw(st.integers(1, 400)) / 100:.2f}"
    elif kind == "free_items":
        if size < 2:
            data["kind"], kind = "amount_off", "amount_off"
        else:
            data["free"] = draw(st.integers(1, size - 1))
    if kind == "percent_off":
        data["percent"] = str(draw(st.integers(1, 100)))
    if kind == "amount_off":
        data["amount"] = f"{draw(st.integers(1, 200)) / 100:.2f}"
    if draw(st.integers(0, 3)) == 0:
        data["group"] = "g"
    return parse_rule(data)


def brute_force(cart: Cart, rules: list[Rule]) -> int:
    """The best total discount over every way of putting units into sets.

    Every subset of units is tried for every set; what is left is remembered (two units
    of one line are alike, so a remainder is kept as how many of each line are left): the
    same search, without trying the same remainder again and again, which made a few
    random baskets take minutes."""
    units = [(line.barcode, line.unit_price) for line in cart for _ in range(line.qty)]
    line_of = [n for n, line in enumerate(cart) for _ in range(line.qty)]

    def valid(rule: Rule, chosen: tuple[int, ...]) -> bool:
        codes = [units[i][0] for i in chosen]
        if rule.items:
            return (
                all(codes.count(c) == n for c, n in rule.items.items())
                and len(codes) == rule.set_size
            )
        return all(c in rule.any_of for c in codes)

    starts: dict[int, int] = {}  # a line's first unit
    for index, line_index in enumerate(line_of):
        starts.setdefault(line_index, index)

    def alike(left: frozenset[int]) -> frozenset[int]:
        """The first units of each line, as many as ``left`` has of it."""
        counts: dict[int, int] = {}
        for i in left:
            counts[line_of[i]] = counts.get(line_of[i], 0) + 1
        return frozenset(starts[k] + j for k, n in counts.items() for j in range(n))

    @functools.cache
    def most(left: frozenset[int], groups: frozenset[str], last: int) -> int:
        found = 0
        for r_index in range(last, len(rules)):
            r = rules[r_index]
            if r.group is not None and r.group in groups and r_index != last:
                continue
            for chosen in itertools.combinations(sorted(left), r.set_size):
                if not valid(r, chosen):
                    continue
                value = r.spec.set_discount(r, [units[i][1] for i in chosen])  # type: ignore[misc]
                if value <= 0:
                    continue
                new_groups = groups | {r.group} if r.group else groups
                found = max(found, value + most(alike(left - set(chosen)), new_groups, r_index))
        return found

    # rules are taken in a fixed order (sets of one rule together), which loses nothing
    return most(frozenset(range(len(units))), frozenset(), 0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quantities=st.lists(st.integers(0, 3), min_size=4, max_size=4),
    rules=st.integers(1, 3).flatmap(lambda n: st.tuples(*(small_rule(i) for i in range(n)))),
)
def test_engine_total_equals_brute_force(quantities: list[int], rules: tuple[Rule, ...]) -> None:
    cart = cart_of(*((p, q) for p, q in zip(PRODUCTS, quantities, strict=True) if q))
    priced = price_cart(cart, rules, AT)
    assert priced.discount_total == brute_force(cart, list(rules))
    assert priced.total >= 0


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 3)), min_size=1, max_size=25),
    rules=st.integers(1, 3).flatmap(lambda n: st.tuples(*(small_rule(i) for i in range(n)))),
)
def test_incremental_repricing_equals_pricing_from_scratch(
    steps: list[tuple[int, int]], rules: tuple[Rule, ...]
) -> None:
    pricer = Pricer(rules)
    cart = Cart()
    for product in edit_steps(cart, steps):
        incremental = pricer.price(cart, AT, {product.barcode})
        assert incremental == price_cart(cart, rules, AT)


def test_big_components_fall_back_but_stay_sane() -> None:
    codes = [f"50100000{n:04d}" for n in range(12)]
    from stdnum import ean

    products = [Product(c + ean.calc_check_digit(c), f"P{n}", 100 + n) for n, c in enumerate(codes)]
    rules = [
        rule(
            name=f"mix {n}",
            kind="multibuy",
            any_of=[p.barcode for p in products[n : n + 6]],
            count=3,
            price="2.00",
        )
        for n in range(6)
    ]
    cart = cart_of(*((p, 9) for p in products))
    priced = price_cart(cart, rules, AT)
    assert 0 < priced.discount_total < cart.subtotal
    used: dict[int, int] = {}
    for d in priced.discounts:
        for line_no, units in d.uses:
            used[line_no] = used.get(line_no, 0) + units
    assert all(used.get(line.line_no, 0) <= line.qty for line in cart)


def test_past_the_budget_no_worse_than_the_best_greedy_order() -> None:
    # two overlapping mix-and-match deals with 20 of each product: more than the exact
    # search's budget, where its first solution beats every greedy order of the two
    from stdnum import ean

    codes = [f"50100001{n:04d}" for n in range(4)]
    products = [
        Product(c + ean.calc_check_digit(c), f"P{n}", 120 + 35 * n) for n, c in enumerate(codes)
    ]
    rules = sorted(
        [
            rule(
                name="a",
                kind="multibuy",
                any_of=[p.barcode for p in products[:3]],
                count=3,
                price="3.50",
            ),
            rule(
                name="b",
                kind="free_items",
                any_of=[p.barcode for p in products[1:]],
                count=3,
                free=1,
            ),
        ],
        key=Rule.sort_key,
    )
    cart = cart_of(*((p, 20) for p in products))
    slots = _slots_for(rules, cart)
    with pytest.raises(_TooBig):
        _Search(rules, slots).solve()
    priced = price_cart(cart, rules, AT)
    assert priced.discount_total >= _heuristic(rules, slots).total
    used = units_used(priced.discounts)
    assert all(used.get(line.line_no, 0) <= line.qty for line in cart)


@pytest.mark.parametrize("qty", [0, 1, 2])
def test_empty_and_small_carts(qty: int) -> None:
    cart = cart_of((LEMON, qty)) if qty else Cart()
    assert price_cart(cart, [LEMONS_3_FOR_130], AT).discount_total == 0


def test_large_quantities_price_without_deep_recursion() -> None:
    rice = rule(name="10% off rice", kind="percent_off", items={RICE.barcode: 1}, percent="10")
    assert discounts(cart_of((RICE, 9999)), rice) == {"10% off rice": 24 * 9999}
    assert discounts(cart_of((LEMON, 9999)), LEMONS_3_FOR_130) == {"Lemons 3 for 1.30": 20 * 3333}
    six = rule(name="6 for 2.00", kind="multibuy", items={LEMON.barcode: 6}, price="2.00")
    found = discounts(cart_of((LEMON, 1000)), LEMONS_3_FOR_130, six)
    assert sum(found.values()) == 100 * 166 + 20 * 1  # 166 sixes, then one three


def test_an_item_rule_and_a_basket_rule_in_one_group_give_the_better() -> None:
    item = rule(
        name="Lemons 10% off",
        kind="percent_off",
        items={LEMON.barcode: 1},
        percent="10",
        group="promo",
    )
    basket = rule(
        name="5 off over 50",
        kind="basket_amount_off",
        min_subtotal="50.00",
        amount="5.00",
        group="promo",
    )
    cart = cart_of((WINE, 8), (LEMON, 1))  # 60.50
    assert discounts(cart, item, basket) == {"5 off over 50": 500}
    small = cart_of((LEMON, 4))
    assert discounts(small, item, basket) == {"Lemons 10% off": 20}


def test_two_groups_each_with_an_item_rule_and_a_basket_rule_take_the_best_sides() -> None:
    # the audit's case: each group's basket rule (2.00 off) saves more than its item rule
    # (0.10 off), and both basket rules stack: 4.00 off, not 2.00 + 0.10 + 0.10 or 2.30
    a = rule(name="A", kind="amount_off", items={LEMON.barcode: 1}, amount="0.10", group="g")
    ba = rule(name="BA", kind="basket_amount_off", min_subtotal="0.00", amount="2.00", group="g")
    b = rule(name="B", kind="amount_off", items={BRUSH.barcode: 1}, amount="0.10", group="h")
    bb = rule(name="BB", kind="basket_amount_off", min_subtotal="0.00", amount="2.00", group="h")
    cart = cart_of((LEMON, 1), (BRUSH, 3))  # 5.00
    assert discounts(cart, a, ba, b, bb) == {"BA": 200, "BB": 200}
    assert price_cart(cart, [a, ba, b, bb], AT).total == 100
    # a third group, whose item rule saves more than its basket rule: it keeps its item side
    c = rule(name="C", kind="amount_off", items={WINE.barcode: 1}, amount="3.00", group="k")
    bc = rule(name="BC", kind="basket_amount_off", min_subtotal="0.00", amount="1.00", group="k")
    cart = cart_of((LEMON, 1), (BRUSH, 3), (WINE, 1))  # 12.50
    assert discounts(cart, a, ba, b, bb, c, bc) == {"BA": 200, "BB": 200, "C": 300}
    # the same through the incremental path, scan by scan
    pricer = Pricer([a, ba, b, bb, c, bc])
    scanned = Cart()
    for product in (LEMON, BRUSH, WINE, BRUSH, BRUSH):
        line = scanned.find((product.barcode, None))
        if line:
            scanned.put(line.with_qty(line.qty + 1))
        else:
            scanned.put(CartLine.for_product(scanned.next_line_no, product, 1))
        priced = pricer.price(scanned, AT, {product.barcode})
        assert priced == price_cart(scanned, [a, ba, b, bb, c, bc], AT)
    assert {d.name: d.amount for d in priced.discounts} == {"BA": 200, "BB": 200, "C": 300}


def test_past_the_exact_limit_of_mixed_groups_a_local_search_still_finds_better_sides() -> None:
    # one more group than the exact choice tries: each group's basket rule (1.00 off) saves
    # more than its item rule (0.10 off its own product), so each move to a basket side
    # pays, and the local search gets to every basket side
    from stdnum import ean

    n = pricing.MIXED_GROUPS_EXACT + 1
    stems = [f"50100002{i:04d}" for i in range(n)]
    products = [Product(c + ean.calc_check_digit(c), f"P{i}", 100) for i, c in enumerate(stems)]
    rules = []
    for i, product in enumerate(products):
        rules.append(
            rule(
                name=f"item {i}",
                kind="amount_off",
                items={product.barcode: 1},
                amount="0.10",
                group=f"g{i}",
            )
        )
        rules.append(
            rule(
                name=f"basket {i}",
                kind="basket_amount_off",
                min_subtotal="0",
                amount="1.00",
                group=f"g{i}",
            )
        )
    cart = cart_of(*((p, 1) for p in products), (WINE, 2))
    assert price_cart(cart, rules, AT).discount_total == 100 * n


def test_a_group_whose_sides_save_the_same_keeps_its_item_side() -> None:
    item = rule(name="wine", kind="amount_off", items={WINE.barcode: 1}, amount="2.00", group="g")
    basket = rule(
        name="2 off", kind="basket_amount_off", min_subtotal="0.00", amount="2.00", group="g"
    )
    assert discounts(cart_of((WINE, 1)), item, basket) == {"wine": 200}


def test_stacked_basket_rules_never_take_the_sale_below_zero() -> None:
    first = rule(name="5 off a", kind="basket_amount_off", min_subtotal="0", amount="5.00")
    second = rule(name="5 off b", kind="basket_amount_off", min_subtotal="0", amount="5.00")
    cart = cart_of((LEMON, 2))  # 1.00
    priced = price_cart(cart, [first, second], AT)
    assert priced.total == 0
    assert discounts(cart, first, second) == {"5 off a": 100}  # nothing left for the second
    # one rule alone is worth no more than the sale it is on
    assert first.spec.basket_discount is not None
    assert first.spec.basket_discount(first, 100) == 100


def test_a_basket_rule_without_a_threshold_is_on_every_sale_and_never_below_zero() -> None:
    every = parse_rule({"name": "1 off", "kind": "basket_amount_off", "amount": "1.00"})
    half = parse_rule({"name": "half", "kind": "basket_percent_off", "percent": "50"})
    assert discounts(cart_of((PEN, 1)), every) == {"1 off": 100}
    assert discounts(cart_of((LEMON, 1)), every) == {"1 off": 50}  # no more than the sale
    assert price_cart(cart_of((LEMON, 1)), [every], AT).total == 0
    # after the item discounts, stacked in order: 3 lemons 1.50 -> 1.30; 1 off takes
    # 1.00, half off (0.65) only what is left
    cart = cart_of((LEMON, 3))
    priced = price_cart(cart, [LEMONS_3_FOR_130, half, every], AT)
    assert discounts(cart, LEMONS_3_FOR_130, half, every) == {
        "Lemons 3 for 1.30": 20,
        "1 off": 100,
        "half": 30,
    }
    assert priced.total == 0
    assert price_cart(Cart(), [every, half], AT).discounts == ()  # nothing on an empty sale
    pricer = Pricer([LEMONS_3_FOR_130, every])
    grown = Cart()
    for product in edit_steps(grown, [(0, 1), (0, 2), (2, 1), (0, -3)]):
        got = pricer.price(grown, AT, {product.barcode})
        assert got == price_cart(grown, [LEMONS_3_FOR_130, every], AT)
        assert got.total >= 0


def test_an_exclusive_basket_rule_larger_than_the_sale_takes_it_to_zero() -> None:
    big = rule(
        name="5 off", kind="basket_amount_off", min_subtotal="0", amount="5.00", exclusive=True
    )
    priced = price_cart(cart_of((LEMON, 2)), [big, LEMONS_3_FOR_130], AT)
    assert [(d.name, d.amount) for d in priced.discounts] == [("5 off", 100)]
    assert priced.total == 0


GROUPS_SIDES = ["g", "h", "k"]


@st.composite
def basket_rule(draw: st.DrawFn, index: int, group: str | None) -> Rule:
    data: dict[str, object] = {
        "name": f"basket {index}",
        "priority": draw(st.integers(0, 2)),
        "min_subtotal": f"{draw(st.integers(0, 500)) / 100:.2f}",
    }
    if draw(st.booleans()):
        data.update(kind="basket_amount_off", amount=f"{draw(st.integers(1, 300)) / 100:.2f}")
    else:
        data.update(kind="basket_percent_off", percent=str(draw(st.integers(1, 50))))
    if group is not None:
        data["group"] = group
    return parse_rule(data)


@st.composite
def grouped_rules(draw: st.DrawFn) -> tuple[Rule, ...]:
    """Two or three groups, each holding an item rule and a basket rule, and up to two
    more rules of either kind, in one of those groups or in none."""
    names = GROUPS_SIDES[: draw(st.integers(2, 3))]
    found: list[Rule] = []
    for n, group in enumerate(names):
        found.append(dataclasses.replace(draw(small_rule(n)), group=group))
        found.append(draw(basket_rule(n, group)))
    for n in range(len(names), len(names) + draw(st.integers(0, 2))):
        group = draw(st.sampled_from([None, *names]))
        if draw(st.booleans()):
            found.append(dataclasses.replace(draw(small_rule(n)), group=group))
        else:
            found.append(draw(basket_rule(n, group)))
    return tuple(found)


def best_over_group_sides(cart: Cart, rules: list[Rule]) -> int:
    """The best total discount, independent of the engine's choice of sides.

    For each group holding a basket rule: either its item side (its basket rules left
    out) or one of its basket rules (its item rules and other basket rules left out);
    every combination of those choices, with the item rules by :func:`brute_force` and
    the basket rules on what they leave, stacking up to the whole sale.
    """
    subtotal = cart.subtotal
    items = [r for r in rules if not r.is_basket]
    baskets = [r for r in rules if r.is_basket]
    groups = sorted({r.group for r in baskets if r.group is not None})
    sides = [[None, *(r for r in baskets if r.group == g)] for g in groups]
    item_totals: dict[tuple[str, ...], int] = {}
    best = 0
    for chosen in itertools.product(*sides):
        side = dict(zip(groups, chosen, strict=True))
        kept_items = [r for r in items if r.group not in side or side[r.group] is None]
        kept_baskets = [r for r in baskets if r.group not in side or side[r.group] is r]
        key = tuple(r.name for r in kept_items)
        if key not in item_totals:
            item_totals[key] = brute_force(cart, kept_items)
        after = subtotal - item_totals[key]
        off = 0
        for r in kept_baskets:
            assert r.min_subtotal is not None
            assert r.spec.basket_discount is not None
            if after > r.min_subtotal:
                off += r.spec.basket_discount(r, after)
        best = max(best, item_totals[key] + min(off, after))
    return best


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("POS_PRICING_RANDOM"),
)
@given(quantities=st.lists(st.integers(0, 3), min_size=4, max_size=4), rules=grouped_rules())
def test_item_and_basket_rules_in_several_groups_equal_brute_force(
    quantities: list[int], rules: tuple[Rule, ...]
) -> None:
    cart = cart_of(*((p, q) for p, q in zip(PRODUCTS, quantities, strict=True) if q))
    priced = price_cart(cart, rules, AT)
    assert priced.discount_total == best_over_group_sides(cart, list(rules))
    assert priced.total >= 0
    # at most one rule of each group applies
    group_of = {r.name: r.group for r in rules}
    applied_groups = [group_of[d.name] for d in priced.discounts if group_of[d.name]]
    assert len(applied_groups) == len(set(applied_groups))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("POS_PRICING_RANDOM"),
)
@given(
    steps=st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 3)), min_size=1, max_size=20),
    rules=grouped_rules(),
)
def test_incremental_equals_scratch_with_item_and_basket_rules_in_several_groups(
    steps: list[tuple[int, int]], rules: tuple[Rule, ...]
) -> None:
    pricer = Pricer(rules)
    cart = Cart()
    for product in edit_steps(cart, steps):
        assert pricer.price(cart, AT, {product.barcode}) == price_cart(cart, rules, AT)


EXCLUSIVE_20 = rule(
    name="15% over 20 (exclusive)",
    kind="basket_percent_off",
    min_subtotal="2.00",
    percent="15",
    exclusive=True,
)
GROUPED_BASKET = rule(
    name="1 off over 3", kind="basket_amount_off", min_subtotal="3.00", amount="1.00", group="g"
)


@settings(max_examples=80, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 3), st.integers(-3, 3)), min_size=1, max_size=25),
    rules=st.integers(1, 3).flatmap(lambda n: st.tuples(*(small_rule(i) for i in range(n)))),
    extras=st.sets(st.sampled_from([0, 1])),
)
def test_incremental_equals_scratch_with_exclusive_and_basket_rules(
    steps: list[tuple[int, int]], rules: tuple[Rule, ...], extras: set[int]
) -> None:
    all_rules = (*rules, *((EXCLUSIVE_20, GROUPED_BASKET)[i] for i in sorted(extras)))
    pricer = Pricer(all_rules)
    cart = Cart()
    for product in edit_steps(cart, steps):
        assert pricer.price(cart, AT, {product.barcode}) == price_cart(cart, all_rules, AT)


@st.composite
def conditioned_rule(draw: st.DrawFn, index: int) -> Rule:
    """A small item rule with what makes its eligibility change between scans: a time
    window (whole minutes or not), a ``min_subtotal``, exclusivity, or a group that a
    basket rule shares."""
    base = draw(small_rule(index))
    extra: dict[str, object] = {}
    condition = draw(st.sampled_from(["hours", "window", "odd window", "threshold", "none"]))
    if condition == "hours":
        extra["hours"] = draw(
            st.sampled_from(
                [(time(10, 0), time(10, 2)), (time(9, 59), time(10, 1)), (time(22), time(10, 1))]
            )
        )
    elif condition == "window":
        extra["starts_at"] = datetime(2026, 3, 14, 10, 1)
    elif condition == "odd window":
        extra["ends_at"] = datetime(2026, 3, 14, 10, 0, 30)
    elif condition == "threshold":
        extra["min_subtotal"] = draw(st.sampled_from([100, 300, 600]))
    if draw(st.integers(0, 4)) == 0:
        extra.update(exclusive=True, priority=5)
    if draw(st.integers(0, 3)) == 0:
        extra["group"] = "g"
    return dataclasses.replace(base, **extra)


MOMENTS = [
    datetime(2026, 3, 14, 9, 59, 59),
    datetime(2026, 3, 14, 10, 0),
    datetime(2026, 3, 14, 10, 0, 29),
    datetime(2026, 3, 14, 10, 0, 31),
    datetime(2026, 3, 14, 10, 1, 5),
    datetime(2026, 3, 14, 10, 2),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 3), st.integers(-2, 3), st.sampled_from(MOMENTS)),
        min_size=1,
        max_size=25,
    ),
    rules=st.integers(1, 4).flatmap(lambda n: st.tuples(*(conditioned_rule(i) for i in range(n)))),
    extras=st.sets(st.sampled_from([0, 1])),
)
def test_incremental_equals_scratch_as_windows_and_thresholds_change(
    steps: list[tuple[int, int, datetime]], rules: tuple[Rule, ...], extras: set[int]
) -> None:
    # the pricer keeps what it can between scans (results of components whose rules
    # cannot have changed, exclusive rules' discounts, rule activity within a minute):
    # whatever the moments and the subtotal do, it must equal pricing from scratch
    all_rules = (*rules, *((EXCLUSIVE_20, GROUPED_BASKET)[i] for i in sorted(extras)))
    pricer = Pricer(all_rules)
    cart = Cart()
    moments = iter([at for _, _, at in steps])
    for product in edit_steps(cart, [(index, delta) for index, delta, _ in steps]):
        at = next(moments)
        assert pricer.price(cart, at, {product.barcode}) == price_cart(cart, all_rules, at)
        # and again with nothing changed (a moment passing between two scans)
        later = MOMENTS[(MOMENTS.index(at) + 1) % len(MOMENTS)]
        assert pricer.price(cart, later, set()) == price_cart(cart, all_rules, later)


# ---------------------------------------------------------------- larger searches

BREAD = Product("5010222129514", "White sliced bread", 135)
MILK = Product("5010000123451", "Semi-skimmed milk", 145)
BUTTER = Product("5010111126488", "Unsalted butter", 235)
PAIR_DEALS = (
    rule(
        name="Bread and milk 2.00",
        kind="multibuy",
        items={BREAD.barcode: 1, MILK.barcode: 1},
        price="2.00",
    ),
    rule(
        name="Bread and butter 2.50",
        kind="multibuy",
        items={BREAD.barcode: 1, BUTTER.barcode: 1},
        price="2.50",
    ),
    rule(
        name="Milk and butter 2.50",
        kind="multibuy",
        items={MILK.barcode: 1, BUTTER.barcode: 1},
        price="2.50",
    ),
)


def best_pairs(n: int) -> int:
    """Every split of n each of bread, milk and butter between the three pair deals."""
    bread_milk = BREAD.price + MILK.price - 200
    bread_butter = BREAD.price + BUTTER.price - 250
    milk_butter = MILK.price + BUTTER.price - 250
    return max(
        a * bread_milk + b * bread_butter + c * milk_butter
        for a in range(n + 1)
        for b in range(n + 1 - a)
        for c in range(min(n - a, n - b) + 1)
    )


def units_used(applied: tuple[AppliedDiscount, ...]) -> dict[int, int]:
    used: dict[int, int] = {}
    for d in applied:
        for line_no, units in d.uses:
            used[line_no] = used.get(line_no, 0) + units
    return used


@pytest.mark.parametrize("n", range(13, 21))
def test_three_pair_deals_over_the_same_products_find_the_best_split(n: int) -> None:
    cart = cart_of((BREAD, n), (MILK, n), (BUTTER, n))
    priced = price_cart(cart, PAIR_DEALS, AT)
    assert priced.discount_total == best_pairs(n)
    used = units_used(priced.discounts)
    assert all(used.get(line.line_no, 0) <= line.qty for line in cart)
    assert sum(d.sets for d in priced.discounts) * 2 == sum(used.values())


def test_three_pair_deals_the_review_found_and_more_units_never_save_less() -> None:
    def saving(n: int) -> int:
        return price_cart(
            cart_of((BREAD, n), (MILK, n), (BUTTER, n)), PAIR_DEALS, AT
        ).discount_total

    assert saving(14) == 2310  # the greedy order gave 18.20
    assert saving(16) == 2640  # and 20.80
    savings = [saving(n) for n in range(1, 31)]
    assert savings == sorted(savings)
    # Far more units: prices of 0.35 a bread, 0.45 a milk and 0.85 a butter pay exactly for
    # every pair deal, so a split saves 1.65 for each bread + milk + butter less those
    # prices for the units it leaves out. With an even n nothing need be left out; with an
    # odd n one unit must be, and the cheapest to leave out is one bread.
    assert saving(1000) == 165 * 1000
    assert saving(9999) == 165 * 9999 - 35


def best_by_counts(cart: Cart, rules: list[Rule]) -> int:
    """The best total discount, worked out over how many units of each product are left.

    Independent of the engine's search: units of one product are alike (one line each),
    so the best from some units left is the best over every set any rule can take next.
    At most one rule of a group applies: each choice of one rule (or none) per group is
    tried in turn.
    """
    codes = sorted({line.barcode for line in cart})
    price = {line.barcode: line.unit_price for line in cart}
    groups = sorted({r.group for r in rules if r.group is not None})
    choices = [[None, *(r for r in rules if r.group == g)] for g in groups]
    best = 0
    for chosen in itertools.product(*choices):
        allowed = [r for r in rules if r.group is None] + [r for r in chosen if r is not None]
        moves: list[tuple[tuple[int, ...], int]] = []
        for r in allowed:
            if r.items:
                shapes = (
                    [tuple(r.items.get(c, 0) for c in codes)]
                    if all(c in price for c in r.items)
                    else []
                )
            else:
                members = [i for i, c in enumerate(codes) if c in r.any_of]
                shapes = []
                for picked in itertools.combinations_with_replacement(members, r.count):
                    shapes.append(tuple(picked.count(i) for i in range(len(codes))))
            for shape in shapes:
                values = [price[codes[i]] for i, k in enumerate(shape) for _ in range(k)]
                off = r.spec.set_discount(r, values)  # type: ignore[misc]
                if off > 0:
                    moves.append((shape, off))
        start = tuple(sum(line.qty for line in cart.lines_for(c)) for c in codes)
        best = max(best, most_from(start, moves))
    return best


def most_from(start: tuple[int, ...], moves: list[tuple[tuple[int, ...], int]]) -> int:
    """The most that sets of the shapes in ``moves`` take off ``start`` units."""

    @functools.cache
    def most(left: tuple[int, ...]) -> int:
        found = 0
        for shape, off in moves:
            if all(n >= k for n, k in zip(left, shape, strict=True)):
                rest = tuple(n - k for n, k in zip(left, shape, strict=True))
                found = max(found, off + most(rest))
        return found

    return most(start)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quantities=st.lists(st.integers(0, 8), min_size=4, max_size=4),
    rules=st.integers(2, 3).flatmap(lambda n: st.tuples(*(small_rule(i) for i in range(n)))),
)
def test_engine_total_equals_brute_force_with_more_units(
    quantities: list[int], rules: tuple[Rule, ...]
) -> None:
    cart = cart_of(*((p, q) for p, q in zip(PRODUCTS, quantities, strict=True) if q))
    priced = price_cart(cart, rules, AT)
    assert priced.discount_total == best_by_counts(cart, list(rules))
    used = units_used(priced.discounts)
    assert all(used.get(line.line_no, 0) <= line.qty for line in cart)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quantities=st.lists(st.integers(0, 6), min_size=4, max_size=4),
    rules=st.integers(1, 3).flatmap(lambda n: st.tuples(*(small_rule(i) for i in range(n)))),
    extra=st.integers(0, 3),
)
def test_more_units_never_save_less(
    quantities: list[int], rules: tuple[Rule, ...], extra: int
) -> None:
    # the extra unit could always go undiscounted, so the best saving cannot fall
    before = cart_of(*((p, q) for p, q in zip(PRODUCTS, quantities, strict=True) if q))
    more = [q + (n == extra) for n, q in enumerate(quantities)]
    after = cart_of(*((p, q) for p, q in zip(PRODUCTS, more, strict=True) if q))
    assert (
        price_cart(after, rules, AT).discount_total >= price_cart(before, rules, AT).discount_total
    )


def plain_search(cart: Cart, rules: list[Rule]) -> dict[str, AppliedDiscount]:
    """The item discounts from trying every allocation, in the order that settles ties.

    Rules in order (priority, then name); for each, its ways to fill a set in order (the
    most units from the earliest line first, lines by barcode and then as scanned); one
    more set of a rule before moving on to the next. The best total wins; on equal totals
    (rule 3) the most sets of the first rule, then of the second, and so on; on those equal
    too, the first found. The engine must give the same discounts, down to the lines and
    units each one used.
    """
    ordered = sorted(rules, key=Rule.sort_key)
    lines = [
        line
        for code in sorted({c for r in ordered for c in r.barcodes})
        for line in cart.lines_for(code)
    ]

    def fill(idx: list[int], need: int, left: tuple[int, ...]) -> Iterator[dict[int, int]]:
        if need == 0:
            yield {}
        elif idx:
            for k in range(min(need, left[idx[0]]), -1, -1):
                for rest in fill(idx[1:], need - k, left):
                    yield {idx[0]: k, **rest} if k else rest

    def ways(r: Rule, left: tuple[int, ...]) -> Iterator[dict[int, int]]:
        where = {
            code: [i for i, line in enumerate(lines) if line.barcode == code]
            for code in (r.items or {"": 0})
        }
        if r.items:
            for parts in itertools.product(*(fill(where[c], n, left) for c, n in r.items.items())):
                yield {i: k for part in parts for i, k in part.items()}
        else:
            members = [i for i, line in enumerate(lines) if line.barcode in r.any_of]
            yield from fill(members, r.count, left)

    Path = tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]

    # (total, sets of rule i, sets of rule i + 1, ...), and the sets taken
    Found = tuple[tuple[int, ...], Path]

    @functools.cache
    def search(i: int, left: tuple[int, ...], used: frozenset[str], started: bool) -> Found:
        if i == len(ordered):
            return (0,), ()
        r = ordered[i]
        best: Found | None = None
        if r.group is None or started or r.group not in used:
            for take in ways(r, left):
                values = [lines[j].unit_price for j, k in take.items() for _ in range(k)]
                off = r.spec.set_discount(r, values)  # type: ignore[misc]
                if off > 0:
                    rest = tuple(n - take.get(j, 0) for j, n in enumerate(left))
                    (total, sets, *after), path = search(i, rest, used, True)
                    rank = (off + total, sets + 1, *after)
                    if best is None or rank > best[0]:
                        best = (rank, ((i, off, tuple(sorted(take.items()))), *path))
        after = used | {r.group} if started and r.group else used
        (total, *others), path = search(i + 1, left, after, False)
        moved = ((total, 0, *others), path)
        return moved if best is None or moved[0] > best[0] else best

    _, path = search(0, tuple(line.qty for line in lines), frozenset(), False)
    found: dict[str, AppliedDiscount] = {}
    for i, off, take in path:
        r = ordered[i]
        old = found.get(r.name, AppliedDiscount(r.name, r.kind, 0, 0))
        uses = dict(old.uses)
        for j, k in take:
            uses[lines[j].line_no] = uses.get(lines[j].line_no, 0) + k
        found[r.name] = AppliedDiscount(
            r.name, r.kind, old.amount + off, old.sets + 1, tuple(sorted(uses.items()))
        )
    return found


TIE_TWO_WAYS = (
    [(0, 1, None), (0, 1, None), (0, 1, None), (0, 1, None), (0, 1, 95)],
    (
        Rule(
            name="rule 0",
            kind="free_items",
            any_of=("5000000000012",),
            count=2,
            free=1,
            group="g",
        ),
    ),
)
"""Found by this test (random run): 4 lemons on one line and one at a label price, any 2
for the price of 1. Both answers save 1.00; the engine takes 3 + 1 of the two lines where
the plain search takes 4 of the first. Equal money, a different tie-break: the engine
now searches a rule alone on a few units too (``pricing.SMALL_UNITS``), so it breaks
the tie the plain search's way."""


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("POS_PRICING_RANDOM"),
)
@given(
    lines=st.lists(
        st.tuples(st.integers(0, 3), st.integers(1, 3), st.sampled_from([None, 40, 95, 180])),
        min_size=1,
        max_size=6,
    ),
    rules=st.integers(1, 3).flatmap(lambda n: st.tuples(*(small_rule(i) for i in range(n)))),
)
@example(*TIE_TWO_WAYS)
def test_engine_uses_the_same_lines_as_the_plain_search(
    lines: list[tuple[int, int, int | None]], rules: tuple[Rule, ...]
) -> None:
    # price-label lines keep a product on several lines, so there are several ways to
    # fill a set, and ties between them
    cart = Cart()
    for index, qty, label in lines:
        product = PRODUCTS[index]
        line = cart.find((product.barcode, label))
        if line is not None:
            cart.put(line.with_qty(min(line.qty + qty, 4)))
        else:
            cart.put(CartLine.for_product(cart.next_line_no, product, qty, price=label))
    assert price_cart(cart, rules, AT).by_name() == plain_search(cart, list(rules))


@st.composite
def competing_rule(draw: st.DrawFn, index: int) -> Rule:
    """A mix-and-match rule over the tie products: many allocations save the same."""
    codes = [p.barcode for p in TIE_PRODUCTS]
    size = draw(st.integers(2, 3))
    data: dict[str, object] = {
        "name": f"rule {index}",
        "kind": draw(st.sampled_from(["free_items", "multibuy", "amount_off"])),
        "any_of": draw(st.lists(st.sampled_from(codes), min_size=1, max_size=4, unique=True)),
        "count": size,
        "priority": draw(st.integers(0, 2)),
    }
    if data["kind"] == "free_items":
        data["free"] = 1
    elif data["kind"] == "multibuy":
        data["price"] = f"{draw(st.integers(1, 700)) / 100:.2f}"
    else:
        data["amount"] = draw(st.sampled_from(["0.44", "1.00", "2.70"]))
    return parse_rule(data)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=not os.environ.get("POS_PRICING_RANDOM"),
)
@given(
    quantities=st.lists(st.integers(0, 2), min_size=4, max_size=4),
    rules=st.integers(2, 3).flatmap(lambda n: st.tuples(*(competing_rule(i) for i in range(n)))),
)
@example([2, 2, 1, 1], (BRAVO, ECHO))
def test_equal_totals_go_to_the_higher_priority_as_every_allocation_says(
    quantities: list[int], rules: tuple[Rule, ...]
) -> None:
    """Rule 3's tie-break against trying every allocation (:func:`plain_search`)."""
    cart = cart_of(*((p, q) for p, q in zip(TIE_PRODUCTS, quantities, strict=True) if q))
    assert price_cart(cart, rules, AT).by_name() == plain_search(cart, list(rules))


@pytest.mark.parametrize("kind", ["multibuy", "free_items"])
def test_one_big_mix_and_match_rule_is_exact_without_the_search(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A meal deal on its own over many lines and units: the most valuable units first
    is the best, so it is priced at once (the search, with its budget, is not needed)."""
    from stdnum import ean

    codes = []
    for i in range(12):
        stem = f"501000000{i:03d}"
        codes.append(stem + ean.calc_check_digit(stem))
    products = [Product(c, f"P{i}", 100 + 17 * i, 0, Unit.EACH) for i, c in enumerate(codes)]
    cart = cart_of(*((p, 80 if i < 3 else 1) for i, p in enumerate(products)))
    reward = {"price": "2.50"} if kind == "multibuy" else {"free": 1}
    rule = parse_rule({"name": "Meal", "kind": kind, "any_of": codes, "count": 3, **reward})

    def no_search(*_args: object) -> object:
        raise AssertionError("searched")

    monkeypatch.setattr(components, "_exact", no_search)
    got = price_cart(cart, [rule], datetime(2026, 3, 14, 12)).discount_total
    values = sorted((line.unit_price for line in cart for _ in range(line.qty)), reverse=True)
    sets = [values[i : i + 3] for i in range(0, len(values) - len(values) % 3, 3)]
    if kind == "multibuy":
        best = sum(max(0, sum(s) - 250) for s in sets)
    else:
        best = sum(min(s) for s in sets)
    assert got == best

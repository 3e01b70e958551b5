"""Coupon rules and the per-sale cap in the pricing engine (issue 22).

A coupon rule applies only to a sale whose coupons unlock it (by name), and otherwise
obeys every rule of the engine; ``max_uses_per_sale`` caps the sets of any rule.
"""

from __future__ import annotations

import functools
import itertools
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.domain.cart import Cart
from pos.domain.discounts import KINDS, Rule
from pos.domain.pricing import Pricer, price_cart
from pos.domain.rule_format import RuleError, parse_rule, rule_to_json
from tests.unit.test_pricing import (
    AT,
    BRUSH,
    LEMON,
    PEN,
    PRODUCTS,
    cart_of,
    edit_steps,
    rule,
    small_rule,
)

NONE: frozenset[str] = frozenset()


def found(
    cart: Cart, *rules: Rule, coupons: frozenset[str] = NONE, at: datetime = AT
) -> dict[str, tuple[int, int]]:
    """Each applied rule's (amount, sets)."""
    return {d.name: (d.amount, d.sets) for d in price_cart(cart, rules, at, coupons).discounts}


# one coupon rule of every kind, and the cart each one is for
EVERY_KIND = {
    "multibuy": ({"items": {LEMON.barcode: 3}, "price": "1.00"}, (LEMON, 6), (100, 2)),
    "free_items": ({"items": {BRUSH.barcode: 3}, "free": 1}, (BRUSH, 6), (300, 2)),
    "percent_off": ({"items": {PEN.barcode: 1}, "percent": "50"}, (PEN, 2), (120, 2)),
    "amount_off": ({"any_of": [PEN.barcode], "count": 1, "amount": "0.20"}, (PEN, 3), (60, 3)),
    "basket_amount_off": ({"amount": "2.00"}, (PEN, 3), (200, 1)),
    "basket_percent_off": ({"percent": "10"}, (PEN, 5), (60, 1)),
}


def test_every_kind_is_covered() -> None:
    assert set(EVERY_KIND) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(EVERY_KIND))
def test_a_coupon_rule_of_every_kind_applies_only_with_its_coupon(kind: str) -> None:
    fields, item, expected = EVERY_KIND[kind]
    deal = rule(name="coupon deal", kind=kind, coupon=True, **fields)
    cart = cart_of(item)
    assert found(cart, deal) == {}
    assert found(cart, deal, coupons=frozenset({"another deal"})) == {}
    assert found(cart, deal, coupons=frozenset({"coupon deal"})) == {"coupon deal": expected}
    plain = rule(name="coupon deal", kind=kind, **fields)  # the same rule, not a coupon rule
    assert found(cart, plain) == {"coupon deal": expected}


@pytest.mark.parametrize("kind", sorted(EVERY_KIND))
def test_a_cap_per_sale_on_every_kind(kind: str) -> None:
    fields, item, (amount, sets) = EVERY_KIND[kind]
    capped = rule(name="capped", kind=kind, max_uses_per_sale=1, **fields)
    assert found(cart_of(item), capped) == {"capped": (amount // sets, 1)}
    roomy = rule(name="capped", kind=kind, max_uses_per_sale=sets, **fields)
    assert found(cart_of(item), roomy) == {"capped": (amount, sets)}


def test_a_capped_rule_takes_its_most_valuable_sets() -> None:
    # any 2 for 1.00 over lemons (0.50) and pens (1.20), once per sale: the two pens
    deal = rule(
        name="two for 1", kind="multibuy", any_of=[LEMON.barcode, PEN.barcode], count=2,
        price="1.00", max_uses_per_sale=1,
    )  # fmt: skip
    assert found(cart_of((LEMON, 4), (PEN, 2)), deal) == {"two for 1": (140, 1)}


def test_a_capped_rule_leaves_its_other_units_to_other_rules() -> None:
    once = rule(
        name="a pen half price once", kind="percent_off", items={PEN.barcode: 1}, percent="50",
        max_uses_per_sale=1, priority=5,
    )  # fmt: skip
    tenth = rule(name="10% off pens", kind="percent_off", items={PEN.barcode: 1}, percent="10")
    assert found(cart_of((PEN, 3)), once, tenth) == {
        "a pen half price once": (60, 1),
        "10% off pens": (24, 2),
    }


def test_an_exclusive_coupon_rule_is_the_only_discount_with_its_coupon() -> None:
    plain = rule(name="lemons 3 for 1.30", kind="multibuy", items={LEMON.barcode: 3}, price="1.30")
    exclusive = rule(
        name="half off the sale", kind="basket_percent_off", percent="50", exclusive=True,
        coupon=True,
    )  # fmt: skip
    cart = cart_of((LEMON, 3), (PEN, 1))
    assert found(cart, plain, exclusive) == {"lemons 3 for 1.30": (20, 1)}
    assert found(cart, plain, exclusive, coupons=frozenset({"half off the sale"})) == {
        "half off the sale": (135, 1)
    }


def test_a_locked_exclusive_coupon_rule_leaves_the_next_exclusive_rule() -> None:
    first = rule(
        name="first", kind="basket_amount_off", amount="5.00", exclusive=True, priority=9,
        coupon=True,
    )  # fmt: skip
    second = rule(name="second", kind="basket_amount_off", amount="1.00", exclusive=True)
    cart = cart_of((PEN, 5))
    assert found(cart, first, second) == {"second": (100, 1)}
    assert found(cart, first, second, coupons=frozenset({"first"})) == {"first": (500, 1)}


def test_a_coupon_rule_competes_in_its_group_and_obeys_its_window() -> None:
    shop = rule(name="shop", kind="basket_percent_off", percent="10", group="g")
    coupon = rule(
        name="coupon", kind="basket_amount_off", amount="0.50", group="g", coupon=True,
        hours="09:00-12:00",
    )  # fmt: skip
    cart = cart_of((PEN, 10))  # 12.00: 10% is 1.20, more than the coupon's 0.50
    unlocked = frozenset({"coupon"})
    assert found(cart, shop, coupon, coupons=unlocked) == {"shop": (120, 1)}
    big = rule(
        name="coupon", kind="basket_amount_off", amount="3.00", group="g", coupon=True,
        hours="09:00-12:00",
    )  # fmt: skip
    assert found(cart, shop, big, coupons=unlocked) == {"coupon": (300, 1)}
    evening = datetime(2026, 3, 14, 18, 0)
    assert found(cart, shop, big, coupons=unlocked, at=evening) == {"shop": (120, 1)}


def test_a_coupon_rule_with_a_threshold_needs_the_spend_too() -> None:
    deal = rule(
        name="5 off 20", kind="basket_amount_off", amount="5.00", min_subtotal="20.00",
        coupon=True,
    )  # fmt: skip
    unlocked = frozenset({"5 off 20"})
    assert found(cart_of((PEN, 10)), deal, coupons=unlocked) == {}
    assert found(cart_of((PEN, 17)), deal, coupons=unlocked) == {"5 off 20": (500, 1)}


def test_scanning_and_voiding_a_coupon_reprices_incrementally() -> None:
    deal = rule(name="pens", kind="percent_off", items={PEN.barcode: 1}, percent="50", coupon=True)
    plain = rule(name="lemons", kind="multibuy", items={LEMON.barcode: 3}, price="1.00")
    pricer = Pricer([deal, plain])
    cart = cart_of((PEN, 2), (LEMON, 3))
    assert [d.name for d in pricer.price(cart, AT).discounts] == ["lemons"]
    with_coupon = pricer.price(cart, AT, {LEMON.barcode}, frozenset({"pens"}))
    assert with_coupon == price_cart(cart, [deal, plain], AT, frozenset({"pens"}))
    assert {d.name for d in with_coupon.discounts} == {"pens", "lemons"}
    assert [d.name for d in pricer.price(cart, AT, {PEN.barcode}).discounts] == ["lemons"]


# ---------------------------------------------------------------- the rule format


def test_the_rule_format_reads_and_writes_the_coupon_fields() -> None:
    data = {
        "name": "c", "kind": "basket_amount_off", "amount": "1.00", "coupon": True,
        "max_uses": 500, "max_uses_per_sale": 1,
    }  # fmt: skip
    parsed = parse_rule(data)
    assert (parsed.coupon, parsed.max_uses, parsed.max_uses_per_sale) == (True, 500, 1)
    assert parse_rule(rule_to_json(parsed)) == parsed
    assert "coupon" not in rule_to_json(parse_rule({**data, "coupon": False}))


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("coupon", "yes", "coupon must be true or false"),
        ("max_uses", 0, "max_uses must be between 1 and 10000000"),
        ("max_uses", "many", "max_uses must be a whole number"),
        ("max_uses_per_sale", -1, "max_uses_per_sale must be between 1 and 9999"),
        ("max_uses_per_sale", True, "max_uses_per_sale must be a whole number"),
    ],
)
def test_bad_coupon_fields_are_refused(field: str, value: object, problem: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_rule({"name": "c", "kind": "basket_amount_off", "amount": "1.00", field: value})
    assert (caught.value.field, caught.value.problem) == (field, problem)


# ---------------------------------------------------------------- properties


def brute_force(cart: Cart, rules: list[Rule]) -> int:
    """The best total discount over every allocation of units to sets, each rule at most
    ``max_uses_per_sale`` sets (the plain search of tests/unit/test_pricing.py, capped)."""
    units = [(line.barcode, line.unit_price) for line in cart for _ in range(line.qty)]

    def valid(r: Rule, chosen: tuple[int, ...]) -> bool:
        codes = [units[i][0] for i in chosen]
        if r.items:
            return all(codes.count(c) == n for c, n in r.items.items())
        return all(c in r.any_of for c in codes)

    @functools.cache
    def most(left: frozenset[int], groups: frozenset[str], last: int, sets: int) -> int:
        best = 0
        for index in range(last, len(rules)):
            r = rules[index]
            if index != last and r.group is not None and r.group in groups:
                continue
            taken = sets if index == last else 0
            if r.max_uses_per_sale is not None and taken >= r.max_uses_per_sale:
                continue
            for chosen in itertools.combinations(sorted(left), r.set_size):
                if not valid(r, chosen):
                    continue
                assert r.spec.set_discount is not None
                value = r.spec.set_discount(r, [units[i][1] for i in chosen])
                if value > 0:
                    rest = most(left - set(chosen), groups | {r.group or ""}, index, taken + 1)
                    best = max(best, value + rest)
        return best

    return most(frozenset(range(len(units))), frozenset(), 0, 0)


@st.composite
def coupon_or_capped_rule(draw: st.DrawFn, index: int) -> Rule:
    base = rule_to_json(draw(small_rule(index)))
    if draw(st.booleans()):
        base["coupon"] = True
    if draw(st.booleans()):
        base["max_uses_per_sale"] = draw(st.integers(1, 2))
    return parse_rule(base)


RULES = st.integers(1, 3).flatmap(
    lambda n: st.tuples(*(coupon_or_capped_rule(i) for i in range(n)))
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(quantities=st.lists(st.integers(0, 3), min_size=4, max_size=4), rules=RULES, data=st.data())
def test_engine_total_equals_brute_force_with_coupons_and_caps(
    quantities: list[int], rules: tuple[Rule, ...], data: st.DataObject
) -> None:
    cart = cart_of(*((p, q) for p, q in zip(PRODUCTS, quantities, strict=True) if q))
    names = [r.name for r in rules]
    coupons = frozenset(data.draw(st.lists(st.sampled_from(names), unique=True)))
    priced = price_cart(cart, rules, AT, coupons)
    unlocked = sorted((r for r in rules if r.unlocked(coupons)), key=Rule.sort_key)
    assert priced.discount_total == brute_force(cart, unlocked)
    for d in priced.discounts:
        cap = next(r.max_uses_per_sale for r in rules if r.name == d.name)
        assert cap is None or d.sets <= cap


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 3), st.integers(-2, 3), st.booleans()), min_size=1, max_size=20
    ),
    rules=RULES,
)
def test_incremental_equals_scratch_as_coupons_come_and_go(
    steps: list[tuple[int, int, bool]], rules: tuple[Rule, ...]
) -> None:
    pricer = Pricer(rules)
    cart = Cart()
    coupons: frozenset[str] = frozenset()
    for (index, _delta, toggle), product in zip(
        steps, edit_steps(cart, [(i, d) for i, d, _ in steps]), strict=True
    ):
        if toggle:
            name = rules[index % len(rules)].name
            coupons = coupons ^ {name}
        incremental = pricer.price(cart, AT, {product.barcode}, coupons)
        assert incremental == price_cart(cart, rules, AT, coupons)

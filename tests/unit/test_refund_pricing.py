"""Refunds worked out by re-pricing what is kept: examples, and the properties that hold
for any sale, any rules and any order of refunds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.discounts import Rule
from pos.domain.history import RefundableLine
from pos.domain.pricing import price_cart
from pos.domain.refunds import MAX_PRICINGS, RefundPlan, SaleBasis, plan_refund
from pos.domain.rule_format import parse_rule
from pos.domain.tax import amount_due, paid_per_line, vat_summary

AT = datetime(2026, 3, 14, 9, 30)  # a Saturday, local
CODES = ["5000000000012", "5000000000029", "4006381333931", "5000000000036"]
WEIGHED = "2100001000004"


class Basket:
    """Lines as the pricing engine reads a cart."""

    def __init__(self, lines: Iterable[CartLine]) -> None:
        self.lines = list(lines)
        self.subtotal = sum(line.total for line in self.lines)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.lines)

    def lines_for(self, barcode: str) -> list[CartLine]:
        return [line for line in self.lines if line.barcode == barcode]


def sale(
    lines: list[CartLine], rules: list[Rule], *, inclusive: bool = True, keep_all: bool = False
) -> SaleBasis:
    """A sale as the till completes it: priced with ``rules``, keeping those that applied."""
    priced = price_cart(Basket(lines), rules, AT)
    total = amount_due(vat_summary(lines, priced, inclusive=inclusive))
    paid = paid_per_line(lines, priced, total)
    names = {d.name for d in priced.discounts}
    kept = rules if keep_all else [rule for rule in rules if rule.name in names]
    sold = tuple(
        RefundableLine(
            line.line_no,
            line.name,
            line.unit.value,
            line.qty,
            paid[line.line_no],
            barcode=line.barcode,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
        )
        for line in lines
    )
    return SaleBasis(sold, total, inclusive, tuple(kept), AT)


def line(no: int, code: str, price: int, qty: int, rate: int = 0, unit: Unit = Unit.EACH):
    return CartLine(no, code, f"item {code[-3:]}", unit, price, qty, rate)


def rule(**data: object) -> Rule:
    return parse_rule(data)


def after(basis: SaleBasis, plan: RefundPlan) -> SaleBasis:
    """The sale once ``plan`` is saved (as the repository does; nothing if it pays nothing)."""
    if plan.total <= 0:
        return basis
    lines = {line.line_no: line for line in basis.lines}
    for item in plan.items:
        old = lines[item.line.line_no]
        lines[old.line_no] = replace(
            old, refunded=old.refunded + item.qty, refunded_amount=old.refunded_amount + item.amount
        )
    return replace(basis, lines=tuple(lines.values()))


LEMONS = rule(name="Lemons 3 for 1.30", kind="multibuy", items={CODES[0]: 3}, price="1.30")
OVER_50 = rule(name="5 off over 50", kind="basket_amount_off", min_subtotal="50.00", amount="5.00")


def test_the_lemons() -> None:
    basis = sale([line(1, CODES[0], 50, 3), line(2, CODES[2], 120, 1, 2000)], [LEMONS])
    assert basis.total == 250
    plan = plan_refund(basis, {1: 1})
    assert (plan.total, plan.lost) == (30, ("Lemons 3 for 1.30",))
    assert plan_refund(basis, {1: 2}).total == 80
    assert plan_refund(after(basis, plan), {1: 1}).total == 50  # 30 + 50 = 80
    assert plan_refund(basis, {2: 1}).total == 120  # the pen had no discount
    four = sale([line(1, CODES[0], 50, 4)], [LEMONS])
    assert plan_refund(four, {1: 1}).total == 50
    assert plan_refund(four, {1: 1}).lost == ()


def test_only_the_rules_that_applied_are_kept() -> None:
    # the pen rule was beaten by the bigger lemon deal on the shared lemons; refunding
    # two lemons must not hand the customer the pen deal they never had
    pen_deal = rule(
        name="Lemon and pen", kind="multibuy", items={CODES[0]: 1, CODES[2]: 1}, price="1.60"
    )
    lines = [line(1, CODES[0], 50, 3), line(2, CODES[2], 120, 1)]
    basis = sale(lines, [LEMONS, pen_deal])
    assert [r.name for r in basis.rules or ()] == ["Lemons 3 for 1.30"]
    assert plan_refund(basis, {1: 2}).total == 250 - 170  # 1 lemon and the pen at full price
    everything = sale(lines, [LEMONS, pen_deal], keep_all=True)
    assert plan_refund(everything, {1: 2}).total == 250 - 160  # what storing them all gives


def test_a_basket_threshold_lost() -> None:
    basis = sale([line(1, CODES[1], 500, 9, 2000), line(2, CODES[2], 550, 1)], [OVER_50])
    assert basis.total == 4550
    plan = plan_refund(basis, {2: 1})
    assert (plan.total, plan.lost) == (50, ("5 off over 50",))
    rest = plan_refund(after(basis, plan), {1: 9})
    assert rest.total == 4500  # everything comes back: all that was paid
    assert [(i.line.line_no, i.qty) for i in rest.items] == [(1, 9), (2, 0)]
    assert sum(i.amount for i in rest.items if i.line.line_no == 2) + 50 == 496  # line 2's paid


def test_the_best_order_when_keeping_gets_dearer() -> None:
    # at 1.00 a lemon, two cost more than three on the deal: bringing back the pen and a
    # lemon pays what the pen alone would (the customer could bring it back first)
    basis = sale([line(1, CODES[0], 100, 3), line(2, CODES[2], 120, 1)], [LEMONS])
    assert basis.total == 250
    assert plan_refund(basis, {1: 1}).total == 0  # keeping 2 lemons costs 2.00
    assert plan_refund(basis, {2: 1, 1: 1}).total == 120
    pen_first = after(basis, plan_refund(basis, {2: 1}))
    assert plan_refund(pen_first, {1: 1}).total == 0
    assert plan_refund(pen_first, {1: 2}).total == 30  # 120 + 30 = 250 - 100 (one lemon kept)


def test_beyond_the_search_budget_only_what_comes_back_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pos.domain import refunds

    monkeypatch.setattr(refunds, "MAX_PRICINGS", 0)
    basis = sale([line(1, CODES[0], 100, 3), line(2, CODES[2], 120, 1)], [LEMONS])
    assert plan_refund(basis, {2: 1, 1: 1}).total == 50  # 250 - 200, the pen not tried alone


def test_tax_exclusive_prices_pay_back_the_vat_too() -> None:
    basis = sale([line(1, CODES[0], 50, 3, 2000)], [LEMONS], inclusive=False)
    assert basis.total == 156  # 1.30 + 20%
    assert plan_refund(basis, {1: 1}).total == 156 - 120  # 2 kept: 1.00 + 20%
    assert plan_refund(basis, {1: 3}).total == 156


def test_no_rules_kept_is_the_old_proportional_refund() -> None:
    basis = replace(
        sale([line(1, CODES[0], 50, 3), line(2, CODES[2], 120, 1)], [LEMONS]), rules=None
    )
    plan = plan_refund(basis, {1: 1})
    assert (plan.total, plan.recomputed, plan.lost) == (43, False, ())
    assert plan_refund(after(basis, plan), {1: 2}).total == 87


def test_too_many_is_refused() -> None:
    basis = sale([line(1, CODES[0], 50, 3)], [LEMONS])
    with pytest.raises(LookupError, match="line 1: at most 3"):
        plan_refund(basis, {1: 4})
    with pytest.raises(LookupError, match="line 7: at most 0"):
        plan_refund(basis, {7: 1})


# --------------------------------------------------------------------- properties


@st.composite
def any_rule(draw: st.DrawFn, index: int) -> Rule:
    kind = draw(
        st.sampled_from(
            [
                "multibuy",
                "free_items",
                "percent_off",
                "amount_off",
                "basket_amount_off",
                "basket_percent_off",
            ]
        )
    )
    data: dict[str, object] = {"name": f"rule {index}", "kind": kind}
    data["priority"] = draw(st.integers(0, 2))
    if draw(st.integers(0, 4)) == 0:
        data["group"] = "g"
    if kind.startswith("basket"):
        data["min_subtotal"] = f"{draw(st.integers(0, 1500)) / 100:.2f}"
        if kind == "basket_amount_off":
            data["amount"] = f"{draw(st.integers(1, 500)) / 100:.2f}"
        else:
            data["percent"] = str(draw(st.integers(1, 50)))
        return parse_rule(data)
    if kind == "percent_off" and draw(st.integers(0, 3)) == 0:
        data["items"] = {WEIGHED: 1}
        size = 1
    elif draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True))
        data["items"] = {code: draw(st.integers(1, 3)) for code in chosen}
        size = sum(data["items"].values())  # type: ignore[attr-defined]
    else:
        data["any_of"] = draw(st.lists(st.sampled_from(CODES), min_size=2, max_size=3, unique=True))
        size = draw(st.integers(2, 3))
        data["count"] = size
    if kind == "free_items" and size < 2:
        kind = data["kind"] = "amount_off"
    if kind == "multibuy":
        data["price"] = f"{draw(st.integers(1, 600)) / 100:.2f}"
    elif kind == "free_items":
        data["free"] = draw(st.integers(1, size - 1))
    elif kind == "percent_off":
        data["percent"] = str(draw(st.integers(1, 60)))
    else:
        data["amount"] = f"{draw(st.integers(1, 300)) / 100:.2f}"
    if draw(st.integers(0, 4)) == 0:
        data["min_subtotal"] = f"{draw(st.integers(0, 1000)) / 100:.2f}"
    return parse_rule(data)


@st.composite
def a_sale(draw: st.DrawFn) -> SaleBasis:
    """A sale small enough for the refund search to be exact: every part of it fits in
    MAX_PRICINGS (a weighed line has 3 parts: none, as refunded before, all)."""
    lines = []
    weighed = draw(st.booleans())
    parts = 3 if weighed else 1
    for code in CODES:
        qty = draw(st.integers(0, min(4, (MAX_PRICINGS + 1) // parts - 1)))
        if qty:
            parts *= qty + 1
            price = draw(st.integers(10, 400))
            lines.append(line(len(lines) + 1, code, price, qty, draw(st.sampled_from([0, 2000]))))
    if weighed:
        grams = draw(st.integers(100, 2500))
        lines.append(line(len(lines) + 1, WEIGHED, 85, grams, 0, Unit.KG))
    if not lines:
        lines.append(line(1, CODES[0], 50, 1))
    n = draw(st.integers(0, 4))
    rules = [draw(any_rule(i)) for i in range(n)]
    return sale(lines, rules, inclusive=draw(st.booleans()))


@st.composite
def refunds(draw: st.DrawFn, basis: SaleBasis) -> list[dict[int, int]]:
    """Some of the sale in 1 to 3 refunds (a weighed line comes back whole)."""
    steps: list[dict[int, int]] = [{} for _ in range(draw(st.integers(1, 3)))]
    for item in basis.lines:
        back = item.sold if item.unit == "kg" else draw(st.integers(0, item.sold))
        if item.unit == "kg" and draw(st.booleans()):
            back = 0
        while back:
            part = back if item.unit == "kg" else draw(st.integers(1, back))
            step = steps[draw(st.integers(0, len(steps) - 1))]
            step[item.line_no] = step.get(item.line_no, 0) + part
            back -= part
    return [step for step in steps if step]


def run(basis: SaleBasis, steps: list[dict[int, int]]) -> tuple[SaleBasis, list[dict[int, int]]]:
    """Make the refunds in turn; the sale after them and the ones that paid something."""
    made = []
    for step in steps:
        plan = plan_refund(basis, step)
        assert all(item.amount >= 0 for item in plan.items)
        assert {i.line.line_no for i in plan.items if i.qty} == set(step)
        if plan.total > 0:
            made.append(step)
        basis = after(basis, plan)
    return basis, made


def union(steps: Iterable[Mapping[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for step in steps:
        for no, qty in step.items():
            out[no] = out.get(no, 0) + qty
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), basis=a_sale())
def test_refunds_never_pay_back_more_and_do_not_depend_on_the_order(
    data: st.DataObject, basis: SaleBasis
) -> None:
    assert sum(item.paid for item in basis.lines) == basis.total
    # the rules kept price the sale as it was priced
    sold = [replace(_cart_line(item)) for item in basis.lines]
    again = price_cart(Basket(sold), basis.rules or (), AT)
    assert amount_due(vat_summary(sold, again, inclusive=basis.inclusive)) == basis.total

    steps = data.draw(refunds(basis))
    done, made = run(basis, steps)
    refunded = done.refunded
    for item in done.lines:  # never more than was paid for a line, nor in all
        assert 0 <= item.refunded_amount <= item.paid
    assert refunded <= basis.total
    # the refunds that paid something add up to one refund of the same units
    if made:
        assert plan_refund(basis, union(made)).total == refunded
    # and whatever came back before, bringing back the rest pays back all that was paid
    rest = {item.line_no: item.left for item in done.lines if item.left}
    if rest:
        final = after(done, plan_refund(done, rest))
        assert final.refunded == basis.total
        for item in final.lines:
            assert item.refunded_amount == item.paid


def _cart_line(item: RefundableLine) -> CartLine:
    return CartLine(
        item.line_no,
        item.barcode,
        item.name,
        Unit(item.unit),
        item.unit_price,
        item.sold,
        item.tax_rate,
    )

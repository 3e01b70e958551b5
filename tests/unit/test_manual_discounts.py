"""Cashier discounts (issue 21, item 8): typed text, amounts after the promotions, the
refund of a discounted line, and the properties that hold for any cart."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.discounts import Rule
from pos.domain.history import RefundableLine
from pos.domain.manual_discounts import (
    AMOUNT,
    FULL,
    LINE,
    PERCENT,
    SALE,
    DiscountEntryError,
    ManualDiscount,
    effective_percent,
    line_costs,
    manual_total,
    parse_discount,
    promotions,
    with_manual,
)
from pos.domain.pricing import price_cart
from pos.domain.receipt import render_priced
from pos.domain.refunds import SaleBasis, plan_refund
from pos.domain.rule_format import parse_rule
from pos.domain.tax import amount_due, paid_per_line, vat_summary

AT = datetime(2026, 3, 14, 9, 30)
LEMON, PEN = "5000000000012", "4006381333931"
LEMONS = parse_rule(
    {"name": "Lemons 3 for 1.30", "kind": "multibuy", "items": {LEMON: 3}, "price": "1.30"}
)


class Basket:
    def __init__(self, lines: Iterable[CartLine]) -> None:
        self.lines = list(lines)
        self.subtotal = sum(line.total for line in self.lines)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.lines)

    def lines_for(self, barcode: str) -> list[CartLine]:
        return [line for line in self.lines if line.barcode == barcode]


def line(no: int, code: str, price: int, qty: int, rate: int = 0) -> CartLine:
    return CartLine(no, code, f"item {code[-3:]}", Unit.EACH, price, qty, rate)


def off(line_no: int, typed: str, reason: str = "Damaged") -> ManualDiscount:
    kind, value = parse_discount(typed, percent_only=line_no == 0)
    return ManualDiscount(line_no, kind, value, reason)


# ----------------------------------------------------------------- typed text


@pytest.mark.parametrize(
    ("typed", "percent_only", "expected"),
    [
        ("10%", False, (PERCENT, 1000)),
        (" 12.5 % ", False, (PERCENT, 1250)),
        ("100%", False, (PERCENT, FULL)),
        ("2.00", False, (AMOUNT, 200)),
        ("0.05", False, (AMOUNT, 5)),
        ("10", True, (PERCENT, 1000)),
        ("7.25%", True, (PERCENT, 725)),
    ],
)
def test_what_is_typed(typed: str, percent_only: bool, expected: tuple[str, int]) -> None:
    assert parse_discount(typed, percent_only=percent_only) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Type the discount"),
        ("0", "takes nothing off"),
        ("0%", "takes nothing off"),
        ("-5%", "cannot be negative"),
        ("-2.00", "cannot be negative"),
        ("101%", "over 100%"),
        ("100.01%", "over 100%"),
        ("ten", "is not a discount"),
        ("1.234", "is not a discount"),
        ("1e3", "is not a discount"),
        ("١٠%", "is not a discount"),  # Arabic-Indic digits
        ("10%%", "is not a discount"),
    ],
)
def test_bad_text_is_refused_with_what_to_do(typed: str, says: str) -> None:
    with pytest.raises(DiscountEntryError, match=says) as caught:
        parse_discount(typed)
    assert "type" in str(caught.value).lower()


def test_a_sale_discount_is_a_percentage_only() -> None:
    assert parse_discount("15", percent_only=True) == (PERCENT, 1500)
    assert parse_discount("15") == (AMOUNT, 1500)
    with pytest.raises(DiscountEntryError, match="over 100%"):
        parse_discount("150", percent_only=True)


# ----------------------------------------------------------------- after the promotions


def test_a_line_percentage_is_of_the_line_after_its_deal() -> None:
    lines = [line(1, LEMON, 50, 3), line(2, PEN, 120, 1)]
    priced = price_cart(Basket(lines), [LEMONS], AT)
    assert priced.total == 250  # 1.30 + 1.20
    done = with_manual(lines, priced, [off(1, "10%")])
    assert [(d.kind, d.amount) for d in done.discounts] == [("multibuy", 20), (LINE, 13)]
    assert done.total == 237
    assert done.discounts[-1].name == "Discount 10% (Damaged)"
    assert promotions(done) == priced
    assert manual_total(done.discounts) == 13


def test_an_amount_off_is_capped_at_what_the_line_costs_after_promotions() -> None:
    lines = [line(1, LEMON, 50, 3), line(2, PEN, 120, 1)]
    priced = price_cart(Basket(lines), [LEMONS], AT)
    done = with_manual(lines, priced, [off(1, "5.00")])
    assert done.discounts[-1].amount == 130  # never below 0
    assert done.total == 120


def test_the_sale_discount_is_a_percentage_of_what_is_left() -> None:
    lines = [line(1, LEMON, 50, 3), line(2, PEN, 120, 1)]
    priced = price_cart(Basket(lines), [LEMONS], AT)
    done = with_manual(lines, priced, [off(0, "10", "Staff"), off(2, "1.00")])
    assert [(d.kind, d.amount, d.name) for d in done.discounts[1:]] == [
        (LINE, 100, "Discount (Damaged)"),
        (SALE, 15, "Sale discount 10% (Staff)"),  # 10% of 1.50, half up
    ]
    assert done.total == 135


def test_a_discount_on_a_line_no_longer_there_is_left_out() -> None:
    lines = [line(2, PEN, 120, 1)]
    priced = price_cart(Basket(lines), [], AT)
    assert with_manual(lines, priced, [off(1, "10%")]) == priced
    assert with_manual(lines, priced, []) is priced


def test_the_effective_percentage_of_an_amount() -> None:
    assert effective_percent(off(1, "1.00"), 300) == 3334  # rounded up: 33.34%
    assert effective_percent(off(1, "10%"), 300) == 1000
    assert effective_percent(off(1, "1.00"), 0) == FULL


def test_the_receipt_rows() -> None:
    lines = [line(1, LEMON, 50, 3), line(2, PEN, 120, 1)]
    priced = price_cart(Basket(lines), [LEMONS], AT)
    done = with_manual(lines, priced, [off(1, "10%"), off(0, "5", "Staff")])
    assert render_priced(lines, done, 4, 32) == (
        "Item             Qty Price Total\n"
        "item 012           3  0.50  1.50\n"
        "  Lemons 3 for 1.30        -0.20\n"
        "  Discount 10% (Damaged)   -0.13\n"
        "item 931           1  1.20  1.20\n"
        "--------------------------------\n"
        "Items                          4\n"
        "Subtotal                    2.70\n"
        "Sale discount 5% (Staff)   -0.12\n"
        "TOTAL                       2.25\n"
        "You saved                   0.45\n"
    )


# ----------------------------------------------------------------- properties

codes = st.sampled_from([LEMON, PEN, "5000000000029"])
carts = st.lists(
    st.tuples(codes, st.integers(1, 500), st.integers(1, 6), st.sampled_from([0, 500, 2000])),
    min_size=1,
    max_size=6,
)
discount_text = st.one_of(
    st.integers(1, FULL).map(lambda bp: f"{bp // 100}.{bp % 100:02d}%"),
    st.integers(1, 5_000).map(lambda c: f"{c // 100}.{c % 100:02d}"),
)


def _cart(rows: list[tuple[str, int, int, int]]) -> list[CartLine]:
    seen: dict[str, CartLine] = {}
    for no, (code, price, qty, rate) in enumerate(rows, 1):
        seen.setdefault(code, line(no, code, price, qty, rate))
    return list(seen.values())


@given(
    rows=carts,
    picks=st.lists(st.tuples(st.integers(0, 4), discount_text), max_size=4),
    inclusive=st.booleans(),
)
def test_never_negative_and_every_sum_exact(
    rows: list[tuple[str, int, int, int]], picks: list[tuple[int, str]], inclusive: bool
) -> None:
    lines = _cart(rows)
    priced = price_cart(Basket(lines), [LEMONS], AT)
    manual = {}
    for line_no, typed in picks:
        kind, value = parse_discount(typed, percent_only=line_no == 0)
        if line_no == 0 and kind == AMOUNT:
            continue
        manual[line_no] = ManualDiscount(line_no, kind, value, "Damaged")
    done = with_manual(lines, priced, manual.values())
    assert done.discounts[: len(priced.discounts)] == priced.discounts
    assert 0 <= done.total <= priced.total
    assert done.total == priced.total - manual_total(done.discounts)
    costs = line_costs(lines, done)
    assert all(cost >= 0 for cost in costs.values())
    assert sum(costs.values()) >= done.total
    vat = vat_summary(lines, done, inclusive=inclusive)
    assert all(row.gross >= 0 for row in vat)
    due = amount_due(vat)
    paid = paid_per_line(lines, done, due)
    assert sum(paid.values()) == due
    assert all(amount >= 0 for amount in paid.values())


# ----------------------------------------------------------------- refunds


def _sale(lines: list[CartLine], manual: list[ManualDiscount], rules: list[Rule]) -> SaleBasis:
    """A sale as the till completes it, its discounts kept as the sale keeps them."""
    priced = price_cart(Basket(lines), rules, AT)
    done = with_manual(lines, priced, manual)
    total = amount_due(vat_summary(lines, done))
    paid = paid_per_line(lines, done, total)
    given = {d.uses[0][0] if d.uses else 0: d.amount for d in done.discounts if d.kind == LINE}
    kept = tuple(
        d
        if d.kind == PERCENT or d.is_sale
        else ManualDiscount(d.line_no, AMOUNT, given[d.line_no], d.reason)
        for d in manual
    )
    sold = tuple(
        RefundableLine(
            ln.line_no,
            ln.name,
            ln.unit.value,
            ln.qty,
            paid[ln.line_no],
            barcode=ln.barcode,
            unit_price=ln.unit_price,
            tax_rate=ln.tax_rate,
        )
        for ln in lines
    )
    return SaleBasis(sold, total, True, tuple(rules), AT, kept)


def test_a_refund_pays_back_what_was_paid_for_the_discounted_line() -> None:
    lines = [line(1, PEN, 1000, 1), line(2, "5000000000029", 1000, 1)]
    basis = _sale(lines, [off(1, "10%")], [])
    assert basis.total == 1900
    assert plan_refund(basis, {1: 1}).total == 900  # the discounted pen: what was paid
    assert plan_refund(basis, {2: 1}).total == 1000  # the other keeps its full price
    assert plan_refund(basis, {1: 1, 2: 1}).total == 1900
    assert plan_refund(basis, {1: 1}).lost == ()


def test_a_refund_under_a_sale_discount() -> None:
    lines = [line(1, PEN, 1000, 1), line(2, "5000000000029", 1000, 1)]
    basis = _sale(lines, [off(0, "10", "Staff")], [])
    assert basis.total == 1800
    assert plan_refund(basis, {1: 1}).total == 900
    assert plan_refund(basis, {2: 1}).total == 900


def test_an_amount_off_is_shared_by_the_units() -> None:
    lines = [line(1, PEN, 1000, 3)]
    basis = _sale(lines, [off(1, "3.00")], [])
    assert basis.total == 2700
    assert plan_refund(basis, {1: 1}).total == 900
    assert plan_refund(basis, {1: 3}).total == 2700

"""The manager's rule form (pure): the table filter, the form's words, every kind covered."""

from __future__ import annotations

import pytest

from pos.domain.catalog import Product, Unit
from pos.domain.discounts import KINDS
from pos.domain.rule_form import (
    FIELD_LABELS,
    FIELDS,
    KIND_LABELS,
    KIND_SHORT,
    RuleForm,
    check_form,
    describe_uses,
    form_to_data,
    rule_matches,
)
from pos.domain.rule_format import parse_rule

LEMON = "5000000000012"
BANANA = "2100001000004"
PEN = "4006381333931"
CATALOG = {
    LEMON: Product(LEMON, "Lemons unwaxed", 50),
    BANANA: Product(BANANA, "Bananas loose", 85, 0, Unit.KG),
    PEN: Product(PEN, "Highlighter pen yellow", 120),
}


def _rule(kind: str, name: str = "Pens cheaper") -> object:
    rewards = {"percent": "10", "amount": "0.10", "price": "1.00", "free": 1}
    data: dict[str, object] = {"name": name, "kind": kind}
    data.update({key: rewards[key] for key in KINDS[kind].reward_fields})
    if KINDS[kind].basket:
        data["min_subtotal"] = "10.00"
    else:
        data["items"] = {PEN: 3}
    return parse_rule(data)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_kind_column_s_words_find_the_rule(kind: str) -> None:
    """What the Kind column shows ("% off", "sale off"...) finds the rules of that kind."""
    rule = _rule(kind)
    assert rule_matches(rule, KIND_SHORT[kind], True, {PEN: "Highlighter pen yellow"})  # type: ignore[arg-type]


def test_a_percent_off_rule_is_found_by_its_column_text() -> None:
    names = {PEN: "Highlighter pen yellow"}
    assert rule_matches(_rule("percent_off"), "% off", True, names)  # type: ignore[arg-type]
    assert not rule_matches(_rule("amount_off"), "% off", True, names)  # type: ignore[arg-type]
    assert rule_matches(_rule("basket_percent_off"), "sale % off", True, {})  # type: ignore[arg-type]
    assert not rule_matches(_rule("basket_amount_off"), "sale % off", True, {})  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_has_a_label_a_short_name_and_a_form(kind: str) -> None:
    """Adding a kind to the engine's registry without the editor's words for it, or with
    a reward field the form has no field for, fails here rather than in the editor."""
    assert KIND_LABELS.get(kind), f"KIND_LABELS has no label for {kind}"
    assert KIND_SHORT.get(kind), f"KIND_SHORT has no short name for {kind}"
    assert len(KIND_SHORT[kind]) <= 10  # the table's Kind column is 10 wide
    spec = KINDS[kind]
    for any_of in (False, True):
        form = RuleForm(kind=kind, any_of=any_of)
        shown = form.shown_fields()
        assert shown <= set(FIELDS)
        for key in spec.reward_fields:
            assert key in shown
            assert key in FIELD_LABELS
        assert ("products" in shown) is not spec.basket
        form_to_data(form)  # no crash on an empty form of this kind
        rule, errors = check_form(form)
        assert rule is None
        assert errors  # an empty form is never valid, whatever the kind


def _weighed_problem(**fields: object) -> str:
    form = RuleForm(name="Bananas", **fields)  # type: ignore[arg-type]
    rule, errors = check_form(form, CATALOG.get)
    assert rule is None
    return errors["products"]


def test_a_weighed_product_is_refused_in_words_for_the_kind_at_hand() -> None:
    problem = _weighed_problem(kind="multibuy", products=[(BANANA, 2)], price="1.00")
    assert problem == (
        "Bananas loose is sold by weight: a multibuy rule cannot include it. "
        'Only "Percent off items" can, with it as the only product'
    )
    assert "this kind of rule" not in problem
    problem = _weighed_problem(kind="amount_off", products=[(BANANA, 1)], amount="0.10")
    assert problem.startswith("Bananas loose is sold by weight: an amount off rule cannot")
    problem = _weighed_problem(kind="percent_off", products=[(BANANA, 2)], percent="10")
    assert problem == (
        "Bananas loose is sold by weight: it must be this rule's only product, with a count of 1"
    )
    problem = _weighed_problem(
        kind="percent_off", any_of=True, products=[(BANANA, 1), (LEMON, 1)], count="1"
    )
    assert problem == (
        "Bananas loose is sold by weight: it cannot be one of a list; "
        "make it the rule's only product, with a count of 1"
    )
    rule, errors = check_form(
        RuleForm(name="Bananas", kind="percent_off", products=[(BANANA, 1)], percent="10"),
        CATALOG.get,
    )
    assert errors == {}
    assert rule is not None


@pytest.mark.parametrize("typed", ["-1", " -50 ", "-1000000"])
def test_a_negative_priority_is_refused_with_a_message(typed: str) -> None:
    """The file format allows one; in the editor a minus is a slip, and the other fields
    are still checked (here the missing percent)."""
    form = RuleForm(name="Pens", kind="percent_off", products=[(PEN, 1)], priority=typed)
    rule, errors = check_form(form, CATALOG.get)
    assert rule is None
    assert errors["priority"] == "Priority cannot be negative: type 0 or more (higher goes first)"
    assert "percent" in errors
    form.percent, form.priority = "10", "0"
    rule, errors = check_form(form, CATALOG.get)
    assert errors == {}
    assert rule is not None


def test_a_coupon_rule_and_its_caps_go_through_the_form_unchanged() -> None:
    """Issue 22: editing a coupon rule with caps keeps them (the form once dropped them)."""
    saved = parse_rule(
        {"name": "Lemons with a coupon", "kind": "multibuy", "items": {LEMON: 3},
         "price": "1.00", "coupon": True, "max_uses": 100, "max_uses_per_sale": 2}
    )  # fmt: skip
    form = RuleForm.from_rule(saved)
    assert (form.coupon, form.max_uses, form.max_uses_per_sale) == (True, "100", "2")
    rule, errors = check_form(form, CATALOG.get)
    assert errors == {}
    assert rule == saved
    form.coupon, form.max_uses, form.max_uses_per_sale = False, "", ""
    rule, _ = check_form(form, CATALOG.get)
    assert rule is not None
    assert (rule.coupon, rule.max_uses, rule.max_uses_per_sale) == (False, None, None)


def test_bad_caps_are_named_in_the_forms_words() -> None:
    form = RuleForm(name="Pound off", kind="basket_amount_off", amount="1.00",
                    max_uses="lots", max_uses_per_sale="0")  # fmt: skip
    rule, errors = check_form(form)
    assert rule is None
    assert errors == {
        "max_uses": "Uses in total must be a whole number",
        "max_uses_per_sale": "Uses per sale must be between 1 and 9999",
    }


def test_the_rule_tables_uses_column() -> None:
    def uses(**extra: object) -> str:
        data = {"name": "x", "kind": "basket_amount_off", "amount": "1.00", **extra}
        return describe_uses(parse_rule(data))

    assert uses() == ""
    assert uses(coupon=True) == "cpn"
    assert uses(coupon=True, max_uses=100) == "cpn ≤100"
    assert uses(max_uses_per_sale=2) == "2/s"

"""Rule validation, the file format and date windows."""

from __future__ import annotations

from datetime import datetime

import pytest

from pos.domain.catalog import Product, Unit
from pos.domain.discounts import KINDS, Rule, describe_condition
from pos.domain.rule_format import RuleError, RuleErrors, parse_rule, parse_rules, rule_to_json

CATALOG = {
    "5000000000012": Product("5000000000012", "Lemons", 50),
    "5000000000029": Product("5000000000029", "Toothbrush", 150),
    "2100001000004": Product("2100001000004", "Bananas", 85, 0, Unit.KG),
}
EXAMPLES = [
    {
        "name": "Lemons 3 for 1.30",
        "kind": "multibuy",
        "items": {"5000000000012": 3},
        "price": "1.30",
    },
    {"name": "Toothbrush 3 for 2", "kind": "free_items", "items": {"5000000000029": 3}, "free": 1},
    {
        "name": "Meal deal",
        "kind": "multibuy",
        "any_of": ["5000000000012", "5000000000029"],
        "count": 3,
        "price": "3.50",
    },
    {
        "name": "10% off bananas",
        "kind": "percent_off",
        "items": {"2100001000004": 1},
        "percent": "10",
    },
    {"name": "20p off two", "kind": "amount_off", "items": {"5000000000012": 2}, "amount": "0.20"},
    {
        "name": "5 off over 50",
        "kind": "basket_amount_off",
        "min_subtotal": "50.00",
        "amount": "5.00",
    },
    {
        "name": "10% off over 100",
        "kind": "basket_percent_off",
        "min_subtotal": "100.00",
        "percent": "10",
        "exclusive": True,
        "priority": 5,
        "group": "spend",
        "starts_at": "2026-12-01T00:00:00",
        "ends_at": "2026-12-24T18:00:00",
        "weekdays": ["sat", "sun"],
        "hours": "17:00-19:00",
        "active": False,
    },
]


def lookup(code: str) -> Product | None:
    return CATALOG.get(code)


def test_every_kind_is_registered_once() -> None:
    assert sorted(KINDS) == [
        "amount_off",
        "basket_amount_off",
        "basket_percent_off",
        "free_items",
        "multibuy",
        "percent_off",
    ]


def test_file_round_trips() -> None:
    rules = parse_rules({"discounts": EXAMPLES}, lookup)
    assert [rule_to_json(r) for r in rules] == EXAMPLES
    lemons = rules[0]
    assert (lemons.price, lemons.items, lemons.set_size) == (130, {"5000000000012": 3}, 3)
    assert rules[6].percent == 1000
    assert rules[6].min_subtotal == 10000


def bad(rule: dict[str, object]) -> RuleError:
    with pytest.raises(RuleError) as info:
        parse_rules({"discounts": [rule]}, lookup)
    return info.value


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": "bogof"}, "kind", "unknown kind 'bogof'"),
        ({"items": {"5000000000036": 3}}, "items", "no product with barcode 5000000000036"),
        ({"items": {"5000000000013": 3}}, "items", "bad check digit"),
        ({"price": None}, "price", "needs a price"),
        ({"price": "-1.00"}, "price", "negative"),
        ({"price": "0"}, "price", "must be more than 0"),
        ({"price": "abc"}, "price", "not a number"),
        ({"price": 1e999}, "price", "not a number"),
        ({"items": {"5000000000012": 0}}, "count", "between 1 and 99"),
        ({"items": {"5000000000012": 10**30}}, "count", "between 1 and 99"),
        ({"percent": "10"}, "percent", "a multibuy rule has no percent"),
        (
            {"starts_at": "2026-12-02T00:00", "ends_at": "2026-12-01T00:00"},
            "ends_at",
            "after starts_at",
        ),
        ({"starts_at": "tomorrow"}, "starts_at", "not a date"),
        ({"starts_at": "2026-12-02T00:00+01:00"}, "starts_at", "local shop time"),
        ({"weekdays": ["funday"]}, "weekdays", "'funday' is not one of"),
        ({"hours": "7-9"}, "hours", "17:00-19:00"),
        ({"hours": "09:00-09:00"}, "hours", "empty"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"exclusive": "yes"}, "exclusive", "true or false"),
        ({"priority": 1.5}, "priority", "whole number"),
        ({"name": ""}, "name", "needs a name"),
        ({"any_of": ["5000000000012"], "count": 2}, "items", "either items"),
    ],
)
def test_bad_rules_name_the_rule_and_field(
    change: dict[str, object], field: str, words: str
) -> None:
    rule = {**EXAMPLES[0], **change}
    error = bad(rule)
    assert error.field == field
    assert words in error.problem
    if rule.get("name"):
        assert error.rule == rule["name"]


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({**EXAMPLES[3], "percent": "0"}, "percent", "more than 0 and at most 100"),
        ({**EXAMPLES[3], "percent": "100.01"}, "percent", "more than 0 and at most 100"),
        ({**EXAMPLES[2], "count": 0}, "count", "between 1 and 99"),
        ({**EXAMPLES[1], "free": 3}, "free", "fewer than the 3 items"),
        ({**EXAMPLES[5], "items": {"5000000000012": 1}}, "items", "whole sale"),
        # weighed products only in percent_off, one line per set
        ({**EXAMPLES[0], "items": {"2100001000004": 3}}, "items", "Bananas is weighed"),
        ({**EXAMPLES[3], "items": {"2100001000004": 2}}, "items", "Bananas is weighed"),
        ({**EXAMPLES[2], "any_of": ["2100001000004", "5000000000012"]}, "any_of", "weighed"),
    ],
)
def test_kind_specific_checks(rule: dict[str, object], field: str, words: str) -> None:
    error = bad(rule)
    assert (error.field, words in error.problem) == (field, True), error


@pytest.mark.parametrize("missing", [{}, {"min_subtotal": None}, {"min_subtotal": ""}])
@pytest.mark.parametrize("example", [EXAMPLES[5], EXAMPLES[6]])
def test_a_basket_rule_without_min_subtotal_is_for_every_sale(
    example: dict[str, object], missing: dict[str, object]
) -> None:
    """``min_subtotal`` is optional on every rule: a basket rule without it has a
    threshold of 0 (the subtotal must be over 0.00, which every sale is)."""
    data = {k: v for k, v in example.items() if k != "min_subtotal"} | missing
    found = parse_rule(data)
    assert found.min_subtotal == 0
    assert describe_condition(found) == "every sale"
    assert parse_rule(rule_to_json(found)) == found  # and it round-trips
    assert parse_rules({"discounts": [data]}) == [found]


def test_duplicate_names_in_a_file() -> None:
    with pytest.raises(RuleError, match="two rules in the file have this name"):
        parse_rules({"discounts": [EXAMPLES[0], {**EXAMPLES[1], "name": "lemons 3 FOR 1.30"}]})


def test_every_bad_rule_in_a_file_is_reported() -> None:
    data = {
        "discounts": [
            {**EXAMPLES[0], "price": "-1"},
            EXAMPLES[1],
            {**EXAMPLES[3], "percent": "150"},
            {**EXAMPLES[4], "name": "LEMONS 3 for 1.30"},  # the bad first rule's name
        ]
    }
    with pytest.raises(RuleErrors) as info:
        parse_rules(data, lookup)
    found = [(e.rule, e.field) for e in info.value.errors]
    assert found == [
        ("Lemons 3 for 1.30", "price"),
        (EXAMPLES[3]["name"], "percent"),
        ("LEMONS 3 for 1.30", "name"),
    ]
    assert str(info.value).splitlines() == [str(e) for e in info.value.errors]
    # still a RuleError naming the first problem, for callers that show one
    assert (info.value.rule, info.value.field) == ("Lemons 3 for 1.30", "price")


@pytest.mark.parametrize("data", [[], {"rules": []}, {"discounts": {}}, "x", None])
def test_wrong_shape(data: object) -> None:
    with pytest.raises(RuleError, match="discounts"):
        parse_rules(data)


def _rule(**window: object) -> Rule:
    return parse_rule({**EXAMPLES[0], **window})


def test_date_window_is_start_inclusive_end_exclusive() -> None:
    rule = _rule(starts_at="2026-12-01T09:00", ends_at="2026-12-02T09:00")
    assert not rule.is_active_at(datetime(2026, 12, 1, 8, 59, 59))
    assert rule.is_active_at(datetime(2026, 12, 1, 9, 0))
    assert rule.is_active_at(datetime(2026, 12, 2, 8, 59, 59))
    assert not rule.is_active_at(datetime(2026, 12, 2, 9, 0))


def test_weekdays_and_happy_hours() -> None:
    weekend = _rule(weekdays=["sat", "sun"])
    assert weekend.is_active_at(datetime(2026, 3, 14, 12))  # a Saturday
    assert not weekend.is_active_at(datetime(2026, 3, 16, 12))  # a Monday
    happy = _rule(hours="17:00-19:00")
    assert not happy.is_active_at(datetime(2026, 3, 14, 16, 59))
    assert happy.is_active_at(datetime(2026, 3, 14, 17, 0))
    assert not happy.is_active_at(datetime(2026, 3, 14, 19, 0))
    night = _rule(hours="22:00-02:00")
    assert night.is_active_at(datetime(2026, 3, 14, 23, 30))
    assert night.is_active_at(datetime(2026, 3, 15, 1, 59))
    assert not night.is_active_at(datetime(2026, 3, 15, 2, 0))
    assert not _rule(active=False).is_active_at(datetime(2026, 3, 14, 12))


def test_conditions_in_words() -> None:
    rules = parse_rules({"discounts": EXAMPLES}, lookup)
    names = {code: p.name for code, p in CATALOG.items()}
    assert describe_condition(rules[0], names.__getitem__) == "3 x Lemons"
    assert describe_condition(rules[2]) == "any 3 of 2 items"
    assert describe_condition(rules[5]) == "spend over 50.00"


def test_all_day_and_overnight_windows_with_weekdays() -> None:
    all_day = _rule(hours="00:00-24:00")
    assert all_day.is_active_at(datetime(2026, 3, 14, 0, 0))
    assert all_day.is_active_at(datetime(2026, 3, 14, 23, 59))
    friday_night = _rule(weekdays=["fri"], hours="22:00-02:00")
    assert friday_night.is_active_at(datetime(2026, 3, 13, 23, 0))  # Friday 23:00
    assert friday_night.is_active_at(datetime(2026, 3, 14, 1, 0))  # Saturday 01:00: Friday's
    assert not friday_night.is_active_at(datetime(2026, 3, 13, 1, 0))  # Thursday night's
    assert rule_to_json(all_day)["hours"] == "00:00-24:00"

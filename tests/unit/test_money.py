from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.money import (
    MoneyError,
    format_money,
    format_scaled,
    parse_decimal,
    parse_money,
    percent_of,
    round_half_up,
)


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("0.50", 50),
        ("1", 100),
        ("1.5", 150),
        ("12.34", 1234),
        (" 3.00 ", 300),
        ("0", 0),
        ("0.05", 5),
    ],
)
def test_parse_money(text: str, minor: int) -> None:
    assert parse_money(text) == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "blank"),
        ("  ", "blank"),
        ("-1.00", "negative"),
        ("abc", "not a number"),
        ("1,50", "not a number"),
        ("1e3", "not a number"),
        ("NaN", "not a number"),
        ("inf", "not a number"),
        ("1.005", "more than 2 decimal places"),
        ("１２", "not a number"),  # full-width digits pass str.isdigit(); we refuse them
        ("1.2.3", "not a number"),
        ("9999999999999", "too large"),
    ],
)
def test_parse_money_refuses(text: str, reason: str) -> None:
    with pytest.raises(MoneyError, match=reason):
        parse_money(text)


def test_negative_allowed_when_asked() -> None:
    assert parse_money("-0.20", allow_negative=True) == -20


@pytest.mark.parametrize(
    ("minor", "text"), [(0, "0.00"), (5, "0.05"), (130, "1.30"), (-5, "-0.05"), (123456, "1234.56")]
)
def test_format_money(minor: int, text: str) -> None:
    assert format_money(minor) == text


def test_format_money_with_a_currency_sign() -> None:
    assert format_money(130, "£") == "£1.30"
    assert format_money(-5, "£") == "-£0.05"  # the sign before the symbol
    assert format_money(1250, "kr") == "kr12.50"


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [
        (5, 10, 1),
        (4, 10, 0),
        (15, 10, 2),
        (25, 10, 3),
        (-5, 10, -1),
        (-4, 10, 0),
        (0, 7, 0),
        (1020, 1000, 1),
        (1500, 1000, 2),
        (2675, 1000, 3),
    ],
)
def test_round_half_up(num: int, den: int, expected: int) -> None:
    assert round_half_up(num, den) == expected


def test_round_half_up_is_not_bankers_rounding() -> None:
    # Python's round() gives 2 for 2.5 (banker's); the till gives 3.
    assert round(2.5) == 2
    assert round_half_up(25, 10) == 3


def test_percent_of() -> None:
    assert percent_of(999, 1000) == 100  # 10% of 9.99 = 0.999 -> 1.00
    assert percent_of(125, 2000) == 25


@given(st.integers(min_value=-(10**11 - 1), max_value=10**11 - 1))
def test_format_then_parse_round_trips(minor: int) -> None:
    assert parse_money(format_money(minor), allow_negative=True) == minor


def test_format_scaled_drops_trailing_zeros() -> None:
    assert [format_scaled(v, 2) for v in (2000, 1250, 0, 500, 10000, 5)] == [
        "20",
        "12.5",
        "0",
        "5",
        "100",
        "0.05",
    ]
    assert parse_decimal("12.5", 2) == 1250

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from pos.domain.barcodes import (
    DEFAULT_PATTERNS,
    BarcodeError,
    BarcodePattern,
    Measure,
    catalog_code_problem,
    check_digits_valid,
    normalise,
    parse_scan,
    patterns_from_json,
    patterns_to_json,
)


@pytest.mark.parametrize(
    ("code", "normal"),
    [
        ("4006381333931", "4006381333931"),  # EAN-13
        ("96385074", "96385074"),  # EAN-8
        ("036000291452", "0036000291452"),  # UPC-A is looked up as EAN-13
        ("0036000291452", "0036000291452"),
    ],
)
def test_valid_codes(code: str, normal: str) -> None:
    assert normalise(code) == normal


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("4006381333932", "bad check digit"),
        ("96385075", "bad check digit"),
        ("036000291453", "bad check digit"),
        ("1234567", "7 digits"),
        ("123456789", "9 digits"),
        ("12345678901234", "14 digits"),
        ("40063813339O1", "only digits"),  # letter O
        ("４００６３８１３３３９３１", "only digits"),  # full-width digits
        ("", "only digits"),
        ("1" * 100, "too long"),
    ],
)
def test_invalid_codes(code: str, reason: str) -> None:
    with pytest.raises(BarcodeError, match=reason):
        normalise(code)


def test_plain_scan_looks_up_itself() -> None:
    scan = parse_scan("036000291452")
    assert (scan.code, scan.lookup, scan.is_variable) == ("0036000291452", "0036000291452", False)


def test_variable_measure_price() -> None:
    # 2 + 100001 names the product; 01250 is 12.50 in minor units; check digit 2.
    scan = parse_scan("2100001012502")
    assert scan.lookup == "2100001000004"
    assert scan.value == 1250
    assert scan.embedded_price() == 1250


def test_variable_measure_weight_in_grams() -> None:
    scan = parse_scan("2100002012501")
    assert scan.lookup == "2100002000003"
    assert scan.embedded_grams() == 1250  # 1.250 kg


def test_variable_measure_check_digit_checked_before_lookup() -> None:
    with pytest.raises(BarcodeError, match="bad check digit"):
        parse_scan("2100002012502")


def test_ean8_starting_with_2_is_not_variable() -> None:
    assert not parse_scan("20123451").is_variable


def test_store_can_add_a_pattern_with_three_decimals() -> None:
    # A 21-prefix weight layout whose value is kg with 3 decimals, before the default.
    patterns = (
        BarcodePattern("Weight 3dp", "21IIIIIVVVVVC", Measure.WEIGHT, 3),
        *DEFAULT_PATTERNS,
    )
    scan = parse_scan("2100002012501", patterns)
    assert scan.pattern is patterns[0]
    assert scan.embedded_grams() == 1250
    # Same code with the value read as a price with 1 decimal (125.0 -> 12500 minor units).
    price = BarcodePattern("Price 1dp", "2IIIIIIVVVVVC", Measure.PRICE, 1)
    assert parse_scan("2100001012502", (price,)).embedded_price() == 12500


@pytest.mark.parametrize("bad", ["2IIIIIIVVVVV", "2IIIIIIIIIIIC", "2IIIIIXVVVVVC", "IIIIIIIVVVVVC"])
def test_bad_patterns_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="barcode pattern"):
        BarcodePattern("x", bad)


def test_patterns_json_round_trip() -> None:
    assert patterns_from_json(patterns_to_json(DEFAULT_PATTERNS)) == DEFAULT_PATTERNS
    with pytest.raises(ValueError, match="pattern 1"):
        patterns_from_json([{"pattern": "nope"}])
    with pytest.raises(ValueError, match="list"):
        patterns_from_json({"pattern": "2IIIIIIVVVVVC"})


def test_catalog_code_must_have_zero_value_digits() -> None:
    assert catalog_code_problem("2100001000004") is None
    assert "2100001000004" in (catalog_code_problem("2100001012502") or "")
    assert catalog_code_problem("4006381333931") is None


def _stdnum_valid(code: str) -> bool:
    """The reference: what normalise accepts (stdnum's check on 8, 12 or 13 ASCII digits)."""
    return len(code) in (8, 12, 13) and code.isascii() and code.isdigit() and ean.is_valid(code)


@st.composite
def _codes(draw: st.DrawFn) -> str:
    """Mostly GS1 codes with a good check digit, and every way of being wrong."""
    kind = draw(st.sampled_from(["good", "good", "good", "digits", "text"]))
    if kind == "text":  # signs, spaces, letters, non-ASCII digits
        return draw(st.text(alphabet="0123456789 -+.xO\u0663\uff11", min_size=0, max_size=15))
    length = draw(st.sampled_from([8, 12, 13] if kind == "good" else [0, 1, 7, 8, 9, 12, 13, 14]))
    if not length:
        return ""
    body = draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    if kind == "good":
        return body + ean.calc_check_digit(body)
    return body + draw(st.sampled_from("0123456789"))


@given(st.lists(_codes(), max_size=12))
def test_bulk_check_digits_agree_with_stdnum(codes: list[str]) -> None:
    assert check_digits_valid(codes) == all(_stdnum_valid(code) for code in codes)


@given(_codes())
def test_bulk_check_digit_of_one_code_is_normalise(code: str) -> None:
    try:
        normalise(code)
    except BarcodeError:
        accepted = False
    else:
        accepted = True
    assert check_digits_valid([code]) == accepted


def test_bulk_check_digits_over_a_long_column() -> None:
    """Every code's sum has its own byte: one bad code anywhere in 10,000 is found."""
    rng = random.Random(7)
    bodies = ["".join(rng.choice("0123456789") for _ in range(rng.choice([7, 11, 12])))]
    bodies += ["".join(rng.choice("0123456789") for _ in range(12)) for _ in range(9_999)]
    codes = [body + ean.calc_check_digit(body) for body in bodies]
    assert check_digits_valid(codes)
    for at in (0, 1, 4_321, 9_999):
        wrong = str((int(codes[at][-1]) + rng.randint(1, 9)) % 10)
        broken = [*codes[:at], codes[at][:-1] + wrong, *codes[at + 1 :]]
        assert not check_digits_valid(broken)
    for code in ("4006381333931", "96385074", "036000291452", "9" * 12 + "4", "0" * 13):
        assert check_digits_valid([code])
        assert check_digits_valid([*codes, code])
        for wrong in set("0123456789") - {code[-1]}:  # every wrong digit, off by 5 too
            assert not check_digits_valid([*codes, code[:-1] + wrong])
    assert check_digits_valid([])

from __future__ import annotations

import pytest

from pos.domain.barcodes import (
    DEFAULT_PATTERNS,
    BarcodeError,
    BarcodePattern,
    Measure,
    catalog_code_problem,
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

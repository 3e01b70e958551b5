from __future__ import annotations

import pytest

from pos.domain.entry import (
    BadEntry,
    CountEntry,
    Empty,
    ScanEntry,
    WeightEntry,
    parse_entry,
    scanned_at_end,
    split_quantity,
)


@pytest.mark.parametrize(
    ("text", "entry"),
    [
        ("", Empty()),
        ("5000112637922", ScanEntry("5000112637922")),
        ("96385074", ScanEntry("96385074")),
        ("3*5000112637922", ScanEntry("5000112637922", 3, explicit_multiplier=True)),
        ("6", CountEntry(6)),
        ("9999", CountEntry(9999)),
        ("0", CountEntry(0)),
        ("0.85", WeightEntry(850, "0.85")),
        (".5", WeightEntry(500, ".5")),
        ("1.250", WeightEntry(1250, "1.250")),
        ("12345", ScanEntry("12345")),  # not a barcode either: the scan path says why
    ],
)
def test_entries(text: str, entry: object) -> None:
    assert parse_entry(text) == entry


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3*", "needs a barcode after it"),
        ("0*5000112637922", "at least 1"),
        ("12345*5000112637922", "Quantity 12345 is too many: at most 9,999"),
        ("1.2345", "not a barcode or a quantity"),
        ("1..2", "not a barcode or a quantity"),
        ("**", "not a barcode or a quantity"),
        ("abc", "not a barcode: F2 finds products by name"),
        ("\x1b[2J", "not a barcode or a quantity"),
        ("１２", "not a barcode or a quantity"),
        ("100.5", "more than 99.999 kg"),
        ("9" * 65, "too long"),
    ],
)
def test_bad_entries(text: str, reason: str) -> None:
    entry = parse_entry(text)
    assert isinstance(entry, BadEntry)
    assert reason in entry.message


@pytest.mark.parametrize(
    ("typed", "split"),
    [
        ("", ("", "")),
        ("3*", ("3*", "")),
        ("3*lem", ("3*", "lem")),
        ("12*sem sk", ("12*", "sem sk")),
        ("lemons", ("", "lemons")),
        ("4011", ("", "4011")),  # digits alone are a PLU or a barcode to find
        ("*3", ("", "*3")),
    ],
)
def test_what_was_typed_before_find_is_a_quantity_and_a_search(
    typed: str, split: tuple[str, str]
) -> None:
    assert split_quantity(typed) == split


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("4006381333931", ["4006381333931"]),
        ("40534006381333931", ["4006381333931"]),  # a PLU typed, then the scan
        ("coke 24006381333931", ["4006381333931"]),
        ("lem 9696385074", ["96385074"]),  # an EAN-8 after a size
        ("4053", []),  # a PLU alone is found, not scanned
        ("milk", []),
        ("12345678", ["12345678"]),  # no check digit fits: the scan screen says why
        ("１２３４５６７８", []),  # not ASCII digits
    ],
)
def test_the_barcodes_a_scanner_may_have_typed_at_the_end_of_a_search(
    text: str, codes: list[str]
) -> None:
    assert scanned_at_end(text) == codes

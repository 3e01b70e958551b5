from __future__ import annotations

import pytest

from pos.domain.entry import (
    BadEntry,
    CountEntry,
    Empty,
    ScanEntry,
    WeightEntry,
    parse_entry,
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

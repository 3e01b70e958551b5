"""The sanity checks on what the cashier types, and their settings."""

from __future__ import annotations

import pytest

from pos.domain.catalog import Unit
from pos.domain.money import MoneyError
from pos.domain.sanity import LARGEST_NOTE, EntryChecks, change_question
from pos.services.store import SETTING_DEFAULTS, StoreSettings, validate_setting


def test_a_typed_amount_with_an_implied_decimal() -> None:
    plain, implied = EntryChecks(), EntryChecks(implied_decimal=True)
    assert plain.parse_amount("2000", what="amount") == 2000_00
    assert implied.parse_amount("2000", what="amount") == 20_00
    assert implied.parse_amount("5", what="amount") == 5
    assert implied.parse_amount("20.00", what="amount") == 20_00  # a point says it all
    assert implied.parse_amount("3.5", what="price") == 3_50
    for bad in ("", "1.234", "-5", "2x"):
        with pytest.raises(MoneyError):
            implied.parse_amount(bad, what="amount")
    with pytest.raises(MoneyError, match="too large"):
        implied.parse_amount("9" * 12, what="amount")


def test_a_quantity_above_the_limit_is_asked_about() -> None:
    checks = EntryChecks()
    assert checks.quantity_question("Pen", Unit.EACH, 0, 99) is None
    assert checks.quantity_question("Pen", Unit.EACH, 98, 100) == (
        "Sell 100 x Pen on one line (more than 99)?"
    )
    assert checks.quantity_question("Pen", Unit.EACH, 150, 120) is None  # fewer: never
    assert checks.quantity_question("Pen", Unit.EACH, 150, 150) is None
    assert checks.quantity_question("Bananas", Unit.KG, 0, 5000) is None  # grams
    assert EntryChecks(max_qty_without_confirm=5).quantity_question("Pen", Unit.EACH, 0, 6)


def test_change_above_the_amount_due_and_the_largest_note_is_asked_about() -> None:
    assert LARGEST_NOTE == 50_00
    due = 12_30
    assert change_question(due, due + due + LARGEST_NOTE) is None  # change = due + 50.00
    asked = change_question(due, due + due + LARGEST_NOTE + 1, "£")
    assert asked == ("Take £74.61 cash for £12.30 and give £62.31 change?")
    assert change_question(3_00, 50_00) is None  # a 50 note for a small sale: normal
    assert change_question(12_30, 1230_00) is not None  # 1230 typed for 12.30
    assert change_question(12_30, 10_00) is None  # part of the sale


def test_the_settings() -> None:
    assert SETTING_DEFAULTS["max_qty_without_confirm"] == "99"
    assert SETTING_DEFAULTS["implied_decimal"] == "no"
    assert validate_setting("max_qty_without_confirm", " 250 ") == "250"
    assert validate_setting("implied_decimal", "YES") == "yes"
    for bad in ("0", "10000", "-1", "ten", ""):
        with pytest.raises(ValueError, match="max_qty_without_confirm must be a whole number"):
            validate_setting("max_qty_without_confirm", bad)
    with pytest.raises(ValueError, match="implied_decimal is yes"):
        validate_setting("implied_decimal", "maybe")
    settings = StoreSettings("Shop", "Till 1", ())
    assert settings.entry == EntryChecks(99, implied_decimal=False)

"""Pilot tests of Find (issue 20, item 1): F2 on the scanning screen (and in the price
check) finds a product by part of its name, its PLU or its barcode, as each key is typed;
Up and Down choose, Enter adds (a ``3*`` typed first applies), Esc changes nothing, and a
scan while Find is open closes it and goes into the cart."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from pos.app import PosApp
from pos.db import product_search
from pos.db.errors import StorageError
from pos.screens import ScanScreen
from pos.screens.find import FindScreen
from pos.screens.price_check import PriceCheckScreen
from pos.widgets import EntryLine, MessageLine
from tests.conftest import CASHIER
from tests.ui.helpers import at_once, burst, scan, settle, until

SIZE = (100, 30)
PEN = "4006381333931"
LEMON = "5000000000012"
AppFactory = Callable[..., PosApp]


def _names(app: PosApp) -> list[str]:
    return [f"{line.qty} {line.name}" for line in app.services.checkout.cart.lines]


def _results(app: PosApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(table.get_row_at(row)[0]) for row in range(table.row_count)]


def _chosen(app: PosApp) -> str:
    table = app.screen.query_one(DataTable)
    return str(table.get_row_at(table.cursor_row)[0])


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


async def _find(pilot, text: str = "") -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f2")
    await settle(pilot)
    assert isinstance(pilot.app.screen, FindScreen)
    if text:
        await pilot.press(*text)
        await settle(pilot)


async def test_words_in_any_order_find_the_product_and_enter_adds_it(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, "milk sem")
        assert _results(app) == ["Semi-skimmed milk 2 pints"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["1 Semi-skimmed milk 2 pints"]


async def test_results_follow_each_key_and_up_down_choose(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, "mil")
        found = _results(app)
        assert {"Semi-skimmed milk 2 pints", "Whole milk 4 pints"} <= set(found)
        assert "Milk chocolate bar 100g" in found
        await pilot.press("k", " ", "w")
        await settle(pilot)
        assert _results(app) == ["Whole milk 4 pints"]
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert _results(app) == found  # "milk " finds what "mil" found
        await pilot.press("down")
        assert _chosen(app) == found[1]
        await pilot.press("up", "up")
        assert _chosen(app) == found[0]
        await pilot.press("enter")
        await settle(pilot)
        assert _names(app) == [f"1 {found[0]}"]


async def test_a_quantity_typed_first_applies_and_a_plu_comes_first(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "asterisk")
        await _find(pilot, "4053")
        assert _results(app)[0] == "Lemons unwaxed"
        await pilot.press("enter")
        await settle(pilot)
        assert _names(app) == ["3 Lemons unwaxed"]


async def test_a_weighed_item_found_asks_for_its_weight_as_a_scan_does(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, "banana")
        assert _results(app) == ["Bananas loose"]
        await pilot.press("enter")
        await settle(pilot)
        assert "Weight of Bananas loose" in app.screen.query_one(EntryLine).prompt
        await pilot.press(*"0.85", "enter")
        await settle(pilot)
        assert [line.name for line in app.services.checkout.cart.lines] == ["Bananas loose"]
        assert app.services.checkout.cart.lines[0].qty == 850


async def test_accents_and_case_are_folded(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, "LEMONS UNW")
        assert _results(app) == ["Lemons unwaxed"]
        await pilot.press(*["backspace"] * 10, *"lémons")
        await settle(pilot)
        assert _results(app) == ["Lemons unwaxed"]


async def test_esc_goes_back_with_the_cart_and_the_typed_quantity_as_they_were(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("2", "asterisk")
        await _find(pilot, "lem")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["1 Highlighter pen yellow"]
        assert app.screen.query_one(EntryLine).buffer == "2*"


async def test_a_scan_while_find_is_open_closes_it_and_adds_the_scanned_item(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, "sem")
        burst(app, LEMON + "\n" + PEN + "\n")  # the scanner, and the next item behind it
        await until(pilot, lambda: len(app.services.checkout.cart) == 2)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["1 Lemons unwaxed", "1 Highlighter pen yellow"]


@pytest.mark.parametrize("typed", ["4053", "coke 2", "lem 96"])
async def test_a_scan_after_digits_typed_into_find_is_still_that_scan(
    app_factory: AppFactory, typed: str
) -> None:
    """A PLU or a size typed first makes one run of digits with the scan: the scan is
    the barcode at its end that the catalog has."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, typed)
        burst(app, PEN + "\n")
        await until(pilot, lambda: len(app.services.checkout.cart) == 1)
        assert isinstance(app.screen, ScanScreen)
        assert _names(app) == ["1 Highlighter pen yellow"]


async def test_a_catalog_that_cannot_be_read_is_said_and_find_stays(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(login=CASHIER)

    def busy(text: str, limit: int) -> object:
        raise StorageError("locked", "database is locked")

    async with app.run_test(size=SIZE) as pilot:
        monkeypatch.setattr(app.services.search, "find", busy)
        await _find(pilot, "lem")
        assert isinstance(app.screen, FindScreen)
        assert "could not be read" in _message(app)
        assert _results(app) == []


async def test_an_unknown_barcode_scanned_into_find_is_refused_as_a_scan_is(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot)
        burst(app, "5012345678917\n")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await settle(pilot)
        assert "5012345678917" in _message(app)
        assert len(app.services.checkout.cart) == 0


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("zzqx", "Nothing found for 'zzqx'"),
        ("---", "Type a few letters"),
    ],
)
async def test_a_search_that_finds_nothing_says_so_and_enter_adds_nothing(
    app_factory: AppFactory, typed: str, said: str
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await _find(pilot, typed)
        assert _results(app) == []
        assert said in _message(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FindScreen)
        assert len(app.services.checkout.cart) == 0


async def test_letters_on_the_scanning_screen_point_to_find(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"milk", "enter")
        await settle(pilot)
        assert "F2 finds products by name" in _message(app)


async def test_typed_name_then_f2_starts_the_search_with_it(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"whole mil")
        await _find(pilot)
        assert _results(app) == ["Whole milk 4 pints"]


async def test_find_in_the_price_check_checks_the_chosen_item(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, PriceCheckScreen)
        await _find(pilot, "lemons")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PriceCheckScreen)
        assert "Lemons unwaxed" in str(app.screen.query_one("#pc-result", Static).render())
        assert len(app.services.checkout.cart) == 0


async def test_keys_typed_ahead_of_find_land_in_its_search(app_factory: AppFactory) -> None:
    """F2 and the letters after it in one read: every letter reaches the search."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        at_once(app, "f2", *"whole mil")
        await until(pilot, lambda: isinstance(app.screen, FindScreen))
        await settle(pilot)
        assert _results(app) == ["Whole milk 4 pints"]


async def test_a_search_while_an_import_rebuilds_the_index_says_so(
    app_factory: AppFactory, demo_db: Path
) -> None:
    """A large import (another process) has committed its rows and is rebuilding the
    search index: Find says so instead of showing a stale index's products; once that
    writer is done, the next key has the index rebuilt beside the till (not on the
    screen's thread), and a key after that finds them."""
    app = app_factory(login=CASHIER)
    other = sqlite3.connect(demo_db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        product_search.suspend(other.cursor())  # the import's own transaction
        other.execute("COMMIT")
        other.execute("BEGIN IMMEDIATE")  # and its rebuild's, still running
        async with app.run_test(size=SIZE) as pilot:
            await _find(pilot, "lem")
            assert isinstance(app.screen, FindScreen)
            assert "The product search is being rebuilt after an import" in _message(app)
            assert _results(app) == []
            other.execute("ROLLBACK")
            await pilot.press("o")
            await settle(pilot)
            assert "The product search is being rebuilt after an import" in _message(app)
            repairing = app.services.search._repairing
            assert repairing is not None
            repairing.join(timeout=30)
            await pilot.press("n")
            await settle(pilot)
            assert _results(app) == ["Lemons unwaxed"]
    finally:
        other.close()

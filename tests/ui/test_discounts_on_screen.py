"""Discounts appear in the cart as they trigger and go when a void breaks them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import DiscountRepository, ProductRepository
from pos.domain.pricing import pricer
from pos.services.discounts import DiscountService
from pos.widgets import CartTable, TotalsPanel
from tests.ui.helpers import scan

LEMON = "5000000000012"
PEN = "4006381333931"
SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def rows(app: PosApp) -> list[list[str]]:
    table = app.screen.query_one(CartTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_third_lemon_triggers_the_deal_and_a_void_removes_it(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, LEMON)
        await scan(pilot, LEMON)
        assert len(rows(app)) == 1
        await scan(pilot, LEMON)
        assert rows(app) == [
            ["1", "Lemons unwaxed", "3", "0.50", "1.50"],
            ["", "Lemons 3 for 1.30", "", "", "-0.20"],
        ]
        totals = app.screen.query_one(TotalsPanel)
        assert (totals.subtotal, totals.discounts, totals.total) == (150, 20, 130)
        await scan(pilot, "3")  # that scan's 1 becomes 3: five lemons, still one set
        await scan(pilot, LEMON)  # six: two sets
        assert rows(app)[1] == ["", "Lemons 3 for 1.30 x2", "", "", "-0.40"]
        await pilot.press("down")  # the discount row cannot be edited ...
        await pilot.press("delete")
        assert len(rows(app)) == 2
        await pilot.press("up", "delete")  # ... the lemon line can: the deal goes with it
        await pilot.pause()
        assert rows(app) == []
        assert (totals.subtotal, totals.discounts, totals.total) == (0, 0, 0)


async def test_a_rule_added_while_the_till_runs_prices_the_next_scan(
    app_factory: AppFactory, shop_db: Path, tmp_path: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        assert app.screen.query_one(TotalsPanel).discounts == 0
        rules = tmp_path / "pens.json"
        rules.write_text(
            json.dumps(
                {
                    "discounts": [
                        {
                            "name": "Pens half price",
                            "kind": "percent_off",
                            "items": {PEN: 1},
                            "percent": "50",
                        }
                    ]
                }
            )
        )
        db = open_database(shop_db)  # as the manager's till would, on the same database
        DiscountService(DiscountRepository(db), ProductRepository(db)).import_json(rules)
        db.close()
        await scan(pilot, LEMON)
        # under the pens it takes off, not after the lemons whose scan priced it
        assert rows(app)[1] == ["", "Pens half price", "", "", "-0.60"]
        assert rows(app)[2][1] == "Lemons unwaxed"
        assert app.screen.query_one(TotalsPanel).total == 120 - 60 + 50


async def test_a_scan_reprices_only_what_it_can_change(
    app_factory: AppFactory, shop_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solved: list[tuple[str, ...]] = []
    original = pricer._solve

    def spy(rules, slots):  # type: ignore[no-untyped-def]
        solved.append(tuple(r.name for r in rules))
        return original(rules, slots)

    monkeypatch.setattr(pricer, "_solve", spy)
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, PEN)
        solved.clear()
        await scan(pilot, LEMON)
        assert solved == [("Lemons 3 for 1.30",)]  # not the pens, not the meal deal
        await scan(pilot, "5000000000043")  # crisps: only the meal deal
        assert solved[-1] == ("Meal deal",)

"""Coupons on the scanning screen (issue 22): a scanned code adds its row and its deal, a
refused code says why, and Del on the coupon's row takes it off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pos.app import PosApp
from pos.db.coupons import CouponRepository, Issue
from pos.db.database import open_database
from pos.db.repositories import DiscountRepository
from pos.domain.clock import SystemClock
from pos.domain.coupons import make_code
from pos.domain.rule_format import parse_rule
from pos.widgets import CartTable, MessageLine, TotalsPanel
from tests.ui.helpers import scan

PEN = "4006381333931"
SIZE = (100, 30)
CODE = make_code("001", "1234567")
AppFactory = Callable[..., PosApp]


def with_coupon(db: Path) -> Path:
    """The shop with a coupon rule ("Pound off") and one code for it, :data:`CODE`."""
    database = open_database(db)
    try:
        DiscountRepository(database).upsert_many(
            [
                parse_rule(
                    {"name": "Pound off", "kind": "basket_amount_off", "amount": "1.00",
                     "coupon": True}
                )
            ]
        )  # fmt: skip
        CouponRepository(database).issue(
            Issue("Pound off", 1, 1, None, SystemClock().now(), None), lambda: CODE
        )
    finally:
        database.close()
    return db


def rows(app: PosApp) -> list[list[str]]:
    table = app.screen.query_one(CartTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_a_coupon_row_comes_with_its_deal_and_del_takes_it_off(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(with_coupon(shop_db))
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, CODE[:-1] + "0" if CODE[-1] != "0" else CODE[:-1] + "1")
        assert "bad check digit" in str(app.screen.query_one(MessageLine).render())
        assert len(rows(app)) == 1
        await scan(pilot, CODE)
        assert rows(app) == [
            ["1", "Highlighter pen yellow", "1", "1.20", "1.20"],
            ["", "Pound off", "", "", "-1.00"],
            ["", "Coupon: Pound off", "", "", "0.00"],
        ]
        totals = app.screen.query_one(TotalsPanel)
        assert totals.total == 20
        await pilot.press("end", "delete")
        await pilot.pause()
        assert rows(app) == [["1", "Highlighter pen yellow", "1", "1.20", "1.20"]]
        assert totals.total == 120

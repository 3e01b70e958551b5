"""Coupons on the scanning screen (issue 22): a scanned code adds its row and its deal, a
refused code says why, and Del on the coupon's row takes it off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pos.app import PosApp
from pos.db.coupons import CouponRepository, Issue
from pos.db.database import open_database
from pos.db.repositories import DiscountRepository
from pos.domain.clock import FixedClock, SystemClock
from pos.domain.coupons import make_code
from pos.domain.rule_format import parse_rule
from pos.domain.tender import Method
from pos.screens.payment import PaymentScreen
from pos.widgets import CartTable, MessageLine, TotalsPanel
from tests.ui.helpers import scan, settle, until

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


async def test_a_coupon_lost_after_a_card_payment_keeps_the_payment(
    app_factory: AppFactory, shop_db: Path, clock: FixedClock
) -> None:
    """Both tills paid with the one coupon at the same moment and this one lost at F10's
    save (review of issue 22): the card payment the terminal took stands towards the new
    amount; only the difference is asked for, and the sale is saved with both payments."""
    app = app_factory(with_coupon(shop_db))
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, CODE)
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, PaymentScreen))
        screen = app.screen
        assert isinstance(screen, PaymentScreen)
        assert screen.tender.due == 20
        other = open_database(shop_db)  # another till sells with the code now
        try:
            with other.atomic():
                assert CouponRepository(other).take_use(CODE, clock.now().date())
        finally:
            other.close()
        await pilot.press("f3", *"AUTH42", "enter")
        await settle(pilot)
        message = str(screen.query_one(MessageLine).render())
        assert "was just used up at another till" in message
        assert "Now 1.20: 0.20 taken is kept, 1.00 still to pay" in message
        assert [(p.method, p.amount, p.reference) for p in screen.tender.payments] == [
            (Method.CARD, 20, "AUTH42")
        ]
        await pilot.press("f2")  # the rest in cash, exact
        await until(pilot, lambda: not isinstance(app.screen, PaymentScreen))
    database = open_database(shop_db)
    try:
        paid = database.execute_sql("SELECT method, amount FROM payment ORDER BY id").fetchall()
    finally:
        database.close()
    assert paid == [("card", 20), ("cash", 100)]


async def test_back_from_a_payment_screen_that_took_a_coupon_off_shows_the_cart_without_it(
    app_factory: AppFactory, shop_db: Path, clock: FixedClock
) -> None:
    """The payment screen found the coupon used up at another till and took it off; Esc
    back to the cart shows it without the coupon's row and deal (review of issue 22)."""
    app = app_factory(with_coupon(shop_db))
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, CODE)
        other = open_database(shop_db)  # another till sells with the code now
        try:
            with other.atomic():
                assert CouponRepository(other).take_use(CODE, clock.now().date())
        finally:
            other.close()
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, PaymentScreen))
        await settle(pilot)
        assert rows(app) == [["1", "Highlighter pen yellow", "1", "1.20", "1.20"]]
        assert app.screen.query_one(TotalsPanel).total == 120

"""Snapshots of the cash office (issue 21): its menu, the movement dialog (with a
refused amount), the "No sale" reasons, and the X report's cash movements and the cash
expected in the drawer. Look at the SVG before accepting a change."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from pos.app import PosApp
from tests.ui.helpers import scan, sell, settle

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def test_cash_menu(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("ctrl+o")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_paid_out_over_the_limit(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("ctrl+o", "o")
        await settle(pilot)
        await pilot.press(*"1200", "enter", *"2", "enter")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_no_sale_reasons(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("ctrl+o", "n")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_x_report_with_cash_movements(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        services = pilot.app.services  # type: ignore[attr-defined]
        services.days.open_day(5000)
        await sell(pilot, "4006381333931")
        services.cash.record("paid_in", 2000, "Float top-up")
        services.cash.record("paid_out", 550, "Window cleaner")
        services.cash.record("pickup", 3000, "Safe")
        services.cash.record("no_sale", 0, "Check a note")
        await pilot.press("f12")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_line_discount_refused(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """Issue 21, item 8: the dialog with a discount larger than the line."""

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press(*"5010000123451", "enter")
        await settle(pilot)
        await pilot.press("ctrl+o", "l")
        await settle(pilot)
        await pilot.press(*"2.00", "enter", *"1", "enter")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_cart_with_manual_discounts(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """A line discount under its line and the sale discount at the end, with the reasons."""

    async def run_before(pilot: Pilot[object]) -> None:
        services = pilot.app.services  # type: ignore[attr-defined]
        for code in ("5010000123451", "5010222129514"):
            await pilot.press(*code, "enter")
            await settle(pilot)
        for line_no, value, reason in ((1, "0.45", "Price match"), (None, "10", "Staff")):
            outcome = services.manual_discounts.give(line_no, value, reason)
            pilot.app.screen.apply(outcome)  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_coupon_in_the_cart(snap_compare, app_factory: AppFactory, shop_db) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: a scanned coupon's row (0.00, named after its rule) under the deal it gives."""
    from tests.ui.test_coupons_on_screen import CODE, with_coupon

    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await scan(pilot, CODE)
        await settle(pilot)

    app = app_factory(with_coupon(shop_db))
    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)

"""Snapshots of every state of the scanning screen a cashier sees.

Fixed terminal size, the demo catalog, a fixed clock and fixed ids; nothing on
these screens shows the wall clock. Look at the SVG before accepting a change.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Label

from pos.app import PosApp
from pos.auth.service import LoginFailed
from pos.db.database import open_database
from pos.db.repositories import ProductRepository
from pos.domain.catalog import Product
from pos.paths import DATA_DIR
from tests.ui.helpers import scan, sell, settle, until

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def test_scan_screen_empty(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_factory(), terminal_size=SIZE)


def test_scan_screen_with_lines(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in (
            "4006381333931",
            "5000000000012",
            "5000000000012",
            "0036000291452",
            "2100001012502",
            "2010001003458",
            "3*5000000000043",
        ):
            await scan(pilot, code)
        await pilot.press("up", "up")

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_scan_screen_with_error(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await scan(pilot, "5012345678917")

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_scan_screen_asking_for_a_weight(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "2100002000003")
        await pilot.press("1", "full_stop", "2")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_scan_screen_with_markup_and_wide_names(  # type: ignore[no-untyped-def]
    snap_compare, app_factory: AppFactory, demo_db: Path
) -> None:
    db = open_database(demo_db)
    ProductRepository(db).upsert_many(
        [
            Product("5010000000011", "[bold red]FREE[/] not styled", 100),
            Product("5010000000028", "日本の緑茶 お茶 ペットボトル", 199),
            Product("5010000000035", "Crème brûlée x2", 350),
        ]
    )
    db.close()

    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("5010000000011", "5010000000028", "5010000000035"):
            await scan(pilot, code)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_scan_screen_long_cart_scrolled(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """More lines than the screen holds: the newest stays in view, the border counts the
    rows out of view above and below once the cashier moves up."""
    with (DATA_DIR / "demo_catalog.csv").open(encoding="utf-8") as f:
        codes = [
            row["barcode"]
            for row in csv.DictReader(f)
            if row["unit"] == "each" and row["price"] != "0.00" and row["barcode"][0] != "2"
        ][:30]

    async def run_before(pilot: Pilot[object]) -> None:
        for code in codes:
            await scan(pilot, code)
        await pilot.press(*["up"] * 22)
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_void_cart_confirmation(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await scan(pilot, "5000000000012")
        await pilot.press("f8")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_quantity_confirmation(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "5000000000012")
        await scan(pilot, "150*4006381333931")  # more than 99 on one line: asked first

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_age_confirmation(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "5000000000012")
        await scan(pilot, "5011332159811")  # red wine, 18+: asked before it is added

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_change_confirmation(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f10")
        await settle(pilot)
        await scan(pilot, "120")  # 120.00 for 1.20: a missing point, most likely

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_recall_list(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f6")
        await scan(pilot, "3*5000000000012")
        await scan(pilot, "2100001012502")
        await pilot.press("f6", "f7")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_scan_screen_with_discounts(  # type: ignore[no-untyped-def]
    snap_compare, app_factory: AppFactory, shop_db: Path
) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        for code in (
            "5000000000012",
            "5000000000012",
            "5000000000012",  # lemons 3 for 1.30
            "5000000000036",
            "5000000000043",
            "5000000000050",  # meal deal
            "3*5011332159811",  # weekend wine (the fixed clock is a Saturday)
            "4006381333931",
        ):
            await scan(pilot, code)
            if code.endswith("5011332159811"):  # 18+: the customer's age is asked first
                await pilot.press("y")
                await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


async def _log_in(pilot: Pilot[object], number: str, pin: str) -> None:
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(pilot)


def test_login_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("1", "0", "0", "1", "enter", "2", "5")

    assert snap_compare(app_factory(login=None), run_before=run_before, terminal_size=SIZE)


def test_login_failed(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await _log_in(pilot, "1001", "9999")

    assert snap_compare(app_factory(login=None), run_before=run_before, terminal_size=SIZE)


def test_login_locked_operator(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(login=None)
    for _ in range(10):
        with contextlib.suppress(LoginFailed):  # the failures are the point
            app.services.auth.login("1001", "1111")

    async def run_before(pilot: Pilot[object]) -> None:
        await _log_in(pilot, "1001", "2580")
        message = pilot.app.screen.query_one("#login-message", Label)
        await until(pilot, lambda: "locked until" in str(message.content))
        await settle(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_login_damaged_database(
    snap_compare, app_factory: AppFactory, demo_db: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from pos.domain.clock import FixedClock
    from tests.conftest import FIXED_NOW
    from tests.db.test_robustness import damaged_after_a_first_start

    damaged_after_a_first_start(demo_db, FixedClock(FIXED_NOW))
    monkeypatch.chdir(demo_db.parent)  # the message names the file as given: the same each run
    app = app_factory(Path(demo_db.name), login=None)

    async def run_before(pilot: Pilot[object]) -> None:
        message = pilot.app.screen.query_one("#login-message", Label)
        await until(pilot, lambda: "is damaged" in str(message.content))
        await _log_in(pilot, "1001", "2580")  # refused like every login

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


def test_override_dialog_for_a_cashier(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    # the pen was scanned before a restart: no longer the last scan, so Del is a void
    # (the last scan itself is taken back without a manager: error correct)
    first = app_factory(login=("1001", "2580"))
    first.services.checkout.submit("4006381333931")
    first.services.close()

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("delete")
        await settle(pilot)
        await pilot.press("9", "0", "0", "1", "enter")
        await settle(pilot)

    assert snap_compare(
        app_factory(login=("1001", "2580")), run_before=run_before, terminal_size=SIZE
    )


def test_first_manager_setup(snap_compare, app_factory: AppFactory, empty_db: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_factory(empty_db, login=None), terminal_size=SIZE)


def test_audit_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("f9")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_cashier_refused_a_manager_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("f9")
        await settle(pilot)

    assert snap_compare(
        app_factory(login=("1001", "2580")), run_before=run_before, terminal_size=SIZE
    )


def test_payment_screen_split_tender(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("5000000000012", "5000000000012", "5000000000012", "4006381333931"):
            await scan(pilot, code)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("1", "f3")
        await settle(pilot)
        await pilot.press("enter")  # no terminal reference
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_receipt_screen(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in (
            "5000000000012",
            "5000000000012",
            "5000000000012",
            "4006381333931",
            "2100001012502",
        ):
            await scan(pilot, code)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("1", "f3")
        await settle(pilot)
        await pilot.press("enter")  # no terminal reference
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_change_stays_on_the_scanning_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """Back from the receipt of a cash sale: the change to give is on the message line."""

    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f10", "5", "full_stop", "0", "0", "f2")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_scan_on_the_receipt_starts_the_next_sale(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """The next customer's first item scanned while the receipt was up: it is the first
    line of the next sale."""

    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f10", "f5")
        await settle(pilot)
        await scan(pilot, "5000000000012")
        await until(pilot, lambda: not pilot.app.type_ahead.holding)  # type: ignore[attr-defined]
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_history_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("4006381333931", "5000000000012"):
            await sell(pilot, code)
        await pilot.press("f11")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_history_lists_a_refund(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("4006381333931", "5000000000012"):
            await sell(pilot, code)
        services = pilot.app.services  # type: ignore[attr-defined]
        pen = (services.refunds.lines(1) or [])[0]
        services.refunds.refund(1, {pen.line_no: 1}, "card", reason="Faulty")
        await pilot.press("f11")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_price_check_asking(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f1", *"50")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_price_check_with_deals(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    """An item in a deal: its name, its price, its barcode and the deal, over the cart."""

    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f1")
        await settle(pilot)
        await scan(pilot, "4006381333931")

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_find_with_results(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """F2 and part of a name: the products found, best first, the second one chosen."""

    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await pilot.press("f2", *"mil")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_find_with_nothing_found(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("f2", *"zzqx")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_x_report_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("4006381333931", "5000000000012"):
            await sell(pilot, code)
        await pilot.press("f12")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_x_report_screen_with_a_refund(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    """The operator rows with a refund paid out stay on one line each, in columns."""

    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("4006381333931", "5000000000012"):
            await sell(pilot, code)
        services = pilot.app.services  # type: ignore[attr-defined]
        pen = (services.refunds.lines(1) or [])[0]
        services.refunds.refund(1, {pen.line_no: 1}, "cash", reason="Faulty")
        await pilot.press("f12")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_z_report_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await sell(pilot, "4006381333931")
        await pilot.press("f12")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        await pilot.press("y")  # yes, close the day
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_close_day_confirmation(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await sell(pilot, "4006381333931")
        await pilot.press("f12")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_refund_screen(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for code in ("5000000000012", "5000000000012", "5000000000012", "4006381333931"):
            await scan(pilot, code)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("enter", "f11")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("2", "enter")
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_window_too_small(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "5000000000012")

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=(60, 18))

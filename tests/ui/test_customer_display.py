"""The customer display (``pos display``) on screen: it follows a till changed through
the till's own services in the same test, and looks the same at every run (snapshots)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from pos.app import PosApp
from pos.display_app import DisplayApp, make_display_app
from pos.domain.clock import FixedClock
from pos.domain.money import format_money
from pos.widgets import TotalsPanel

SIZE = (60, 20)
AppFactory = Callable[..., PosApp]
LEMON = "5000000000012"
PEN = "4006381333931"


async def _until(pilot: Pilot[object], condition: Callable[[], bool], seconds: float = 5) -> None:
    """Wait (in real time: the display polls on a timer) until ``condition()`` holds."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the display never reached the expected state")


def _total(app: DisplayApp) -> str:
    return app.screen.query_one(TotalsPanel).shown_total


def _text(app: DisplayApp, widget: str) -> str:
    return str(app.screen.query_one(f"#{widget}", Static).render())


async def test_the_display_follows_the_till(
    app_factory: AppFactory, demo_db: Path, clock: FixedClock
) -> None:
    till = app_factory()
    display = make_display_app(demo_db, clock=clock)
    async with display.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: "Waiting for Till 1" in _text(display, "message"))
        till.services.checkout.submit(PEN)
        expected = format_money(till.services.checkout.priced.total)
        await _until(pilot, lambda: _total(display) == expected)
        assert "Highlighter pen yellow" in _text(display, "item")
        till.services.checkout.void_line(1)
        await _until(pilot, lambda: "Waiting for Till 1" in _text(display, "message"))


def _scanned(app_factory: AppFactory, db: Path) -> PosApp:
    till = app_factory(db)
    for code in (PEN, LEMON, LEMON, LEMON):
        till.services.checkout.submit(code)
    assert till.services.checkout.priced.discount_total > 0  # the lemons' offer
    return till


def test_display_after_a_few_scans(  # type: ignore[no-untyped-def]
    snap_compare, app_factory: AppFactory, shop_db: Path, clock: FixedClock
) -> None:
    till = _scanned(app_factory, shop_db)
    expected = format_money(till.services.checkout.priced.total)

    async def run_before(pilot: Pilot[object]) -> None:
        await _until(pilot, lambda: _total(pilot.app) == expected)  # type: ignore[arg-type]

    assert snap_compare(
        make_display_app(shop_db, clock=clock), run_before=run_before, terminal_size=SIZE
    )


def test_display_after_payment(  # type: ignore[no-untyped-def]
    snap_compare, app_factory: AppFactory, shop_db: Path, clock: FixedClock
) -> None:
    till = _scanned(app_factory, shop_db)
    expected = format_money(till.services.checkout.priced.total)

    async def run_before(pilot: Pilot[object]) -> None:
        app: DisplayApp = pilot.app  # type: ignore[assignment]
        await _until(pilot, lambda: _total(app) == expected)
        tender = till.services.sales.start()
        tender.cash(2000)
        till.services.sales.complete(tender)
        await _until(pilot, lambda: "Thank you" in _text(app, "message"))

    assert snap_compare(
        make_display_app(shop_db, clock=clock), run_before=run_before, terminal_size=SIZE
    )

"""Snapshots of the manager's discount editor: the table, the form for three kinds,
a form with errors, and the preview. A 120-column terminal, the demo shop's rules, a
fixed clock (Saturday 2026-03-14 09:30). Look at the SVG before accepting a change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Checkbox, Input

from pos.app import PosApp
from tests.ui.helpers import scan, settle

SIZE = (120, 34)
AppFactory = Callable[..., PosApp]


async def _edit(pilot: Pilot[object], name: str) -> None:
    await pilot.press("f3")
    await settle(pilot)
    pilot.app.screen.query_one("#rule-filter", Input).value = name
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def test_rule_table(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_form_for_a_multibuy(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await _edit(pilot, "Lemons 3 for 1.30")

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_form_for_free_items(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await _edit(pilot, "Toothbrush")

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_form_for_a_basket_percentage(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await _edit(pilot, "10% off over 100")

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_form_with_errors(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        form = pilot.app.screen
        form.query_one("#f-price", Input).value = "0"
        form.query_one("#f-starts_at", Input).value = "2026-12-24 17:00"
        form.query_one("#f-ends_at", Input).value = "2026-12-01"
        form.query_one("#f-hours", Input).value = "5pm-7pm"
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


def test_form_preview(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        for _ in range(4):
            await scan(pilot, "5000000000012")
        await _edit(pilot, "Lemons 3 for 1.30")
        form = pilot.app.screen
        form.query_one("#f-price", Input).value = "1.00"
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)


async def _coupon_caps(pilot: Pilot[object]) -> None:
    """Lemons 3 for 1.30 made a coupon rule with caps (issue 22)."""
    await _edit(pilot, "Lemons 3 for 1.30")
    form = pilot.app.screen
    form.query_one("#f-coupon", Checkbox).value = True
    form.query_one("#f-max_uses", Input).value = "100"
    form.query_one("#f-max_uses_per_sale", Input).value = "2"
    await settle(pilot)


def test_form_with_coupon_and_caps(snap_compare, app_factory: AppFactory, shop_db: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_factory(shop_db), run_before=_coupon_caps, terminal_size=SIZE)


def test_rule_table_with_coupon_and_caps(  # type: ignore[no-untyped-def]
    snap_compare, app_factory: AppFactory, shop_db: Path
) -> None:
    async def run_before(pilot: Pilot[object]) -> None:
        await _coupon_caps(pilot)
        await pilot.press("f2")  # save
        await settle(pilot)
        pilot.app.screen.query_one("#rule-filter", Input).value = ""
        await settle(pilot)

    assert snap_compare(app_factory(shop_db), run_before=run_before, terminal_size=SIZE)

"""Snapshots of refunds without a receipt and of refund reasons (issue 21, items 6 and
7): the screen with its lines (one at a lower price), the reason asked before any refund,
and the X report's refunds by reason and without a receipt. Look at the SVG before
accepting a change."""

from __future__ import annotations

from collections.abc import Callable

from textual.pilot import Pilot

from pos.app import PosApp
from tests.ui.helpers import burst, settle

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]
PEN = "4006381333931"
LEMON = "5000000000012"


async def _lines(pilot: Pilot[object]) -> None:
    await pilot.press("ctrl+o", "u")
    await settle(pilot)
    burst(pilot.app, f"{PEN}\n{PEN}\n{LEMON}\n0.40")
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)


def test_refund_without_receipt_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app_factory(), run_before=_lines, terminal_size=SIZE)


def test_refund_reason_asked(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await _lines(pilot)
        await pilot.press("f2", "down")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_x_report_with_refund_reasons(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        returns = pilot.app.services.returns  # type: ignore[attr-defined]
        pen = returns.item(PEN, 2)
        returns.refund([pen], "cash", "Faulty")
        returns.refund([returns.item(LEMON)], "card", "Changed mind")
        await pilot.press("f12")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)

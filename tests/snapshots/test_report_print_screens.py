"""Snapshots of the report screen's printing (issue 21, item 5): the dialog that asks
which past Z report to print a copy of (with a number refused), and the message after
the day closed and its Z report printed. Look at the SVG before accepting a change."""

from __future__ import annotations

from collections.abc import Callable

from escpos.printer import Dummy
from textual.pilot import Pilot

from pos.app import PosApp
from pos.services.printing import ReceiptPrinter
from tests.ui.helpers import sell, settle

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]


def test_z_copy_number_refused(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        services = pilot.app.services  # type: ignore[attr-defined]
        services.sales.printer = ReceiptPrinter(opener=Dummy)
        await sell(pilot, "4006381333931")
        services.days.close_day(120)
        services.days.open_day(0)
        services.days.close_day(0)
        await pilot.press("f12", "f5")
        await settle(pilot)
        await pilot.press("9", "enter")
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)


def test_z_report_printed_at_the_close(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        pilot.app.services.sales.printer = ReceiptPrinter(opener=Dummy)  # type: ignore[attr-defined]
        await sell(pilot, "4006381333931")
        await pilot.press("f12", "f4")
        await settle(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        await pilot.press("y")
        await pilot.app.workers.wait_for_complete()
        await settle(pilot)

    assert snap_compare(app_factory(), run_before=run_before, terminal_size=SIZE)

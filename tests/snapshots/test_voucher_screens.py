"""Snapshots of the gift voucher states (issue 22): the payment screen after a voucher
paid part of the sale."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from textual.pilot import Pilot

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.vouchers import VoucherRepository
from pos.domain.vouchers import Voucher, make_code
from tests.conftest import FIXED_NOW
from tests.ui.helpers import burst, scan, settle

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]
CARD = make_code("001", "000000000005")


def test_payment_screen_after_a_voucher(
    snap_compare, app_factory: AppFactory, demo_db: Path
) -> None:  # type: ignore[no-untyped-def]
    database = open_database(demo_db)
    try:
        VoucherRepository(database, "Till 1").issue(
            [Voucher(CARD, 500, 100, date(2027, 1, 1))], FIXED_NOW
        )
    finally:
        database.close()

    async def run_before(pilot: Pilot[object]) -> None:
        await scan(pilot, "4006381333931")
        await scan(pilot, "4006381333931")
        await pilot.press("f10")
        await settle(pilot)
        burst(pilot.app, CARD + "\n")
        await settle(pilot)

    assert snap_compare(
        app_factory(demo_db, login=("1001", "2580")), run_before=run_before, terminal_size=SIZE
    )


def test_voucher_balance_dialog(snap_compare, app_factory: AppFactory, demo_db: Path) -> None:  # type: ignore[no-untyped-def]
    database = open_database(demo_db)
    try:
        VoucherRepository(database, "Till 1").issue(
            [Voucher(CARD, 2500, 1380, date(2028, 3, 14))], FIXED_NOW
        )
    finally:
        database.close()

    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("ctrl+o", "v")
        await settle(pilot)
        burst(pilot.app, CARD + "\n")
        await settle(pilot)

    assert snap_compare(
        app_factory(demo_db, login=("1001", "2580")), run_before=run_before, terminal_size=SIZE
    )

"""A store's till on screen (issue 19): the header says how the link to the store stands,
and managers see what waits to be sent (Ctrl+K, "Store link" in the palette). The worker
here is a stand-in with a fixed state, so the screens are the same at every run; the
real worker is tested against PostgreSQL in tests/sync."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.pilot import Pilot

from pos.app import PosApp
from pos.screens.outbox import OutboxScreen
from pos.screens.scan import ScanScreen
from pos.services.sync import SyncStatus
from pos.widgets import KeyBar, MessageLine, TillHeader
from tests.conftest import CASHIER
from tests.ui.helpers import settle, until

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]
OFFLINE = SyncStatus(False, 3, 5, datetime(2026, 3, 14, 14, 2))
WAITING = [
    (41, "day", "day opened", "2026-03-14T13:58:01+00:00"),
    (42, "sale", "receipt 17", "2026-03-14 14:03:10"),
    (43, "audit", "sale_completed", "2026-03-14T14:03:10+00:00"),
    (44, "sale", "receipt 18", "2026-03-14 14:05:47"),
    (45, "sale", "receipt 19", "2026-03-14 14:06:02"),
]


class StandIn:
    """What the app asks of a store's sync worker, with a fixed answer."""

    def __init__(self, status: SyncStatus) -> None:
        self.status = status
        self.started = self.stopped = False
        self.shown = 0  # how often the store link screen asked what waits

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def outbox(self, limit: int = 200) -> list[tuple[int, str, str, str]]:
        self.shown += 1
        return WAITING[:limit]


def _store_till(app_factory: AppFactory, status: SyncStatus = OFFLINE, **options: object) -> PosApp:
    app = app_factory(**options)
    app.services.sync = StandIn(status)  # type: ignore[assignment]
    return app


async def test_the_header_says_offline_and_the_manager_sees_what_waits(
    app_factory: AppFactory,
) -> None:
    app = _store_till(app_factory)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert app.services.sync.started  # type: ignore[union-attr]
        await until(pilot, lambda: app.screen.query_one(TillHeader).link != "")
        assert app.screen.query_one(TillHeader).link == (
            "OFFLINE - 3 sales waiting, last contact 14:02"
        )
        assert "Store" in [key.label for key in app.screen.query_one(KeyBar).keys]
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(app.screen, OutboxScreen))
        await settle(pilot)
        count = str(app.screen.query_one("#outbox-count").render())
        assert "5 entries waiting (3 sales), oldest first" in count
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))


async def test_a_cashier_is_told_the_store_link_is_for_managers(app_factory: AppFactory) -> None:
    app = _store_till(app_factory, login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert "for managers" in str(app.screen.query_one(MessageLine).render())


async def test_a_till_of_its_own_has_no_store_link(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert app.screen.query_one(TillHeader).link == ""
        assert "Store" not in [key.label for key in app.screen.query_one(KeyBar).keys]
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)


def test_scan_screen_of_a_store_till_offline(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await until(pilot, lambda: pilot.app.screen.query_one(TillHeader).link != "")

    assert snap_compare(_store_till(app_factory), run_before=run_before, terminal_size=SIZE)


def test_store_link_screen(snap_compare, app_factory: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot[object]) -> None:
        await pilot.press("ctrl+k")
        await until(pilot, lambda: isinstance(pilot.app.screen, OutboxScreen))
        await settle(pilot)

    assert snap_compare(_store_till(app_factory), run_before=run_before, terminal_size=SIZE)


async def test_keys_typed_ahead_of_the_store_link_land_on_it(app_factory: AppFactory) -> None:
    """Ctrl+K and Esc in one burst: the Esc closes the store link it opened (the type-ahead
    rule), and digits typed after land on the scanning screen again."""
    app = _store_till(app_factory)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await pilot.press("ctrl+k", "escape", "1", "2")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScanScreen)
        assert screen.entry.buffer == "12"
        assert app.services.sync.shown >= 1  # type: ignore[union-attr]  # it was open

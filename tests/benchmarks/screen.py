"""Driving the real till headless (``App.run_test``) and timing what reaches the screen.

``Pilot.pause`` sleeps at least 20 ms (it waits for the CPU to go idle), which would
swamp a 16 ms target, so :func:`caught_up` waits by yielding to the event loop until
every message pump of the screen is empty and the change is in the widgets; then it
paints the screen as Textual's update timer does (``Screen._on_timer_update``: layout
plus compositor render of every dirty widget). The wait for the next 60 Hz timer tick
itself is not counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from textual import events

from pos.app import PosApp
from pos.config import DbTarget
from pos.domain.clock import FixedClock, SequentialIds
from pos.factory import make_app
from pos.screens import ScanScreen
from pos.widgets import CartTable, TotalsPanel
from tests.benchmarks.fixture import FAST_HASHER, MANAGER

FIXED_NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
SIZE = (100, 30)


def till(db: DbTarget, clock: FixedClock | None = None) -> PosApp:
    """The till as the CLI builds it, with a fixed clock and ids, the manager logged in."""
    app = make_app(
        db, clock=clock or FixedClock(FIXED_NOW), ids=SequentialIds(), hasher=FAST_HASHER
    )
    app.services.sessions.login(*MANAGER)
    return app


def scan_screen(app: PosApp) -> ScanScreen:
    screen = app.screen
    assert isinstance(screen, ScanScreen), screen
    return screen


def _quiet(app: PosApp) -> bool:
    screen = app.screen
    for pump in (app, screen, *screen.walk_children()):
        if pump.message_queue_size or pump._next_callbacks:
            return False
    return True


async def caught_up(
    app: PosApp, done: Callable[[], bool] = lambda: True, limit: float = 120
) -> None:
    """Wait until ``done()`` holds and nothing is left to process, then paint."""
    deadline = time.perf_counter() + limit
    while not (_quiet(app) and done()):
        if time.perf_counter() > deadline:
            raise TimeoutError("the till did not catch up")
        await asyncio.sleep(0)
    app.screen._on_timer_update()  # the paint Textual's update timer would do


def press(app: PosApp, key: str, character: str | None = None) -> None:
    driver = app._driver
    assert driver is not None
    driver.send_message(events.Key(key, character))


def shown(app: PosApp, lines: int) -> Callable[[], bool]:
    """The cart holds ``lines`` lines, the table shows the newest, the totals are current."""
    screen = scan_screen(app)
    checkout = screen.checkout

    def check() -> bool:
        if len(checkout.cart) != lines:
            return False
        newest = checkout.cart.lines[-1] if lines else None
        table = screen.query_one(CartTable)
        if newest is not None and str(newest.line_no) not in table.rows:
            return False
        return screen.query_one(TotalsPanel).total == checkout.priced.total

    return check

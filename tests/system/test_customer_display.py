"""The customer display as a process of its own: ``python -m pos --db FILE display`` on a
pty follows a till changed from this test process through the till's services, and
carries on when the till stops and starts again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.domain.clock import FixedClock, SequentialIds, UuidIds
from pos.services.container import build_services
from tests.conftest import FAST_HASHER, MANAGER
from tests.pty_till import Till

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tills")]  # a real process

PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50


def test_the_display_follows_a_till_in_another_process(demo_db: Path, clock: FixedClock) -> None:
    display = Till(demo_db, command=("display",), rows=20, cols=60)
    till = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        display.wait_for_text("Waiting for Till 1", timeout=30)
        till.sessions.login(*MANAGER)
        mark = display.mark()
        till.checkout.submit(PEN)
        display.wait_for_text("Highlighter pen yellow", timeout=30, since=mark)
        display.wait_for_text("1.20", timeout=30, since=mark)
        till.close()  # the till stops...
        till = build_services(demo_db, clock=clock, ids=UuidIds(), hasher=FAST_HASHER)
        till.sessions.login(*MANAGER)  # ...and starts again, with the same open cart
        mark = display.mark()
        till.checkout.submit(LEMON)
        display.wait_for_text("Lemons unwaxed", timeout=30, since=mark)
        display.wait_for_text("1.70", timeout=30, since=mark)
        assert display.proc.poll() is None
    finally:
        till.close()
        display.kill()

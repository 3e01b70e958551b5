"""What is typed into the sales history's search: found by the random key test (a
scanner's digits typed into the search after F11 made a number SQLite cannot hold, and
the exception reached Textual)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pos.app import PosApp
from pos.screens.history import HistoryScreen
from pos.widgets import MessageLine
from tests.ui.helpers import burst, scan, sell, settle, until

# what the till does, not what it draws: painted once, at the end (tests/painting.py)
pytestmark = pytest.mark.usefixtures("paint_once")

PEN = "4006381333931"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("4006381333931" * 2, "0 sales shown"),  # two scans run together: 26 digits
        ("9" * 19, "0 sales shown"),  # just past SQLite's largest integer
        ("9223372036854775807", "0 sales shown"),  # SQLite's largest integer itself
        ("²", "0 sales shown"),  # a digit to isdigit(), not to int()
        ("١", "0 sales shown"),  # an Arabic-Indic one
        ("2026-02-30", "0 sales shown"),  # no such day
        ("0001", "1 sale shown"),
    ],
)
async def test_anything_typed_into_the_search_is_answered(
    app_factory: Callable[..., PosApp], typed: str, shown: str
) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await sell(pilot, PEN)
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        burst(app, typed)
        await settle(pilot)
        assert app.is_running
        assert isinstance(app.screen, HistoryScreen)
        assert str(app.screen.query_one(MessageLine).render()).startswith(shown)
        await pilot.press("escape")
        await settle(pilot)
        await scan(pilot, PEN)  # the till goes on
        assert len(app.services.checkout.cart.lines) == 1  # type: ignore[attr-defined]

"""Painting once, at the end of a Pilot test (the ``paint_once`` fixture of
tests/conftest.py; every test of tests/ui, and the hardening and service tests that drive
the till for what it does rather than for what it draws).

What is drawn is tested by the snapshots (``snap_compare``, in tests/snapshots and
tests/ui: every screen state), the tests that read the screen (marked ``paints``) and the
hardening tests (random keys, bad scans, Unicode rows), which all paint as the till does.
Elsewhere the screen is painted once, at the end of each test, instead of after every
message: Textual's headless driver throws the painted lines away, and painting them was a
third of these tests' CPU (issue 18: the suite's time is the machine's two cores). Layout,
focus, styles and every callback run as in the till, and the final paint draws every
screen of the stack, so a widget that cannot render its last state still fails its test
(tests/ui/test_painting.py). What such a test cannot see is a widget that changes without
asking to be drawn again (a missing ``refresh()``): the one paint draws its new state. That
is the painting tests' to catch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen


def _keep_books(self: Screen[Any]) -> None:
    """``Screen._compositor_refresh`` without the painting: what it would have drawn is
    forgotten as drawn, as the headless driver forgets it."""
    app = self.app
    if self is app.screen or self in app._background_screens:
        self._compositor._dirty_regions.clear()
        self._dirty_widgets.clear()
    app._update_mouse_over(self)


def paint(app: App[Any]) -> None:
    """Draw the whole screen now, the screens under a dialog included (a widget whose
    ``render`` fails raises here)."""
    screen = app.screen
    screen._compositor.render_update(full=True, screen_stack=app._background_screens)


def paint_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now until ``monkeypatch`` undoes it, apps paint once, as their test leaves
    ``run_test`` (not when it fails: its own error is the one to see)."""
    run_test = App.run_test

    @asynccontextmanager
    async def painted_at_exit(self: App[Any], **options: Any) -> AsyncIterator[Pilot[Any]]:
        async with run_test(self, **options) as pilot:
            yield pilot
            if self.is_running and self._screen_stacks[self._current_mode]:
                paint(self)

    monkeypatch.setattr(Screen, "_compositor_refresh", _keep_books)
    monkeypatch.setattr(App, "run_test", painted_at_exit)

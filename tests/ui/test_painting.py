"""The Pilot tests here paint once, at their end (tests/ui/conftest.py): a widget that
cannot draw the state a test leaves it in still fails that test."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


class Broken(Static):
    """Draws until told not to be able to (of a fixed size: laying it out needs no
    drawing)."""

    DEFAULT_CSS = "Broken { width: 20; height: 1; }"
    broken = False

    def render(self) -> str:
        if self.broken:
            raise RuntimeError("cannot draw this state")
        return "drawn"


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("a line above")
        yield Broken()


async def _left_unable_to_draw(app: Host, dialog: Screen[None] | None = None) -> None:
    """Run ``app``, make its widget unable to draw, open ``dialog`` over it, and leave."""
    async with app.run_test(size=(40, 5)) as pilot:
        widget = app.query_one(Broken)
        widget.broken = True
        widget.refresh()
        if dialog is not None:
            await app.push_screen(dialog)
        await pilot.pause()


async def test_a_widget_that_cannot_draw_the_last_state_fails_the_test() -> None:
    with pytest.raises(RuntimeError, match="cannot draw this state"):
        await _left_unable_to_draw(Host())


class Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("a dialog")


async def test_a_dialog_paints_the_screen_under_it_too() -> None:
    with pytest.raises(RuntimeError, match="cannot draw this state"):
        await _left_unable_to_draw(Host(), Dialog())

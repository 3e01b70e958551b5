"""The Pilot tests here paint once, at their end (tests/ui/conftest.py): a widget that
cannot draw the state a test leaves it in still fails that test."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
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


async def test_a_widget_that_cannot_draw_the_last_state_fails_the_test() -> None:
    app = Host()
    with pytest.raises(RuntimeError, match="cannot draw this state"):
        async with app.run_test(size=(40, 5)) as pilot:
            widget = app.query_one(Broken)
            widget.broken = True
            widget.refresh()
            await pilot.pause()


async def test_a_dialog_paints_the_screen_under_it_too() -> None:
    from textual.screen import ModalScreen

    class Dialog(ModalScreen[None]):
        def compose(self) -> ComposeResult:
            yield Static("a dialog")

    app = Host()
    with pytest.raises(RuntimeError, match="cannot draw this state"):
        async with app.run_test(size=(40, 5)) as pilot:
            widget = app.query_one(Broken)
            widget.broken = True
            widget.refresh()
            await app.push_screen(Dialog())
            await pilot.pause()

"""The entry line on its own: what it shows, and that the typed text always shows."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from pos.widgets import EntryLine

# what is drawn, read from the screen: painted after every message (tests/painting.py)
pytestmark = pytest.mark.paints


class Host(App[None]):
    CSS = "EntryLine { height: 3; padding: 0 1; border: round red; }"

    def compose(self) -> ComposeResult:
        yield EntryLine(id="entry")


def shown(app: App[None]) -> str:
    """The entry's line on screen, inside the border and the padding."""
    return app.screen._compositor.render_strips()[1].text[2:-2]


async def test_prompt_typing_and_a_control_character() -> None:
    app = Host()
    async with app.run_test(size=(40, 5)) as pilot:
        entry = app.query_one(EntryLine)
        await pilot.pause()
        assert shown(app).rstrip() == "Scan or type >"  # and the cursor
        for char in "40063\x1b":
            entry.type(char)
        await pilot.pause()
        assert shown(app).rstrip() == "Scan or type > 40063^["
        assert entry.take() == "40063\x1b"
        entry.prompt = "Amount"
        await pilot.pause()
        assert shown(app).rstrip() == "Amount >"


async def test_a_long_prompt_gives_way_to_what_is_typed() -> None:
    app = Host()
    async with app.run_test(size=(30, 5)) as pilot:
        entry = app.query_one(EntryLine)
        entry.prompt = "Type the weight of Bananas loose in kg, then Enter"
        for char in "0.850":
            entry.type(char)
        await pilot.pause()
        line = shown(app)
        assert len(line) == 26
        assert line.startswith("Type the weight")
        assert line.rstrip().endswith("… > 0.850")
        entry.prompt = "Scan or type"
        await pilot.pause()
        assert shown(app).rstrip() == "Scan or type > 0.850"

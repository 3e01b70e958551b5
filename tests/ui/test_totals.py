"""The totals panel on its own: what it draws, that a new figure replaces every line of
the old one (the big TOTAL's three), and that a figure that did not change is not drawn
again."""

from __future__ import annotations

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.renderables.digits import Digits as BigDigits
from textual.strip import Strip

from pos.widgets import TotalsPanel

# what is drawn, read from the screen: painted after every message (tests/painting.py)
pytestmark = pytest.mark.paints


class Host(App[None]):
    CSS = """
    TotalsPanel { width: 28; padding: 1 1; border: round red; }
    TotalsPanel > .totals-panel--total { text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        yield TotalsPanel(id="totals")


def on_screen(app: App[None]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def big(text: str) -> list[str]:
    """``text`` as Textual's Digits widget draws it (bold: the heavy strokes)."""
    drawn = "".join(segment.text for segment in BigDigits(text).render(Style(bold=True)))
    return drawn.split("\n")[:3]


def panel_lines(app: App[None]) -> list[str]:
    """The panel's content lines: inside the border and the padding."""
    return [line[2:26] for line in on_screen(app)[2:10]]


async def test_the_figures_and_the_big_total() -> None:
    app = Host()
    async with app.run_test(size=(40, 14)) as pilot:
        panel = app.query_one(TotalsPanel)
        panel.show(items=9, subtotal=1351, discounts=0, total=1351)
        await pilot.pause()
        lines = panel_lines(app)
        assert lines[:5] == [
            "Items                  9",
            "Subtotal           13.51",
            "Savings             0.00",
            " " * 24,
            "TOTAL" + " " * 19,
        ]
        assert [line.rstrip() for line in lines[5:8]] == [
            line.rjust(24).rstrip() for line in big("13.51")
        ]
        # every figure changes, the total to one of another width: no line keeps an old one
        panel.show(items=10, subtotal=2000, discounts=150, total=1850)
        await pilot.pause()
        lines = panel_lines(app)
        assert lines[0].endswith(" 10")
        assert lines[1].endswith(" 20.00")
        assert lines[2] == "Savings            -1.50"
        assert [line.strip() for line in lines[5:8]] == [line.strip() for line in big("18.50")]
        panel.show(items=1, subtotal=5, discounts=0, total=5)
        await pilot.pause()
        assert [line.strip() for line in panel_lines(app)[5:8]] == [
            line.strip() for line in big("0.05")
        ]
        assert panel.shown_total == "0.05"
        assert panel.figures == {
            "items": "1",
            "subtotal": "0.05",
            "savings": "0.00",
            "total": "0.05",
        }


async def test_a_figure_is_drawn_once_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan that changes the item count redraws that line only; a new total lays its
    digits out once for its three lines."""
    app = Host()
    async with app.run_test(size=(40, 14)) as pilot:
        panel = app.query_one(TotalsPanel)
        panel.show(items=1, subtotal=100, discounts=0, total=100)
        await pilot.pause()
        drawn: list[int | str] = []
        draw, draw_total = TotalsPanel._draw, TotalsPanel._draw_total

        def spy(self: TotalsPanel, y: int) -> Strip:
            drawn.append(y)
            return draw(self, y)

        def spy_total(self: TotalsPanel) -> None:
            drawn.append("total")
            draw_total(self)

        monkeypatch.setattr(TotalsPanel, "_draw", spy)
        monkeypatch.setattr(TotalsPanel, "_draw_total", spy_total)
        panel.show(items=2, subtotal=100, discounts=0, total=100)  # a free item
        await pilot.pause()
        assert drawn == [0]
        assert panel_lines(app)[0] == "Items                  2"
        drawn.clear()
        panel.show(items=3, subtotal=250, discounts=0, total=250)
        await pilot.pause()
        assert sorted(drawn, key=str) == [0, 1, "total"]
        assert [line.strip() for line in panel_lines(app)[5:8]] == [
            line.strip() for line in big("2.50")
        ]

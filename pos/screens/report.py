"""The X report on screen: the day's figures and the takings by hour as a chart."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Sparkline, Static

from pos.domain.report import DayFigures


class ReportScreen(Screen[None]):
    """Today's X report (it closes nothing)."""

    BINDINGS = [Binding("escape", "close", "Back", key_display="Esc")]

    def __init__(self, title: str, figures: DayFigures, hourly: list[int]) -> None:
        super().__init__()
        self.title_text = title
        self.figures = figures
        self.hourly = hourly

    def compose(self) -> ComposeResult:
        yield Label(Text(self.title_text), id="report-title")
        with Horizontal(id="report-main"):
            yield Static(Text("\n".join(self.figures.lines())), id="report-figures")
            with Vertical(id="report-chart"):
                yield Label("Takings by hour (00 to 23)")
                yield Sparkline(self.hourly, id="takings")
                yield Label(_hour_axis(), id="hours")
        yield Footer(compact=True, show_command_palette=False)

    def action_close(self) -> None:
        self.dismiss(None)


def _hour_axis() -> str:
    """Hour labels under the 48-cell chart (two cells an hour)."""
    axis = [" "] * 48
    for hour in (0, 6, 12, 18, 23):
        for i, ch in enumerate(f"{hour:02d}"):
            axis[min(47, 2 * hour + i)] = ch
    return "".join(axis)

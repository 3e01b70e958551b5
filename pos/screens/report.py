"""The X report on screen: the day's figures and the takings by hour as a chart."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Sparkline, Static

from pos.domain.money import MoneyError, format_money, parse_money
from pos.domain.report import DayFigures
from pos.screens.modals import ConfirmModal
from pos.widgets import MessageLine
from pos.widgets.type_ahead import AnswersOnce

Figures = tuple[str, DayFigures, list[int]]
"""A report's title, its figures and the takings of each local hour."""


class ReportScreen(AnswersOnce, Screen[None]):
    """Today's X report (it closes nothing); F2 closes the day with a Z report and the
    cash count, F3 opens a new day with its float (and ``reload`` then shows its
    figures, from nothing)."""

    BINDINGS = [
        Binding("escape", "close", "Back", key_display="Esc"),
        Binding("f2", "z_report", "Close day (Z)", key_display="F2"),
        Binding("f3", "open_day", "Open day", key_display="F3"),
    ]

    def __init__(
        self,
        title: str,
        figures: DayFigures,
        hourly: list[int],
        close_day: Callable[[int], list[str] | str] | None = None,
        open_day: Callable[[int], str] | None = None,
        reload: Callable[[], Figures] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.figures = figures
        self.hourly = hourly
        self._close_day = close_day
        self._open_day = open_day
        self._reload = reload

    def compose(self) -> ComposeResult:
        yield Label(Text(self.title_text), id="report-title")
        with Horizontal(id="report-main"):
            with VerticalScroll(id="report-figures"):
                yield Static(Text("\n".join(self.figures.lines())), id="figures-text")
            with Vertical(id="report-chart"):
                yield Label("Takings by hour (00 to 23)")
                yield Sparkline(self.hourly, id="takings")
                yield Label(_hour_axis(), id="hours")
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def show_figures(self, title: str, figures: DayFigures, hourly: list[int]) -> None:
        """Show another report's title, figures and chart in place of these."""
        self.title_text, self.figures, self.hourly = title, figures, hourly
        self.query_one("#report-title", Label).update(Text(title))
        self.query_one("#figures-text", Static).update(Text("\n".join(figures.lines())))
        self.query_one("#takings", Sparkline).data = hourly

    def action_close(self) -> None:
        self.dismiss(None)

    def action_z_report(self) -> None:
        if self._close_day is None:
            return
        close = self._close_day

        def counted(amount: int | None) -> None:
            if amount is None:
                return
            question = (
                f"Close the day with {format_money(amount)} counted in the drawer? The Z report "
                "is final: no sale or refund until a manager opens the next day (F3)."
            )
            self.app.push_screen(ConfirmModal(question), lambda yes: closing(amount, yes))

        def closing(amount: int, yes: bool | None) -> None:
            if not yes:
                self.query_one(MessageLine).show("Day not closed: F2 starts again")
                return
            result = close(amount)
            if isinstance(result, str):
                self.query_one(MessageLine).show(result, error=True)
                self.app.bell()
                return
            self.query_one("#figures-text", Static).update(Text("\n".join(result)))
            self.query_one("#report-title", Label).update("Z report: the day is closed")
            self.query_one(MessageLine).show("Day closed. F3 opens the next one.")

        self.app.push_screen(AmountModal("Counted cash in the drawer"), counted)

    def action_open_day(self) -> None:
        if self._open_day is None:
            return
        open_day = self._open_day

        def with_float(amount: int | None) -> None:
            if amount is None:
                return
            said = open_day(amount)
            if self._reload is not None:  # the new day (or, if none opened, the same)
                self.show_figures(*self._reload())
            self.query_one(MessageLine).show(said)

        self.app.push_screen(AmountModal("Float in the drawer for the new day"), with_float)


class AmountModal(AnswersOnce, ModalScreen[int | None]):
    """Asks for an amount of money (``12.50``)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.question), id="question")
            yield Input(id="amount", restrict=r"[0-9.]*", max_length=10, placeholder="0.00")
            yield Label("", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            amount = parse_money(event.value or "0", what="amount")
        except MoneyError as exc:
            self.query_one("#hint", Label).update(str(exc).capitalize())
            return
        self.dismiss(amount)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _hour_axis() -> str:
    """Hour labels under the 48-cell chart (two cells an hour)."""
    axis = [" "] * 48
    for hour in (0, 6, 12, 18, 23):
        for i, ch in enumerate(f"{hour:02d}"):
            axis[min(47, 2 * hour + i)] = ch
    return "".join(axis)

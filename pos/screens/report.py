"""The X report on screen: the day's figures and the takings by hour as a chart."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, Sparkline, Static

from pos.auth.guard import LoginRequired, OverrideRequired
from pos.domain.money import MoneyError, format_money, parse_money
from pos.domain.report import DayFigures
from pos.domain.text import sentence
from pos.screens.modals import ConfirmModal
from pos.services.days import DayClosed, DayService
from pos.services.errors import StorageError
from pos.services.sales import SaleService
from pos.widgets import MessageLine
from pos.widgets.type_ahead import AnswersOnce

REFUSED = "Only a manager closes or opens the day"


class ReportScreen(AnswersOnce, Screen[None]):
    """Today's X report (it closes nothing); F2 closes the day with a Z report and the
    cash count, F3 opens a new day with its float (and then shows its figures, from
    nothing). The day service asks the guard: only a manager closes or opens a day."""

    BINDINGS = [
        Binding("escape", "close", "Back", key_display="Esc"),
        Binding("f2", "z_report", "Close day (Z)", key_display="F2"),
        Binding("f3", "open_day", "Open day", key_display="F3"),
    ]

    def __init__(self, sales: SaleService, days: DayService) -> None:
        super().__init__()
        self.sales = sales
        self.days = days
        self.title_text, self.figures, self.hourly = sales.x_report()  # it asks the guard

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

    def _refuse(self, problem: str) -> None:
        self.query_one(MessageLine).show(problem, error=True)
        self.app.bell()

    def action_z_report(self) -> None:
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
            try:
                result = self.days.close_day(amount).lines()
            except (DayClosed, StorageError) as exc:
                self._refuse(str(exc))
                return
            except (LoginRequired, OverrideRequired):  # the service asked the guard
                self._refuse(REFUSED)
                return
            self.query_one("#figures-text", Static).update(Text("\n".join(result)))
            self.query_one("#report-title", Label).update("Z report: the day is closed")
            self.query_one(MessageLine).show("Day closed. F3 opens the next one.")

        self.app.push_screen(AmountModal("Counted cash in the drawer"), counted)

    def action_open_day(self) -> None:
        def with_float(amount: int | None) -> None:
            if amount is None:
                return
            try:
                self.days.open_day(amount)
            except StorageError as exc:
                problem = f"Not opened: {exc.reason}; {exc.advice}"
            except (LoginRequired, OverrideRequired):  # the service asked the guard
                problem = REFUSED
            else:
                problem = ""
            self.show_figures(*self.sales.x_report())  # the new day (or, if none, the same)
            if problem:
                self._refuse(problem)
            else:
                self.query_one(MessageLine).show(
                    f"Day opened with a float of {format_money(amount)}"
                )

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
            self.query_one("#hint", Label).update(sentence(str(exc)))
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

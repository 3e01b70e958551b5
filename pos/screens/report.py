"""The X report on screen: the day's figures and the takings by hour as a chart; F2 prints
it, F4 closes the day (and prints its Z report), F5 prints a copy of a past Z report."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, Sparkline, Static

from pos.auth.guard import LoginRequired, OverrideRequired
from pos.domain.money import MoneyError, format_money, parse_money
from pos.domain.report import DayFigures
from pos.domain.text import sentence
from pos.screens.modals import ConfirmModal
from pos.screens.printing import PrintMessages, PrintsReceipts, show_not_printed
from pos.screens.requests import LockTill
from pos.services.days import CashUp, DayClosed, DayService
from pos.services.errors import StorageError
from pos.services.printing import PrinterError, PrintJob, no_printer
from pos.services.report_prints import ReportPrints, ZRefused
from pos.services.sales import SaleService
from pos.widgets import MessageLine
from pos.widgets.type_ahead import AnswersOnce

REFUSED = "Only a manager closes or opens the day"


class ReportScreen(AnswersOnce, PrintsReceipts):
    """Today's X report (it closes nothing); F2 prints it, F4 closes the day with a Z
    report and the cash count (printed once the day is closed), F3 opens a new day with
    its float (and then shows its figures, from nothing), F5 prints a copy of a past Z
    report. The services ask the guard: only a manager closes or opens a day."""

    BINDINGS = [
        Binding("escape", "close", "Back", key_display="Esc"),
        Binding("f2", "print_report", "Print", key_display="F2"),
        Binding("f3", "open_day", "Open day", key_display="F3"),
        Binding("f4", "z_report", "Close day (Z)", key_display="F4"),
        Binding("f5", "z_copy", "Print a Z", key_display="F5"),
    ]

    X_PRINT = PrintMessages(
        "Printing the X report…", "X report printed", "X report not printed: {}. F2 tries again."
    )

    def __init__(self, sales: SaleService, days: DayService, reports: ReportPrints) -> None:
        super().__init__()
        self.sales = sales
        self.days = days
        self.reports = reports
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

    def palette_commands(self) -> list[SystemCommand]:
        """The screen's keys, offered in the command palette too."""
        commands = [
            ("Print report", "Print the report shown here (F2)", self.action_print_report),
            ("Open day", "Open the next day with its float (F3)", self.action_open_day),
            ("Close day (Z)", "Count the drawer, close the day, print its Z report (F4)",
             self.action_z_report),
            ("Print a Z report copy", "A past day's Z report, by its number (F5)",
             self.action_z_copy),
        ]  # fmt: skip
        return [SystemCommand(title, about, action) for title, about, action in commands]

    def _refuse(self, problem: str) -> None:
        self.query_one(MessageLine).show(problem, error=True)
        self.app.bell()

    def _ended(self, what: str) -> None:
        """The session ended: nothing printed, and the till locks."""
        self._refuse(f"{what} not printed: the session has ended; log in again")
        self.post_message(LockTill())

    def action_print_report(self) -> None:
        """The X report as shown; a closed day's (shown until the next one opens): a copy
        of its Z report."""
        if self.print_busy():
            return
        try:
            day = self.days.current()
        except StorageError as exc:
            self._refuse(f"Not printed: {exc.reason}; {exc.advice}")
            return
        if day is not None and not day.open and day.z_no is not None:
            self._print_z_copy(day.z_no)
            return
        try:
            job = self.reports.x_job()
        except LoginRequired:
            self._ended("X report")
            return
        except PrinterError as exc:
            show_not_printed(self, self.X_PRINT.failed, exc)
            return
        except StorageError as exc:
            self._refuse(f"X report not printed: {exc.reason}; {exc.advice}")
            return
        self.start_print(job, self.X_PRINT)

    def action_z_copy(self) -> None:
        """Ask the number of a past Z report (the last one offered), then print a copy."""
        if self.print_busy():
            return
        if not self.reports.printer.configured:
            show_not_printed(self, "Z report not printed: {}.", no_printer())
            return
        try:
            last = self.reports.last_z()
        except (LoginRequired, OverrideRequired):
            self._ended("Z report")
            return
        except StorageError as exc:
            self._refuse(f"Not printed: {exc.reason}; {exc.advice}")
            return
        if last is None:
            self._refuse("No Z report yet: a day's Z report prints when it is closed (F4)")
            return
        self.app.push_screen(
            ZNumberModal(last, self.reports.check_z),
            lambda z_no: None if z_no is None else self._print_z_copy(z_no),
        )

    def _print_z_copy(self, z_no: int) -> None:
        what = f"Copy of Z report {z_no:04d}"
        messages = PrintMessages(f"Printing a copy of Z report {z_no:04d}…", f"{what} printed",
                                 f"{what} not printed: {{}}. F5 tries again.")  # fmt: skip
        try:
            job = self.reports.z_copy(z_no)
        except LoginRequired:
            self._ended(what)
            return
        except PrinterError as exc:
            show_not_printed(self, messages.failed, exc)
            return
        except ZRefused as exc:
            self._refuse(str(exc))
            return
        except StorageError as exc:
            self._refuse(f"{what} not printed: {exc.reason}; {exc.advice}")
            return
        self.start_print(job, messages)

    def _print_z(self, cash_up: CashUp) -> None:
        """The Z report of the day just closed (committed): printed if a printer is set."""
        closed = "Day closed. F3 opens the next one"
        try:
            job: PrintJob | None = self.reports.z_job(cash_up)
        except (LoginRequired, OverrideRequired):
            self._refuse(f"{closed}; the Z report is not printed (the session ended)")
            return
        if job is None:
            self.query_one(MessageLine).show(f"{closed} (no printer is set up for its Z report)")
            return
        z = f"Z report {cash_up.day.z_no or 0:04d}"
        started = self.start_print(
            job,
            PrintMessages(
                f"Day closed. Printing its {z}…",
                f"{closed}. {z} printed",
                f"Day closed. {z} not printed: {{}}. F2 prints a copy.",
            ),
        )
        if not started:  # an X report still printing: the Z is saved, its copy prints later
            self._refuse(f"Day closed. {z} not printed (the printer is busy): F2 prints a copy")

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
                self.query_one(MessageLine).show("Day not closed: F4 starts again")
                return
            try:
                cash_up = self.days.close_day(amount)
            except (DayClosed, StorageError) as exc:
                self._refuse(str(exc))
                return
            except (LoginRequired, OverrideRequired):  # the service asked the guard
                self._refuse(REFUSED)
                return
            self.query_one("#figures-text", Static).update(Text("\n".join(cash_up.lines())))
            self.query_one("#report-title", Label).update("Z report: the day is closed")
            self._print_z(cash_up)

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


class ZNumberModal(AnswersOnce, ModalScreen[int | None]):
    """Asks which Z report to print a copy of (the last one offered); answers the number,
    checked by the service (a bad one is refused here and the dialog stays), or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, last: int, check: Callable[[str], int]) -> None:
        super().__init__()
        self.last = last
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                Text(f"Print a copy of which Z report? (1 to {self.last}; Enter: the last)"),
                id="question",
            )
            # empty, the last one as its placeholder: digits typed (or typed ahead) are
            # the number as typed, never added to one already there
            yield Input(placeholder=str(self.last), id="z-number", restrict=r"[0-9]*", max_length=9)
            yield Label("", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            number = self.check(event.value or str(self.last))
        except ZRefused as exc:
            problem = str(exc)
        except StorageError as exc:
            problem = f"Cannot look it up: {exc.reason}; {exc.advice}"
        except (LoginRequired, OverrideRequired):  # the app's next tick locks the till
            problem = "The session has ended: log in again"
        else:
            self.dismiss(number)
            return
        self.query_one("#hint", Label).update(Text(sentence(problem)))
        self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)


def _hour_axis() -> str:
    """Hour labels under the 48-cell chart (two cells an hour)."""
    axis = [" "] * 48
    for hour in (0, 6, 12, 18, 23):
        for i, ch in enumerate(f"{hour:02d}"):
            axis[min(47, 2 * hour + i)] = ch
    return "".join(axis)

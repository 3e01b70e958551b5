"""Printing a receipt without freezing the screen.

A network printer may take its whole timeout to refuse a job and a stalled device may
never answer, so the receipt screens send a ``PrintJob`` from a thread worker. The
thread touches no widget: it hands the outcome back to the event loop
(``call_from_thread``), where the screen's message line says "Printed" or why not:
what is safe (the sale is saved) and what to do (F2) come first, then the cause in as
many words as the line has room for, so the line is never cut off before its end.
A screen closed in the meantime (the next customer) still hears of a failure, as a
notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.app import App
from textual.screen import Screen

from pos.domain.text import cell_len
from pos.services.printing import PrinterError, PrintJob
from pos.widgets import MessageLine


@dataclass(frozen=True, slots=True)
class PrintMessages:
    """What the message line says while and after a job prints (``{}``: the reason)."""

    printing: str = "Printing…"
    printed: str = "Printed"
    failed: str = "Not printed: {}."


def fitted(template: str, error: PrinterError, width: int | None = None) -> str:
    """``template`` with the longest of the error's wordings that keeps it within
    ``width`` cells (the shortest one if none does; all of it without a width)."""
    wordings = error.wordings()
    for wording in wordings:
        text = template.format(wording)
        if width is None or cell_len(text) <= width:
            return text
    return template.format(wordings[-1])


def show_not_printed(screen: Screen[Any], template: str, error: PrinterError) -> None:
    """Say on ``screen``'s message line, as an error, that nothing was printed and why."""
    line = screen.query_one(MessageLine)
    line.show(fitted(template, error, line.content_region.width or None), error=True)
    screen.app.bell()


class PrintsReceipts(Screen[None]):
    """A screen with a ``MessageLine`` that prints receipts in the background."""

    print_pending = False
    """A job is still on its way to the printer (another one waits until it is done)."""

    def start_print(self, job: PrintJob, messages: PrintMessages) -> bool:
        """Send ``job`` off the event loop; False if an earlier one is still printing.

        The thread worker belongs to the app, not to this screen, so leaving the screen
        (the next customer) never cancels a receipt on its way to the printer.
        """
        if self.print_busy():
            return False
        self.print_pending = True
        self.query_one(MessageLine).show(messages.printing)
        app = self.app
        app.run_worker(
            partial(self._send, job, messages, app),
            name="print receipt",
            group="print",
            thread=True,
            exclusive=False,  # never cancel a receipt that is printing
            exit_on_error=False,
        )
        return True

    def print_busy(self) -> bool:
        """True (and a message) while a receipt is still printing."""
        if self.print_pending:
            self.query_one(MessageLine).show("Still printing: try again when it is done")
        return self.print_pending

    def _send(self, job: PrintJob, messages: PrintMessages, app: App[object]) -> None:
        """In the worker thread: only the printer, never a widget."""
        try:
            job.send()
        except PrinterError as exc:
            app.call_from_thread(self._sent, job, messages, app, exc)
        else:
            app.call_from_thread(self._sent, job, messages, app, None)

    def _sent(
        self,
        job: PrintJob,
        messages: PrintMessages,
        app: App[object],
        problem: PrinterError | None,
    ) -> None:
        """Back on the event loop: record a printed copy, and say how it went."""
        self.print_pending = False
        if problem is None and job.after_printed is not None:
            job.after_printed()
        if not self.is_attached:  # the cashier has moved on: only a failure is news
            if problem is not None:
                app.notify(fitted(messages.failed, problem), severity="error")
            return
        if problem is None:
            self.query_one(MessageLine).show(messages.printed)
        else:
            show_not_printed(self, messages.failed, problem)

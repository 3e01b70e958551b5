"""Printing a receipt without freezing the screen.

A network printer may take its whole timeout to refuse a job and a stalled device may
never answer, so the receipt screens send a ``PrintJob`` from a thread worker. The
thread touches no widget: it hands the outcome back to the event loop
(``call_from_thread``), where the screen's message line says "Printed" or why not.
A screen closed in the meantime (the next customer) still hears of a failure, as a
notification.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.app import App
from textual.screen import Screen

from pos.services.printing import PrinterError, PrintJob
from pos.widgets import MessageLine


@dataclass(frozen=True, slots=True)
class PrintMessages:
    """What the message line says while and after a job prints (``{}``: the reason)."""

    printing: str = "Printing…"
    printed: str = "Printed"
    failed: str = "Not printed: {}"


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
            app.call_from_thread(self._sent, job, messages, app, str(exc))
        else:
            app.call_from_thread(self._sent, job, messages, app, None)

    def _sent(
        self, job: PrintJob, messages: PrintMessages, app: App[object], problem: str | None
    ) -> None:
        """Back on the event loop: record a printed copy, and say how it went."""
        self.print_pending = False
        if problem is None and job.after_printed is not None:
            job.after_printed()
        if not self.is_attached:  # the cashier has moved on: only a failure is news
            if problem is not None:
                app.notify(messages.failed.format(problem), severity="error")
            return
        if problem is None:
            self.query_one(MessageLine).show(messages.printed)
        else:
            self.query_one(MessageLine).show(messages.failed.format(problem), error=True)
            app.bell()

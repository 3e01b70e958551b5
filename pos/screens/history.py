"""Past sales and refunds: newest first, searched by receipt number or date; open one to
see its receipt and print a copy. A store's till also finds another till's sale by its
till and number (``front 42``), asking the store's server for it in the background."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from pos.auth.guard import LoginRequired
from pos.domain.history import SaleRow, other_till_receipt
from pos.domain.money import format_money
from pos.domain.receipt import format_receipt_no
from pos.domain.text import plural
from pos.screens.printing import PrintMessages, PrintsReceipts, show_not_printed
from pos.screens.requests import LockTill
from pos.services.other_tills import OtherTillSales
from pos.services.printing import PrinterError, PrintJob
from pos.widgets import MessageLine
from pos.widgets.type_ahead import AnswersOnce

DATE_SHAPE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
EXAMPLE_DAY = "2026-03-14"


def search_problem(text: str) -> str | None:
    """Why ``text`` can find nothing (a date that does not exist, or neither a receipt
    number nor a date), or None for a search that may well find sales."""
    needle = text.strip()
    if not needle or (needle.isascii() and needle.isdigit()):
        return None
    if other_till_receipt(needle, "") is not None:
        return None  # another till's receipt ("front 42")
    try:
        date.fromisoformat(needle)
    except ValueError:
        if DATE_SHAPE.match(needle):
            return f"{needle} is not a valid date (year-month-day, such as {EXAMPLE_DAY})"
        return f"type a receipt number, or a date such as {EXAMPLE_DAY}"
    return None


def _sale_of(number: int, till: str | None) -> str:
    """The sale a refund paid back, with its till when it was another till's."""
    return format_receipt_no(number) if till is None else f"{till} {format_receipt_no(number)}"


class HistoryScreen(AnswersOnce, Screen[None]):
    """The till's sales and refunds. Enter opens the highlighted one."""

    BINDINGS = [
        Binding("escape", "close", "Back", key_display="Esc"),
        Binding("enter", "open", "Open", key_display="Enter", priority=True),
    ]

    def __init__(
        self,
        search: Callable[[str], list[SaleRow]],
        receipt: Callable[[int, str | None], str | None],
        reprint: Callable[..., PrintJob],
        refund: Callable[..., None] | None = None,
        *,
        other_tills: OtherTillSales | None = None,
    ) -> None:
        super().__init__()
        self._search = search
        self._receipt = receipt
        self._reprint = reprint
        self._refund = refund
        self._other_tills = other_tills
        self._asking = False
        """A copy from the store's server is on its way (one at a time)."""
        self._rows: list[SaleRow] = []

    def compose(self) -> ComposeResult:
        yield Label("Sales history", id="history-title")
        yield Input(id="history-search", placeholder="Receipt number, or a date: 2026-03-14")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("no", "Receipt"),
            ("at", "When"),
            ("op", "Operator"),
            ("lines", "Lines"),
            ("total", "Total"),
        ):
            table.add_column(label, key=key)
        self._show("")
        self.query_one(Input).focus()

    def on_screen_resume(self) -> None:
        # back from a receipt: a refund made from it is listed at once
        if self.is_mounted and self.query(DataTable):
            self._show(self.query_one(Input).value)

    @on(Input.Changed, "#history-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def _show(self, text: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        try:
            self._rows = self._search(text)  # the service asks the guard
        except LoginRequired:
            self._rows = []
            self._session_ended()
            return
        for row in self._rows:
            number = format_receipt_no(row.receipt_no)
            if row.till is not None:
                number = f"{row.till} {number}"
            if row.unreceipted:
                number = f"{number} refund without a receipt"
            elif row.refund_of is not None:
                number = f"{number} refund of {_sale_of(row.refund_of, row.refund_of_till)}"
            table.add_row(
                Text(number),
                Text(f"{row.at.astimezone():%Y-%m-%d %H:%M}"),
                Text(row.operator or "-"),
                Text(str(row.lines).rjust(5)),
                Text(format_money(row.total).rjust(10)),
            )
        refunds = sum(1 for row in self._rows if row.is_refund)
        shown = plural(len(self._rows) - refunds, "sale")
        if refunds:
            shown += f" and {plural(refunds, 'refund')}"
        problem = search_problem(text)
        if problem is not None and not self._rows:
            self.query_one(MessageLine).show(f"{shown} shown: {problem}", error=True)
            return
        if not self._rows and self._store_has(text):
            return
        self.query_one(MessageLine).show(f"{shown} shown (newest first)")

    def _store_has(self, text: str) -> bool:
        """Another till's receipt that is not here, on a store's till: say that Enter
        asks the store's server for it. True if said."""
        other_tills = self._other_tills
        other = None if other_tills is None else other_tills.receipt_of(text)
        if other is None or other_tills is None or not other_tills.has_store:
            return False
        till, number = other
        self.query_one(MessageLine).show(
            f"Sale {format_receipt_no(number)} of {till} is not on this till: Enter asks the "
            "store's server for it"
        )
        return True

    def _ask_store(self, text: str) -> None:
        """Ask the store's server for another till's receipt (Enter on it), in the
        background: the guard is asked here, the network only in the worker thread."""
        other_tills = self._other_tills
        other = None if other_tills is None else other_tills.receipt_of(text)
        if other is None or other_tills is None:
            return
        if self._asking:
            self.query_one(MessageLine).show("Still asking the store's server…")
            return
        till, number = other
        try:
            copy = other_tills.copier(till, number)  # the service asks the guard
        except LoginRequired:
            self._session_ended()
            return
        if not other_tills.has_store:  # a till of its own: nothing to ask, it says so
            self.query_one(MessageLine).show(copy() or "", error=True)
            return
        self._asking = True
        self.query_one(MessageLine).show(
            f"Asking the store's server for sale {format_receipt_no(number)} of {till}…"
        )
        app = self.app
        app.run_worker(
            partial(self._copy, app, copy, text),
            name="copy another till's sale",
            group="other-till",
            thread=True,
            exit_on_error=False,
        )

    def _copy(self, app: App[object], copy: Callable[[], str | None], text: str) -> None:
        """In the worker thread: only the copy, never a widget (nor ``self.app``)."""
        app.call_from_thread(self._copied, text, copy())

    def _copied(self, text: str, problem: str | None) -> None:
        """Back on the event loop: show the sale if the search still asks for it."""
        self._asking = False
        if not self.is_attached or self.query_one(Input).value != text:
            return  # the cashier has moved on; the copy is kept for the next search
        self._show(text)
        if problem is not None:
            self.query_one(MessageLine).show(problem, error=True)

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if not self._rows:
            self._ask_store(self.query_one(Input).value)
            return
        row = self._rows[min(table.cursor_row, len(self._rows) - 1)]
        try:
            text = self._receipt(row.receipt_no, row.till)  # the service asks the guard
            check = self._check_refunds(row)
        except LoginRequired:
            self._session_ended()
            return
        if text is not None:
            refund = None
            if self._refund is not None and not row.is_refund:  # no refund of a refund
                refund = partial(self._refund, till=row.till) if row.till else self._refund
            reprint = partial(self._reprint, till=row.till) if row.till else self._reprint
            self.app.push_screen(
                SaleReceiptModal(
                    row.receipt_no,
                    text,
                    reprint,
                    refund,
                    check=check if refund is not None else None,
                )
            )

    def _check_refunds(self, row: SaleRow) -> Callable[[], str | None] | None:
        """On a store's till: the copy from the server of the refunds other tills have
        made of a sale, for its receipt to run before a refund (None: nothing to ask)."""
        other_tills = self._other_tills
        if other_tills is None or not other_tills.has_store or row.is_refund:
            return None
        return other_tills.copier(row.till or other_tills.till, row.receipt_no)

    def _session_ended(self) -> None:
        """The session ended (the service refused): show nothing and lock, unless the
        till is locking already (this screen came back while dialogs closed)."""
        self.post_message(LockTill())

    def action_close(self) -> None:
        self.dismiss(None)


class SaleReceiptModal(AnswersOnce, PrintsReceipts, ModalScreen[None]):
    """One past sale's (or refund's) receipt, as it was printed; F2 prints a copy, F4
    starts a refund of a sale. ``job`` (a new refund's receipt) prints when it opens;
    printing never holds up the screen."""

    BINDINGS = [
        Binding("escape", "close", "Back", key_display="Esc"),
        Binding("f2", "reprint", "Print copy", key_display="F2"),
        Binding("f4", "refund", "Refund", key_display="F4"),
    ]

    REFUND = PrintMessages(
        "Printing the refund receipt…",
        "Refund receipt printed",
        "Refund saved. Not printed: {}. F2 prints a copy.",
    )
    COPY = PrintMessages(
        "Printing a copy…", "Copy printed", "Copy not printed: {}. F2 tries again."
    )

    def __init__(
        self,
        number: int,
        text: str,
        reprint: Callable[[int], PrintJob],
        refund: Callable[[int], None] | None = None,
        *,
        job: PrintJob | None = None,
        check: Callable[[], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.number = number
        self.text = text
        self._reprint = reprint
        self._refund = refund
        self._job = job
        self._check = check
        self.checking = False
        """The store's server is being asked for refunds other tills made of the sale:
        F4 waits for it (a refund from what this till knew could pay back twice)."""

    def on_mount(self) -> None:
        if self._job is not None:
            self.start_print(self._job, self.REFUND)
        if self._check is not None:
            self.checking = True
            app = self.app
            app.run_worker(
                partial(self._ask, app, self._check),
                name="refunds of a sale made elsewhere",
                group="other-till",
                thread=True,
                exit_on_error=False,
            )

    def _ask(self, app: App[object], check: Callable[[], str | None]) -> None:
        """In the worker thread: only the copy, never a widget (nor ``self.app``)."""
        app.call_from_thread(self._checked, check())

    def _checked(self, problem: str | None) -> None:
        self.checking = False
        if problem is not None and self.is_attached:
            self.query_one(MessageLine).show(
                f"Refunds made at other tills could not be checked: {problem}", error=True
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a refund's own receipt: F4 is not offered
        return not (action == "refund" and self._refund is None)

    def action_refund(self) -> None:
        if self._refund is None:
            return
        if self.checking:
            self.query_one(MessageLine).show(
                "Still asking the store's server for refunds made at other tills: F4 again "
                "in a moment"
            )
            return
        self.dismiss(None)
        self._refund(self.number)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="receipt-paper"):
            yield Static(Text(self.text))
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def action_reprint(self) -> None:
        if self.print_busy():
            return
        try:
            job = self._reprint(self.number)
        except LoginRequired:
            self.query_one(MessageLine).show(
                "Copy not printed: the session has ended; log in again", error=True
            )
            self.app.bell()
            self.post_message(LockTill())
            return
        except PrinterError as exc:
            show_not_printed(self, "Copy not printed: {}.", exc)
            return
        self.start_print(job, self.COPY)

    def action_close(self) -> None:
        self.dismiss(None)

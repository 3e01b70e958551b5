"""Taking payment, and the receipt that follows.

Like the scanning screen, the payment screen has no text field: the digits,
``.``, Backspace and Enter are priority bindings that fill one amount line, so a
stray scan can never be taken as an amount (anything longer than an amount is
refused as a barcode).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.renderables.digits import DIGITS
from textual.screen import ModalScreen, Screen
from textual.widgets import Digits, Footer, Input, Label, Static

from pos.auth.guard import LoginRequired
from pos.domain.money import MoneyError, format_money
from pos.domain.receipt import format_receipt_no
from pos.domain.sanity import change_question
from pos.domain.tender import MAX_TENDER, METHOD_LABELS, Tender, TenderError, quick_cash
from pos.domain.text import plural, sentence
from pos.screens.modals import SCANNER_KEY_NAMES, ConfirmModal
from pos.screens.printing import PrintMessages, PrintsReceipts, show_not_printed
from pos.screens.requests import LockTill
from pos.screens.voucher_tender import is_voucher_code, take_voucher
from pos.services.printing import PrinterError, PrintJob
from pos.services.sales import Completed, Repriced, SaleFailed, SaleService
from pos.widgets import EntryLine, MessageLine
from pos.widgets.entry_line import typing_keys
from pos.widgets.type_ahead import AnswersOnce, PassesKeysOn

QUICK_NOTE_KEYS = ("f6", "f7", "f8")
"""The keys that pay the next notes up (F5 pays the exact amount)."""

MAX_AMOUNT_CHARS = 9
"""Longer input is not an amount (a scanned barcode, most likely)."""

SESSION_ENDED = (
    "Sale NOT saved: the session has ended. Log in again (or a manager): the cart and "
    "the payments taken are kept, and F10 then saves the sale."
)
BACK_AFTER_LOGIN = "Logged in again. The sale is NOT saved yet: F10 saves it (payments kept)."


def big_money(minor: int, symbol: str) -> str:
    """An amount for a ``Digits`` widget, with the currency sign if Digits can draw it
    (``£``, ``$``, ``€``); other signs go in the label (``big_label``)."""
    return format_money(minor, symbol if all(ch in DIGITS for ch in symbol) else "")


def big_label(label: str, symbol: str) -> str:
    """``Amount due``, or ``Amount due (kr)`` for a sign the digits cannot show."""
    if not symbol or all(ch in DIGITS for ch in symbol):
        return label
    return f"{label} ({symbol})"


class PaymentScreen(AnswersOnce, Screen[Completed | None]):
    """The amount due, large; cash (with change), card, or both.

    The screen holds no identity: the sale is saved for whoever the guard says is
    logged in at that moment. If the session has ended, nothing is saved, the till
    locks to the login and this screen stays underneath with the payments taken.
    """

    BINDINGS = [
        *typing_keys("0123456789."),
        Binding("enter", "cash", show=False, priority=True),
        Binding("f2", "cash", "Cash", key_display="F2", priority=True),
        Binding("f3", "card", "Card", key_display="F3", priority=True),
        # a voucher scanned (or its 18 digits typed) and Enter pays with it, as F4 does
        Binding("f4", "voucher", "Voucher", key_display="F4", show=False, priority=True),
        # F6 to F8 pay the next notes up: the footer labels them with their amounts (and
        # "Esc Back" keeps every key within 80 columns)
        Binding("f5", "quick(0)", "Exact", key_display="F5", priority=True),
        Binding("f6", "quick(1)", "Next note", key_display="F6", priority=True),
        Binding("f7", "quick(2)", "Next note", key_display="F7", priority=True),
        Binding("f8", "quick(3)", "Next note", key_display="F8", priority=True),
        Binding("f10", "retry", "Save again", key_display="F10", priority=True),
        Binding("escape", "back", "Back", key_display="Esc", priority=True),
    ]

    def __init__(self, sales: SaleService) -> None:
        super().__init__()
        self.sales = sales
        self._note = sales.recheck_coupons()  # a coupon used up meanwhile (issue 22)
        self.tender: Tender = sales.start()
        self._locked_out = False
        self.currency = sales.settings.currency_symbol
        self._quick: list[int] = quick_cash(self.tender.remaining)
        """The amounts F5 to F8 pay now (the exact amount, then the next notes up)."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="pay-main"):
            with Vertical(id="pay-left"):
                yield Label(big_label("Amount due", self.currency), id="due-label")
                yield Digits(big_money(self.tender.remaining, self.currency), id="due")
                yield Label("", id="quick", markup=False)
                yield Static("", id="paid", markup=False)
            with Vertical(id="pay-right"):
                yield Label("Type an amount, then F2 cash or F3 card.", id="help")
                yield Label("Enter = cash. F5 to F8: exact and the next notes.", id="help2")
                yield Label("A gift voucher: scan it (or type its code, F4).", id="help3")
        yield EntryLine(id="entry")
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(EntryLine).prompt = "Amount"
        self._show(self._note, error=bool(self._note))

    def on_screen_resume(self) -> None:
        """Back from the login after the session ended: the payments are still here."""
        if self._locked_out:
            self._locked_out = False
            self._show(BACK_AFTER_LOGIN)

    # ------------------------------------------------------------------ display

    def _show(self, message: str = "", *, error: bool = False) -> None:
        tender = self.tender
        label = "Change" if tender.complete else "Amount due"
        amount = tender.change if tender.complete else tender.remaining
        self.query_one("#due-label", Label).update(big_label(label, self.currency))
        self.query_one("#due", Digits).update(big_money(amount, self.currency))
        options = quick_cash(tender.remaining) if not tender.complete else []
        self.query_one("#quick", Label).update(
            "   ".join(f"F{5 + i} {format_money(o)}" for i, o in enumerate(options))
        )
        self._label_quick_keys(options)
        paid = [
            f"{METHOD_LABELS[p.method]} {format_money(p.tendered):>10}"
            + (f"   change {format_money(p.change)}" if p.change else "")
            for p in tender.payments
        ]
        self.query_one("#paid", Static).update(Text("\n".join(paid)))
        if message or error:
            self.query_one(MessageLine).show(message, error=error)
        if error:
            self.app.bell()

    def _label_quick_keys(self, options: list[int]) -> None:
        """The footer's F6 to F8 say the amount each pays now (``F6 5.00``); a key with
        no note to pay is left out (``check_action``)."""
        self._quick = options
        keys = self._bindings.key_to_bindings
        for index, key in enumerate(QUICK_NOTE_KEYS, start=1):
            label = format_money(options[index]) if index < len(options) else "Next note"
            keys[key] = [replace(b, description=label) for b in keys.get(key, [])]
        self.refresh_bindings()

    # ------------------------------------------------------------------ amount entry

    def action_type(self, char: str) -> None:
        self.query_one(EntryLine).type(char)

    def action_backspace(self) -> None:
        self.query_one(EntryLine).backspace()

    def _typed(self) -> int | None | str:
        """The typed amount in minor units, None if nothing was typed, or why not."""
        text = self.query_one(EntryLine).take()
        if not text:
            return None
        if len(text) > MAX_AMOUNT_CHARS:
            return "That looks like a barcode: finish the payment first (Esc goes back)"
        try:
            return self.sales.settings.entry.parse_amount(text, what="amount")
        except MoneyError as exc:
            return sentence(str(exc))

    # ------------------------------------------------------------------ payments

    def action_cash(self) -> None:
        if is_voucher_code(self.query_one(EntryLine).buffer):  # a voucher scanned: Enter
            self.action_voucher()
            return
        typed = self._typed()
        if isinstance(typed, str):
            self._show(typed, error=True)
            return
        amount = typed if typed is not None else self.tender.remaining
        question = None
        if not self.tender.complete and amount <= MAX_TENDER:
            question = change_question(self.tender.remaining, amount, self.currency)
        if question is None:
            self._pay(lambda: self.tender.cash(amount))
            return

        def answered(yes: bool | None) -> None:
            # more change than the sale and the largest note: a missing point, most likely
            if yes:
                self._pay(lambda: self.tender.cash(amount))
            else:
                self._show("Not confirmed: no cash taken. Type the amount again")

        self.app.push_screen(ConfirmModal(question), answered)

    def action_card(self) -> None:
        typed = self._typed()
        if isinstance(typed, str):
            self._show(typed, error=True)
            return
        amount = typed if typed is not None else self.tender.remaining
        if amount > self.tender.remaining:
            self._show("A card cannot pay more than is left to pay", error=True)
            return

        def with_reference(reference: str | None) -> None:
            if reference is not None:
                self._pay(lambda: self.tender.card(amount, reference))

        self.app.push_screen(ReferenceModal(format_money(amount)), with_reference)

    def action_voucher(self) -> None:
        """F4 (or a voucher's code scanned): pay with a gift voucher."""
        code = self.query_one(EntryLine).take()
        try:
            message, error = take_voucher(self.sales.vouchers, self.tender, code, self.currency)
        except LoginRequired:
            self._session_ended()
            return
        if error:
            self._show(message, error=True)
        elif self.tender.complete:
            self._finish()
        else:
            self._show(message)

    def action_quick(self, index: int) -> None:
        self.query_one(EntryLine).take()
        options = quick_cash(self.tender.remaining)
        if self.tender.complete or index >= len(options):
            return
        self._pay(lambda: self.tender.cash(options[index]))

    def _pay(self, take: object) -> None:
        assert callable(take)
        try:
            take()
        except TenderError as exc:
            self._show(str(exc), error=True)
            return
        if self.tender.complete:
            self._finish()
        else:
            self._show(f"Paid so far {format_money(self.tender.paid)}")

    def _finish(self) -> None:
        try:
            done = self.sales.complete(self.tender)
        except LoginRequired:
            self._session_ended()
            return
        except Repriced as exc:  # nothing saved; what was taken counts towards the new amount
            self._show(self._repriced(str(exc)), error=True)
            self.refresh_bindings()
            return
        except SaleFailed as exc:
            self._show(f"{exc} (F10 saves again)", error=True)
            self.refresh_bindings()
            return
        self.dismiss(done)

    def _repriced(self, why: str) -> str:
        """The sale costs more than when its payments were taken (issue 22: a coupon lost
        to another till): they are kept towards the new amount, never taken again."""
        taken = self.tender
        try:
            self.tender = taken.repriced(self.sales.start().due)
        except TenderError as exc:  # the new total is below the card payments
            self.tender = self.sales.start()
            return f"{why}. {exc}; then take the payment again"
        due = format_money(self.tender.due)
        if not taken.payments:
            return f"{why}. Now due: {due}"
        if self.tender.complete:
            change = format_money(self.tender.change)
            return f"{why}. Now {due}: the payments taken cover it, change {change}; F10 saves"
        return (
            f"{why}. Now {due}: {format_money(self.tender.paid)} taken is kept, "
            f"{format_money(self.tender.remaining)} still to pay"
        )

    def _session_ended(self) -> None:
        """Nothing was saved: say so, and lock to the login above this screen."""
        self._show(SESSION_ENDED, error=True)
        self.refresh_bindings()
        self._locked_out = True
        self.post_message(LockTill(SESSION_ENDED))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F10 "Save again" is offered only when a paid sale is waiting to be saved; F5
        to F8 only while there is an amount for them to pay."""
        if action == "quick":
            index = parameters[0] if parameters else 0
            return isinstance(index, int) and index < len(self._quick)
        return action != "retry" or self.tender.complete

    def action_retry(self) -> None:
        if self.tender.complete:
            self._finish()

    def action_back(self) -> None:
        if not self.tender.payments:
            self.dismiss(None)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        count = plural(len(self.tender.payments), "payment")
        self.app.push_screen(
            ConfirmModal(f"Go back to the cart and forget {count} taken here?"),
            answer,
        )


class ReferenceModal(AnswersOnce, ModalScreen[str | None]):
    """The card terminal's reference for a card payment (optional: Enter skips it)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(self, amount: str) -> None:
        super().__init__()
        self.amount = amount

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Card payment of {self.amount}", id="question")
            yield Label("Terminal reference (optional), then Enter")
            yield Input(id="reference", restrict=r"[A-Za-z0-9-]*", max_length=40)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReceiptScreen(AnswersOnce, PassesKeysOn, PrintsReceipts):
    """The receipt of the sale just completed, and the change to give. It shows at once;
    the receipt prints in the background ("Printing…", then "Receipt printed" or why not).

    Args:
        done: The saved sale.
        reprint: A COPY of the receipt for the printer (F2), from the sale's number and
            its text as first printed.
        job: The receipt to print now, or None without a printer.
        currency: The currency sign for the change shown large.
    """

    BINDINGS = [
        Binding("enter,f10", "new_sale", "New sale", key_display="Enter", priority=True),
        Binding("f2", "print", "Print", key_display="F2", priority=True),
    ]

    RECEIPT = PrintMessages(
        "Printing the receipt…",
        "Receipt printed",
        "Sale saved. Not printed: {}. F2 prints a copy.",
    )
    COPY = PrintMessages(
        "Printing a copy…", "Copy printed", "Sale saved. Copy not printed: {}. F2 tries again."
    )

    def __init__(
        self,
        done: Completed,
        reprint: Callable[[int, str], PrintJob] | None = None,
        *,
        job: PrintJob | None = None,
        currency: str = "",
    ) -> None:
        super().__init__()
        self.done = done
        self._reprint = reprint
        self._job = job
        self.currency = currency

    def compose(self) -> ComposeResult:
        with Horizontal(id="receipt-main"):
            with VerticalScroll(id="receipt-paper"):
                yield Static(Text(self.done.receipt_text), id="receipt-text")
            with Vertical(id="receipt-side"):
                yield Label(f"Sale {format_receipt_no(self.done.receipt_no)} saved", id="saved")
                yield Label(big_label("Change", self.currency), id="change-label")
                yield Digits(big_money(self.done.change, self.currency), id="change")
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if self._job is not None:
            self.start_print(self._job, self.RECEIPT)

    def passes_on(self, event: events.Key | events.Paste) -> bool:
        """The next customer's first scan (or ``3*``) starts the next sale with it: this
        sale stays saved and its receipt prints on."""
        return isinstance(event, events.Key) and event.key in SCANNER_KEY_NAMES

    def _say(self, text: str, *, error: bool = True) -> None:
        self.query_one(MessageLine).show(text, error=error)
        if error:
            self.app.bell()

    def action_new_sale(self) -> None:
        self.dismiss(None)

    def action_print(self) -> None:
        """F2: print the receipt (again), marked COPY."""
        if self._reprint is None or self.print_busy():
            return
        try:
            # the sale's receipt as it printed first: a gift voucher's code whole (the
            # history's copy has it cut), for when that first print failed
            job = self._reprint(self.done.receipt_no, self.done.receipt_text)
        except LoginRequired:
            self._say("Sale saved. Not printed: the session has ended; log in again.")
            self.post_message(LockTill())
            return
        except PrinterError as exc:
            show_not_printed(self, "Sale saved. Copy not printed: {}.", exc)
            return
        self.start_print(job, self.COPY)

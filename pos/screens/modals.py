"""Dialogs. None of them lets a scanner's digits or Enter act on it by accident."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.command import CommandPalette
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from pos.domain.cart import ParkedCart
from pos.domain.money import format_money
from pos.domain.text import name_list, plural
from pos.services.approvals import ApprovalRefused
from pos.widgets.credentials import Credentials
from pos.widgets.type_ahead import AnswersOnce

T = TypeVar("T")

SCANNER_KEY_NAMES = frozenset(
    ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "asterisk", "full_stop")
)
"""The keys a barcode scanner (or a cashier at the entry line) types."""

_SCANNER_KEYS = [
    Binding(key, "scanner_key", show=False, priority=True) for key in sorted(SCANNER_KEY_NAMES)
]


class GuardedModal(AnswersOnce, ModalScreen[T]):
    """A dialog that swallows scanner input.

    A keyboard-wedge scanner types digits and Enter. In a dialog those keys would
    land in a field or press the focused button (the bug web tills keep shipping),
    so here digits are dropped and an Enter that follows them is ignored, with a bell.
    """

    BINDINGS = [*_SCANNER_KEYS, Binding("enter", "enter", show=False, priority=True)]

    _scanned_chars = 0

    def action_scanner_key(self) -> None:
        self._scanned_chars += 1

    def action_enter(self) -> None:
        if self._scanned_chars:
            self._scanned_chars = 0
            self.app.bell()
            self.query_one("#hint", Label).update("Scan ignored: finish this dialog first")
            return
        self.accept()

    def accept(self) -> None:
        """What Enter does when it was typed by a person."""


class ConfirmModal(GuardedModal[bool]):
    """Asks before something that cannot be undone. Only Y confirms (y or Y: Caps Lock
    may be on); Esc and any other letter or sign a person types say no. Enter never
    answers, a scanner's digits and Enter (or Tab, or LF) are ignored (see
    :class:`GuardedModal`), and a command key (F10 typed ahead of the question: the
    keys after a scan land here) answers nothing."""

    BINDINGS = [
        Binding("y,Y", "confirm", "Yes", key_display="Y"),
        Binding("n,escape", "cancel", "No", key_display="N"),
    ]

    def on_key(self, event: events.Key) -> None:
        """Y (either case) is yes; Esc or any other printable key not bound here is no;
        a key with nothing to print (an F key, an arrow) is no answer."""
        event.stop()
        event.prevent_default()
        if event.character in ("y", "Y"):
            self.action_confirm()
        elif event.key == "escape" or event.is_printable:
            self.action_cancel()
        elif event.key in ("tab", "ctrl+j"):  # a scanner's end of code, as Enter
            self.action_enter()
        else:
            self.app.bell()
            self.query_one("#hint", Label).update("Answer first: Y = yes, N or Esc = no")

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.question), id="question")
            yield Label("Y = yes    N or Esc = no", id="keys")
            yield Label("", id="hint")
        yield Footer()

    def action_confirm(self) -> None:
        self._answer(True)

    def action_cancel(self) -> None:
        self._answer(False)

    def _answer(self, yes: bool) -> None:
        self.dismiss(yes)  # once: a key and its binding do not answer twice (AnswersOnce)


def _parked_row(cart: ParkedCart, width: int) -> Text:
    """A parked cart in the list: when, how much, and the first items that fit the row."""
    return Text(
        f"{cart.parked_at.astimezone():%d %b %H:%M}  "
        f"{plural(cart.lines, 'line'):>9}  {plural(cart.items, 'item'):>10}  "
        f"{format_money(cart.total):>10}\n  {name_list(cart.names, width - 2)}"
    )


class RecallModal(GuardedModal[int | None]):
    """Lists the parked carts (each with its first items); Enter recalls the highlighted one."""

    BINDINGS = [Binding("escape", "cancel", "Back")]

    ROW_WIDTH = 54
    """A row of the list in cells: the dialog's 64 (``pos/styles/modals.tcss``, whatever the
    terminal's size) less the borders and padding around it (a test holds them equal)."""

    def __init__(self, parked: list[ParkedCart]) -> None:
        super().__init__()
        self.parked = parked

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Parked carts", id="title")
            yield OptionList(
                *(Option(_parked_row(p, self.ROW_WIDTH), id=str(p.id)) for p in self.parked),
                id="parked",
            )
            yield Label("Up/Down choose   Enter recall   Esc back", id="keys")
            yield Label("", id="hint")
        yield Footer()

    def accept(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return
        option = options.get_option_at_index(options.highlighted)
        self.dismiss(int(option.id) if option.id else None)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a mouse click: a person, not a scanner
        self.dismiss(int(event.option.id) if event.option.id else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class GuardedCommandPalette(CommandPalette):
    """The command palette, deaf to scanners.

    Opened by Ctrl+P while a scanner keeps scanning, the stock palette would take
    the digits as a search and the scanner's Enter would run the highlighted command.
    Its search field consumes printable keys before any binding sees them, so the app
    hands every key to :meth:`intercept` first: digits are dropped, and an Enter that
    follows them does nothing but ring.
    """

    _scanned_chars = 0

    def intercept(self, key: str) -> bool:
        """Whether the key was a scanner's and has been dealt with here."""
        if key in SCANNER_KEY_NAMES:
            self._scanned_chars += 1
            return True
        if key == "enter" and self._scanned_chars:
            self._scanned_chars = 0
            self.app.bell()
            return True
        if key != "enter":
            self._scanned_chars = 0
        return False


class ManagerOverrideModal(AnswersOnce, ModalScreen[str | None]):
    """A manager approves one action with their number and PIN.

    Dismisses with a single-use override token for exactly that action, or None.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", key_display="Esc")]

    def __init__(
        self,
        approve: Callable[[str, str], str],
        what: str,
    ) -> None:
        super().__init__()
        self._approve = approve
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Manager approval needed", id="title")
            yield Label(Text(self.what), id="question")
            yield Credentials("Manager number")
            yield Label("", id="hint")
        yield Footer()

    def on_credentials_submitted(self, event: Credentials.Submitted) -> None:
        event.stop()
        try:
            token = self._approve(event.number, event.pin)
        except ApprovalRefused as exc:
            self.query_one("#hint", Label).update(Text(str(exc)))
            self.app.bell()
            self.query_one(Credentials).start()
            return
        self.dismiss(token)

    def action_cancel(self) -> None:
        self.dismiss(None)

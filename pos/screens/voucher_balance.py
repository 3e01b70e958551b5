"""The "Voucher balance" dialog (issue 22): scan a gift voucher (or type its 18 digits)
and see what is left on it, of what, and until when. A command of the palette and a key of
the cash office's menu (Ctrl+O V). It changes nothing; another voucher can be scanned
straight after."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from pos.auth.guard import LoginRequired
from pos.domain.vouchers import VoucherError, balance_text
from pos.services.errors import StorageError
from pos.services.vouchers import VoucherService
from pos.widgets.type_ahead import AnswersOnce

VOUCHER_BALANCE = "voucher_balance"
"""The command's kind, beside the cash office's movements (:mod:`pos.screens.cash`)."""
VOUCHER_BALANCE_TITLE = "Voucher balance"
VOUCHER_BALANCE_ABOUT = "Scan a gift voucher: what is left on it, until when (Ctrl+O V)"


class VoucherBalanceModal(AnswersOnce, ModalScreen[None]):
    """Scan or type a voucher's code, Enter: its balance and expiry, or why not (Esc
    closes). The scanner's digits and Enter go to the field, as here they should."""

    BINDINGS = [Binding("escape", "cancel", "Close", key_display="Esc")]

    def __init__(self, vouchers: VoucherService, ended: Callable[[str], None]) -> None:
        super().__init__()
        self.vouchers = vouchers
        self.ended = ended

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(VOUCHER_BALANCE_TITLE, id="question")
            yield Label("Scan the voucher, or type its 18 digits and Enter", classes="field")
            yield Input(id="code", restrict=r"[0-9 ]*", max_length=24)
            yield Label("", id="answer")
            yield Label("", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        field = self.query_one(Input)
        code, field.value = event.value, ""
        answer, hint = self.query_one("#answer", Label), self.query_one("#hint", Label)
        try:
            voucher = self.vouchers.balance(code)
        except VoucherError as exc:
            answer.update("")
            hint.update(Text(str(exc)))
            self.app.bell()
            return
        except StorageError as exc:
            hint.update(Text(f"Cannot look it up: {exc.reason}; {exc.advice}"))
            return
        except LoginRequired as exc:  # the session ended: lock the till
            self.dismiss(None)
            self.ended(str(exc))
            return
        hint.update("")
        answer.update(Text(f"...{voucher.code[-4:]}: {balance_text(voucher, self.currency)}"))

    @property
    def currency(self) -> str:
        return self.vouchers.settings.currency_symbol

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The reason of a refund (issue 21, item 7): chosen from the ``refund_reasons`` setting
before the refund is made, whichever refund it is (of a sale, or without a receipt)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from pos.screens.modals import GuardedModal


class RefundReasonModal(GuardedModal[str | None]):
    """Up/Down choose a reason, Enter takes it (a scanner's digits and Enter do nothing:
    a stray scan cannot choose one); Esc: no refund."""

    BINDINGS = [Binding("escape", "cancel", "Back", key_display="Esc")]

    def __init__(self, title: str, reasons: tuple[str, ...]) -> None:
        super().__init__()
        self.title_text = title
        self.reasons = reasons

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text), id="title")
            yield Label("Why does it come back?", classes="field")
            yield OptionList(
                *(Option(Text(reason), id=str(n)) for n, reason in enumerate(self.reasons)),
                id="reasons",
            )
            yield Label("Up/Down choose   Enter refund   Esc back", id="keys")
            yield Label("" if self.reasons else "No refund reasons are set up", id="hint")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _chosen(self, option_id: str | None) -> None:
        if option_id is not None:
            self.dismiss(self.reasons[int(option_id)])

    def accept(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._chosen(options.get_option_at_index(options.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a mouse click: a person, not a scanner
        self._chosen(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

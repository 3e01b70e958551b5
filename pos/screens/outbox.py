"""The store link for managers (issue 19): the sync's state and what waits to be sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from pos.domain.text import plural
from pos.widgets.type_ahead import AnswersOnce

Waiting = list[tuple[int, str, str, str]]
"""Outbox entries still to send: number, kind, what it is, when it was made."""

KINDS = {"sale": "Sale", "refund": "Refund", "day": "Day", "audit": "Audit entry"}


class OutboxScreen(AnswersOnce, Screen[None]):
    """What this till has not yet sent to the store's server, oldest first, and the link's
    state; it follows both every second (nothing here waits on the network: the list is
    the till's own file)."""

    BINDINGS = [Binding("escape", "close", "Back", key_display="Esc")]

    def __init__(self, waiting: Callable[[], Waiting], state: Callable[[], str]) -> None:
        super().__init__()
        self._waiting = waiting
        self._state = state

    def compose(self) -> ComposeResult:
        yield Label("Store link", id="outbox-title")
        yield Label("", id="outbox-state")
        yield DataTable(id="outbox-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="outbox-count")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("seq", "#"), ("kind", "Kind"), ("what", "What"), ("at", "When")):
            table.add_column(label, key=key)
        self._show()
        self.set_interval(1.0, self._show)

    def _show(self) -> None:
        self.query_one("#outbox-state", Label).update(self._state())
        entries = self._waiting()
        table = self.query_one(DataTable)
        table.clear()
        for seq, kind, what, at in entries:
            table.add_row(Text(str(seq)), Text(KINDS.get(kind, kind)), Text(what), Text(_when(at)))
        sales = sum(1 for entry in entries if entry[1] == "sale")
        self.query_one("#outbox-count", Label).update(
            "Nothing waiting: the store's server has everything."
            if not entries
            else f"{plural(len(entries), 'entry', 'entries')} waiting "
            f"({plural(sales, 'sale')}), oldest first"
        )

    def action_close(self) -> None:
        self.dismiss(None)


def _when(at: str) -> str:
    """A row's time as the till's clock shows it (rows keep UTC, some without a zone)."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%d %b %H:%M:%S")

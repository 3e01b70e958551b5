"""The audit log for managers: newest first, filtered as you type."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label

from pos.auth.audit import AuditEntry, printable
from pos.domain.text import plural
from pos.widgets.type_ahead import AnswersOnce

REQUIRED_SCOPE = "audit"


class AuditScreen(AnswersOnce, Screen[None]):
    """Who did what, when, on which till. The screen re-checks its scope when it opens."""

    BINDINGS = [Binding("escape", "close", "Back", key_display="Esc")]

    def __init__(
        self, search: Callable[[str], list[AuditEntry]], allowed: Callable[[], bool]
    ) -> None:
        super().__init__()
        self._search = search
        self._allowed = allowed

    def compose(self) -> ComposeResult:
        yield Label("Audit log", id="audit-title")
        yield Input(id="audit-filter", placeholder="Filter: event, operator or details")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="audit-count")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        if not self._allowed():  # never trust the caller alone
            self.dismiss(None)
            return
        table = self.query_one(DataTable)
        for key, label in (
            ("seq", "#"),
            ("at", "When (UTC)"),
            ("till", "Till"),
            ("op", "Operator"),
            ("event", "Event"),
            ("details", "Details"),
        ):
            table.add_column(label, key=key)
        self._show("")
        self.query_one(Input).focus()

    @on(Input.Changed, "#audit-filter")
    def _filter(self, event: Input.Changed) -> None:
        if not self._allowed():  # every look is checked, not only the first
            self.dismiss(None)
            return
        self._show(event.value)

    def _show(self, text: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        entries = self._search(text)
        for e in entries:
            table.add_row(
                Text(str(e.seq)),
                Text(e.at),
                Text(printable(e.till)),
                Text(printable(e.operator or "-")),
                Text(e.event),
                Text(printable(e.details)),
            )
        self.query_one("#audit-count", Label).update(
            f"{plural(len(entries), 'entry', 'entries')} shown (newest first, at most 500)"
        )

    def action_close(self) -> None:
        self.dismiss(None)

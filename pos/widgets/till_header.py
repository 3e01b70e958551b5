"""The top bar: store, till and (once logged in) the operator."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from pos.domain.text import cell_len


class TillHeader(Static):
    """Store name on the left, till and operator on the right. No clock: snapshots stay still."""

    store: reactive[str] = reactive("")
    till: reactive[str] = reactive("")
    operator: reactive[str] = reactive("")

    def render(self) -> Text:
        right = self.till if not self.operator else f"{self.till} | {self.operator}"
        width = self.size.width or 80
        gap = max(1, width - cell_len(self.store) - cell_len(right) - 2)
        return Text(f" {self.store}{' ' * gap}{right} ", no_wrap=True, overflow="ellipsis")

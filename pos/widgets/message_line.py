"""One line of feedback: what the last action did, or what went wrong."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class MessageLine(Static):
    """Shows a message literally (product names are not markup)."""

    def show(self, message: str, *, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.update(Text(message))

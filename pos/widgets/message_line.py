"""One line of feedback: what the last action did, or what went wrong."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class MessageLine(Static):
    """Shows a message literally (product names are not markup). One line the width of the
    screen (pos/styles/base.tcss), so a new message never needs a new layout."""

    def show(self, message: str, *, error: bool = False) -> None:
        self.set_class(error, "-error")
        self.update(Text(message, no_wrap=True, overflow="ellipsis"), layout=False)

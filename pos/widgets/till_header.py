"""The top bar: store, the link to the store's server (a store's till), till and (once
logged in) the operator."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Static

from pos.domain.text import cell_len


class TillHeader(Static):
    """Store name on the left, till and operator on the right. No clock: snapshots stay still."""

    store: reactive[str] = reactive("")
    till: reactive[str] = reactive("")
    operator: reactive[str] = reactive("")
    link: reactive[str] = reactive("")
    """The sync's state on a store's till (``Online``, ``OFFLINE - 3 sales waiting, last
    contact 14:02``); empty for a till of its own."""

    def render(self) -> Text:
        right = self.till if not self.operator else f"{self.till} | {self.operator}"
        left = self.store if not self.link else f"{self.store} | "
        width = self.size.width or 80
        gap = max(1, width - cell_len(left) - cell_len(self.link) - cell_len(right) - 2)
        text = Text(f" {left}", no_wrap=True, overflow="ellipsis")
        if self.link:
            style = "bold" if self.link.startswith("Online") else "bold reverse"
            text.append(self.link, style=style)
        text.append(f"{' ' * gap}{right} ")
        return text


def show_in_headers(
    screens: Iterable[Screen[object]], *, store: str | None = None, link: str | None = None
) -> None:
    """Show the store's name or the store link's state in the header of every screen of
    ``screens`` that has one (the till's screens under a dialog included)."""
    for screen in screens:
        for header in screen.query(TillHeader):
            if store is not None:
                header.store = store
            if link is not None:
                header.link = link

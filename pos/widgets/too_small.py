"""The notice shown over any screen while the terminal is smaller than the layout needs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.geometry import Size
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.screen import Screen

MIN_SIZE = Size(80, 24)
"""The smallest terminal every screen is laid out for (a standard 80 x 24 terminal)."""


def too_small(size: Size) -> bool:
    return size.width < MIN_SIZE.width or size.height < MIN_SIZE.height


class TooSmall(Static):
    """Covers the screen (an overlay: the layout beneath is untouched) and says how big
    the window must be. The till keeps working underneath: a scan typed meanwhile is
    still taken, and shows as soon as the window is large enough again."""

    def __init__(self, size: Size) -> None:
        super().__init__(id="too-small")
        self.show_size(size)

    def show_size(self, size: Size) -> None:
        self.update(
            Text(
                "The window is too small for the till.\n\n"
                f"Make it at least {MIN_SIZE.width} x {MIN_SIZE.height} characters "
                f"(it is {size.width} x {size.height} now).",
                justify="center",
            )
        )


class DemoBadge(Static):
    """``DEMO`` at the top right of every screen of a database made with the demo data
    (its operators' PINs are printed in the README): nobody takes it for a real till.
    An overlay like :class:`TooSmall`; the app puts it at the right end of the top row."""

    WIDTH = 6

    def __init__(self, text: str) -> None:
        super().__init__(Text(f" {text} "[: self.WIDTH].center(self.WIDTH)), id="demo-badge")

    def place(self, size: Size) -> None:
        self.styles.offset = (max(0, size.width - self.WIDTH), 0)


def fit_overlays(screen: Screen[Any], size: Size, demo: str | None) -> None:
    """Cover ``screen`` with a clear notice while the terminal is too small for it, and
    take the notice away once it is large enough again; put the ``demo`` badge (a demo
    database's banner, None for a real one) at the right end of its top row."""
    if demo is not None:
        badges = screen.query(DemoBadge)
        badge = badges.first() if badges else DemoBadge(demo)
        badge.place(size)
        if not badges:
            screen.mount(badge)
    notices = screen.query(TooSmall)
    if too_small(size):
        if notices:
            notices.first().show_size(size)
        else:
            screen.mount(TooSmall(size))
    else:
        notices.remove()

"""The customer display's app (``pos display``): one screen following one till."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.app import App

from pos.domain.clock import Clock, SystemClock
from pos.paths import STYLES_DIR
from pos.screens.customer_display import POLL_SECONDS, CustomerDisplayScreen
from pos.services.display import CustomerDisplay
from pos.widgets.terminal import TerminalWatch


class DisplayApp(App[None]):
    """A customer-facing view of one till: it reads the till's file and never writes."""

    CSS_PATH = [STYLES_DIR / "base.tcss", STYLES_DIR / "display.tcss"]
    TITLE = "POS customer display"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, display: CustomerDisplay, *, interval: float = POLL_SECONDS) -> None:
        super().__init__()
        self.follower = display
        self._interval = interval
        self.theme = "textual-dark"  # pinned, as the till's: snapshots must not follow the user

    def on_mount(self) -> None:
        self.push_screen(CustomerDisplayScreen(self.follower, interval=self._interval))
        terminal = TerminalWatch(sys.__stdin__.fileno() if sys.__stdin__ else None)
        self.set_interval(1.0, lambda: self.exit() if terminal.gone() else None)

    def on_unmount(self) -> None:
        self.follower.close()


def make_display_app(
    path: Path, till: str | None = None, *, clock: Clock | None = None
) -> DisplayApp:
    """The customer display of ``till`` (the file's till_name setting when None) on the
    till's SQLite file at ``path``, opened read-only.

    Raises:
        DatabaseOpenError: the file cannot be read.
    """
    return DisplayApp(CustomerDisplay.open(path, till, clock or SystemClock()))

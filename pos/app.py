"""The Textual application: screens, styles and global keys. No business rules here."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from pos.paths import STYLES_DIR
from pos.screens import ScanScreen
from pos.services.container import Services


class PosApp(App[None]):
    """The till."""

    TITLE = "POS"
    CSS_PATH = [STYLES_DIR / "base.tcss", STYLES_DIR / "scan.tcss", STYLES_DIR / "modals.tcss"]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def on_mount(self) -> None:
        self.theme = "textual-dark"  # pinned: snapshots must not follow the user's theme
        settings = self.services.settings
        self.push_screen(
            ScanScreen(self.services.checkout, settings.store_name, settings.till_name)
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The till's own actions plus Quit; no theme switching at a till."""
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            yield from commands()
        yield SystemCommand("Quit", "Close the till (the open cart is kept)", self.exit)

    def on_unmount(self) -> None:
        self.services.close()

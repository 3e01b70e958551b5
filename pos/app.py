"""The Textual application: screens, styles and global keys. No business rules here."""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from pos.paths import STYLES_DIR
from pos.screens import GuardedCommandPalette, ScanScreen
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

    def action_command_palette(self) -> None:
        """Open the palette in its scanner-proof form."""
        if self.use_command_palette and not GuardedCommandPalette.is_open(self):
            self.push_screen(GuardedCommandPalette(id="--command-palette"))

    async def on_event(self, event: events.Event) -> None:
        # The palette's search field would swallow a scanner's digits before any
        # binding saw them; give the palette the first look at every key.
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and isinstance(self.screen, GuardedCommandPalette)
            and self.screen.intercept(event.key)
        ):
            return
        await super().on_event(event)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The till's own actions plus Quit; no theme switching at a till."""
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            yield from commands()
        yield SystemCommand("Quit", "Close the till (the open cart is kept)", self.exit)

    def on_unmount(self) -> None:
        self.services.close()

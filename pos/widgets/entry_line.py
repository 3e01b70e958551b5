"""The line that shows what is being typed or scanned, and what the till asks for."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from pos.domain.barcodes import MAX_SCAN_LENGTH


class EntryLine(Static):
    """Shows ``prompt > buffer``. The screen owns the keys; this only displays them."""

    prompt: reactive[str] = reactive("Scan or type")
    buffer: reactive[str] = reactive("")

    def render(self) -> Text:
        text = Text()
        text.append(f"{self.prompt} ", style="bold")
        text.append("> ", style="dim")
        text.append(self.buffer)
        text.append(" ", style="reverse")  # a steady cursor: no blink in snapshots
        return text

    def type(self, char: str) -> None:
        """Append a typed character (bounded: a stuck key cannot grow it forever)."""
        if len(self.buffer) <= MAX_SCAN_LENGTH:
            self.buffer += char

    def backspace(self) -> None:
        self.buffer = self.buffer[:-1]

    def take(self) -> str:
        """Return the buffer and clear it (on Enter)."""
        text, self.buffer = self.buffer, ""
        return text

"""The line that shows what is being typed or scanned, and what the till asks for."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from pos.domain.barcodes import MAX_SCAN_LENGTH
from pos.domain.text import visible


class EntryLine(Static):
    """Shows ``prompt > buffer``. The screen owns the keys; this only displays them."""

    prompt: reactive[str] = reactive("Scan or type")
    buffer: reactive[str] = reactive("")
    overflow = 0

    def render(self) -> Text:
        text = Text()
        text.append(f"{self.prompt} ", style="bold")
        text.append("> ", style="dim")
        text.append(visible(self.buffer))  # a control character is shown, never obeyed
        text.append(" ", style="reverse")  # a steady cursor: no blink in snapshots
        return text

    def type(self, char: str) -> None:
        """Append a typed character (bounded: a stuck key cannot grow it forever).

        Past the limit, characters are counted but not kept, so Enter can say what
        happened (``overflow``).
        """
        if len(self.buffer) >= MAX_SCAN_LENGTH:
            self.overflow += 1
            return
        if len(self.buffer) < MAX_SCAN_LENGTH:
            self.buffer += char

    def backspace(self) -> None:
        self.buffer = self.buffer[:-1]

    def take(self) -> str:
        """Return what was typed and clear it (on Enter). If more was typed than the
        buffer keeps, the text comes back at its full length, so it is refused as too
        long rather than read as a barcode made of its first characters."""
        text, self.buffer = self.buffer, ""
        if self.overflow:
            text = text.ljust(len(text) + self.overflow, "?")
            self.overflow = 0
        return text

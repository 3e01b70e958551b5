"""The line that shows what is being typed or scanned, and what the till asks for."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Region
from textual.reactive import var
from textual.strip import Strip
from textual.widget import Widget

from pos.domain.barcodes import MAX_SCAN_LENGTH
from pos.domain.text import visible

_KEY_NAMES = {".": "full_stop", "*": "asterisk"}


def typing_keys(chars: str = "0123456789") -> list[Binding]:
    """The keys a screen with an entry line takes as typing (``chars``, each to its
    ``type`` action, and Backspace), ahead of any focused widget: a scanner's digits
    always reach the line."""
    return [
        *(
            Binding(_KEY_NAMES.get(ch, ch), f"type('{ch}')", show=False, priority=True)
            for ch in chars
        ),
        Binding("backspace", "backspace", show=False, priority=True),
    ]


_PROMPT = Style(bold=True)
_ARROW = Style(dim=True)
_CURSOR = Style(reverse=True)


class EntryLine(Widget):
    """Shows ``prompt > buffer``. The screen owns the keys; this only displays them.

    Drawn as one line (Textual's line API): every key a scanner sends changes it, so a key
    redraws that line and nothing else (not the border around it)."""

    DEFAULT_CSS = """
    EntryLine {
        height: auto;
    }
    """

    prompt: var[str] = var("Scan or type")
    buffer: var[str] = var("")
    overflow = 0

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._line: Strip | None = None

    def watch_prompt(self) -> None:
        self._redraw()

    def watch_buffer(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        self._line = None
        if self.is_mounted:
            self.refresh(Region(0, 0, self.content_region.width, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line = None

    def on_resize(self) -> None:
        self._line = None

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        base = self.rich_style
        if y:
            return Strip.blank(width, base)
        if self._line is None:
            self._line = self._draw(width, base)
        return self._line

    def _draw(self, width: int, base: Style) -> Strip:
        shown = visible(self.buffer)  # a control character is shown, never obeyed
        prompt = f"{self.prompt} "
        # what is typed and the cursor always show: a long prompt gives way to them
        room = width - cell_len(shown) - 3
        if cell_len(prompt) > room:
            prompt = set_cell_size(prompt, max(0, room - 2)) + "… " if room > 2 else ""
        segments = [
            Segment(prompt, base + _PROMPT),
            Segment("> ", base + _ARROW),
            Segment(shown, base),
            Segment(" ", base + _CURSOR),  # a steady cursor: no blink in snapshots
        ]
        return Strip(segments).crop(0, width).adjust_cell_length(width, base)

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

"""The totals panel: item count, subtotal, savings and the TOTAL in large digits.

Every scan changes some of these figures, so the panel is one widget drawn line by line
(Textual's line API), not five labels: a scan redraws the lines whose figure changed, each
built once as a strip, and nothing else (five widgets would each be styled and composed
again on every scan).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import var
from textual.renderables.digits import Digits as BigDigits
from textual.strip import Strip
from textual.widget import Widget

from pos.domain.money import format_money

MIN_WIDTH = 20
"""The narrowest the figures are laid out for (a narrower panel cuts them on the right)."""

ITEMS, SUBTOTAL, SAVINGS, TOTAL_LABEL, TOTAL = 0, 1, 2, 4, 5
"""The line of each figure; the big TOTAL takes three lines from ``TOTAL``, and the line
above the TOTAL heading is left blank."""
TOTAL_LINES = 3


class TotalsPanel(Widget):
    """Running totals, set by the screen after every change."""

    COMPONENT_CLASSES = {"totals-panel--heading", "totals-panel--total"}

    DEFAULT_CSS = """
    TotalsPanel {
        height: 1fr;
    }
    """
    """Only what the widget needs; its colours and border are in pos/styles/scan.tcss."""

    # ``var``, not ``reactive``: a new figure redraws its own lines, never the whole panel
    items: var[int] = var(0)
    subtotal: var[int] = var(0)
    discounts: var[int] = var(0)
    total: var[int] = var(0)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._texts: dict[int, str] = {}
        """The text on each line that holds one (the big TOTAL: its figure)."""
        self._strips: dict[int, Strip] = {}
        """Drawn lines, by line: dropped when their text, the width or the styles change."""
        self._styles: dict[str, Style] = {}
        """The panel's style and its parts' (``rich_style`` walks every ancestor)."""

    # ----------------------------------------------------------------- figures

    def show(self, *, items: int, subtotal: int, discounts: int, total: int) -> None:
        """Set every figure at once: each changed line is redrawn once."""
        self.set_reactive(TotalsPanel.items, items)
        self.set_reactive(TotalsPanel.subtotal, subtotal)
        self.set_reactive(TotalsPanel.discounts, discounts)
        self.set_reactive(TotalsPanel.total, total)
        self._update_texts()

    def _figure_changed(self) -> None:
        self._update_texts()

    watch_items = watch_subtotal = watch_discounts = watch_total = _figure_changed

    @property
    def figures(self) -> dict[str, str]:
        """What the panel shows, by name (for tests and for reading it out)."""
        saving = f"-{format_money(self.discounts)}" if self.discounts else "0.00"
        return {
            "items": str(self.items),
            "subtotal": format_money(self.subtotal),
            "savings": saving,  # always shown, so the TOTAL never jumps at the first discount
            "total": format_money(self.total),
        }

    @property
    def shown_total(self) -> str:
        """The figure the big TOTAL is drawn from now."""
        return self._texts.get(TOTAL, "")

    def _update_texts(self) -> None:
        figures = self.figures
        width = max(MIN_WIDTH, self.content_region.width)
        texts = {
            ITEMS: _row("Items", figures["items"], width),
            SUBTOTAL: _row("Subtotal", figures["subtotal"], width),
            SAVINGS: _row("Savings", figures["savings"], width),
            TOTAL_LABEL: "TOTAL",
            TOTAL: figures["total"],
        }
        for line, text in texts.items():
            if self._texts.get(line) != text:  # only a figure that changed is redrawn
                self._texts[line] = text
                height = TOTAL_LINES if line == TOTAL else 1
                for y in range(line, line + height):
                    self._strips.pop(y, None)
                self.refresh(Region(0, line, self.content_region.width, height))

    # --------------------------------------------------------------- rendering

    def on_mount(self) -> None:
        self._update_texts()

    def on_resize(self) -> None:
        self._texts.clear()  # the rows are laid out to the width
        self._strips.clear()
        self._update_texts()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()
        self._styles.clear()

    def _style(self, part: str = "") -> Style:
        style = self._styles.get(part)
        if style is None:
            base = self.rich_style
            style = base + self.get_component_rich_style(part) if part else base
            self._styles[part] = style
        return style

    def render_line(self, y: int) -> Strip:
        strip = self._strips.get(y)
        if strip is None:
            if TOTAL <= y < TOTAL + TOTAL_LINES:
                self._draw_total()  # its three lines at once: the digits are laid out once
            else:
                self._strips[y] = self._draw(y)
            strip = self._strips[y]
        return strip

    def _draw_total(self) -> None:
        width = self.content_region.width
        style = self._style("totals-panel--total")
        digits = _big(self._texts.get(TOTAL, ""), style)
        for offset, text in enumerate(digits):
            self._strips[TOTAL + offset] = _flush_right(text, width, style, self._style())

    def _draw(self, y: int) -> Strip:
        width = self.content_region.width
        base = self._style()
        text = self._texts.get(y)
        if text is None:
            return Strip.blank(width, base)
        style = self._style("totals-panel--heading") if y == TOTAL_LABEL else base
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)


def _row(label: str, value: str, width: int) -> str:
    """``label`` on the left, ``value`` flush right."""
    return f"{label}{value:>{width - len(label)}}"


def _big(text: str, style: Style) -> list[str]:
    """``text`` in Textual's three-line digits (the heavy ones when ``style`` is bold)."""
    # Digits renders only segments; the check tells mypy what its RenderResult holds
    rendered = BigDigits(text).render(style)
    lines = "".join(segment.text for segment in rendered if isinstance(segment, Segment))
    return lines.split("\n")[:TOTAL_LINES]


def _flush_right(text: str, width: int, style: Style, blank: Style) -> Strip:
    pad = width - len(text)
    if pad < 0:  # too wide for the panel: the left of it shows, like the label rows
        return Strip([Segment(text, style)]).crop(0, width)
    return Strip([Segment(" " * pad, blank), Segment(text, style)])

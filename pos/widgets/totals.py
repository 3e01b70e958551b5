"""The totals panel: item count, subtotal and the TOTAL in large digits."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive, var
from textual.widgets import Digits, Label

from pos.domain.money import format_money


class TotalsPanel(Vertical):
    """Running totals, set by the screen after every change."""

    # ``var``, not ``reactive``: a new figure redraws its own label, never the whole panel
    items: reactive[int] = var(0)
    subtotal: reactive[int] = var(0)
    discounts: reactive[int] = var(0)
    total: reactive[int] = var(0)

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._shown: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Label("", id="items", markup=False)
        yield Label("", id="subtotal", markup=False)
        yield Label("", id="discounts", markup=False)
        yield Label("TOTAL", id="total-label")
        yield Digits("0.00", id="total")

    def on_mount(self) -> None:
        self._refresh_labels()

    def watch_items(self) -> None:
        self._refresh_labels()

    def watch_subtotal(self) -> None:
        self._refresh_labels()

    def watch_discounts(self) -> None:
        self._refresh_labels()

    def watch_total(self, total: int) -> None:
        if self.is_mounted:
            self.query_one("#total", Digits).update(format_money(total))

    def _refresh_labels(self) -> None:
        if not self.is_mounted:
            return
        width = max(20, self.content_region.width)
        # always shown, so the TOTAL never jumps when the first discount triggers
        saving = f"-{format_money(self.discounts)}" if self.discounts else "0.00"
        texts = {
            "items": _row("Items", str(self.items), width),
            "subtotal": _row("Subtotal", format_money(self.subtotal), width),
            "discounts": _row("Savings", saving, width),
        }
        for name, text in texts.items():
            if self._shown.get(name) != text:  # only a figure that changed is redrawn
                self._shown[name] = text
                # Each label is one line of a fixed width: a new figure never changes the
                # layout, so the screen is not asked to lay itself out again on every scan.
                self.query_one(f"#{name}", Label).update(text, layout=False)

    def show(self, *, items: int, subtotal: int, discounts: int, total: int) -> None:
        """Set every figure at once: the labels are redrawn once, not once per figure."""
        self.set_reactive(TotalsPanel.items, items)
        self.set_reactive(TotalsPanel.subtotal, subtotal)
        self.set_reactive(TotalsPanel.discounts, discounts)
        self._refresh_labels()
        self.total = total

    def on_resize(self) -> None:
        self._refresh_labels()


def _row(label: str, value: str, width: int) -> str:
    """``label`` on the left, ``value`` flush right."""
    return f"{label}{value:>{width - len(label)}}"

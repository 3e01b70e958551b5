"""The totals panel: item count, subtotal and the TOTAL in large digits."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Digits, Label

from pos.domain.money import format_money


class TotalsPanel(Vertical):
    """Running totals, set by the screen after every change."""

    items: reactive[int] = reactive(0)
    subtotal: reactive[int] = reactive(0)
    discounts: reactive[int] = reactive(0)
    total: reactive[int] = reactive(0)

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
        self.query_one("#items", Label).update(_row("Items", str(self.items), width))
        self.query_one("#subtotal", Label).update(
            _row("Subtotal", format_money(self.subtotal), width)
        )
        # always shown, so the TOTAL never jumps when the first discount triggers
        saving = f"-{format_money(self.discounts)}" if self.discounts else "0.00"
        self.query_one("#discounts", Label).update(_row("Savings", saving, width))

    def on_resize(self) -> None:
        self._refresh_labels()


def _row(label: str, value: str, width: int) -> str:
    """``label`` on the left, ``value`` flush right."""
    return f"{label}{value:>{width - len(label)}}"

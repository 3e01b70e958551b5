"""Every key of a screen at the bottom, wrapped over as many rows as the width needs.

Textual's ``Footer`` is one row: on the scanning screen, with fifteen actions, it cuts
the last keys off (at 120 columns after F3; at 80 after F7). This bar shows every
binding the screen marks ``show``, in the screen's order, the first binding of each
action only (as the Footer does), and wraps between keys, never inside one. A click
on a key presses it. It is one widget drawing one text, so a change of the bindings
redraws a line or two rather than recomposing a widget per key.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget

GAP = 1
"""Cells between two keys."""


@dataclass(frozen=True, slots=True)
class Key:
    key: str
    """The key pressed when it is clicked (Textual's name, e.g. ``f10``)."""
    display: str
    label: str
    enabled: bool

    @property
    def width(self) -> int:
        return len(self.display) + (1 + len(self.label) if self.label else 0)


def arrange(keys: list[Key], width: int) -> list[list[Key]]:
    """The keys in rows of at most ``width`` cells (a key wider than that gets a row of
    its own): between keys only, in order."""
    rows: list[list[Key]] = []
    used = 0
    for key in keys:
        if rows and used + GAP + key.width <= width:
            rows[-1].append(key)
            used += GAP + key.width
        else:
            rows.append([key])
            used = key.width
    return rows


class KeyBar(Widget, can_focus=False):
    """The screen's keys, wrapped (styles in ``pos/styles/base.tcss``)."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--label", "key-bar--disabled"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._keys: list[Key] | None = None
        self._rows: list[list[Key]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            keys = self._read_keys()
            if keys != self._keys:
                self._keys = keys
                self.refresh(layout=True)

    def _read_keys(self) -> list[Key]:
        seen: set[str] = set()
        keys: list[Key] = []
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(
                Key(binding.key, self.app.get_key_display(binding), binding.description, enabled)
            )
        return keys

    @property
    def keys(self) -> list[Key]:
        """What the bar shows, in order."""
        if self._keys is None:
            self._keys = self._read_keys()
        return self._keys

    @property
    def rows(self) -> list[list[Key]]:
        """The keys as drawn, row by row."""
        return arrange(self.keys, self.content_size.width or self.app.size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(1, len(arrange(self.keys, width)))

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        label_style = self.get_component_rich_style("key-bar--label")
        disabled = self.get_component_rich_style("key-bar--disabled")
        text = Text(no_wrap=True, overflow="crop")
        self._rows = self.rows
        for number, row in enumerate(self._rows):
            if number:
                text.append("\n")
            for index, key in enumerate(row):
                if index:
                    text.append(" " * GAP, label_style)
                text.append(key.display, key_style if key.enabled else disabled)
                if key.label:
                    text.append(" " + key.label, label_style if key.enabled else disabled)
        return text

    def key_at(self, x: int, y: int) -> Key | None:
        """The key drawn at ``(x, y)`` of the bar's content, if any."""
        rows = self._rows or self.rows
        if not 0 <= y < len(rows):
            return None
        left = 0
        for key in rows[y]:
            if left <= x < left + key.width:
                return key
            left += key.width + GAP
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        key = self.key_at(offset.x, offset.y) if offset is not None else None
        if key is not None and key.enabled:
            event.stop()
            self.app.simulate_key(key.key)

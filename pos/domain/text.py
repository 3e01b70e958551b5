"""Text that reaches the screen, receipts and the database.

Names are data, never markup or terminal control: they are normalised to NFC,
and control or bidi-override characters are refused where text enters the till.
Widths are measured in terminal cells, not ``len``: a CJK character takes two
cells and a combining accent none.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_LENGTH = 120

_ALLOWED_FORMAT = frozenset("\u200d")
"""Invisible format characters a name may hold: the zero-width joiner of emoji sequences."""


class TextError(ValueError):
    """Text that the till will not store; the message says why."""


def clean_name(raw: str, *, what: str = "name") -> str:
    """Validate and normalise a product (or other) name.

    Returns:
        The name, NFC-normalised with outer whitespace removed.

    Raises:
        TextError: empty, too long, or holding control characters.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise TextError(f"{what} is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise TextError(f"{what} is longer than {MAX_NAME_LENGTH} characters")
    for ch in name:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") or (
            category == "Cf" and ch not in _ALLOWED_FORMAT
        ):
            # control and bidi-override characters, zero-width spaces, soft hyphens,
            # line separators: invisible or layout-breaking, never part of a real name
            raise TextError(f"{what} contains an invisible or control character (U+{ord(ch):04X})")
    return name


def char_cells(ch: str) -> int:
    """How many terminal cells one character takes: 0, 1 or 2."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """The width of ``text`` in terminal cells."""
    if text.isascii():  # no ASCII character is combining, a format character or wide
        return len(text)
    return sum(char_cells(ch) for ch in text)


def pad_right(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` cells."""
    return text + " " * max(0, width - cell_len(text))


def pad_left(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` cells."""
    return " " * max(0, width - cell_len(text)) + text


def wrap_cells(text: str, width: int) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` cells, breaking at spaces where possible.

    A word longer than the width is split between characters (never inside a
    combining sequence).
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if cell_len(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while cell_len(word) > width:
            cut, used = 0, 0
            for i, ch in enumerate(word):
                w = char_cells(ch)
                if used + w > width and cut > 0:
                    break
                used += w
                cut = i + 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def visible(text: str) -> str:
    """``text`` with its control characters shown, not obeyed: ``^A`` for C0 controls and
    DEL, ``<U+009B>`` for C1; for echoing what was typed or scanned back to the screen."""
    if text.isprintable():
        return text
    shown = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 or code == 0x7F:
            shown.append("^" + chr(code ^ 0x40))
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or not ch.isprintable():
            shown.append(f"<U+{code:04X}>" if ch != " " else ch)
        else:
            shown.append(ch)
    return "".join(shown)


def plural(count: int, word: str) -> str:
    """``1 line``, ``2 lines``."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"

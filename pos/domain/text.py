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


_ZWJ = "\u200d"
_VS16 = "\ufe0f"
"""Emoji presentation: the narrow character before it is drawn two cells wide."""
_MODIFIERS = range(0x1F3FB, 0x1F400)
"""Emoji skin-tone modifiers: drawn inside the emoji before them."""
_JAMO = range(0x1160, 0x1200)
_JAMO_EXTENDED = range(0xD7B0, 0xD800)
"""Conjoining Hangul vowels and final consonants."""
_FILLERS = frozenset((0x3164, 0xFFA0))
"""Hangul fillers: nothing drawn."""


def char_cells(ch: str) -> int:
    """How many terminal cells one character takes on its own: 0, 1 or 2, as Rich counts
    them (a test compares every character; they differ only where Rich's Unicode tables
    are newer than this Python's, a few hundred rare symbols made wide in Unicode 16)."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cf"):
        return 0  # Mc too: a Devanagari or Thai vowel sign is drawn in its consonant's cell
    code = ord(ch)
    if code in _MODIFIERS or code in _JAMO or code in _JAMO_EXTENDED or code in _FILLERS:
        return 0  # Hangul vowels and finals after a leading consonant make one syllable
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """The width of ``text`` in terminal cells, as Textual (Rich) draws it.

    Beyond the width of each character, an emoji sequence is one picture: a character
    joined to the one before by a zero-width joiner (the family in 👨\u200d👩\u200d👧) takes
    no cells of its own, a skin-tone modifier none, and the emoji presentation selector
    (U+FE0F, as in ❤️ or a keycap 1️⃣) makes a narrow character two cells wide. A test holds
    this equal to ``rich.cells.cell_len`` (the domain cannot import Rich).
    """
    if text.isascii():  # no ASCII character is combining, a format character or wide
        return len(text)
    if _ZWJ not in text and _VS16 not in text:
        return sum(char_cells(ch) for ch in text)
    total = 0
    last = 0  # the width of the last character that took cells
    joined = False
    for ch in text:
        if joined:  # the character after a joiner is part of the emoji before it
            joined = False
            continue
        if ch == _ZWJ:
            joined = True
        elif ch == _VS16:
            total += last == 1
            last = 0
        elif width := char_cells(ch):
            last = width
            total += width
    return total


_FLAG_LETTERS = range(0x1F1E6, 0x1F200)
"""Regional indicators: a pair of them is a flag."""


def _lone_flag_letter(piece: str) -> bool:
    return len(piece) == 1 and ord(piece) in _FLAG_LETTERS


def clusters(text: str) -> list[str]:
    """``text`` cut into the pieces that are drawn as one: a character with the combining
    marks, selectors, modifiers and joined characters that follow it. Cutting between
    pieces never changes their widths (``cell_len`` of the pieces adds up)."""
    pieces: list[str] = []
    joined = False
    for ch in text:
        if pieces and (joined or ch in (_ZWJ, _VS16) or not char_cells(ch)):
            pieces[-1] += ch
        elif pieces and ord(ch) in _FLAG_LETTERS and _lone_flag_letter(pieces[-1]):
            pieces[-1] += ch  # two regional indicators are one flag
        else:
            pieces.append(ch)
        joined = ch == _ZWJ
    return pieces


def pad_right(text: str, width: int) -> str:
    """Left-align ``text`` in ``width`` cells."""
    return text + " " * max(0, width - cell_len(text))


def pad_left(text: str, width: int) -> str:
    """Right-align ``text`` in ``width`` cells."""
    return " " * max(0, width - cell_len(text)) + text


def wrap_cells(text: str, width: int) -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` cells, breaking at spaces where possible.

    A word longer than the width is split between the pieces drawn as one (never inside
    a combining sequence or an emoji sequence, see :func:`clusters`).
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
            pieces = clusters(word)
            cut, used = 0, 0
            for i, piece in enumerate(pieces):
                w = cell_len(piece)
                if used + w > width and cut > 0:
                    break
                used += w
                cut = i + 1
            lines.append("".join(pieces[:cut]))
            word = "".join(pieces[cut:])
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


def name_list(names: list[str] | tuple[str, ...], width: int) -> str:
    """As many of ``names`` as fit in ``width`` cells, then how many more:
    ``Milk, Bread, +3 more``; the first name is cut (``…``) if even it does not fit."""
    best = ""
    shown = ""
    for count, name in enumerate(names, start=1):
        shown = f"{shown}, {name}" if shown else name
        if cell_len(shown) > width:
            break
        rest = len(names) - count
        text = f"{shown}, +{rest} more" if rest else shown
        if cell_len(text) <= width:
            best = text
    if best or not names:
        return best
    rest = len(names) - 1
    tail = f", +{rest} more" if rest else ""
    return cut_cells(names[0], width - cell_len(tail)) + tail


def cut_cells(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, ending in ``…`` if it was cut."""
    if cell_len(text) <= width:
        return text
    kept, used = "", 0
    for piece in clusters(text):
        cells = cell_len(piece)
        if used + cells > width - 1:
            break
        kept += piece
        used += cells
    return kept + "…" if width >= 1 else ""


def sentence(text: str) -> str:
    """``text`` with a capital first letter (``str.capitalize`` would lower-case the rest:
    a till's or a product's name, a PIN's wording)."""
    return text[:1].upper() + text[1:]


def plural(count: int, word: str, many: str = "", *, sep: str = "") -> str:
    """``1 line``, ``2 lines``; ``many`` for a word whose plural is not ``word + s``
    (``1 entry``, ``2 entries``); ``sep`` (``","``) groups the thousands (``1,000 lines``)."""
    number = f"{count:{sep}}" if sep else str(count)
    return f"{number} {word}" if count == 1 else f"{number} {many or word + 's'}"

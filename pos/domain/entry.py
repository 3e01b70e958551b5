"""What the cashier (or the scanner) typed before Enter.

The scanning screen collects keys into one buffer whatever has focus; on Enter
the buffer is read by :func:`parse_entry`:

* ``5000112637922`` (8 or more digits) is a scan;
* ``3*5000112637922`` is a scan of three; ``3*`` alone is an unfinished multiplier;
* ``6`` (1-4 digits) is a quantity, for the scan just made;
* ``0.85`` is a weight in kg (up to three decimals), for a weighed item.

Anything else is refused with a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import ean

from pos.domain.barcodes import MAX_SCAN_LENGTH
from pos.domain.text import visible

MAX_TYPED_COUNT = 9_999
MAX_TYPED_GRAMS = 99_999
"""A single typed weight may be up to 99.999 kg."""

ALLOWED_CHARS = frozenset("0123456789*.")
"""Characters the entry buffer takes; every other key is left to the bindings."""


@dataclass(frozen=True, slots=True)
class Empty:
    """Enter on an empty buffer."""


@dataclass(frozen=True, slots=True)
class ScanEntry:
    """A barcode, with the multiplier typed before it (1 if none)."""

    code: str
    multiplier: int = 1
    explicit_multiplier: bool = False


@dataclass(frozen=True, slots=True)
class CountEntry:
    """A whole number of 1 to 4 digits."""

    count: int


@dataclass(frozen=True, slots=True)
class WeightEntry:
    """A weight typed in kg, held in grams."""

    grams: int
    text: str


@dataclass(frozen=True, slots=True)
class BadEntry:
    """Something that is none of the above; ``message`` says why."""

    message: str


Entry = Empty | ScanEntry | CountEntry | WeightEntry | BadEntry

_MULTIPLIED = re.compile(r"^(\d+)\*(\d*)$")
_WEIGHT = re.compile(r"^(\d{0,4})\.(\d{1,3})$")


_DIGITS_AT_END = re.compile(r"(\d+)$")
SCAN_MIN_DIGITS = 8
"""The shortest barcode (EAN-8): fewer digits ending a search are a PLU or part of a name."""


def scanned_at_end(text: str) -> list[str]:
    """The barcodes a scanner may have typed at the end of ``text`` (a search, after some
    letters or a PLU): the last 13, 12 and 8 of its final run of digits whose check digit
    is right, longest first; the whole run if none is and it is long enough to be a scan
    (the scanning screen then says what is wrong with it); none for a shorter run."""
    match = _DIGITS_AT_END.search(text)
    run = match[1] if match and match[1].isascii() else ""
    if len(run) < SCAN_MIN_DIGITS:
        return []
    found = [run[-n:] for n in (13, 12, 8) if len(run) >= n and ean.is_valid(run[-n:])]
    return found or [run]


_QUANTITY_FIRST = re.compile(r"^(\d+\*)(.*)$", re.DOTALL)


def split_quantity(text: str) -> tuple[str, str]:
    """What was typed before Find: a quantity (``3*``), to go before the item found, and
    the rest, to search for (``"3*lem"`` is ``("3*", "lem")``, ``"lem"`` is ``("", "lem")``)."""
    match = _QUANTITY_FIRST.match(text)
    return (match[1], match[2]) if match else ("", text)


def parse_entry(text: str) -> Entry:
    """Classify the typed buffer (see the module docstring)."""
    if not text:
        return Empty()
    if len(text) > MAX_SCAN_LENGTH:
        return BadEntry(f"Input of {len(text)} characters ignored: too long for a barcode")
    if not text.isprintable():
        return BadEntry(f"'{visible(text)}' holds a control character: not a barcode or a quantity")
    if any(ch.isalpha() for ch in text):  # a name typed where a scan goes
        return BadEntry(f"'{text}' is not a barcode: F2 finds products by name")
    if not text.isascii() or any(ch not in ALLOWED_CHARS for ch in text):
        return BadEntry(f"'{text}' is not a barcode or a quantity")
    if text.isdigit():
        if len(text) <= 4:
            return CountEntry(int(text))
        return ScanEntry(text)
    match = _MULTIPLIED.match(text)
    if match:
        count = int(match[1])
        if count < 1:
            return BadEntry("Quantity must be at least 1")
        if count > MAX_TYPED_COUNT:
            return BadEntry(f"Quantity {count} is too many: at most {MAX_TYPED_COUNT:,}")
        if not match[2]:
            return BadEntry(f"{count}* needs a barcode after it: type {count}* and scan")
        return ScanEntry(match[2], count, explicit_multiplier=True)
    match = _WEIGHT.match(text)
    if match:
        grams = int(match[1] or "0") * 1000 + int(match[2].ljust(3, "0"))
        if grams > MAX_TYPED_GRAMS:
            return BadEntry(f"Weight {text} kg is more than {MAX_TYPED_GRAMS / 1000:.3f} kg")
        return WeightEntry(grams, text)
    return BadEntry(f"'{text}' is not a barcode or a quantity")

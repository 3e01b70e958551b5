"""The audit log's hash chain: each entry carries a hash of the one before and itself.

``hash = HMAC-SHA-256(audit key, prev_hash | seq | at | till | operator | event |
details)``, with the first entry chained to 64 zeros. The audit key lives in the key
file beside the database, never in it, so someone who can write to the database
cannot recompute the chain after an edit. Editing or deleting any entry breaks every
hash after it, which :func:`verify_chain` reports by naming the first bad entry.
Removing the newest entries leaves a shorter chain that still verifies: compare the
head that ``pos audit verify`` prints with one noted earlier (e.g. on a Z report).
Details are JSON with sorted keys, and every text is escaped so a name with a
newline or an escape sequence cannot forge a line in a printed log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: str
    till: str
    operator: str | None
    event: str
    details: str  # canonical JSON
    prev_hash: str
    hash: str


def canonical(details: Mapping[str, Any]) -> str:
    """Details as JSON: sorted keys, ASCII only (control characters escaped)."""
    return json.dumps(details, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def entry_hash(
    key: bytes,
    prev_hash: str,
    seq: int,
    at: str,
    till: str,
    operator: str | None,
    event: str,
    details: str,
) -> str:
    body = "\x1f".join([prev_hash, str(seq), at, till, operator or "", event, details])
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def verify_chain(entries: Iterable[AuditEntry], key: bytes) -> int | None:
    """The ``seq`` of the first entry that does not chain, or None if all do."""
    prev = GENESIS
    expected_seq: int | None = None
    for entry in entries:
        if expected_seq is not None and entry.seq != expected_seq:
            return expected_seq  # an entry is missing
        recomputed = entry_hash(
            key, prev, entry.seq, entry.at, entry.till, entry.operator, entry.event, entry.details
        )
        if entry.prev_hash != prev or not hmac.compare_digest(entry.hash, recomputed):
            return entry.seq
        prev = entry.hash
        expected_seq = entry.seq + 1
    return None


def printable(text: str) -> str:
    """One line, no control characters: for printing log fields."""
    return text.encode("unicode_escape").decode("ascii")

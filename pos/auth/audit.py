"""The audit log's hash chain: each entry carries a hash of the one before and itself.

``hash = HMAC-SHA-256(audit key, prev_hash | seq | at | till | operator | event |
details)``, with the first entry chained to 64 zeros. The audit key lives in the key
file beside the database, never in it, so someone who can write to the database
cannot recompute the chain after an edit. Editing or deleting any entry breaks every
hash after it. :func:`check_chain` goes through the whole log and lists every entry
that does not verify (its own hash) or does not follow the one before (its link), and
every gap in the numbers; :func:`verify_chain` names the first of them.
Removing the newest entries leaves a shorter chain that still verifies by itself: the
anchor file beside the key file (:mod:`pos.auth.anchor`) and the head printed on every
Z report are what the chain is compared with.

After a lost key file, a new audit key starts a new *segment*: its first entry is a
``chain_restarted`` entry signed with the new key. The entries before the newest such
entry that verifies were made with a key that is gone: they are reported once, as one
range that cannot be checked, and the rest is checked.
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


RESTART = "chain_restarted"
"""The event that starts a new segment after the audit key was lost."""


def _signed(entry: AuditEntry, key: bytes) -> bool:
    """Whether the entry's hash is the key's MAC of its own fields (its stored link)."""
    recomputed = entry_hash(
        key,
        entry.prev_hash,
        entry.seq,
        entry.at,
        entry.till,
        entry.operator,
        entry.event,
        entry.details,
    )
    return hmac.compare_digest(entry.hash, recomputed)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What a full check of the log found.

    ``problems``: ``(seq, what)`` in order, one per changed or unlinked entry and one
    per gap (its first missing number); ``unverifiable``: the entries before a restart
    (first and last ``seq``), made with a lost key; ``restart``: the restart entry the
    checked segment begins with; ``last``: the newest entry.
    """

    count: int
    problems: tuple[tuple[int, str], ...]
    unverifiable: tuple[int, int] | None
    restart: AuditEntry | None
    last: AuditEntry | None

    @property
    def intact(self) -> bool:
        return not self.problems


def check_chain(entries: Iterable[AuditEntry], key: bytes) -> ChainReport:
    """Check every entry; never stops at the first problem (see :class:`ChainReport`)."""
    rows = list(entries)
    start = 0
    for index in range(len(rows) - 1, -1, -1):
        if rows[index].event == RESTART and _signed(rows[index], key):
            start = index
            break
    restart = rows[start] if rows and rows[start].event == RESTART and start > 0 else None
    problems: list[tuple[int, str]] = []
    prev: AuditEntry | None = rows[start - 1] if start > 0 else None
    for entry in rows[start:]:
        gap = False
        if prev is None:
            if entry.seq != 1:
                problems.append((1, f"entries 1 to {entry.seq - 1} are missing"))
                gap = True
        elif entry.seq != prev.seq + 1:
            first, last = prev.seq + 1, entry.seq - 1
            span = f"entry {first} is" if first == last else f"entries {first} to {last} are"
            problems.append((first, f"{span} missing"))
            gap = True
        expected_prev = GENESIS if prev is None else prev.hash
        if not _signed(entry, key):
            what = f"entry {entry.seq} was changed (its hash does not verify)"
            problems.append((entry.seq, what))
        elif not gap and entry.prev_hash != expected_prev:
            problems.append((entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}"))
        prev = entry
    unverifiable = (rows[0].seq, rows[start - 1].seq) if restart is not None else None
    return ChainReport(
        len(rows), tuple(problems), unverifiable, restart, rows[-1] if rows else None
    )


def verify_chain(entries: Iterable[AuditEntry], key: bytes) -> int | None:
    """The ``seq`` of the first problem :func:`check_chain` finds, or None if none."""
    report = check_chain(entries, key)
    return report.problems[0][0] if report.problems else None


def printable(text: str) -> str:
    """One line, no control characters: for printing log fields."""
    return text.encode("unicode_escape").decode("ascii")

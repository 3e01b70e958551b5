"""What ``pos audit verify`` finds: the whole chain, its anchor, and its restarts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pos.auth.anchor import AnchorError, read_anchor
from pos.auth.audit import AuditEntry, ChainReport, check_chain, printable
from pos.auth.keys import KeyFileError, key_file_for, load_seal_key
from pos.auth.seal import tampered_message
from pos.config import DbTarget
from pos.db.database import open_database
from pos.db.migrations import SCHEMA_VERSION
from pos.db.operator_seals import changed_operators
from pos.domain.text import plural


@dataclass(slots=True)
class AuditFindings:
    """``problems`` make the log untrustworthy (exit status 1); ``notes`` are said but
    are no failure (a missing anchor, a restart after a lost key); ``summary`` is the
    one line of a good log."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""
    first: int | None = None
    """The lowest entry number a problem names (None: the anchor itself is bad)."""

    def headline(self) -> str:
        where = f" at entry {self.first}" if self.first is not None else ""
        return f"the audit log is broken{where}: {plural(len(self.problems), 'problem')}"


def _ranges(seqs: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for seq in seqs:
        if out and seq == out[-1][1] + 1:
            out[-1] = (out[-1][0], seq)
        else:
            out.append((seq, seq))
    return out


MAX_LISTED = 50
"""Problems listed one by one; more are summed up in one line."""


def check_audit(entries: list[AuditEntry], key: bytes, anchor_path: Path | None) -> AuditFindings:
    report: ChainReport = check_chain(entries, key)
    found = AuditFindings()
    listed = [what for _seq, what in report.problems]
    found.problems.extend(listed[:MAX_LISTED])
    if report.problems:
        found.first = report.problems[0][0]
    if len(listed) > MAX_LISTED:
        found.problems.append(f"... and {len(listed) - MAX_LISTED} more problems")
    if report.unverifiable is not None and report.restart is not None:
        first, last = report.unverifiable
        found.notes.append(
            f"entries {first} to {last} were made with an audit key that was lost and cannot "
            f"be verified; the chain restarted at entry {report.restart.seq} "
            f"({report.restart.at}, by {printable(report.restart.operator or '-')}); "
            "the entries from there on are checked"
        )
    _compare_anchor(entries, key, anchor_path, found)
    newest = report.last
    head = f"; newest entry {newest.seq}, hash {newest.hash[:16]}" if newest else ""
    found.summary = f"audit log intact: {plural(report.count, 'entry', 'entries')}{head}"
    return found


def _compare_anchor(
    entries: list[AuditEntry], key: bytes, path: Path | None, found: AuditFindings
) -> None:
    if path is None:
        return
    try:
        anchor = read_anchor(path, key)
    except AnchorError as exc:
        found.problems.append(str(exc))
        return
    if anchor is None:
        found.notes.append(
            f"no audit anchor ({path}): a new install or a copied database; whether the "
            "newest entries were removed cannot be told (the next entry writes one)"
        )
        return
    newest = entries[-1].seq if entries else 0
    match = next((e for e in reversed(entries) if e.seq == anchor.seq), None)
    if match is None and anchor.seq > newest:
        missing = (
            f"entry {anchor.seq} is"
            if anchor.seq == newest + 1
            else f"entries {newest + 1} to {anchor.seq} are"
        )
        found.first = newest + 1 if found.first is None else found.first
        found.problems.append(
            f"{missing} missing at the end of the log: the anchor says the log reached entry "
            f"{anchor.seq} (hash {anchor.hash[:16]}), the database ends at "
            + (f"entry {newest}" if entries else "no entry at all")
        )
    elif match is None:
        found.first = anchor.seq if found.first is None else min(found.first, anchor.seq)
        found.problems.append(f"entry {anchor.seq}, named by the audit anchor, is missing")
    elif match.hash != anchor.hash:
        found.first = anchor.seq if found.first is None else min(found.first, anchor.seq)
        found.problems.append(
            f"entry {anchor.seq} is not the one the audit anchor names (hash "
            f"{match.hash[:16]}, anchor {anchor.hash[:16]}): the log was replaced from there"
        )


def changed_operator_rows(key_file: Path) -> list[str]:
    """What ``pos db check`` and ``pos audit verify`` say about each operator whose row
    no longer matches its seal (item 6c); the database's models must be bound. A key
    file that cannot be read is reported by the caller's own checks, not here."""
    try:
        key = load_seal_key(key_file)
    except KeyFileError:
        return []
    return [tampered_message(number) for number in changed_operators(key)]


def changed_operators_at(path: DbTarget, version: int) -> list[str]:
    """:func:`changed_operator_rows` for ``pos db check``: only on a database at this
    version (the check never upgrades one)."""
    if version != SCHEMA_VERSION:
        return []
    database = open_database(path, check=False)
    try:
        return changed_operator_rows(key_file_for(path))
    finally:
        database.close()


def check_till_chains(chains: dict[str, list[AuditEntry]], key: bytes) -> AuditFindings:
    """Every till's own chain as pushed to the store's server (issue 19): each is checked
    like a till's file checks its own, from its first entry; a gap, a changed entry or a
    broken link is named with its till."""
    found = AuditFindings()
    for till, entries in chains.items():
        part = check_audit(entries, key, None)
        found.problems.extend(f"till {printable(till)}: {p}" for p in part.problems)
        found.notes.extend(f"till {printable(till)}: {n}" for n in part.notes)
    count = sum(len(entries) for entries in chains.values())
    found.summary = (
        f"{plural(len(chains), 'till chain')} intact: {plural(count, 'entry', 'entries')}"
        if chains
        else ""
    )
    return found

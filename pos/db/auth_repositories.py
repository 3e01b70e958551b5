"""Operators, token state and the audit log (the ports of :mod:`pos.auth.service`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee

from pos.auth.anchor import write_anchor
from pos.auth.audit import GENESIS, RESTART, AuditEntry, canonical, entry_hash
from pos.auth.pins import pepper_of
from pos.auth.service import Attempt, OperatorRecord
from pos.db import models as m
from pos.db.dialect import dialect
from pos.db.errors import StorageError, bound, is_sqlite, reading, storage_errors, writing
from pos.db.operator_seals import reseal, row_is_sealed, sealed_before
from pos.db.prepared import Prepared, converter, slot
from pos.db.rows import tuples
from pos.domain.clock import Clock

log = logging.getLogger(__name__)


def _operator(row: m.Operator, key: bytes | None = None) -> OperatorRecord:
    return OperatorRecord(
        number=row.number,
        name=row.name,
        role=row.role,
        active=bool(row.active),
        pin_hash=row.pin_hash,
        failed_attempts=row.failed_attempts,
        locked_until=row.locked_until,
        tokens_valid_after=row.tokens_valid_after,
        token_generation=row.token_generation,
        sealed=key is None or row_is_sealed(key, row.__data__),
    )


class OperatorRepository:
    """The operators. ``seal_key`` (:func:`pos.auth.keys.load_seal_key`) checks each
    row's seal as it is read and seals it again at every write; without it the rows can
    be read (reported as sealed, unchecked) but not written."""

    def __init__(self, db: peewee.Database, seal_key: bytes | None = None) -> None:
        self.db = db
        self._key = seal_key
        fields = m.Operator._meta.sorted_fields
        # every token check reads the operator: compiled once (pos.db.prepared)
        self._get = Prepared(
            db,
            lambda: m.Operator.select(*fields).where(m.Operator.number == slot("number")),
        )
        self._convert = converter(fields)

    def get(self, number: str) -> OperatorRecord | None:
        rows = self._get.run(number=number)
        if not rows:
            return None
        row = self._convert(rows[0])
        return OperatorRecord(
            number=row["number"],
            name=row["name"],
            role=row["role"],
            active=bool(row["active"]),
            pin_hash=row["pin_hash"],
            failed_attempts=row["failed_attempts"],
            locked_until=row["locked_until"],
            tokens_valid_after=row["tokens_valid_after"],
            token_generation=row["token_generation"],
            sealed=self._key is None or row_is_sealed(self._key, row),
        )

    @reading
    def all(self) -> list[OperatorRecord]:
        return [_operator(r, self._key) for r in m.Operator.select().order_by(m.Operator.number)]

    @reading
    def count(self) -> int:
        return int(m.Operator.select().count())

    @reading
    def pepper_ids(self) -> set[str]:
        """The ids of the PIN peppers the stored hashes name (``pos keys rotate`` keeps
        these in the key file)."""
        found = set()
        for (digest,) in tuples(m.Operator.select(m.Operator.pin_hash)):
            pepper = pepper_of(digest)
            if pepper is not None:
                found.add(pepper)
        return found

    def add(self, record: OperatorRecord) -> None:
        with writing(self.db):
            m.Operator.create(
                number=record.number,
                name=record.name,
                role=record.role,
                active=int(record.active),
                pin_hash=record.pin_hash,
            )
            reseal(self._key, record.number, before=None, repair=True)

    def record_failure(self, number: str, locked_until: datetime | None) -> int:
        with writing(self.db):
            before = sealed_before(self._key, number)
            updates: dict[Any, Any] = {m.Operator.failed_attempts: m.Operator.failed_attempts + 1}
            if locked_until is not None:
                updates[m.Operator.locked_until] = locked_until
                updates[m.Operator.failed_attempts] = 0  # a new count after the lockout
            m.Operator.update(updates).where(m.Operator.number == number).execute()
            reseal(self._key, number, before=before)
            row = m.Operator.get_or_none(m.Operator.number == number)
            return 0 if row is None else row.failed_attempts

    def begin_attempt(
        self, number: str, now: datetime, lock_until: datetime, limit: int
    ) -> Attempt | None:
        """Count an attempt before its PIN is checked (see the port in pos.auth.service).

        One conditional UPDATE, in a write transaction that also reads the result back:
        it adds one to the count unless the operator is locked at ``now``, and the
        ``limit``-th attempt in a row sets the lock and starts a new count. SQLite takes
        the write lock at BEGIN and PostgreSQL locks the row at the UPDATE, so parallel
        attempts are counted one after another and never read a stale count.
        """
        op = m.Operator
        field = m.Operator.locked_until
        last = op.failed_attempts + 1 >= limit
        # the CASE's value is stored text already (peewee converts a value compared with
        # the field, as ``<= now`` below, but not one inside a CASE)
        with writing(self.db):
            before = sealed_before(self._key, number)
            changed = (
                op.update(
                    {
                        op.failed_attempts: peewee.Case(None, ((last, 0),), op.failed_attempts + 1),
                        field: peewee.Case(None, ((last, field.db_value(lock_until)),), None),
                    }
                )
                .where((op.number == number) & (field.is_null() | (field <= now)))
                .execute()
            )
            if changed:
                reseal(self._key, number, before=before)
            row = op.select(op.locked_until).where(op.number == number).tuples().first()
        if row is None:
            return None
        until = field.python_value(row[0]) if isinstance(row[0], str) else row[0]
        if not changed:
            return Attempt(admitted=False, locked_until=until)
        return Attempt(admitted=True, locks=until is not None, locked_until=until)

    def record_success(self, number: str, new_hash: str | None) -> None:
        with writing(self.db):
            before = sealed_before(self._key, number)
            updates: dict[Any, Any] = {m.Operator.failed_attempts: 0, m.Operator.locked_until: None}
            if new_hash is not None:
                updates[m.Operator.pin_hash] = new_hash
            m.Operator.update(updates).where(m.Operator.number == number).execute()
            reseal(self._key, number, before=before)

    def set_pin(self, number: str, pin_hash: str, ended_at: int) -> bool:
        """A new PIN; every token the operator holds stops working (the counter moves
        on, in the same statement: no token issued before can be equal to it)."""
        with writing(self.db):
            return self._repaired(
                number,
                m.Operator.update(
                    pin_hash=pin_hash,
                    tokens_valid_after=ended_at,
                    token_generation=m.Operator.token_generation + 1,
                    failed_attempts=0,
                    locked_until=None,
                )
                .where(m.Operator.number == number)
                .execute(),
            )

    def set_active(self, number: str, active: bool, ended_at: int) -> bool:
        """Deactivate or reactivate; either way every token held stops working."""
        with writing(self.db):
            return self._repaired(
                number,
                m.Operator.update(
                    active=int(active),
                    tokens_valid_after=ended_at,
                    token_generation=m.Operator.token_generation + 1,
                )
                .where(m.Operator.number == number)
                .execute(),
            )

    def unlock(self, number: str) -> bool:
        with writing(self.db):
            before = sealed_before(self._key, number)
            done = bool(
                m.Operator.update(failed_attempts=0, locked_until=None)
                .where(m.Operator.number == number)
                .execute()
            )
            reseal(self._key, number, before=before)
            return done

    def reseal_all(self) -> int:
        """Seal every row as it now is: after a lost key file only (``pos keys rotate``
        made a new one), when no seal can be checked any more; returns how many."""
        with writing(self.db):
            numbers = [row.number for row in m.Operator.select(m.Operator.number)]
            for number in numbers:
                reseal(self._key, number, before=None, repair=True)
        return len(numbers)

    def _repaired(self, number: str, changed: int) -> bool:
        """After a manager's change (a PIN set, a (re)activation): the row is sealed as it
        now is, even if it had been changed outside the till (they have looked at it)."""
        reseal(self._key, number, before=None, repair=True)
        return bool(changed)


class TokenStateRepository:
    """Refresh-token hashes and families, the deny-list, and used overrides."""

    def __init__(self, db: peewee.Database, now: Callable[[], int]) -> None:
        self.db = db
        self.now = now  # token time (see TokenCodec.now), not the shop clock
        # checked on every action (pos.db.prepared: compiled once)
        self._family_revoked = Prepared(
            db,
            lambda: (
                m.RefreshToken.select(peewee.SQL("1"))
                .where((m.RefreshToken.family == slot("family")) & (m.RefreshToken.revoked == 1))
                .limit(1)
            ),
        )
        self._is_revoked = Prepared(
            db,
            lambda: (
                m.RevokedToken.select(peewee.SQL("1"))
                .where((m.RevokedToken.jti == slot("jti")) & (m.RevokedToken.iss == slot("iss")))
                .limit(1)
            ),
        )

    def add_refresh(self, digest: str, family: str, operator: str, expires_at: int) -> None:
        with writing(self.db):
            m.RefreshToken.create(
                token_hash=digest, family=family, operator=operator, expires_at=expires_at
            )

    def use_refresh(self, digest: str, now: int) -> tuple[str, str | None]:
        with writing(self.db):
            row = m.RefreshToken.get_or_none(m.RefreshToken.token_hash == digest)
            if row is None:
                return "unknown", None
            if row.revoked:
                return "revoked", row.family
            # the guarded update makes two concurrent uses impossible: one row changes
            changed = (
                m.RefreshToken.update(used_at=now)
                .where((m.RefreshToken.id == row.id) & m.RefreshToken.used_at.is_null())
                .execute()
            )
            return ("ok" if changed else "used"), row.family

    def revoke_family(self, family: str) -> None:
        with writing(self.db):
            m.RefreshToken.update(revoked=1).where(m.RefreshToken.family == family).execute()

    def family_revoked(self, family: str) -> bool:
        return self._family_revoked.exists(family=family)

    def revoke_operator(self, number: str) -> None:
        with writing(self.db):
            m.RefreshToken.update(revoked=1).where(m.RefreshToken.operator == number).execute()

    def revoke_jti(self, jti: str, iss: str, expires_at: int) -> None:
        now = self.now()
        with writing(self.db):
            m.RevokedToken.insert(
                jti=jti, iss=iss, expires_at=expires_at
            ).on_conflict_ignore().execute()
            # entries are only needed while their token could still be presented
            m.RevokedToken.delete().where(m.RevokedToken.expires_at < now - 60).execute()
            m.RefreshToken.delete().where(m.RefreshToken.expires_at < now - 60).execute()

    def is_revoked(self, jti: str, iss: str) -> bool:
        return self._is_revoked.exists(jti=jti, iss=iss)

    def consume_override(self, jti: str, now: int) -> bool:
        try:
            with writing(self.db):
                m.UsedOverride.create(jti=jti, used_at=now)
        except Exception as exc:  # the primary key says it was used before
            if "constraint" in str(exc).lower() or "unique" in str(exc).lower():
                return False
            raise
        return True


class AuditRepository:
    """The append-only, hash-chained audit log.

    With ``anchor`` (a path, see :mod:`pos.auth.anchor`), the newest committed entry is
    written there: after an entry appended outside a transaction at once, after one
    appended inside a caller's transaction at :meth:`anchor_now` or the next entry.
    """

    def __init__(
        self, db: peewee.Database, clock: Clock, till: str, key: bytes, anchor: Path | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.till = till
        self.key = key
        self.anchor = anchor
        self._dialect = dialect(db)
        # the newest entry's number and hash: every sale appends one (pos.db.prepared)
        log = m.AuditLog
        self._last = Prepared(
            db, lambda: log.select(log.seq, log.hash).order_by(log.seq.desc()).limit(1)
        )

    def append(
        self, event: str, operator: str | None, details: Mapping[str, Any]
    ) -> tuple[int, str]:
        """Add an entry; inside a caller's transaction it commits (or not) with it.
        Returns its number and hash."""
        inside = self.db.in_transaction()
        with writing(self.db):
            self._dialect.order_audit_appends(self.db)  # one chain for every till
            rows = self._last.run()
            prev = rows[0][1] if rows else GENESIS
            seq = (rows[0][0] if rows else 0) + 1
            at = self.clock.now().isoformat(timespec="seconds")
            body = canonical(details)
            digest = entry_hash(self.key, prev, seq, at, self.till, operator, event, body)
            m.insert_row(
                self.db,
                m.AuditLog,
                {
                    "seq": seq,
                    "at": at,
                    "till": self.till,
                    "operator": operator,
                    "event": event,
                    "details": body,
                    "prev_hash": prev,
                    "hash": digest,
                },
            )
        if not inside:  # committed: the anchor may name it
            self.anchor_now()
        return seq, digest

    def append_many(self, event: str, operator: str | None, many: list[Mapping[str, Any]]) -> None:
        """Add one entry per item of ``many``, chained in order, by one ``executemany``
        (a large import's price changes: no query per entry)."""
        if not many:
            return
        inside = self.db.in_transaction()
        with writing(self.db):
            self._dialect.order_audit_appends(self.db)
            rows = self._last.run()
            prev = rows[0][1] if rows else GENESIS
            seq = rows[0][0] if rows else 0
            at = self.clock.now().isoformat(timespec="seconds")
            values = []
            for details in many:
                seq += 1
                body = canonical(details)
                digest = entry_hash(self.key, prev, seq, at, self.till, operator, event, body)
                values.append((seq, at, self.till, operator, event, body, prev, digest))
                prev = digest
            names = ("seq", "at", "till", "operator", "event", "details", "prev_hash", "hash")
            self.db.cursor().executemany(m.insert_sql(m.AuditLog, names, self.db.param), values)
        if not inside:
            self.anchor_now()

    def head(self) -> tuple[int, str] | None:
        """The newest entry's number and hash (the chain's head), or None if empty."""
        with bound(self.db), storage_errors():
            rows = self._last.run()
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def anchor_now(self) -> None:
        """Write the newest committed entry to the anchor file (outside a transaction;
        inside one this does nothing: its entries may still roll back). A failure to
        write is logged: the entries are committed, only their anchor is late."""
        if self.anchor is None or self.db.in_transaction():
            return
        try:
            head = self.head()
        except StorageError as exc:
            log.warning("the audit anchor was not written: %s", exc.reason)
            return
        if head is None:
            return
        try:
            write_anchor(self.anchor, self.key, *head)
        except OSError as exc:
            log.warning("the audit anchor %s could not be written: %s", self.anchor, exc)

    def restart_chain(self, operator: str | None, why: str) -> bool:
        """After the audit key was lost: a signed ``chain_restarted`` entry starts a new
        segment (:func:`pos.auth.audit.check_chain`). Nothing when the log is empty."""
        head = self.head()
        if head is None:
            return False
        self.append(RESTART, operator, {"after_entry": head[0], "why": why})
        return True

    def entries(self, since: str | None = None) -> Iterator[AuditEntry]:
        with bound(self.db), storage_errors():
            query = m.AuditLog.select().order_by(m.AuditLog.seq)
            if since:
                query = query.where(m.AuditLog.at >= since)
            for row in query.iterator():
                yield AuditEntry(
                    row.seq,
                    row.at,
                    row.till,
                    row.operator,
                    row.event,
                    row.details,
                    row.prev_hash,
                    row.hash,
                )


def _contains(field: peewee.Field, text: str, like: str = "LIKE") -> peewee.ColumnBase:
    """``field`` contains ``text`` literally, in any case: LIKE (ILIKE on PostgreSQL,
    whose LIKE minds case) with its wildcards escaped."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return peewee.NodeList((field, peewee.SQL(like), f"%{escaped}%", peewee.SQL("ESCAPE '!'")))


def search_audit(db: peewee.Database, text: str, limit: int = 500) -> list[AuditEntry]:
    """The newest entries (at most ``limit``) whose event, operator or details contain
    ``text``, taken literally."""
    with bound(db), storage_errors():
        query = m.AuditLog.select().order_by(m.AuditLog.seq.desc()).limit(limit)
        needle = text.strip()
        if needle:
            like = dialect(db).like
            query = query.where(
                _contains(m.AuditLog.event, needle, like)
                | _contains(m.AuditLog.operator, needle, like)
                | _contains(m.AuditLog.details, needle, like)
            )
        return [
            AuditEntry(r.seq, r.at, r.till, r.operator, r.event, r.details, r.prev_hash, r.hash)
            for r in query
        ]


def z_report_entry(db: peewee.Database, till: str, z_no: int) -> tuple[int, str] | None:
    """The number and hash of the ``z_report`` entry that closed ``till``'s day ``z_no``
    (the chain's head its Z report printed), or None."""
    log = m.AuditLog
    with bound(db), storage_errors():
        row = (
            log.select(log.seq, log.hash)
            .where(
                (log.event == "z_report")
                & (log.till == till)
                & (log.details.endswith(f'"z":{int(z_no)}}}'))
            )
            .order_by(log.seq.desc())
            .tuples()
            .first()
        )
    return (int(row[0]), str(row[1])) if row else None


def till_chains(db: peewee.Database) -> dict[str, list[AuditEntry]]:
    """The audit chains the tills of a store pushed to its server (``till_audit``, one per
    till, in the order each till wrote them); empty on a till's own file."""
    if is_sqlite(db):
        return {}
    chains: dict[str, list[AuditEntry]] = {}
    with storage_errors():
        rows = db.execute_sql(
            "SELECT chain, seq, at, till, operator, event, details, prev_hash, hash "
            "FROM till_audit ORDER BY chain, seq"
        )
        for chain, *fields in rows:
            chains.setdefault(chain, []).append(AuditEntry(*fields))
    return chains

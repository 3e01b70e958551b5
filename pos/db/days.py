"""Trading days of a till: opened with a float, closed by a Z report with the cash count."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from pos.db import models as m
from pos.db.errors import storage_errors, writing
from pos.db.prepared import Prepared, converter, slot


@dataclass(frozen=True, slots=True)
class Day:
    opened_at: datetime
    float_amount: int
    closed_at: datetime | None = None
    z_no: int | None = None
    counted: int | None = None
    expected: int | None = None
    id: int | None = None
    """The day's row: the sales and refunds taken in it carry it (``day_id``, v10)."""

    @property
    def open(self) -> bool:
        return self.closed_at is None


def _day(row: m.TillDay) -> Day:
    return _day_of({f.name: getattr(row, f.name) for f in m.TillDay._meta.sorted_fields})


def _day_of(row: dict[str, Any]) -> Day:
    """A day from its row's values by field name (a model's, or a prepared query's)."""
    return Day(
        row["opened_at"],
        row["float_amount"],
        row["closed_at"],
        row["z_no"],
        row["counted"],
        row["expected"],
        row["id"],
    )


class DayRepository:
    def __init__(self, db: peewee.Database, till: str) -> None:
        self.db = db
        self.till = till
        fields = m.TillDay._meta.sorted_fields
        self._latest = Prepared(
            db,
            lambda: (
                m.TillDay.select(*fields)
                .where(m.TillDay.till == slot("till"))
                .order_by(m.TillDay.id.desc())
                .limit(1)
            ),
        )
        self._convert = converter(fields)

    def latest(self) -> Day | None:
        """The till's newest day (asked before every sale: compiled once, pos.db.prepared)."""
        rows = self._latest.run(till=self.till)
        return None if not rows else _day_of(self._convert(rows[0]))

    def open_day(self, at: datetime, float_amount: int, by: str | None) -> Day:
        with writing(self.db):
            current = (
                m.TillDay.select()
                .where((m.TillDay.till == self.till) & m.TillDay.closed_at.is_null())
                .first()
            )
            if current is not None:
                return _day(current)
            # where the audit log stands: the day's voids and overrides are the entries
            # after it (the audit log's numbers only go up, whatever the clock says)
            seq = m.AuditLog.select(peewee.fn.MAX(m.AuditLog.seq)).scalar() or 0
            row = m.TillDay.create(
                till=self.till,
                opened_at=at,
                opened_by=by,
                float_amount=float_amount,
                audit_seq=int(seq),
                uuid=uuid.uuid4().hex,  # the day's id on the store's server too
            )
            return _day(row)

    def close_day(self, at: datetime, counted: int, expected: int, by: str | None) -> Day:
        """Close the open day with the next Z number (sequential per till)."""
        with writing(self.db):
            row = (
                m.TillDay.select()
                .where((m.TillDay.till == self.till) & m.TillDay.closed_at.is_null())
                .first()
            )
            if row is None:
                raise LookupError("no day is open")
            last = (
                m.TillDay.select(peewee.fn.MAX(m.TillDay.z_no))
                .where(m.TillDay.till == self.till)
                .scalar()
            )
            row.z_no = (last or 0) + 1
            row.closed_at = at
            row.closed_by = by
            row.counted = counted
            row.expected = expected
            row.save()
            return _day(row)

    def by_z(self, z_no: int) -> Day | None:
        """The till's day closed by Z report ``z_no``, or None if there is none."""
        row = (
            m.TillDay.select()
            .where((m.TillDay.till == self.till) & (m.TillDay.z_no == z_no))
            .first()
        )
        return None if row is None else _day(row)

    def last_z(self) -> int | None:
        """The number of the till's newest Z report, or None before its first."""
        with storage_errors():
            last = (
                m.TillDay.select(peewee.fn.MAX(m.TillDay.z_no))
                .where(m.TillDay.till == self.till)
                .scalar()
            )
        return None if last is None else int(last)

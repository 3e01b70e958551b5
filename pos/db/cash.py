"""The till's cash movements (issue 21): No sales, paid in and out, pickups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import peewee

from pos.db import models as m
from pos.db.errors import writing
from pos.db.rows import tuples
from pos.domain.cash import CashMovement


@dataclass(frozen=True, slots=True)
class NewMovement:
    """A movement to record: its id (chosen here, the same on the store's server), what,
    how much, why, who and when."""

    uuid: str
    kind: str
    amount: int
    reason: str
    operator: str
    approver: str | None
    at: datetime


class CashMovementRepository:
    def __init__(self, db: peewee.Database, till: str) -> None:
        self.db = db
        self.till = till

    def add(
        self,
        movement: NewMovement,
        *,
        check: Callable[[], None] | None = None,
        also: Callable[[], None] | None = None,
    ) -> bool:
        """Record ``movement`` in the till's open day, in one transaction with ``check``
        (run first, under the write lock: it may refuse by raising) and ``also`` (the
        audit entry, the approval used up). Idempotent on its uuid: returns False if it
        was recorded before (nothing is done again)."""
        with writing(self.db):
            if m.CashMovement.get_or_none(m.CashMovement.uuid == movement.uuid) is not None:
                return False
            if check is not None:
                check()
            day = (
                m.TillDay.select(m.TillDay.id)
                .where((m.TillDay.till == self.till) & m.TillDay.closed_at.is_null())
                .order_by(m.TillDay.id.desc())
                .scalar()
            )
            m.CashMovement.create(
                uuid=movement.uuid,
                till=self.till,
                day=day,
                at=movement.at,
                operator=movement.operator,
                approver=movement.approver,
                kind=movement.kind,
                amount=movement.amount,
                reason=movement.reason,
            )
            if also is not None:
                also()
        return True


def movements(where: peewee.Expression) -> list[CashMovement]:
    """The movements ``where`` selects, oldest first (models bound by the caller)."""
    c = m.CashMovement
    return [
        CashMovement(at, operator or "-", kind, int(amount), reason, approver)
        for at, operator, kind, amount, reason, approver in tuples(
            c.select(c.at, c.operator, c.kind, c.amount, c.reason, c.approver)
            .where(where)
            .order_by(c.at, c.id)
        )
    ]


def in_report(till: str, start: datetime, end: datetime, day: int | None) -> peewee.Expression:
    """Which movements a report counts: a trading day's (``day``), else the till's in
    the time range (as :func:`pos.db.reports.day_figures` counts sales)."""
    c = m.CashMovement
    if day is not None:
        return (c.day == day) & (c.till == till)
    return (c.till == till) & (c.at >= start) & (c.at < end)

"""Time and ids, injected so that tests never sleep and snapshots never change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Where the till gets the time from."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The real clock (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        """Move the clock forward, e.g. ``advance(minutes=15)``."""
        self._at += timedelta(**delta)


class IdGenerator(Protocol):
    """Makes unique ids for carts and, later, sales."""

    def new_id(self) -> str: ...


class UuidIds:
    """Random UUID4 ids."""

    def new_id(self) -> str:
        return str(uuid.uuid4())


class SequentialIds:
    """Predictable ids for tests: ``00000000-0000-4000-8000-000000000001`` and on."""

    def __init__(self) -> None:
        self._n = 0

    def new_id(self) -> str:
        self._n += 1
        return f"00000000-0000-4000-8000-{self._n:012d}"

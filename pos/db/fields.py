"""Column types that work the same on SQLite STRICT tables and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import peewee


class UtcTextDateTimeField(peewee.TextField):
    """A timezone-aware datetime stored as ISO 8601 UTC text (sortable, STRICT-friendly).

    peewee's DateTimeField declares a DATETIME column, which STRICT tables refuse.
    """

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware datetimes")
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def python_value(self, value: Any) -> datetime | None:
        if value is None:
            return None
        return datetime.fromisoformat(value)

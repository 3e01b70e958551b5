"""Queries on the hot path, compiled to SQL once and then run with new parameters.

Building a peewee query and turning it into SQL costs a few hundred microseconds; the
statement itself, found by an index, costs tens. The queries that run on every scan
(the token checks, the cart save) are built once per database with peewee, so the SQL
still comes from peewee in the database's own dialect, and then only executed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import peewee

from pos.db.errors import bound, storage_errors


def slot(name: str) -> str:
    """A named placeholder for a text value in a query template, filled in at each run.
    (A string, so that peewee's text fields pass it through as it is.)"""
    return f"\x00{name}\x00"


def _slot_name(param: object) -> str | None:
    if isinstance(param, str) and len(param) > 2 and param[0] == param[-1] == "\x00":
        return param[1:-1]
    return None


class Prepared:
    """``build`` makes a peewee query whose variable text values are :func:`slot`
    placeholders; :meth:`run` executes its SQL with them filled from keyword arguments."""

    def __init__(self, db: peewee.Database, build: Callable[[], peewee.Query]) -> None:
        self.db = db
        self._build = build
        self._sql: str | None = None
        self._params: Sequence[Any] = ()

    def _compile(self) -> tuple[str, Sequence[Any]]:
        if self._sql is None:
            with bound(self.db):
                self._sql, self._params = self._build().sql()
        return self._sql, self._params

    def run(self, **values: Any) -> list[tuple[Any, ...]]:
        """The rows, as tuples in the query's column order."""
        sql, params = self._compile()
        filled = [p if (name := _slot_name(p)) is None else values[name] for p in params]
        with storage_errors():
            cursor = self.db.execute_sql(sql, filled)
            # a statement without rows (DELETE): psycopg refuses to fetch from it
            return [] if cursor.description is None else list(cursor.fetchall())

    def exists(self, **values: Any) -> bool:
        return bool(self.run(**values))


def converter(fields: Sequence[peewee.Field]) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """Turn a raw row of ``fields`` into their Python values, by field name (what peewee
    would have done for a model instance: dates parsed, and so on)."""
    pairs = [(f.name, f.python_value) for f in fields]

    def convert(row: tuple[Any, ...]) -> dict[str, Any]:
        return {name: to_python(value) for (name, to_python), value in zip(pairs, row, strict=True)}

    return convert

"""A query's rows as tuples or dicts, typed.

peewee's stubs give ``query.tuples()`` and ``query.dicts()`` the query's own type, whose
iterator yields model instances; these say what the rows are. The values are the
database's (their types are the selected columns'), hence ``Any``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

import peewee


def tuples(query: peewee.BaseQuery) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query`` (run now) as tuples, in the order it selects."""
    return iter(cast("Iterable[tuple[Any, ...]]", query.tuples()))


def dicts(query: peewee.BaseQuery) -> Iterator[dict[str, Any]]:
    """The rows of ``query`` (run now) as dicts by column name (or alias)."""
    return iter(cast("Iterable[dict[str, Any]]", query.dicts()))

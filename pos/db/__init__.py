"""The model layer: the only package that imports peewee (and the PostgreSQL driver).

peewee (and ``playhouse.migrate``, through its CockroachDB support) import psycopg when it
is installed, at their own import: a tenth of a second or more before the login screen of
every till, most of which run on SQLite and never use it. So they are imported with
psycopg hidden (:func:`without_driver`: they then see no driver), and the PostgreSQL code
(:mod:`pos.db.server`) brings its own adapter, importing psycopg only when a database URL
is opened.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager

_ABSENT = object()


@contextmanager
def without_driver() -> Iterator[None]:
    """Imports in the block see no psycopg (``import psycopg`` raises ImportError).

    Afterwards ``sys.modules`` is as it was, a ``None`` entry included (psycopg blocked on
    purpose, as the test of an install without the PostgreSQL extra does)."""
    driver = sys.modules.get("psycopg", _ABSENT)
    # None there makes the import fail (the import system's rule); typeshed's sys.modules
    # holds modules only
    sys.modules["psycopg"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if driver is _ABSENT:
            del sys.modules["psycopg"]
        else:
            sys.modules["psycopg"] = driver  # type: ignore[assignment]


if "peewee" not in sys.modules:
    with without_driver():
        import peewee  # noqa: F401

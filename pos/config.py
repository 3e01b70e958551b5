"""Where the till's database lives by default, and the environment it reads.

A database is named by a *target*: a SQLite file (a :class:`~pathlib.Path`, the
default) or the URL of a PostgreSQL server shared by the tills of a store
(``postgresql://user:password@host:port/dbname``, a ``str``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from platformdirs import user_config_path, user_data_path

APP_NAME = "pos-till"
DB_ENV = "POS_DB"
TILL_ENV = "POS_TILL"
"""This process's till name (``pos --till``), over the ``till_name`` setting."""
KEYS_ENV = "POS_KEYS"
"""The signing key file of a server database (``pos --keys``): the same file on every till."""

SERVER_SCHEMES = ("postgresql", "postgres")

DbTarget = Path | str
"""A SQLite file, or a PostgreSQL URL."""


def default_db_path() -> Path:
    """The SQLite file in the user's data folder (created with demo data on first run)."""
    return user_data_path(APP_NAME, appauthor=False) / "pos.sqlite"


def is_server(target: DbTarget) -> bool:
    """Whether ``target`` names a database server (a URL) rather than a SQLite file."""
    return isinstance(target, str) and urlsplit(target).scheme in SERVER_SCHEMES


def parse_target(value: str | Path) -> DbTarget:
    """A ``--db`` value as a target: a server URL stays text, anything else is a file."""
    if isinstance(value, Path):
        return value
    return value if is_server(value) else Path(value)


def db_path_from_env() -> DbTarget | None:
    value = os.environ.get(DB_ENV)
    return parse_target(value) if value else None


def describe(target: DbTarget) -> str:
    """The target for messages and logs: a URL's password is never shown."""
    if not is_server(target):
        return str(target)
    parts = urlsplit(str(target))
    if parts.password is None:
        return str(target)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=f"{user}{host}").geturl()


def server_key_file(url: str) -> Path:
    """The signing key file for a server database: ``$POS_KEYS`` if set, else a file in
    this user's config folder named after the server and database. Every till of the
    store must have the same file (copy it when setting up a till), so that a token
    issued on one till verifies on all of them."""
    if value := os.environ.get(KEYS_ENV):
        return Path(value)
    parts = urlsplit(url)
    name = f"{parts.username or ''}@{parts.hostname or 'local'}-{parts.port or 5432}"
    name += f"-{parts.path.lstrip('/') or 'postgres'}"
    if parts.query:  # e.g. options=-csearch_path=...: another schema is another store
        name += f"-{parts.query}"
    safe = re.sub(r"[^A-Za-z0-9_.@-]+", "_", name)
    return user_config_path(APP_NAME, appauthor=False) / "keys" / f"{safe}.keys"

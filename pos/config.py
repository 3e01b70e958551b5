"""Where the till's database lives by default, and the environment it reads."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "pos-till"
DB_ENV = "POS_DB"
TILL_ENV = "POS_TILL"
"""This process's till name (``pos --till``), over the ``till_name`` setting."""


def default_db_path() -> Path:
    """The SQLite file in the user's data folder (created with demo data on first run)."""
    return user_data_path(APP_NAME, appauthor=False) / "pos.sqlite"


def db_path_from_env() -> Path | None:
    value = os.environ.get(DB_ENV)
    return Path(value) if value else None

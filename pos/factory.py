"""The one place the app is built: used by the CLI and by the tests."""

from __future__ import annotations

from pathlib import Path

from pos.app import PosApp
from pos.domain.clock import Clock, IdGenerator, SystemClock, UuidIds
from pos.services.container import build_services


def make_app(
    db_path: Path,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
) -> PosApp:
    """Open the database at ``db_path`` and build the till on it.

    Raises:
        DatabaseOpenError: the database cannot be used (the message says why).
    """
    services = build_services(db_path, clock=clock or SystemClock(), ids=ids or UuidIds())
    return PosApp(services)

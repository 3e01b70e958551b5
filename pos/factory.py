"""The one place the app is built: used by the CLI and by the tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from pos.app import IDLE_LIMIT, PosApp
from pos.auth.pins import PinHasher
from pos.config import DbTarget
from pos.domain.clock import Clock, IdGenerator, SystemClock, UuidIds
from pos.services.container import build_services


def make_app(
    db_path: DbTarget,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    hasher: PinHasher | None = None,
    idle_clock: Callable[[], float] = time.monotonic,
    idle_limit: float | None = None,
    till_name: str | None = None,
) -> PosApp:
    """Open the database at ``db_path`` (a SQLite file or a server URL) and build the
    till on it (as ``till_name``, if given, instead of the ``till_name`` setting).

    Raises:
        DatabaseOpenError: the database cannot be used (the message says why).
    """
    services = build_services(
        db_path,
        clock=clock or SystemClock(),
        ids=ids or UuidIds(),
        hasher=hasher,
        till_name=till_name,
    )
    limit = idle_limit if idle_limit is not None else services.settings.idle_lock_seconds
    return PosApp(services, idle_clock=idle_clock, idle_limit=min(limit, IDLE_LIMIT))

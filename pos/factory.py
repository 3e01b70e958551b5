"""The one place the app is built: used by the CLI and by the tests."""

from __future__ import annotations

import time
from collections.abc import Callable

from pos.app import PosApp
from pos.auth.pins import PinHasher
from pos.config import DbTarget
from pos.domain.clock import Clock, IdGenerator, SystemClock, UuidIds
from pos.services.container import build_services
from pos.services.store_till import open_store_till


def make_app(
    db_path: DbTarget,
    *,
    clock: Clock | None = None,
    ids: IdGenerator | None = None,
    hasher: PinHasher | None = None,
    idle_clock: Callable[[], float] = time.monotonic,
    idle_limit: float | None = None,
    till_name: str | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> PosApp:
    """Open the database at ``db_path`` and build the till on it (as ``till_name``, if
    given, instead of the ``till_name`` setting).

    A store's URL (``postgresql://...``) opens the till's own file of that store, made and
    filled the first time (``progress`` is told each batch), with its sync worker; so does
    a file made for a store. Any other file is a till of its own.

    Raises:
        DatabaseOpenError: the database cannot be used (the message says why).
    """
    clock = clock or SystemClock()
    target = open_store_till(db_path, till_name, clock, progress)
    try:
        services = build_services(
            target.path, clock=clock, ids=ids or UuidIds(), hasher=hasher, till_name=target.till
        )
    except BaseException:
        if target.sync is not None:
            target.sync.stop()
        raise
    services.attach_sync(target.sync)
    return PosApp(services, idle_clock=idle_clock, idle_limit=idle_limit)

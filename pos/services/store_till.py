"""Which file a till sells from, and its sync worker (issue 19).

A till of a store (``pos --db postgresql://... --till NAME``) sells from its own file,
made and filled from the store the first time; a till file made for a store (``pos --db
PATH`` where PATH belongs to one) syncs with that store; anything else is a till of its
own, with no worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pos.auth.keys import key_file_for
from pos.config import DbTarget, describe, is_server
from pos.db.database import check_server_driver
from pos.db.errors import DatabaseOpenError
from pos.db.sync.enrol import copy_store_keys, make_till_file, store_of, till_file_for
from pos.domain.clock import Clock
from pos.services.store import SETTINGS

if TYPE_CHECKING:  # psycopg loads only for a till of a store
    from pos.services.sync import StoreSync

DEFAULT_TILL = SETTINGS["till_name"].default

Progress = Callable[[str, int], None]
"""Told each pulled batch (the table and its rows) while a new till fills its file."""


@dataclass(frozen=True, slots=True)
class TillTarget:
    """What the till opens: its file, its name on the store, and the worker (None for a
    till of its own)."""

    path: DbTarget
    till: str | None
    sync: StoreSync | None = None


def open_store_till(
    target: DbTarget, till: str | None, clock: Clock, progress: Progress | None = None
) -> TillTarget:
    """The file this till sells from (made and filled from the store the first time).

    Raises:
        DatabaseOpenError: a store URL without a till name, a first start while the
            server is out of reach, a missing key file (each message says what to do).
    """
    if is_server(target):
        check_server_driver()  # without the postgresql extra: says what to install
        url = str(target)
        till = till or _till_name(url)
        path = till_file_for(url, till)
        if not path.exists():
            make_till_file(path, url, till, key_file_for(url))
        elif key_file_for(url).is_file():
            copy_store_keys(key_file_for(url), path)  # a rotation on the store reaches it
        linked = store_of(path)
        if linked is None:
            raise DatabaseOpenError(f"{path} is not a till file of {describe(url)}")
        sync = _worker(path, url, till, clock)
    else:
        path = Path(target)
        linked = store_of(path) if path.exists() else None
        if linked is None:
            return TillTarget(target, till)
        url, _, till = linked
        sync = _worker(path, url, till, clock)
    if sync.file.state("ready") != "1":
        _first_pull(sync, progress)
    return TillTarget(path, till, sync)


def _worker(path: Path, url: str, till: str, clock: Clock) -> StoreSync:
    from pos.services.sync import StoreSync  # psycopg: only a store's till loads it

    return StoreSync(path, url, till, clock)


def make_store_till(
    path: Path,
    url: str,
    till: str | None,
    clock: Clock,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> str:
    """``pos init --db PATH --store URL``: make ``path`` a till file of the store and fill
    it (the same as the first start of ``pos --db URL --till NAME``, in a file you name).
    Returns the till's name.

    Raises:
        DatabaseOpenError: the file exists, the name is taken (without ``replace``), the
            server is out of reach, or the key file is missing.
    """
    if path.exists():
        raise DatabaseOpenError(f"{path} already exists; a till file is made new")
    if not path.parent.is_dir():
        raise DatabaseOpenError(f"Cannot create {path}: the folder {path.parent} does not exist")
    name = till or _till_name(url)
    make_till_file(path, url, name, key_file_for(url), replace=replace)
    target = open_store_till(path, name, clock, progress)
    if target.sync is not None:
        target.sync.stop()
    return name


def _till_name(url: str) -> str:
    """The till's name when ``--till`` was not given: the one till of this store on this
    machine, or for the first, the store's ``till_name`` setting (as a till on the server
    used to be named).

    Raises:
        DatabaseOpenError: several tills of the store here (which one is meant?), or none
            and the server cannot say.
    """
    made = sorted(till_file_for(url, "x").parent.glob("*.sqlite"))
    names = [n for n in (store_of(p) for p in made) if n is not None]
    if len(names) == 1:
        return names[0][2]
    if names:
        listed = ", ".join(sorted(name for _, _, name in names))
        raise DatabaseOpenError(
            f"This machine has several tills of the store ({listed}): say which with --till NAME"
        )
    from pos.db.sync.store import StoreServer

    server = StoreServer(url)
    try:
        server.connect()
        return server.setting("till_name") or DEFAULT_TILL
    except Exception as exc:
        raise DatabaseOpenError(
            f"cannot set up a till from the store: {exc}. Name it with --till NAME"
        ) from exc
    finally:
        server.close()


def _first_pull(sync: StoreSync, progress: Progress | None) -> None:
    """Fill a new till's file from its store before it sells (resumed where it stopped if
    an earlier start was cut off: the pull goes on from its cursors).

    Raises:
        DatabaseOpenError: the server is out of reach or refused (the till cannot sell
            with an empty catalog and no operators).
    """
    from pos.services.sync import describe_failure

    try:
        sync.server.connect()
        sync.pull(progress)
    except Exception as exc:
        sync.stop()
        raise DatabaseOpenError(
            f"The till's first start takes the store's catalog and operators from its server, "
            f"which failed: {describe_failure(exc)}. Start it again when the server can be reached."
        ) from exc
    sync.file.mark_ready()

"""Making a till's own file for a store, and finding it again (issue 19).

``pos --db postgresql://... --till NAME`` sells from ``<user data>/stores/<store>/<NAME>.sqlite``
(made the first time); ``pos init --db PATH --store URL`` makes one where you say. The file
knows its store (``sync_state``: the URL without its password, the store's id and the
till's name), so ``pos --db PATH`` syncs with it too; the password comes from the URL given
at the start, or from libpq's own ``PGPASSWORD`` or ``~/.pgpass``, never from the file.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from platformdirs import user_data_path

from pos.auth.keys import key_file_for
from pos.config import APP_NAME
from pos.db.database import open_database
from pos.db.errors import DatabaseOpenError
from pos.db.sync.till_file import TillFile


def public_url(url: str) -> str:
    """The URL without its password (what the till file keeps)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}@" if parts.username else ""
    return parts._replace(netloc=f"{user}{host}").geturl()


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", text).strip("._") or "store"


def till_file_for(url: str, till: str) -> Path:
    """Where ``till`` of the store at ``url`` keeps its file (one per store and till)."""
    parts = urlsplit(url)
    store = f"{parts.username or ''}@{parts.hostname or 'local'}-{parts.port or 5432}"
    store += f"-{parts.path.lstrip('/') or 'postgres'}"
    if parts.query:
        store += f"-{parts.query}"
    return (
        user_data_path(APP_NAME, appauthor=False)
        / "stores"
        / _safe(store)
        / f"{_safe(till)}.sqlite"
    )


def store_of(path: Path) -> tuple[str, str, str] | None:
    """``(store URL without password, store id, till name)`` of a till file, or None
    for a till of its own (not a store's)."""
    try:
        tf = TillFile(path)
    except sqlite3.Error:
        return None  # not a database the till can open: opening it says why
    try:
        url, store_id, till = tf.state("store"), tf.state("store_id"), tf.state("till")
    except sqlite3.Error:
        return None  # a file from before stores (or not ours): a till of its own
    finally:
        tf.close()
    if url is None or store_id is None or till is None:
        return None
    return url, store_id, till


def copy_store_keys(store_keys: Path, path: Path) -> bool:
    """Keep the till file's key file equal to the store's (``pos keys rotate`` on the store
    reaches the till at its next start). Returns whether it changed.

    Raises:
        DatabaseOpenError: the store's key file is missing (the message says where).
    """
    if not store_keys.is_file():
        raise DatabaseOpenError(
            f"The store's key file is not at {store_keys}. Copy it there from the machine "
            "that ran pos init on the store (or set POS_KEYS to where it is); every till of "
            "a store signs and checks with the same keys."
        )
    target = key_file_for(path)
    new = store_keys.read_bytes()
    if target.exists() and target.read_bytes() == new:
        return False
    staging = target.with_name(target.name + ".new")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(new)
        out.flush()
        os.fsync(out.fileno())
    staging.replace(target)
    return True


def make_till_file(
    path: Path, url: str, till: str, store_keys: Path, *, replace: bool = False
) -> None:
    """Make ``path`` a new, empty till file of the store at ``url`` (the first pull fills
    it). The receipt counter and the Z numbers go on from the server's, so a till that
    used to sell on the server directly keeps its numbering.

    A name another till file already sells under is refused (two files pushing as one
    till would mix their receipts), unless ``replace``: the till's own file was lost for
    good and this one takes its name over, with the day it had open (its Z then counts
    the sales of this file; the store's report has all of them). The old file's sales that
    never reached the server stay in it; its pushes are refused from now on.

    Raises:
        DatabaseOpenError: the server cannot be reached or is not a store, the name is
            taken, the till has a day open on the server, or the key file is missing.
            Nothing is left behind.
    """
    from pos.db.sync.store import StoreServer  # psycopg: only for a store

    server = StoreServer(url)
    file_id = uuid.uuid4().hex
    try:
        server.connect()
        store_id, _ = server.meta()
        last_receipt, last_day, open_day = server.till_start(till)
        owner = server.owner(till)
        if owner is None or replace:
            server.register(till, file_id, datetime.now(UTC).isoformat(timespec="seconds"))
    except Exception as exc:
        raise DatabaseOpenError(f"cannot set up till {till} from the store: {exc}") from exc
    finally:
        server.close()
    if owner is not None and not replace:
        raise DatabaseOpenError(
            f"{till} already sells from another till file of this store (it last sent at "
            f"{owner[1]}). Start this till under another name (--till NAME); if that till's "
            f"file is lost for good, make this one take its name: "
            f"pos init --db FILE --store URL --till {till!r} --replace"
        )
    if open_day is not None and not replace:
        raise DatabaseOpenError(
            f"{till} has a trading day open on the store's server. Close it there (the Z "
            "report) before this till sells from its own file, so that day is counted once."
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = path.with_name(path.name + ".new")
    for leftover in staging.parent.glob(staging.name + "*"):
        leftover.unlink()
    copy_store_keys(store_keys, staging)
    db = open_database(staging, create=True)
    db.close()
    tf = TillFile(staging)
    try:
        with tf.writing() as conn:
            tf.set_state(conn, "store", public_url(url))
            tf.set_state(conn, "store_id", store_id)
            tf.set_state(conn, "till", till)
            tf.set_state(conn, "file_id", file_id)
            conn.execute("INSERT INTO setting (key, value) VALUES ('till_name', ?)", (till,))
            conn.execute(
                "INSERT INTO till_counter (till, last_receipt) VALUES (?, ?)", (till, last_receipt)
            )
            if last_day is not None:
                _copy_day(conn, last_day)
            if open_day is not None:  # a replaced till goes on with the day it had open
                _copy_day(conn, open_day)
    finally:
        tf.close()
    key_file_for(staging).replace(key_file_for(path))
    staging.replace(path)


def _copy_day(conn: Any, day: dict[str, Any]) -> None:
    day = {k: v for k, v in day.items() if k not in ("id", "audit_seq")}
    names = list(day)
    conn.execute(
        f"INSERT INTO till_day ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [day[n] for n in names],
    )

"""Errors the storage layer raises, free of any peewee type so services can catch them."""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

import peewee

log = logging.getLogger(__name__)


class DatabaseOpenError(Exception):
    """The database cannot be used: missing, not a POS database, damaged, too new, read-only.

    The message is written for a person, names the file and says what to do.
    """


class StorageError(Exception):
    """A change could not be saved; nothing of it was written.

    Attributes:
        kind: ``full``, ``io``, ``locked``, ``readonly``, ``damaged``, ``constraint``,
            ``offline`` (a database server that cannot be reached) or ``other``.
        detail: The database's own words for the root cause.
    """

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail

    @property
    def reason(self) -> str:
        """A short reason a cashier can act on."""
        return {
            "full": "the disk is full",
            "io": "the disk reported an error",
            "locked": "the database is busy (locked by another program)",
            "readonly": "the database is read-only",
            "damaged": "the database file is damaged",
            "constraint": "the change broke a data rule",
            "offline": "the database server cannot be reached",
        }.get(self.kind, "the database refused the change")

    @property
    def advice(self) -> str:
        """What to do about it, in words (follows :attr:`reason`)."""
        return {
            "full": "free some disk space, then try again",
            "io": "check the disk and run pos db check, then try again",
            "locked": "another program is using the database: close it or wait, then try again",
            "readonly": "make the database file and its folder writable, then try again",
            "damaged": "run pos db check and restore the database from a backup",
            "constraint": "check what was entered",
            "offline": "check the network and the server, then try again (nothing was lost)",
        }.get(self.kind, "try again; if it repeats, run pos db check")


def root_cause(exc: BaseException) -> BaseException:
    """The real error behind peewee's "cannot rollback - no transaction is active".

    When SQLite has already rolled back (disk full, I/O error), peewee's own
    ROLLBACK (or, in a nested block, ROLLBACK TO SAVEPOINT) fails and that failure
    hides the cause; the cause is in ``__context__``.
    """
    while exc.__context__ is not None and (
        "cannot rollback" in str(exc) or "no such savepoint" in str(exc)
    ):
        # (inside a nested block the savepoint went with the rolled-back transaction)
        exc = exc.__context__
    return exc


_SQLSTATE_KINDS = (  # PostgreSQL's error classes (SQLSTATE), most specific first
    ("53100", "full"),  # disk_full
    ("25006", "readonly"),  # read_only_sql_transaction
    ("40", "locked"),  # serialization failure, deadlock: another till's transaction
    ("55P03", "locked"),  # lock_not_available (lock_timeout)
    ("57014", "locked"),  # query_canceled (statement_timeout)
    ("57P", "offline"),  # the server is shutting down or restarting
    ("08", "offline"),  # connection exceptions
    ("23", "constraint"),  # integrity constraint violations
    ("22", "constraint"),  # data exceptions: a value of the wrong type or out of range
    ("XX001", "damaged"),  # data_corrupted
    ("XX002", "damaged"),  # index_corrupted
    ("58", "io"),  # system errors (I/O)
)


def _sqlstate(exc: BaseException) -> str | None:
    """The PostgreSQL error code behind a failure (peewee keeps the driver's error as
    its first argument), or None."""
    for candidate in (exc, *exc.args[:1], exc.__cause__, exc.__context__):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def _from_driver(exc: BaseException) -> bool:
    """An error of the PostgreSQL driver itself (raised where peewee does not wrap it:
    a raw cursor on the bulk paths). Known by its module, so SQLite's till never has
    to import the driver."""
    return type(exc).__module__.partition(".")[0] == "psycopg"


def classify(exc: BaseException) -> StorageError:
    """Turn any database-layer failure into a :class:`StorageError`."""
    cause = root_cause(exc)
    if isinstance(cause, StorageError):  # classified already, by an inner block
        return cause
    text = str(cause)
    low = text.lower()
    state = _sqlstate(cause)
    # a server that cannot be reached (the driver's words; no SQLSTATE comes with them)
    words = ("closed", "lost", "refused", "failed", "timeout", "timed out", "terminat")
    cut = ("connection" in low or "server" in low) and any(w in low for w in words)
    if state is not None or _from_driver(cause) or cut:
        kind = next((k for prefix, k in _SQLSTATE_KINDS if (state or "").startswith(prefix)), "")
        if not kind:
            kind = "offline" if cut else "other"
        return StorageError(kind, text.strip() or type(cause).__name__)
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        kind = "damaged"
    elif "full" in low:
        kind = "full"
    elif "disk i/o" in low or "i/o error" in low:
        kind = "io"
    elif "locked" in low or "busy" in low:
        kind = "locked"
    elif "readonly" in low or "read-only" in low:
        kind = "readonly"
    elif isinstance(cause, peewee.IntegrityError | sqlite3.IntegrityError | OverflowError):
        kind = "constraint"
    else:
        kind = "other"
    return StorageError(kind, text or type(cause).__name__)


STORAGE_FAILURES: tuple[type[BaseException], ...] = (
    peewee.DatabaseError,
    peewee.InterfaceError,
    sqlite3.Error,
    OverflowError,
    UnicodeEncodeError,
)


def is_sqlite(db: peewee.Database) -> bool:
    """SQLite (the till's own file), rather than a server database."""
    return isinstance(db, peewee.SqliteDatabase)


@contextmanager
def writing(db: peewee.Database) -> Iterator[None]:
    """One write transaction, with failures raised as :class:`StorageError`.

    On SQLite the transaction takes the write lock at BEGIN (``IMMEDIATE``), so it
    waits for another writer up front (busy timeout) instead of failing half way with
    "database is locked"; other databases get their default transaction.
    """
    lock = "IMMEDIATE" if isinstance(db, peewee.SqliteDatabase) else None
    with bound(db), storage_errors(), db.atomic(*([lock] if lock else [])):
        yield


@contextmanager
def one_write(db: peewee.Database) -> Iterator[None]:
    """A write of exactly one statement (the block runs one): :func:`writing`, except on a
    server outside any transaction, where the statement is a transaction of its own
    (peewee keeps the connection in autocommit): one round trip to the server instead of
    three (``BEGIN``, the statement, ``COMMIT``), as durable, and as atomic."""
    if is_sqlite(db) or db.in_transaction():
        with writing(db):
            yield
        return
    with bound(db), storage_errors():
        yield


@contextmanager
def bound(db: peewee.Database) -> Iterator[None]:
    """Point the models at ``db`` for the block.

    peewee binds model classes to one database at a time; binding around each
    repository call means two open databases in one process (a test, a tool working
    on two files) never send one's queries to the other. When every model already points
    at ``db`` (one open database, or a block inside another one's) there is nothing to
    bind: the till's own calls, a dozen to a sale, skip rebinding twenty models each.
    """
    from pos.db.models import MODELS

    if all(model._meta.database is db for model in MODELS):
        yield
        return
    with db.bind_ctx(MODELS, bind_refs=False, bind_backrefs=False):
        yield


@contextmanager
def storage_errors() -> Iterator[None]:
    """Re-raise any database failure inside the block as a :class:`StorageError`."""
    try:
        yield
    except STORAGE_FAILURES as exc:
        raise _logged(exc) from exc
    except Exception as exc:
        if not _from_driver(exc):
            raise
        raise _logged(exc) from exc


def _logged(exc: BaseException) -> StorageError:
    """:func:`classify`, noted in the till's log the first time (an inner block's error
    is not noted again). A broken rule is the caller's to judge (a replayed approval is
    refused by one), so only the other kinds are faults."""
    error = classify(exc)
    if error is not exc and error is not root_cause(exc):
        level = logging.DEBUG if error.kind == "constraint" else logging.WARNING
        log.log(level, "storage error: %s (%s)", error.reason, error.detail)
    return error


class OnDatabase(Protocol):
    """A repository: it works on one database."""

    @property
    def db(self) -> peewee.Database: ...


P = ParamSpec("P")
R = TypeVar("R")
Repo = TypeVar("Repo", bound=OnDatabase)


def reading(func: Callable[Concatenate[Repo, P], R]) -> Callable[Concatenate[Repo, P], R]:
    """Decorate a repository read (a method of an object with ``.db``): the models are
    bound to that database, and a damaged or unreadable file raises StorageError."""

    @functools.wraps(func)
    def wrapper(repo: Repo, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with bound(repo.db), storage_errors():
            return func(repo, *args, **kwargs)

    return wrapper

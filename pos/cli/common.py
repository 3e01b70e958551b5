"""What every ``pos`` command shares: the --db and --till options, the database it opens,
its error messages, and who it acts as in the audit log."""

from __future__ import annotations

import logging
import os
import pwd
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from pos.auth.anchor import anchor_file_for
from pos.auth.keys import KeyFileError, key_file_for, load_audit_key
from pos.config import (
    DB_ENV,
    TILL_ENV,
    DbTarget,
    default_db_path,
    describe,
    is_server,
    parse_target,
)
from pos.db.auth_repositories import AuditRepository
from pos.db.database import Database, open_database
from pos.db.errors import DatabaseOpenError, StorageError
from pos.db.repositories import SettingsRepository, owning_store, store_owned_message
from pos.domain.clock import SystemClock
from pos.services.store import StoreSettings, validate_setting

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)


class DatabaseTarget(click.ParamType):  # type: ignore[type-arg]  # generic in click 8.2+ stubs only
    """``--db``: a SQLite file, or a PostgreSQL URL (``postgresql://user:pw@host/db``)."""

    name = "FILE|URL"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> DbTarget:
        if isinstance(value, Path):
            return value
        text = str(value)
        if not text:
            self.fail("is empty", param, ctx)
        if "://" in text and not is_server(text):
            self.fail(f"{describe(text)}: only postgresql:// URLs are supported", param, ctx)
        target = parse_target(text)
        if isinstance(target, Path) and target.is_dir():
            self.fail(f"{target} is a folder, not a database file", param, ctx)
        return target


def db_option(func: F) -> F:
    """``--db`` on a command; :func:`db_path` falls back to an enclosing group's."""
    return click.option(
        "--db",
        "db",
        type=DatabaseTarget(),
        envvar=DB_ENV,
        help=f"The database file or postgresql:// URL (or ${DB_ENV}). Default: {default_db_path()}",
    )(func)


def db_path(ctx: click.Context, db: DbTarget | None) -> DbTarget:
    """The subcommand's --db, else the group's --db, else the default database."""
    if db is not None:
        return db
    outer = ctx.parent
    while outer is not None:  # a --db given to an enclosing group (pos --db X audit verify)
        if outer.params.get("db") is not None:
            return parse_target(outer.params["db"])
        outer = outer.parent
    return default_db_path()


def till_option(func: F) -> F:
    """``--till`` on a command; :func:`till_given` falls back to an enclosing group's."""
    return click.option(
        "--till",
        "till",
        help=f"The till it is for (as pos --till, or ${TILL_ENV}). Default: the till_name setting.",
    )(func)


def till_given(ctx: click.Context, till: str | None) -> str | None:
    """The subcommand's --till, else an enclosing group's --till (the group reads
    $POS_TILL too: pos --till X report, POS_TILL=X pos audit), else None; checked as the
    till_name setting is.

    Raises:
        click.BadParameter: not a till name.
    """
    context: click.Context | None = ctx
    value = till
    while value is None and context is not None:
        value = context.params.get("till")
        context = context.parent
    if value is None:
        return None
    try:
        return validate_setting("till_name", value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--till") from exc


def till_name(ctx: click.Context, till: str | None, database: Database) -> str:
    """The till a subcommand acts as or for: :func:`till_given`, else the setting."""
    given = till_given(ctx, till)
    return (
        given if given is not None else StoreSettings.load(SettingsRepository(database)).till_name
    )


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Show the till's own error messages instead of tracebacks."""
    try:
        yield
    except (DatabaseOpenError, StorageError) as exc:
        message = (
            f"not saved: {exc.reason} ({exc.detail}); {exc.advice}"
            if isinstance(exc, StorageError)
            else str(exc)
        )
        log.warning("command failed: %s", message)
        raise click.ClickException(message) from exc
    except BrokenPipeError:
        # the reader went away (`pos products export | head`): stop quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or exc}") from exc


@contextmanager
def _opened(path: DbTarget) -> Iterator[Database]:
    database = open_database(path)
    try:
        yield database
    finally:
        with friendly_errors():
            database.close()


def open_db(ctx: click.Context, path: DbTarget, *, changes: str | None = None) -> Database:
    """The command's database: opened here, once, and closed by click when the command
    ends, however it ends (``Context.with_resource``). A command that ``changes`` what a
    store's till takes from its store (its catalog, rules, operators, settings) is refused
    on such a till's file, with where to make the change instead.

    Raises:
        DatabaseOpenError: as :func:`pos.db.database.open_database` (call it inside
            :func:`friendly_errors`).
        click.ClickException: a store's till, for a change of ``changes``.
    """
    database = ctx.with_resource(_opened(path))
    store = owning_store(database) if changes is not None else None
    if store is not None and changes is not None:
        raise click.ClickException(store_owned_message(store, changes))
    return database


def cli_actor() -> str:
    """Who ran the command, for the audit log's operator field: ``os:<user>``.

    The user is the account the process runs as (from its uid, not from ``$USER``,
    which anyone can set), so a change made on the command line, where no operator
    logs in, is attributable. Operator numbers are digits: ``os:`` never looks like one.
    """
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:  # no account for the uid (e.g. in a container)
        name = f"uid{uid}"
    return f"os:{name}"[:64]


def audit_log(
    database: Database, path: DbTarget, ctx: click.Context | None = None
) -> AuditRepository:
    """The audit log as the command line writes to it: its till is the one the command
    is for (``--till``, ``$POS_TILL`` or the setting) and "(command line)"."""
    till = till_name(ctx or click.get_current_context(), None, database)
    try:
        key = load_audit_key(key_file_for(path))
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    keys = key_file_for(path)
    return AuditRepository(
        database, SystemClock(), f"{till} (command line)", key, anchor=anchor_file_for(keys)
    )

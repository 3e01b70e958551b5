"""``pos settings``: show and change the store settings."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import click

from pos.cli.common import audit_log, cli_actor, db_option, db_path, friendly_errors, open_db
from pos.config import DbTarget
from pos.db.database import till_lock
from pos.db.errors import DatabaseOpenError
from pos.db.repositories import SettingsRepository
from pos.services.store import (
    SETTING_DEFAULTS,
    set_setting_audited,
    settings_help,
    validate_setting,
)


@click.group(
    "settings",
    # \b: click keeps the lines of the list as they are
    help="Store settings (pos settings set KEY VALUE):\n\n\b\n" + settings_help(),
)
def settings_group() -> None:
    """Store settings (the help lists them all, from pos.services.store.SETTINGS)."""


@settings_group.command("show")
@db_option
@click.pass_context
def settings_show(ctx: click.Context, db: DbTarget | None) -> None:
    """Print every setting."""
    path = db_path(ctx, db)
    with friendly_errors():
        values = {**SETTING_DEFAULTS, **SettingsRepository(open_db(ctx, path)).all()}
    for key, value in values.items():
        click.echo(f"{key} = {value}")


@settings_group.command("set", short_help="Change one setting.")
@db_option
@click.argument("key")
@click.argument("value")
@click.pass_context
def settings_set(ctx: click.Context, db: DbTarget | None, key: str, value: str) -> None:
    """Change one setting, e.g. ``pos settings set store_name "Corner Shop"``."""
    path = db_path(ctx, db)
    try:
        stored = validate_setting(key, value)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with friendly_errors():
        database = open_db(ctx, path, changes="settings")
        settings = SettingsRepository(database)
        with contextlib.ExitStack() as held:
            if key == "till_name":
                current = settings.get(key, SETTING_DEFAULTS[key])
                if current != stored:  # held until written: the till cannot start between
                    held.enter_context(_closed_till(path, current))
            set_setting_audited(settings, audit_log(database, path), cli_actor(), key, stored)
    click.echo(f"{key} = {stored}")


@contextlib.contextmanager
def _closed_till(path: DbTarget, till: str) -> Iterator[None]:
    """The till lock of ``till``, held while its name is changed: a till renamed under its
    own feet would sell on under a name whose lock it does not hold (its open cart, trading
    day and receipt numbers go by its name), so the change is refused while that till is
    open on this database."""
    lock = till_lock(path, till)
    try:
        lock.acquire()
    except DatabaseOpenError as exc:
        raise click.ClickException(
            f"Not changed: {till} is open on this database, or its lock cannot be taken "
            f"({exc}), and a running till keeps its name (its receipt numbers and open cart "
            "go by it). Close the till (Ctrl+Q), then set till_name again."
        ) from None
    try:
        yield
    finally:
        lock.release()

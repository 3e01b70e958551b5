"""``pos settings``: show and change the store settings."""

from __future__ import annotations

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
        if key == "till_name":
            _refuse_while_open(path, SettingsRepository(database).get(key, SETTING_DEFAULTS[key]))
        set_setting_audited(
            SettingsRepository(database), audit_log(database, path), cli_actor(), key, stored
        )
    click.echo(f"{key} = {stored}")


def _refuse_while_open(path: DbTarget, till: str) -> None:
    """A till renamed under its own feet would sell on under a name whose lock it does not
    hold (its open cart, trading day and receipt numbers go by its name): refused while the
    till the setting names is open on this database (its lock is held)."""
    lock = till_lock(path, till)
    try:
        lock.acquire()
    except DatabaseOpenError:
        raise click.ClickException(
            f"Not changed: {till} is open on this database, and a running till keeps its name "
            "(its receipt numbers and open cart go by it). Close the till (Ctrl+Q), then set "
            "till_name again."
        ) from None
    lock.release()

"""``pos db``: database maintenance."""

from __future__ import annotations

import click

from pos.cli.common import db_option, db_path, friendly_errors
from pos.config import DbTarget, describe
from pos.db.database import inspect_database
from pos.db.files import open_to_others
from pos.domain.text import plural
from pos.services.audit_check import changed_operators_at
from pos.services.coupons import products_in_coupon_range_at


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("check")
@db_option
@click.pass_context
def db_check(ctx: click.Context, db: DbTarget | None) -> None:
    """Print the schema version, SQLite's integrity check (on a server: that every table
    reads) and row counts (read-only); warn about a database or key file other users can
    read."""
    path = db_path(ctx, db)
    with friendly_errors():
        found = inspect_database(path)
    for problem in open_to_others(path):
        click.echo(problem.warning(), err=True)
    click.echo(f"database: {describe(path)}")
    click.echo(f"schema version: {found.version} ({found.version_note})")
    click.echo(f"integrity: {'; '.join(found.integrity)}")
    for table, count in found.counts.items():
        click.echo(f"{table:<14} {'unreadable' if count is None else f'{count:,}':>12}")
    if not found.ok:
        raise click.ClickException("the database is damaged: restore it from a backup")
    with friendly_errors():
        for warning in products_in_coupon_range_at(path, found.version):
            click.echo(f"warning: {warning}", err=True)
        changed = changed_operators_at(path, found.version)
    for change in changed:
        click.echo(f"changed: {change}", err=True)
    if changed:
        raise click.ClickException(
            f"{plural(len(changed), 'operator')} changed outside the till (listed above)"
        )

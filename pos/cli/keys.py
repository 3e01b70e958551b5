"""``pos keys``: the token signing key beside the database."""

from __future__ import annotations

import click

from pos.auth.keys import KeyFileError, key_file_for, load_seal_key, rotate
from pos.cli.common import (
    audit_log,
    cli_actor,
    db_option,
    db_path,
    friendly_errors,
    open_db,
    till_option,
)
from pos.config import DbTarget
from pos.db.auth_repositories import OperatorRepository
from pos.domain.clock import SystemClock


@click.group("keys")
def keys_group() -> None:
    """The token signing key, kept beside the database (mode 0600)."""


@keys_group.command("rotate")
@db_option
@till_option
@click.option(
    "--retire-now",
    is_flag=True,
    help="After a compromise: the old keys go at once, and every token they signed "
    "(every session) is refused from the next check on; everyone logs in again.",
)
@click.pass_context
def keys_rotate(
    ctx: click.Context, db: DbTarget | None, till: str | None, retire_now: bool
) -> None:
    """Make a new signing key; the old one verifies only until its tokens expire (with
    --retire-now, not at all)."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path)
        had_file = key_file_for(path).exists()
        try:
            kid = rotate(
                key_file_for(path),
                SystemClock().now(),
                retire_now=retire_now,
                peppers_in_use=OperatorRepository(database).pepper_ids(),
            )
        except KeyFileError as exc:
            raise click.ClickException(str(exc)) from exc
        details: dict[str, object] = {"kid": kid}
        if retire_now:
            details["retired"] = "all older keys"
        log = audit_log(database, path)
        if not had_file:  # a new audit key: what came before cannot be verified with it
            log.restart_chain(cli_actor(), "the key file was missing; a new one was made")
            # and the operator rows' seals neither: sealed again, as they now are
            seal = load_seal_key(key_file_for(path))
            details["operators_resealed"] = OperatorRepository(database, seal).reseal_all()
        log.append("key_rotation", cli_actor(), details)
    if not had_file:
        click.echo(
            f"The key file was missing: made a new one ({key_file_for(path)}). Audit entries "
            "made before it cannot be verified with the new key; a signed 'chain restarted' "
            "entry now marks where they end, and pos audit verify checks the rest. "
            "Everyone must log in again, and the PINs were hashed with the lost file's "
            "pepper: set each operator's PIN again with pos operators set-pin. The "
            "operator records were sealed again with the new key as they are now: check "
            "them with pos operators list.",
            err=True,
        )
    click.echo(f"new signing key {kid}")
    if retire_now and had_file:
        click.echo("older keys retired: every session ends at its next check; log in again")

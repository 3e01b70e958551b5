"""``pos audit``: print and verify the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from pos.auth.audit import printable
from pos.auth.keys import key_file_for
from pos.cli.common import (
    audit_log,
    db_option,
    db_path,
    friendly_errors,
    open_db,
    till_given,
    till_option,
)
from pos.config import DbTarget
from pos.db.auth_repositories import till_chains
from pos.domain.text import plural
from pos.services.audit_check import changed_operator_rows, check_audit, check_till_chains


def _since(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """``--since`` as the audit log writes its times (UTC, to the second), so the log's
    text comparison means "at or after": a date is its midnight, a time without an
    offset is UTC, one with an offset is converted.

    Raises:
        click.BadParameter: not a date or date-time (exit status 2).
    """
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        raise click.BadParameter(
            f"{value!r} is not a date or time; give a date like 2026-03-14 or a date and "
            "time like 2026-03-14T09:30 (UTC unless it ends with an offset like +01:00)",
            param_hint="--since",
        ) from None


def _of_till(entry_till: str, till: str) -> bool:
    """An audit entry made by ``till`` itself or by the command line for it."""
    return entry_till in (till, f"{till} (command line)")


@click.group("audit", invoke_without_command=True)
@db_option
@till_option
@click.option(
    "--since",
    callback=_since,
    help="Only entries at or after this date or date-time (ISO 8601, e.g. 2026-03-14 or "
    "2026-03-14T09:30; UTC unless an offset is given).",
)
@click.pass_context
def audit_group(
    ctx: click.Context, db: DbTarget | None, till: str | None, since: str | None
) -> None:
    """Print the audit log (oldest first); with --till (or $POS_TILL), that till's
    entries only (the till's own and its command line's)."""
    if ctx.invoked_subcommand is not None:
        return
    path = db_path(ctx, db)
    only = till_given(ctx, till)
    with friendly_errors():
        log = audit_log(open_db(ctx, path), path)
        for entry in log.entries(since):
            if only is not None and not _of_till(entry.till, only):
                continue
            who = entry.operator or "-"
            where = printable(entry.till)
            click.echo(
                f"{entry.seq:>6}  {entry.at}  {where:<16}  {printable(who):>8}  "
                f"{entry.event:<22}  {printable(entry.details)}"
            )


@audit_group.command("verify")
@db_option
@till_option
@click.pass_context
def audit_verify(ctx: click.Context, db: DbTarget | None, till: str | None) -> None:
    """Check the whole audit log: lists every entry changed, unlinked or missing (also at
    the end, against the anchor beside the key file), and, after a lost key file, where
    the chain restarted. The chain is the whole database's (every till's entries): all of
    it is checked; with --till (or $POS_TILL) the line also counts that till's entries.
    On a store's server, each till's own chain (sent by its sync) is checked too."""
    path = db_path(ctx, db)
    only = till_given(ctx, till)
    with friendly_errors():
        database = open_db(ctx, path)
        log = audit_log(database, path)
        entries = list(log.entries())
        found = check_audit(entries, log.key, log.anchor)
        tills = check_till_chains(till_chains(database), log.key)
        changed = changed_operator_rows(key_file_for(path))
    found.problems.extend(tills.problems)
    found.notes.extend(tills.notes)
    if tills.summary:
        found.summary += f"; {tills.summary}"
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    for problem in changed:
        click.echo(f"changed: {problem}", err=True)
    if found.problems:
        for problem in found.problems:
            click.echo(f"broken: {problem}", err=True)
        raise click.ClickException(found.headline() + " (listed above)")
    if changed:
        raise click.ClickException(
            f"{plural(len(changed), 'operator')} changed outside the till (listed above)"
        )
    head = found.summary
    if only is not None:
        mine = sum(_of_till(entry.till, only) for entry in entries)
        head += f"; {mine} of them from {printable(only)}"
    click.echo(head)

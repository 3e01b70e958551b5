"""``pos display``: the customer display, following a till from a second terminal."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pos.cli.common import db_option, db_path, friendly_errors, till_given, till_option
from pos.config import describe

log = logging.getLogger(__name__)


@click.command("display")
@db_option
@till_option
@click.pass_context
def display_command(ctx: click.Context, db: Path | str | None, till: str | None) -> None:
    """The customer display: the till's last item, running total, savings and, after a
    sale, the amount paid, the change and thanks; run it in a second terminal (a small
    screen facing the customer). It reads the till's file and never writes to it; the
    till may start and stop while it runs. For a store (a postgresql:// URL) give --till:
    it follows that till's own file on this machine. Ctrl+Q quits."""
    target = db_path(ctx, db)
    name = till_given(ctx, till)
    if isinstance(target, str):  # a store's URL: the till sells from its own file here
        if name is None:
            raise click.UsageError(
                f"{describe(target)} is a store: give --till NAME (the till to follow), or "
                "--db the till's own file"
            )
        from pos.db.sync.enrol import till_file_for  # the sync's modules load psycopg

        path = till_file_for(target, name)
        if not path.exists():
            raise click.ClickException(
                f"till {name} of {describe(target)} has no file on this machine ({path}): "
                "start the till first, or point --db at the till's own file"
            )
    else:
        path = target
    with friendly_errors():
        from pos.display_app import make_display_app  # Textual loads only for the display

        app = make_display_app(path, name)
    log.info("customer display of %s on %s", app.follower.till, path)
    app.run()

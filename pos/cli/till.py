"""``pos`` with no command: the till itself."""

from __future__ import annotations

import logging

import click

from pos import __version__
from pos.cli.common import friendly_errors
from pos.config import DbTarget, default_db_path, describe
from pos.domain.clock import SystemClock, UuidIds
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.store import validate_setting
from pos.services.store_setup import init_database

log = logging.getLogger(__name__)


def run_till(db: DbTarget | None, till: str | None) -> None:
    """Start the till on ``db`` (the default database, made with the demo data on first
    run, when None) as the till named ``till`` (the till_name setting when None)."""
    if till is not None:
        try:
            till = validate_setting("till_name", till)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--till") from exc
    path: DbTarget = db if db is not None else default_db_path()
    with friendly_errors():
        if db is None and not (first := default_db_path()).exists():
            first.parent.mkdir(parents=True, exist_ok=True)
            init_database(
                first, demo_catalog=DEMO_CATALOG, demo_discounts=DEMO_DISCOUNTS, demo_operators=True
            )
            click.echo(f"Created the demo database at {first}", err=True)
        from pos.factory import make_app  # Textual loads only for the till itself

        log.info("till starting: pos %s on %s", __version__, describe(path))
        app = make_app(path, clock=SystemClock(), ids=UuidIds(), till_name=till)
    app.run()
    log.info("till stopped")

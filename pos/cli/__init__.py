"""The ``pos`` command: the till itself, and the set-up and maintenance commands.

The group and its own options are here; each command group is a module of its own
(:mod:`pos.cli.setup`, :mod:`pos.cli.products`, ...), and what they share (--db, --till,
the database a command opens, its error messages) is in :mod:`pos.cli.common`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from pos import __version__
from pos.cli.audit import audit_group
from pos.cli.basket import basket_command
from pos.cli.common import db_option
from pos.cli.coupons import coupons_group
from pos.cli.db import db_group
from pos.cli.discounts import discounts_group
from pos.cli.display import display_command
from pos.cli.keys import keys_group
from pos.cli.operators import operators_group
from pos.cli.products import products_group
from pos.cli.report import report_command
from pos.cli.settings import settings_group
from pos.cli.setup import demo_data, init
from pos.cli.till import run_till
from pos.cli.vouchers import vouchers_group
from pos.config import TILL_ENV, DbTarget, default_db_path
from pos.db.files import private
from pos.logs import LOG_ENV, configure_logging

__all__ = ["cli", "main"]

log = logging.getLogger(__name__)


@click.group(
    invoke_without_command=True,
    epilog=f"Default database: {default_db_path()} (created with the demo data on first run).",
    # the subcommands inherit it: pos products import -h
    context_settings={"help_option_names": ["-h", "--help"]},
)
@db_option
@click.option(
    "--till",
    "till",
    envvar=TILL_ENV,
    help=f"This till's name (or ${TILL_ENV}), for several tills on one database; each has "
    "its own cart, receipt numbers and day. Default: the till_name setting.",
)
@click.option(
    "--log-dir",
    "log_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar=LOG_ENV,
    help=f"The folder of the till's log (or ${LOG_ENV}). Default: the user's log folder.",
)
@click.version_option(__version__, prog_name="pos")
@click.pass_context
def cli(ctx: click.Context, db: DbTarget | None, till: str | None, log_dir: Path | None) -> None:
    """A point of sale for the terminal. With no command, starts the till."""
    private()  # before anything is made: every file 0600, every folder 0700
    configure_logging(log_dir)
    if ctx.invoked_subcommand is not None:
        log.info("pos %s %s", __version__, ctx.invoked_subcommand)
        return
    run_till(db, till)


for _command in (
    init,
    demo_data,
    products_group,
    db_group,
    settings_group,
    discounts_group,
    coupons_group,
    basket_command,
    operators_group,
    keys_group,
    audit_group,
    report_command,
    display_command,
    vouchers_group,
):
    cli.add_command(_command)
del _command


def main() -> None:
    """Entry point of the ``pos`` script."""
    cli(prog_name="pos")

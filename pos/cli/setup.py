"""``pos init`` and ``pos demo-data``: make a database."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from pos.auth.keys import key_file_for
from pos.cli.common import db_option, db_path, friendly_errors, till_given, till_option
from pos.config import KEYS_ENV, DbTarget, describe, is_server
from pos.domain.clock import SystemClock
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.store_setup import init_database


@click.command("init")
@db_option
@click.option("--demo", is_flag=True, help="Add the demo catalog and discounts from data/.")
@click.option("--force", is_flag=True, help="Replace an existing, non-empty database.")
@click.option(
    "--store",
    metavar="URL",
    help="Make --db a till file of the store at this postgresql:// URL, filled from it.",
)
@till_option
@click.option(
    "--replace",
    is_flag=True,
    help="With --store: take over the name of a till whose own file is lost for good.",
)
@click.pass_context
def init(
    ctx: click.Context,
    db: DbTarget | None,
    demo: bool,
    force: bool,
    store: str | None,
    till: str | None,
    replace: bool,
) -> None:
    """Create a database with the current schema (or, with --store, a till's own file of a
    store, which then sells from it with pos --db FILE)."""
    path = db_path(ctx, db)
    if store is not None:
        _init_store_till(ctx, path, store, till_given(ctx, till), replace)
        return
    if replace:
        raise click.UsageError("--replace goes with --store")
    with friendly_errors():
        report = init_database(
            path,
            demo_catalog=DEMO_CATALOG if demo else None,
            demo_discounts=DEMO_DISCOUNTS if demo else None,
            demo_operators=demo,
            force=force,
        )
    click.echo(f"Created {describe(path)}")
    if is_server(path):
        click.echo(
            f"Signing keys: {key_file_for(path)}. Every till of the store needs this same "
            f"file: copy it to each (same place, or name it in ${KEYS_ENV})."
        )
    if report.demo is not None:
        click.echo(f"Demo catalog: {report.demo.summary()}")
    if report.rules is not None:
        click.echo(f"Demo discounts: {report.rules.summary()}")
    if demo:
        click.echo("Demo operators: cashier 1001 (PIN 2580), manager 9001 (PIN 7391)")
    else:
        click.echo("No operators yet: the till asks for the first manager when it starts")


def _init_store_till(
    ctx: click.Context, path: DbTarget, store: str, till: str | None, replace: bool
) -> None:
    if is_server(path):
        raise click.BadParameter("a till's own file is a file: give its path", param_hint="--db")
    if not is_server(store):
        raise click.BadParameter("the store's server: a postgresql:// URL", param_hint="--store")
    from pos.services.store_till import make_store_till  # psycopg: only for a store

    counts: dict[str, int] = {}

    def progress(table: str, rows: int) -> None:
        counts[table] = counts.get(table, 0) + rows

    with friendly_errors():
        name = make_store_till(
            Path(path), store, till, SystemClock(), replace=replace, progress=progress
        )
    took = ", ".join(f"{n:,} {table.replace('_', ' ')} rows" for table, n in counts.items())
    click.echo(f"Created {path}: {name} of the store at {describe(store)} ({took or 'empty'})")
    click.echo(f"Start it with: pos --db {path}")


@click.command("demo-data")
@db_option
@till_option
@click.option(
    "--products",
    "n_products",
    type=click.IntRange(0),
    default=1_000_000,
    show_default=True,
    help="Generated products (the demo catalog comes on top).",
)
@click.option(
    "--rules",
    "n_rules",
    type=click.IntRange(0),
    default=500,
    show_default=True,
    help="Discount rules, of every kind.",
)
@click.option(
    "--sales",
    "n_sales",
    type=click.IntRange(0),
    default=10_000,
    show_default=True,
    help="Completed sales over the year 2026.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="The same seed and sizes make the same data.",
)
@click.option("--force", is_flag=True, help="Replace an existing, non-empty database.")
@click.pass_context
def demo_data(
    ctx: click.Context,
    db: DbTarget | None,
    till: str | None,
    n_products: int,
    n_rules: int,
    n_sales: int,
    seed: int,
    force: bool,
) -> None:
    """Create a large demo database (deterministic) for benchmarks or to try the till at
    scale: the demo operators and catalog as ``pos init --demo``, plus generated products,
    rules and a year of sales (sales made here have no audit-log entries)."""
    from pos.services.demo_data import DemoReport, generate_demo_data

    path = db_path(ctx, db)
    for_till = till_given(ctx, till)  # the sales' till (default: the till_name setting)

    def generate(progress: Callable[[int], None] | None = None) -> DemoReport:
        return generate_demo_data(
            path,
            products=n_products,
            rules=n_rules,
            sales=n_sales,
            seed=seed,
            progress=progress,
            force=force,
            till=for_till,
        )

    with friendly_errors():
        try:
            if sys.stderr.isatty():
                total = n_products + n_rules + n_sales
                with click.progressbar(length=total, label="Generating", file=sys.stderr) as bar:
                    report = generate(bar.update)
            else:
                report = generate()
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {describe(path)}")
    click.echo(
        f"  products {report.products_seconds:.1f} s, rules {report.rules_seconds:.1f} s, "
        f"sales {report.sales_seconds:.1f} s ({report.sale_lines:,} lines); "
        f"{report.demo_products} demo catalog products added"
    )
    click.echo("Demo operators: cashier 1001 (PIN 2580), manager 9001 (PIN 7391)")
    click.echo(report.summary())

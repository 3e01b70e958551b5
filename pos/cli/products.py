"""``pos products``: import and export the catalog."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pos.cli.common import audit_log, cli_actor, db_option, db_path, friendly_errors, open_db
from pos.config import DbTarget
from pos.db.repositories import ProductRepository, SettingsRepository
from pos.domain.text import plural
from pos.services.catalog import CatalogService
from pos.services.store import StoreSettings

LARGE_FILE = 1_000_000
"""Imports of files bigger than this (bytes) show a progress bar."""


def data_rows(raw: bytes) -> int:
    """The rows of a CSV file less its header, for the progress bar (the last line
    may lack its newline)."""
    lines = raw.count(b"\n") + (bool(raw) and not raw.endswith(b"\n"))
    return max(lines - 1, 0)


@click.group("products")
def products_group() -> None:
    """Import and export the catalog (CSV: barcode,name,price[,tax_rate,unit,plu,min_age])."""


@products_group.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.pass_context
def products_import(ctx: click.Context, db: DbTarget | None, file: Path, dry_run: bool) -> None:
    """Import products from FILE; every row is checked first, and one bad row imports nothing."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path, changes="products")
        service = CatalogService(
            ProductRepository(database),
            StoreSettings.load(SettingsRepository(database)).patterns,
            None if dry_run else audit_log(database, path),
            cli_actor(),
        )
        if file.stat().st_size > LARGE_FILE and sys.stderr.isatty():
            rows = data_rows(file.read_bytes())
            with click.progressbar(length=rows * 2, label="Importing", file=sys.stderr) as bar:
                report = service.import_csv(file, dry_run=dry_run, progress=bar.update)
        else:
            report = service.import_csv(file, dry_run=dry_run)
    if not report.ok:
        shown = report.errors[:50]
        for error in shown:
            click.echo(f"{file.name}: {error}", err=True)
        if len(report.errors) > len(shown):
            click.echo(f"... and {plural(len(report.errors) - len(shown), 'more error')}", err=True)
        raise click.ClickException(
            f"{plural(len(report.errors), 'bad row')} in {file.name}: nothing was imported"
        )
    click.echo(report.summary())


@products_group.command("export")
@db_option
@click.argument(
    "file", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=False
)
@click.pass_context
def products_export(ctx: click.Context, db: DbTarget | None, file: Path | None) -> None:
    """Write the catalog as CSV to FILE (or standard output)."""
    path = db_path(ctx, db)
    with friendly_errors():
        service = CatalogService(ProductRepository(open_db(ctx, path)))
        if file is None:
            count = service.export_csv(sys.stdout)
        else:
            tmp = file.with_name(file.name + ".tmp")
            with tmp.open("w", encoding="utf-8", newline="") as out:
                count = service.export_csv(out)
            tmp.replace(file)  # never leave a half-written export behind
    if file is not None:
        click.echo(f"exported {plural(count, 'product', sep=',')} to {file}", err=True)

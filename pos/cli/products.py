"""``pos products``: import, export and search the catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from pos.cli.common import audit_log, cli_actor, db_option, db_path, friendly_errors, open_db
from pos.config import DbTarget
from pos.db.errors import is_sqlite
from pos.db.product_search import ProductSearch, ensure_search_index
from pos.db.repositories import ProductRepository, SettingsRepository
from pos.domain.catalog import Unit
from pos.domain.money import format_money
from pos.domain.search import Found, SearchError, SearchRebuilding
from pos.domain.text import cell_len, pad_right, plural, visible
from pos.services.catalog import CatalogService
from pos.services.search import MAX_LIMIT, CatalogSearch
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


@products_group.command("search")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option(
    "--limit",
    type=int,
    default=20,
    show_default=True,
    help=f"At most this many products (1 to {MAX_LIMIT}).",
)
@click.argument("text")
@click.pass_context
def products_search(
    ctx: click.Context, db: DbTarget | None, as_json: bool, limit: int, text: str
) -> None:
    """Find products by words of their names (any order, any case, accents aside: 'sem sk'
    finds 'Semi-skimmed milk'), or by a PLU or barcode typed whole (listed first)."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path)
        if not is_sqlite(database):  # a large import killed before its build left none
            ensure_search_index(database)
        search = CatalogSearch(ProductRepository(database), ProductSearch(database))
        try:
            results = search.find(text, limit)
        except SearchRebuilding as exc:  # not the command's fault: said, exit status 1
            raise click.ClickException(str(exc)) from None
        except SearchError as exc:
            raise click.UsageError(str(exc)) from None
    if as_json:
        click.echo(json.dumps([_found_json(f) for f in results], indent=2, ensure_ascii=False))
        return
    if not results.found:
        click.echo(f"no product matches {visible(text)!r}")
        return
    width = max(cell_len(visible(f.name)) for f in results)
    for found in results:
        price = format_money(found.price) + ("/kg" if found.unit is Unit.KG else "")
        name = pad_right(visible(found.name), width)
        click.echo(f"{found.barcode:<13}  {found.plu or '':<5}  {name}  {price:>10}")
    if results.more:
        click.echo(
            f"(more products match: type more of the name, or --limit up to {MAX_LIMIT})",
            err=True,
        )


def _found_json(found: Found) -> dict[str, object]:
    """One product of ``pos products search --json``: money as a decimal string."""
    return {
        "barcode": found.barcode,
        "name": found.name,
        "price": format_money(found.price),
        "plu": found.plu,
    }

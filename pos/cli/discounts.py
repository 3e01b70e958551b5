"""``pos discounts``: import, export and list the discount rules."""

from __future__ import annotations

import sys
from pathlib import Path

import click

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
from pos.db.database import Database
from pos.db.repositories import DiscountRepository, ProductRepository
from pos.domain.text import plural
from pos.services.basket import rule_summary
from pos.services.discounts import DiscountService


@click.group("discounts")
def discounts_group() -> None:
    """Discount rules: import, export and list (JSON: {"discounts": [...]})."""


def _discount_service(database: Database, path: DbTarget) -> DiscountService:
    audit = audit_log(database, path)
    return DiscountService(
        DiscountRepository(database), ProductRepository(database), audit, actor=cli_actor()
    )


@discounts_group.command("import")
@db_option
@till_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def discounts_import(ctx: click.Context, db: DbTarget | None, till: str | None, file: Path) -> None:
    """Import rules from FILE; every rule is checked first, and one bad rule imports nothing."""
    path = db_path(ctx, db)
    with friendly_errors():
        report = _discount_service(open_db(ctx, path, changes="discount rules"), path).import_json(
            file
        )
    if not report.ok:
        for error in report.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(f"{file.name}: nothing was imported")
    click.echo(report.summary())


@discounts_group.command("export")
@db_option
@till_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.pass_context
def discounts_export(
    ctx: click.Context, db: DbTarget | None, till: str | None, file: Path | None
) -> None:
    """Write every rule as JSON to FILE (or standard output)."""
    path = db_path(ctx, db)
    with friendly_errors():
        service = _discount_service(open_db(ctx, path), path)
        if file is None:
            service.export_json(sys.stdout)
        else:
            tmp = file.with_name(file.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as out:
                count = service.export_json(out)
            tmp.replace(file)
            click.echo(f"exported {plural(count, 'rule')} to {file}", err=True)


@discounts_group.command("list")
@db_option
@till_option
@click.pass_context
def discounts_list(ctx: click.Context, db: DbTarget | None, till: str | None) -> None:
    """Print the rules as a table."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path)
        rules = _discount_service(database, path).all()
        products = ProductRepository(database)

        def name_of(code: str) -> str:
            product = products.get(code)
            return product.name if product else code

        rows = [rule_summary(rule, name_of) for rule in rules]
    if not rows:
        click.echo("no discount rules")
        return
    headings = ("name", "kind", "condition", "reward", "prio", "excl", "group", "active", "when")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())

"""The ``pos`` command: the till itself, and the set-up and maintenance commands."""

from __future__ import annotations

import json
import logging
import os
import pwd
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from pos import __version__
from pos.auth.anchor import anchor_file_for
from pos.auth.audit import printable
from pos.auth.keys import (
    KeyFileError,
    key_file_for,
    load_audit_key,
    load_peppers,
    load_seal_key,
    rotate,
)
from pos.auth.pins import PinHasher
from pos.auth.roles import ROLES
from pos.config import (
    DB_ENV,
    KEYS_ENV,
    TILL_ENV,
    DbTarget,
    default_db_path,
    describe,
    is_server,
    parse_target,
)
from pos.db.auth_repositories import AuditRepository, OperatorRepository, TokenStateRepository
from pos.db.database import Database, open_database
from pos.db.errors import DatabaseOpenError, StorageError
from pos.db.files import open_to_others, private
from pos.db.repositories import DiscountRepository, ProductRepository, SettingsRepository
from pos.domain.clock import SystemClock, UuidIds
from pos.domain.money import format_money
from pos.domain.receipt import render_priced
from pos.domain.text import plural
from pos.logs import LOG_ENV, configure_logging
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.audit_check import changed_operator_rows, changed_operators_at, check_audit
from pos.services.basket import BasketError, basket_json, build_cart, price_basket, rule_summary
from pos.services.catalog import CatalogService
from pos.services.discounts import DiscountService
from pos.services.guarded import ShellAuthority
from pos.services.operators import OperatorAdmin, OperatorError
from pos.services.store import (
    SETTING_DEFAULTS,
    StoreSettings,
    init_database,
    set_setting_audited,
    settings_help,
    validate_setting,
)

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger(__name__)

LARGE_FILE = 1_000_000
"""Imports of files bigger than this (bytes) show a progress bar."""


class DatabaseTarget(click.ParamType):
    """``--db``: a SQLite file, or a PostgreSQL URL (``postgresql://user:pw@host/db``)."""

    name = "FILE|URL"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None):
        if isinstance(value, Path):
            return value
        text = str(value)
        if not text:
            self.fail("is empty", param, ctx)
        if "://" in text and not is_server(text):
            self.fail(f"{describe(text)}: only postgresql:// URLs are supported", param, ctx)
        target = parse_target(text)
        if isinstance(target, Path) and target.is_dir():
            self.fail(f"{target} is a folder, not a database file", param, ctx)
        return target


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db",
        type=DatabaseTarget(),
        envvar=DB_ENV,
        help=f"The database file or postgresql:// URL (or ${DB_ENV}). Default: {default_db_path()}",
    )(func)


def _db_path(ctx: click.Context, db: DbTarget | None) -> DbTarget:
    """The subcommand's --db, else the group's --db, else the default database."""
    if db is not None:
        return db
    outer = ctx.parent
    while outer is not None:  # a --db given to an enclosing group (pos --db X audit verify)
        if outer.params.get("db") is not None:
            return parse_target(outer.params["db"])
        outer = outer.parent
    return default_db_path()


def till_option(func: F) -> F:
    return click.option(
        "--till",
        "till",
        help=f"The till it is for (as pos --till, or ${TILL_ENV}). Default: the till_name setting.",
    )(func)


def _till_given(ctx: click.Context, till: str | None) -> str | None:
    """The subcommand's --till, else an enclosing group's --till (the group reads
    $POS_TILL too: pos --till X report, POS_TILL=X pos audit), else None; checked as the
    till_name setting is.

    Raises:
        click.BadParameter: not a till name.
    """
    context: click.Context | None = ctx
    value = till
    while value is None and context is not None:
        value = context.params.get("till")
        context = context.parent
    if value is None:
        return None
    try:
        return validate_setting("till_name", value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--till") from exc


def _till_name(ctx: click.Context, till: str | None, database: Database) -> str:
    """The till a subcommand acts as or for: :func:`_till_given`, else the setting."""
    given = _till_given(ctx, till)
    return (
        given if given is not None else StoreSettings.load(SettingsRepository(database)).till_name
    )


@contextmanager
def _friendly_errors() -> Iterator[None]:
    """Show the till's own error messages instead of tracebacks."""
    try:
        yield
    except (DatabaseOpenError, StorageError) as exc:
        message = (
            f"not saved: {exc.reason} ({exc.detail}); {exc.advice}"
            if isinstance(exc, StorageError)
            else str(exc)
        )
        log.warning("command failed: %s", message)
        raise click.ClickException(message) from exc
    except BrokenPipeError:
        # the reader went away (`pos products export | head`): stop quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or exc}") from exc


def data_rows(raw: bytes) -> int:
    """The rows of a CSV file less its header, for the progress bar (the last line
    may lack its newline)."""
    lines = raw.count(b"\n") + (bool(raw) and not raw.endswith(b"\n"))
    return max(lines - 1, 0)


@click.group(
    invoke_without_command=True,
    epilog=f"Default database: {default_db_path()} (created with the demo data on first run).",
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
    if till is not None:
        try:
            till = validate_setting("till_name", till)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--till") from exc
    path = db if db is not None else default_db_path()
    with _friendly_errors():
        if db is None and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            init_database(
                path, demo_catalog=DEMO_CATALOG, demo_discounts=DEMO_DISCOUNTS, demo_operators=True
            )
            click.echo(f"Created the demo database at {path}", err=True)
        from pos.factory import make_app  # Textual loads only for the till itself

        log.info("till starting: pos %s on %s", __version__, describe(path))
        app = make_app(path, clock=SystemClock(), ids=UuidIds(), till_name=till)
    app.run()
    log.info("till stopped")


@cli.command()
@db_option
@click.option("--demo", is_flag=True, help="Add the demo catalog and discounts from data/.")
@click.option("--force", is_flag=True, help="Replace an existing, non-empty database.")
@click.pass_context
def init(ctx: click.Context, db: DbTarget | None, demo: bool, force: bool) -> None:
    """Create a database with the current schema."""
    path = _db_path(ctx, db)
    with _friendly_errors():
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


@cli.command("demo-data")
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
    from pos.services.demo_data import generate_demo_data

    path = _db_path(ctx, db)
    sizes = {"products": n_products, "rules": n_rules, "sales": n_sales, "seed": seed}
    for_till = _till_given(ctx, till)  # the sales' till (default: the till_name setting)
    with _friendly_errors():
        try:
            if sys.stderr.isatty():
                total = n_products + n_rules + n_sales
                with click.progressbar(length=total, label="Generating", file=sys.stderr) as bar:
                    report = generate_demo_data(
                        path, **sizes, progress=bar.update, force=force, till=for_till
                    )
            else:
                report = generate_demo_data(path, **sizes, force=force, till=for_till)
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


@cli.group()
def products() -> None:
    """Import and export the catalog (CSV: barcode,name,price[,tax_rate][,unit])."""


@products.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.pass_context
def products_import(ctx: click.Context, db: DbTarget | None, file: Path, dry_run: bool) -> None:
    """Import products from FILE; every row is checked first, and one bad row imports nothing."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            service = CatalogService(
                ProductRepository(database),
                StoreSettings.load(SettingsRepository(database)).patterns,
                None if dry_run else _audit_log(database, path),
                cli_actor(),
            )
            if file.stat().st_size > LARGE_FILE and sys.stderr.isatty():
                rows = data_rows(file.read_bytes())
                with click.progressbar(length=rows * 2, label="Importing", file=sys.stderr) as bar:
                    report = service.import_csv(file, dry_run=dry_run, progress=bar.update)
            else:
                report = service.import_csv(file, dry_run=dry_run)
        finally:
            database.close()
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


@products.command("export")
@db_option
@click.argument(
    "file", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=False
)
@click.pass_context
def products_export(ctx: click.Context, db: DbTarget | None, file: Path | None) -> None:
    """Write the catalog as CSV to FILE (or standard output)."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            service = CatalogService(ProductRepository(database))
            if file is None:
                count = service.export_csv(sys.stdout)
            else:
                tmp = file.with_name(file.name + ".tmp")
                with tmp.open("w", encoding="utf-8", newline="") as out:
                    count = service.export_csv(out)
                tmp.replace(file)  # never leave a half-written export behind
        finally:
            database.close()
    if file is not None:
        click.echo(f"exported {plural(count, 'product', sep=',')} to {file}", err=True)


@cli.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("check")
@db_option
@click.pass_context
def db_check(ctx: click.Context, db: DbTarget | None) -> None:
    """Print the schema version, SQLite's integrity check (on a server: that every table
    reads) and row counts (read-only); warn about a database or key file other users can
    read."""
    from pos.db.database import inspect_database

    path = _db_path(ctx, db)
    with _friendly_errors():
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
    with _friendly_errors():
        changed = changed_operators_at(path, found.version)
    for problem in changed:
        click.echo(f"changed: {problem}", err=True)
    if changed:
        raise click.ClickException(
            f"{plural(len(changed), 'operator')} changed outside the till (listed above)"
        )


@cli.group(
    "settings",
    # \b: click keeps the lines of the list as they are
    help="Store settings (pos settings set KEY VALUE):\n\n\b\n" + settings_help(),
)
def settings_group() -> None:
    """Store settings (the help lists them all, from pos.services.store.SETTINGS)."""


@settings_group.command("show")
@db_option
@click.pass_context
def settings_show(ctx: click.Context, db: DbTarget | None) -> None:
    """Print every setting."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            values = {**SETTING_DEFAULTS, **SettingsRepository(database).all()}
        finally:
            database.close()
    for key, value in values.items():
        click.echo(f"{key} = {value}")


@settings_group.command("set", short_help="Change one setting.")
@db_option
@click.argument("key")
@click.argument("value")
@click.pass_context
def settings_set(ctx: click.Context, db: DbTarget | None, key: str, value: str) -> None:
    """Change one setting, e.g. ``pos settings set store_name "Corner Shop"``."""
    path = _db_path(ctx, db)
    try:
        stored = validate_setting(key, value)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with _friendly_errors():
        database = open_database(path)
        try:
            set_setting_audited(
                SettingsRepository(database), _audit_log(database, path), cli_actor(), key, stored
            )
        finally:
            database.close()
    click.echo(f"{key} = {stored}")


@cli.group()
def discounts() -> None:
    """Discount rules: import, export and list (JSON: {"discounts": [...]})."""


def cli_actor() -> str:
    """Who ran the command, for the audit log's operator field: ``os:<user>``.

    The user is the account the process runs as (from its uid, not from ``$USER``,
    which anyone can set), so a change made on the command line, where no operator
    logs in, is attributable. Operator numbers are digits: ``os:`` never looks like one.
    """
    uid = os.getuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:  # no account for the uid (e.g. in a container)
        name = f"uid{uid}"
    return f"os:{name}"[:64]


def _audit_log(
    database: Database, path: DbTarget, ctx: click.Context | None = None
) -> AuditRepository:
    """The audit log as the command line writes to it: its till is the one the command
    is for (``--till``, ``$POS_TILL`` or the setting) and "(command line)"."""
    till = _till_name(ctx or click.get_current_context(), None, database)
    try:
        key = load_audit_key(key_file_for(path))
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    keys = key_file_for(path)
    return AuditRepository(
        database, SystemClock(), f"{till} (command line)", key, anchor=anchor_file_for(keys)
    )


def _discount_service(database: Database, path: DbTarget) -> DiscountService:
    audit = _audit_log(database, path)
    return DiscountService(
        DiscountRepository(database), ProductRepository(database), audit, actor=cli_actor()
    )


@discounts.command("import")
@db_option
@till_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def discounts_import(ctx: click.Context, db: DbTarget | None, till: str | None, file: Path) -> None:
    """Import rules from FILE; every rule is checked first, and one bad rule imports nothing."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            report = _discount_service(database, path).import_json(file)
        finally:
            database.close()
    if not report.ok:
        for error in report.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(f"{file.name}: nothing was imported")
    click.echo(report.summary())


@discounts.command("export")
@db_option
@till_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.pass_context
def discounts_export(
    ctx: click.Context, db: DbTarget | None, till: str | None, file: Path | None
) -> None:
    """Write every rule as JSON to FILE (or standard output)."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            service = _discount_service(database, path)
            if file is None:
                service.export_json(sys.stdout)
            else:
                tmp = file.with_name(file.name + ".tmp")
                with tmp.open("w", encoding="utf-8") as out:
                    count = service.export_json(out)
                tmp.replace(file)
                click.echo(f"exported {plural(count, 'rule')} to {file}", err=True)
        finally:
            database.close()


@discounts.command("list")
@db_option
@till_option
@click.pass_context
def discounts_list(ctx: click.Context, db: DbTarget | None, till: str | None) -> None:
    """Print the rules as a table."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            rules = _discount_service(database, path).all()
            products = ProductRepository(database)

            def name_of(code: str) -> str:
                product = products.get(code)
                return product.name if product else code

            rows = [rule_summary(rule, name_of) for rule in rules]
        finally:
            database.close()
    if not rows:
        click.echo("no discount rules")
        return
    headings = ("name", "kind", "condition", "reward", "prio", "excl", "group", "active", "when")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@cli.command()
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of receipt text.")
@click.option("--at", "at_text", help="Price as at this local date and time (ISO 8601).")
@click.option("--width", type=click.Choice(["32", "42", "48"]), default="42", help="Text width.")
@click.argument("items", nargs=-1)
@click.pass_context
def basket(
    ctx: click.Context,
    db: DbTarget | None,
    as_json: bool,
    at_text: str | None,
    width: str,
    items: tuple[str, ...],
) -> None:
    """Price a basket without the till: ITEM is BARCODE or BARCODE:QTY (kg for weighed items).
    No ITEM prices the empty basket (total 0.00), as the till would."""
    path = _db_path(ctx, db)
    if at_text:
        try:
            at = datetime.fromisoformat(at_text)
        except ValueError:
            raise click.ClickException(
                f"--at {at_text!r} is not a date like 2026-12-24T17:00"
            ) from None
        if at.tzinfo is not None:
            at = at.astimezone().replace(tzinfo=None)
    else:
        at = SystemClock().now().astimezone().replace(tzinfo=None)
    with _friendly_errors():
        database = open_database(path)
        try:
            settings = StoreSettings.load(SettingsRepository(database))
            try:
                cart = build_cart(items, ProductRepository(database), settings.patterns)
            except BasketError as exc:
                raise click.ClickException(str(exc)) from exc
            priced = price_basket(cart, DiscountRepository(database).all(), at)
        finally:
            database.close()
    if as_json:
        click.echo(json.dumps(basket_json(cart, priced), indent=2, ensure_ascii=False))
    else:
        click.echo(render_priced(cart.lines, priced, cart.item_count, int(width)), nl=False)


def _read_pin(prompt: str) -> str:
    """A PIN from a hidden prompt, or the first line of standard input when it is not a
    terminal; never from the command line (it would show in the shell history)."""
    if sys.stdin.isatty():
        first = click.prompt(prompt, hide_input=True)
        again = click.prompt("Again", hide_input=True)
        if first != again:
            raise click.ClickException("the two PINs are different")
        return str(first)
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _operator_admin(database: Database, path: DbTarget) -> OperatorAdmin:
    token_now = lambda: int(time.time())  # noqa: E731 - the same clock tokens use
    audit = _audit_log(database, path)
    try:
        pins = PinHasher().with_peppers(load_peppers(key_file_for(path)))
        seal = load_seal_key(key_file_for(path))
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    return OperatorAdmin(
        OperatorRepository(database, seal),
        TokenStateRepository(database, token_now),
        audit,
        pins,
        token_now,
        authority=ShellAuthority(cli_actor()),  # the OS account: no operator logs in
    )


@cli.group()
def operators() -> None:
    """Operators: add, list, deactivate, reactivate, set-pin, unlock."""


@operators.command("add")
@db_option
@till_option
@click.option("--number", required=True, help="Operator number (digits).")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.pass_context
def operators_add(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str, name: str, role: str
) -> None:
    """Add an operator; the PIN is asked for (or read from standard input)."""
    path = _db_path(ctx, db)
    pin = _read_pin("PIN")
    with _friendly_errors():
        database = open_database(path)
        try:
            try:
                _operator_admin(database, path).add(number, name, role, pin)
            except OperatorError as exc:
                raise click.ClickException(str(exc)) from exc
        finally:
            database.close()
    click.echo(f"added {role} {number} ({name})")


@operators.command("list")
@db_option
@till_option
@click.pass_context
def operators_list(ctx: click.Context, db: DbTarget | None, till: str | None) -> None:
    """Print the operators (never their PINs)."""
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
            rows = _operator_admin(database, path).all()
        finally:
            database.close()
    for op in rows:
        state = "active" if op.active else "inactive"
        if op.locked_until is not None and op.locked_until > SystemClock().now():
            state += f", locked until {op.locked_until.astimezone():%H:%M}"
        changed = "" if op.sealed else "  CHANGED OUTSIDE THE TILL (cannot log in)"
        click.echo(f"{op.number:>12}  {op.role:<10}  {state:<28}  {op.name}{changed}")


def _operator_change(ctx: click.Context, db: DbTarget | None, change: str, number: str) -> None:
    path = _db_path(ctx, db)
    pin = _read_pin("New PIN") if change == "set_pin" else ""
    with _friendly_errors():
        database = open_database(path)
        try:
            admin = _operator_admin(database, path)
            try:
                if change == "set_pin":
                    admin.set_pin(number, pin)
                elif change == "deactivate":
                    admin.deactivate(number)
                elif change == "reactivate":
                    admin.reactivate(number)
                else:
                    admin.unlock(number)
            except OperatorError as exc:
                raise click.ClickException(str(exc)) from exc
        finally:
            database.close()


@operators.command("deactivate")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_deactivate(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Deactivate an operator; every token they hold stops working at once."""
    _operator_change(ctx, db, "deactivate", number)
    click.echo(f"deactivated {number}")


@operators.command("reactivate")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_reactivate(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Let a deactivated operator log in again; tokens from before stay refused."""
    _operator_change(ctx, db, "reactivate", number)
    click.echo(f"reactivated {number}")


@operators.command("set-pin")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_set_pin(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Set a new PIN (asked for, or the first line of standard input); ends their sessions."""
    _operator_change(ctx, db, "set_pin", number)
    click.echo(f"new PIN set for {number}")


@operators.command("unlock")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_unlock(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Unlock an operator locked out by wrong PINs."""
    _operator_change(ctx, db, "unlock", number)
    click.echo(f"unlocked {number}")


@cli.group()
def keys() -> None:
    """The token signing key, kept beside the database (mode 0600)."""


@keys.command("rotate")
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
    path = _db_path(ctx, db)
    with _friendly_errors():
        database = open_database(path)
        try:
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
            log = _audit_log(database, path)
            if not had_file:  # a new audit key: what came before cannot be verified with it
                log.restart_chain(cli_actor(), "the key file was missing; a new one was made")
                # and the operator rows' seals neither: sealed again, as they now are
                seal = load_seal_key(key_file_for(path))
                details["operators_resealed"] = OperatorRepository(database, seal).reseal_all()
            log.append("key_rotation", cli_actor(), details)
        finally:
            database.close()
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


@cli.group(invoke_without_command=True)
@db_option
@till_option
@click.option(
    "--since",
    callback=_since,
    help="Only entries at or after this date or date-time (ISO 8601, e.g. 2026-03-14 or "
    "2026-03-14T09:30; UTC unless an offset is given).",
)
@click.pass_context
def audit(ctx: click.Context, db: DbTarget | None, till: str | None, since: str | None) -> None:
    """Print the audit log (oldest first); with --till (or $POS_TILL), that till's
    entries only (the till's own and its command line's)."""
    if ctx.invoked_subcommand is not None:
        return
    path = _db_path(ctx, db)
    only = _till_given(ctx, till)
    with _friendly_errors():
        database = open_database(path)
        try:
            log = _audit_log(database, path)
            for entry in log.entries(since):
                if only is not None and not _of_till(entry.till, only):
                    continue
                who = entry.operator or "-"
                where = printable(entry.till)
                click.echo(
                    f"{entry.seq:>6}  {entry.at}  {where:<16}  {printable(who):>8}  "
                    f"{entry.event:<22}  {printable(entry.details)}"
                )
        finally:
            database.close()


@audit.command("verify")
@db_option
@till_option
@click.pass_context
def audit_verify(ctx: click.Context, db: DbTarget | None, till: str | None) -> None:
    """Check the whole audit log: lists every entry changed, unlinked or missing (also at
    the end, against the anchor beside the key file), and, after a lost key file, where
    the chain restarted. The chain is the whole database's (every till's entries): all of
    it is checked; with --till (or $POS_TILL) the line also counts that till's entries."""
    path = _db_path(ctx, db)
    only = _till_given(ctx, till)
    with _friendly_errors():
        database = open_database(path)
        try:
            log = _audit_log(database, path)
            entries = list(log.entries())
            found = check_audit(entries, log.key, log.anchor)
            changed = changed_operator_rows(key_file_for(path))
        finally:
            database.close()
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


def _of_till(entry_till: str, till: str) -> bool:
    """An audit entry made by ``till`` itself or by the command line for it."""
    return entry_till in (till, f"{till} (command line)")


@cli.command()
@db_option
@till_option
@click.option("--date", "day_text", help="The day (YYYY-MM-DD, local). Default: today.")
@click.option(
    "--z",
    "z_no",
    type=click.IntRange(min=1),
    help="A closed till day instead: its Z report by number (--z 3), with the cash-up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report(
    ctx: click.Context,
    db: DbTarget | None,
    till: str | None,
    day_text: str | None,
    z_no: int | None,
    as_json: bool,
) -> None:
    """The X report of a calendar day: sales, takings, discounts, tender, VAT, operators
    (closes nothing); or, with --z, the Z report of a closed till day as the report screen
    showed it, with its cash-up (expected, counted, over/short). Hours are local time.
    For one till: --till (or pos --till, $POS_TILL), else the till_name setting."""
    from datetime import date as date_type
    from datetime import time as time_type
    from datetime import timedelta

    from pos.db.reports import day_figures
    from pos.domain.report import local_hours, utc_offset
    from pos.services.days import CashUp, closed_day

    if z_no is not None and day_text is not None:
        raise click.UsageError("give --date (a calendar day) or --z (a Z report), not both")
    path = _db_path(ctx, db)
    try:
        day = (
            date_type.fromisoformat(day_text)
            if day_text
            else SystemClock().now().astimezone().date()
        )
    except ValueError:
        raise click.ClickException(f"--date {day_text!r} is not a date like 2026-03-14") from None
    start = datetime.combine(day, time_type()).astimezone()
    end = datetime.combine(day + timedelta(days=1), time_type()).astimezone()  # 23 or 25 h
    cash_up: CashUp | None = None
    with _friendly_errors():
        database = open_database(path)
        try:
            till = _till_name(ctx, till, database)
            if z_no is not None:
                cash_up = closed_day(database, till, z_no)
                if cash_up is None:
                    raise click.ClickException(
                        f"{printable(till)} has no Z report {z_no:04d} (pos report --z N"
                        " takes the number of a closed day's Z report)"
                    )
                figures = cash_up.figures
            else:
                figures = day_figures(database, till, start, end)
        finally:
            database.close()
    if cash_up is not None:
        assert cash_up.day.closed_at is not None
        start = cash_up.day.opened_at.astimezone()
        closed = cash_up.day.closed_at.astimezone()
    if as_json:
        head: dict[str, object] = {"till": till}
        if cash_up is not None:
            head |= {
                "z": z_no,
                "opened_at": start.isoformat(timespec="seconds"),
                "closed_at": closed.isoformat(timespec="seconds"),
                "cash_up": cash_up.cash_up_json(),
            }
            if cash_up.audit_head is not None:
                head["audit_head"] = {"seq": cash_up.audit_head[0], "hash": cash_up.audit_head[1]}
        else:
            head["date"] = day.isoformat()
        click.echo(json.dumps({**head, **figures.as_json()}, indent=2))
        return
    if cash_up is not None:
        click.echo(
            f"Z report {z_no:04d}  {till}  {start:%Y-%m-%d %H:%M} to {closed:%Y-%m-%d %H:%M}"
            "  (closed)"
        )
        click.echo("-" * 44)
        audit_line = cash_up.audit_line()
        for line in [*cash_up.cash_up_lines(), "", *([audit_line, ""] if audit_line else [])]:
            click.echo(line)
    else:
        click.echo(f"X report  {till}  {day.isoformat()}  (closes nothing)")
        click.echo("-" * 44)
    for line in figures.lines():
        click.echo(line)
    click.echo("")
    click.echo(f"Takings by hour (local time, {utc_offset(start)})")
    hours = [(h, t) for h, t in enumerate(local_hours(figures.takings_by_utc_hour, start)) if t]
    top = max((t for _, t in hours), default=0)
    for hour, takings in hours:
        bar = "#" * (round(20 * takings / top) if top > 0 else 0)
        click.echo(f"  {hour:02d}:00  {format_money(takings):>10}  {bar}")
    if not hours:
        click.echo("  no sales")


def main() -> None:
    """Entry point of the ``pos`` script."""
    cli(prog_name="pos")

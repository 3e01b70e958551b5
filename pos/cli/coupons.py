"""``pos coupons``: issue, list, show and void coupon codes (issue 22)."""

from __future__ import annotations

import json

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
from pos.db.coupons import CouponRepository
from pos.db.database import Database
from pos.db.repositories import DiscountRepository, SettingsRepository
from pos.domain.clock import SystemClock
from pos.domain.coupons import MAX_ISSUE, Coupon
from pos.domain.text import plural
from pos.services.coupon_printing import print_coupons
from pos.services.coupons import CouponError, CouponService
from pos.services.printing import PrinterError, ReceiptPrinter
from pos.services.store import StoreSettings


@click.group("coupons")
def coupons_group() -> None:
    """Coupon codes: issue them for a coupon rule, list, show, print and void them."""


def _service(database: Database, path: DbTarget, *, audited: bool = False) -> CouponService:
    settings = StoreSettings.load(SettingsRepository(database))
    return CouponService(
        CouponRepository(database),
        DiscountRepository(database),
        SystemClock(),
        settings.store_number,
        audit=audit_log(database, path) if audited else None,
        actor=cli_actor(),
    )


def _json(coupon: Coupon) -> dict[str, object]:
    return {
        "code": coupon.code,
        "rule": coupon.rule,
        "uses_left": coupon.uses_left,
        "expires": coupon.expires.isoformat() if coupon.expires else None,
    }


def _row(coupon: Coupon, status: str) -> tuple[str, ...]:
    expires = coupon.expires.isoformat() if coupon.expires else "never"
    return (coupon.code, coupon.rule, f"{coupon.uses_left}/{coupon.uses}", expires, status)


@coupons_group.command("issue")
@db_option
@till_option
@click.option("--rule", "rule", required=True, help="The coupon rule the codes unlock.")
@click.option("--count", type=int, required=True, help=f"How many codes (1 to {MAX_ISSUE:,}).")
@click.option("--uses", type=int, default=1, show_default=True, help="Sales each code is good for.")
@click.option("--expires", help="The last day the codes are good on (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the codes as JSON.")
@click.option(
    "--print",
    "to_printer",
    is_flag=True,
    help="Also print them on the receipt printer (the printer setting), as barcodes.",
)
@click.pass_context
def coupons_issue(
    ctx: click.Context,
    db: DbTarget | None,
    till: str | None,
    rule: str,
    count: int,
    uses: int,
    expires: str | None,
    as_json: bool,
    to_printer: bool,
) -> None:
    """Make COUNT new coupon codes for a coupon rule and print them."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path, changes="coupon codes")
        settings = StoreSettings.load(SettingsRepository(database))
        printer = ReceiptPrinter(settings.printer)
        if to_printer and not printer.configured:
            raise click.ClickException(f"nothing issued: {NO_PRINTER}")
        try:
            made = _service(database, path, audited=True).issue(rule, count, uses, expires)
        except CouponError as exc:
            raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([_json(c) for c in made], indent=2))
    else:
        for coupon in made:
            click.echo(coupon.code)
        click.echo(f"issued {plural(len(made), 'code')} for {made[0].rule!r}", err=True)
    if to_printer:
        _print(printer, made, settings, issued=True)


NO_PRINTER = "no printer is set up (pos settings set printer host:port, or a device or file path)"


def _print(
    printer: ReceiptPrinter, coupons: list[Coupon], settings: StoreSettings, *, issued: bool
) -> None:
    """The coupons on the receipt printer, or why not (they stay issued)."""
    if not printer.configured:
        raise click.ClickException(f"not printed: {NO_PRINTER}")
    try:
        print_coupons(printer, coupons, settings.store_name)
    except PrinterError as exc:
        first = "the codes are issued but" if issued else "the codes were"
        raise click.ClickException(
            f"{first} not printed ({exc}); some may have come out: put the printer right "
            "and print them with pos coupons print CODE..."
        ) from None
    click.echo(f"printed {plural(len(coupons), 'code')} on {settings.printer}", err=True)


@coupons_group.command("print")
@db_option
@till_option
@click.argument("codes", nargs=-1, required=True)
@click.pass_context
def coupons_print(
    ctx: click.Context, db: DbTarget | None, till: str | None, codes: tuple[str, ...]
) -> None:
    """Print issued codes on the receipt printer as barcodes (one slip each)."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path)
        service = _service(database, path)
        try:
            coupons = [service.show(code)[0] for code in codes]
        except CouponError as exc:
            raise click.ClickException(f"nothing printed: {exc}") from exc
        settings = StoreSettings.load(SettingsRepository(database))
    _print(ReceiptPrinter(settings.printer), coupons, settings, issued=False)


@coupons_group.command("list")
@db_option
@till_option
@click.option("--rule", "rule", help="Only the codes of this rule.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def coupons_list(
    ctx: click.Context, db: DbTarget | None, till: str | None, rule: str | None, as_json: bool
) -> None:
    """Print the codes (newest first, up to 1,000) with their uses left and status."""
    path = db_path(ctx, db)
    with friendly_errors():
        service = _service(open_db(ctx, path), path)
        coupons = service.listed(rule)
        today = service.today()
    if as_json:
        click.echo(json.dumps([{**_json(c), "status": c.status(today)} for c in coupons], indent=2))
        return
    if not coupons:
        click.echo("no coupon codes" + (f" for {rule!r}" if rule else ""))
        return
    rows = [_row(c, c.status(today)) for c in coupons]
    headings = ("code", "rule", "uses left", "expires", "status")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headings)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@coupons_group.command("show")
@db_option
@till_option
@click.argument("code")
@click.pass_context
def coupons_show(ctx: click.Context, db: DbTarget | None, till: str | None, code: str) -> None:
    """Show one code: its rule, uses left, expiry, status and the sales that used it."""
    path = db_path(ctx, db)
    with friendly_errors():
        service = _service(open_db(ctx, path), path)
        try:
            coupon, sales = service.show(code)
        except CouponError as exc:
            raise click.ClickException(str(exc)) from exc
        status = coupon.status(service.today())
    click.echo(f"code       {coupon.code}")
    click.echo(f"rule       {coupon.rule}")
    click.echo(f"uses left  {coupon.uses_left} of {coupon.uses}")
    click.echo(f"expires    {coupon.expires.isoformat() if coupon.expires else 'never'}")
    click.echo(f"status     {status}")
    click.echo(f"used in    {', '.join(sales) if sales else 'no sale'}")


@coupons_group.command("void")
@db_option
@till_option
@click.argument("code")
@click.pass_context
def coupons_void(ctx: click.Context, db: DbTarget | None, till: str | None, code: str) -> None:
    """Void a code: no sale can use it from now on."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path, changes="coupon codes")
        try:
            coupon = _service(database, path, audited=True).void(code)
        except CouponError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"voided {coupon.code} ({coupon.rule}; {coupon.uses_left} uses were left)")

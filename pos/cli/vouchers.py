"""``pos vouchers``: gift vouchers (issue 22) from the command line."""

from __future__ import annotations

import json

import click

from pos.auth.service import anchor_audit
from pos.cli.common import audit_log, cli_actor, db_option, db_path, friendly_errors, open_db
from pos.config import DbTarget
from pos.db.errors import writing
from pos.db.repositories import SettingsRepository
from pos.db.vouchers import VoucherRepository, flag_product, void_voucher
from pos.domain.clock import SystemClock
from pos.domain.money import MoneyError, format_money, parse_money
from pos.domain.vouchers import VoucherError, balance_text, check_code
from pos.services.store import SETTING_DEFAULTS, StoreSettings
from pos.services.vouchers import MAX_CARDS, new_vouchers


@click.group("vouchers")
def vouchers_group() -> None:
    """Gift vouchers: voucher products and balances."""


@vouchers_group.command("product", short_help="Make a product a gift voucher (or not).")
@db_option
@click.argument("barcode")
@click.option("--off", is_flag=True, help="Make it an ordinary product again.")
@click.pass_context
def vouchers_product(ctx: click.Context, db: DbTarget | None, barcode: str, off: bool) -> None:
    """Make the product BARCODE a gift voucher product: each one sold is a voucher worth
    its price (at most max_voucher_value), with its own code on the receipt; no promotion
    touches it and no VAT is charged on it. ``--off`` makes it an ordinary product again."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path, changes="catalog")
        audit = audit_log(database, path)
        event = {"barcode": barcode, "voucher": not off}
        try:
            name = flag_product(
                database,
                barcode,
                not off,
                lambda: audit.append("product_voucher", cli_actor(), event),
            )
        except LookupError as exc:
            raise click.ClickException(f"{exc}: add it first (pos products import)") from exc
        except ValueError as exc:
            raise click.ClickException(f"{exc}: choose a product sold by the unit") from exc
        anchor_audit(audit)
    click.echo(f"{barcode} {name}: " + ("an ordinary product" if off else "a gift voucher"))


@vouchers_group.command("balance", short_help="What is left on a voucher.")
@db_option
@click.argument("code")
@click.pass_context
def vouchers_balance(ctx: click.Context, db: DbTarget | None, code: str) -> None:
    """What is left on the voucher CODE (its 18 digits), of what, and until when."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path)
        store = SettingsRepository(database).get("store_number", SETTING_DEFAULTS["store_number"])
        try:
            checked = check_code(code, store)
        except VoucherError as exc:
            raise click.ClickException(str(exc)) from exc
        voucher = VoucherRepository(database, "").get(checked)
    if voucher is None:
        raise click.ClickException("That voucher is not known: check the code")
    click.echo(f"{checked}: {balance_text(voucher)}")


@vouchers_group.command("issue", short_help="Make pre-printed gift voucher cards.")
@db_option
@click.option("--amount", required=True, help="What each card is worth, such as 25.00.")
@click.option("--count", type=int, default=1, show_default=True, help="How many cards.")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@click.pass_context
def vouchers_issue(
    ctx: click.Context, db: DbTarget | None, amount: str, count: int, as_json: bool
) -> None:
    """Make COUNT gift voucher cards of AMOUNT each (for cards printed elsewhere and sold
    later), good for voucher_months from today, and print their codes (one a line, or
    with --json as [{"code", "value", "balance", "expires"}]). All or none are written,
    with an audit entry."""
    path = db_path(ctx, db)
    try:
        value = parse_money(amount, what="amount")
    except MoneyError as exc:
        raise click.ClickException(f"{exc}: give an amount such as 25.00") from exc
    if not 1 <= count <= MAX_CARDS:
        raise click.ClickException(f"--count must be 1 to {MAX_CARDS}")
    with friendly_errors():
        database = open_db(ctx, path, changes="gift vouchers")
        settings = StoreSettings.load(SettingsRepository(database))
        at = SystemClock().now()
        try:
            cards = new_vouchers([value] * count, settings, at)
        except VoucherError as exc:
            raise click.ClickException(str(exc)) from exc
        audit = audit_log(database, path)
        repo = VoucherRepository(database, settings.till_name)
        with writing(database):
            repo.insert(cards, None, at)
            audit.append("vouchers_issued", cli_actor(), {"count": count, "value": value})
        anchor_audit(audit)  # committed: the anchor names the entry
    if as_json:
        rows = [
            {
                "code": card.code,
                "value": format_money(card.value),
                "balance": format_money(card.balance),
                "expires": card.expires.isoformat(),
            }
            for card in cards
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for card in cards:
        click.echo(f"{card.code}  {format_money(card.value)}  until {card.expires:%Y-%m-%d}")


@vouchers_group.command("void", short_help="End a gift voucher at once (lost or stolen).")
@db_option
@click.argument("code")
@click.pass_context
def vouchers_void(ctx: click.Context, db: DbTarget | None, code: str) -> None:
    """End the gift voucher CODE (its 18 digits) at once: a lost or stolen card, or one
    sold in error. Its balance can no longer pay for anything, nor take a refund. Voiding
    it again changes nothing; the first void is in the audit log (``voucher_voided``)."""
    path = db_path(ctx, db)
    with friendly_errors():
        database = open_db(ctx, path, changes="gift vouchers")
        store = SettingsRepository(database).get("store_number", SETTING_DEFAULTS["store_number"])
        try:
            checked = check_code(code, store)
        except VoucherError as exc:
            raise click.ClickException(str(exc)) from exc
        audit = audit_log(database, path)
        event = {"voucher": "..." + checked[-4:]}
        voucher = void_voucher(
            database, checked, lambda: audit.append("voucher_voided", cli_actor(), event)
        )
        if voucher is None:
            raise click.ClickException("That voucher is not known: check the code")
        anchor_audit(audit)
    click.echo(f"{checked}: voided ({format_money(voucher.balance)} left on it can no longer pay)")

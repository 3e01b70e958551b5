"""``pos vouchers``: gift vouchers (issue 22) from the command line."""

from __future__ import annotations

import click

from pos.cli.common import audit_log, cli_actor, db_option, db_path, friendly_errors, open_db
from pos.config import DbTarget
from pos.db.repositories import SettingsRepository
from pos.db.vouchers import VoucherRepository, flag_product
from pos.domain.vouchers import VoucherError, balance_text, check_code
from pos.services.store import SETTING_DEFAULTS


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

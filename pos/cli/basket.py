"""``pos basket``: price a basket without the till."""

from __future__ import annotations

import json
from datetime import datetime

import click

from pos.cli.common import db_option, db_path, friendly_errors, open_db
from pos.config import DbTarget
from pos.db.coupons import CouponRepository
from pos.db.repositories import DiscountRepository, ProductRepository, SettingsRepository
from pos.domain.clock import FixedClock, SystemClock
from pos.domain.coupons import (
    Coupon,
    CouponRefused,
    at_cap,
    cap_reached,
    unlocked,
    with_cap,
    with_coupon,
)
from pos.domain.receipt import render_priced
from pos.services.basket import BasketError, basket_json, build_cart, price_basket
from pos.services.coupons import CouponService
from pos.services.store import StoreSettings


@click.command("basket")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of receipt text.")
@click.option("--at", "at_text", help="Price as at this local date and time (ISO 8601).")
@click.option("--width", type=click.Choice(["32", "42", "48"]), default="42", help="Text width.")
@click.option(
    "--coupon",
    "coupons",
    multiple=True,
    help="A coupon code scanned into the basket (repeatable): prices with its coupon rule.",
)
@click.argument("items", nargs=-1)
@click.pass_context
def basket_command(
    ctx: click.Context,
    db: DbTarget | None,
    as_json: bool,
    at_text: str | None,
    width: str,
    coupons: tuple[str, ...],
    items: tuple[str, ...],
) -> None:
    """Price a basket without the till: ITEM is BARCODE or BARCODE:QTY (kg for weighed items).
    No ITEM prices the empty basket (total 0.00), as the till would."""
    path = db_path(ctx, db)
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
    with friendly_errors():
        database = open_db(ctx, path)
        settings = StoreSettings.load(SettingsRepository(database))
        try:
            cart = build_cart(items, ProductRepository(database), settings.patterns)
        except BasketError as exc:
            raise click.ClickException(str(exc)) from exc
        rules = DiscountRepository(database)
        in_sale: tuple[Coupon, ...] = ()
        if coupons:
            service = CouponService(
                CouponRepository(database),
                rules,
                FixedClock(at.astimezone()),
                settings.store_number,
            )
            try:
                for code in coupons:
                    in_sale = with_coupon(in_sale, service.usable(code.strip()))
            except CouponRefused as exc:
                raise click.ClickException(str(exc)) from exc
        every = rules.all()
        capped = at_cap(every, CouponRepository(database).rule_uses(with_cap(every)))
        left_out = [rule for rule in every if rule.name in capped]
        priced = price_basket(
            cart, [r for r in every if r.name not in capped], at, unlocked(in_sale)
        )
    if as_json:
        document = basket_json(cart, priced)
        if in_sale:  # only with --coupon: the document without one is as it always was
            document["coupons"] = [{"code": c.code, "rule": c.rule} for c in in_sale]
        if left_out:  # likewise: only when a deal has had all its max_uses
            document["left_out"] = [cap_reached(rule) for rule in left_out]
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        click.echo(render_priced(cart.lines, priced, cart.item_count, int(width)), nl=False)
        for coupon in in_sale:
            click.echo(f"Coupon {coupon.code}: {coupon.rule}")
        for rule in left_out:
            click.echo(f"{cap_reached(rule)}: left out")

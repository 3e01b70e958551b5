"""Pricing a basket without the till screen (``pos basket``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from pos.domain.barcodes import BarcodeError, BarcodePattern, parse_scan
from pos.domain.cart import Cart, CartLine, max_qty
from pos.domain.catalog import Catalog, Unit
from pos.domain.discounts import Rule, describe_condition
from pos.domain.entry import CountEntry, WeightEntry, parse_entry
from pos.domain.money import format_money
from pos.domain.pricing import PricedBasket, price_cart
from pos.domain.rule_form import describe_window
from pos.domain.scanning import ScanProblem, embedded_measure


class BasketError(ValueError):
    """An item on the command line cannot go in the basket; the message says why."""


def build_cart(
    items: Sequence[str], catalog: Catalog, patterns: tuple[BarcodePattern, ...]
) -> Cart:
    """A cart from ``BARCODE`` or ``BARCODE:QTY`` items, as the till would build it.

    Raises:
        BasketError: an unknown or invalid barcode, or a bad quantity.
    """
    cart = Cart()
    for item in items:
        code, _, qty_text = item.partition(":")
        try:
            scan = parse_scan(code.strip(), patterns)
        except BarcodeError as exc:
            raise BasketError(str(exc)) from None
        product = catalog.get(scan.lookup)
        if product is None:
            raise BasketError(f"No product with barcode {scan.code}")
        try:
            embedded = embedded_measure(scan, product)
        except ScanProblem as exc:
            raise BasketError(str(exc)) from None
        price, qty = embedded.price, embedded.grams
        if qty is None:
            qty = _quantity(item, qty_text, product.unit if price is None else Unit.EACH)
        elif qty_text:
            raise BasketError(f"{item}: the barcode already carries the weight")
        existing = cart.find((product.barcode, price))
        total = qty + (existing.qty if existing else 0)
        line = (
            existing.with_qty(total)
            if existing
            else CartLine.for_product(cart.next_line_no, product, qty, price=price)
        )
        if line.qty > max_qty(line.unit):
            raise BasketError(f"{item}: too much of {product.name} on one line")
        cart.put(line)
    return cart


def _quantity(item: str, text: str, unit: Unit) -> int:
    if not text:
        if unit is Unit.KG:
            raise BasketError(f"{item}: a weighed item needs its weight, e.g. {item}:0.850")
        return 1
    entry = parse_entry(text)
    if isinstance(entry, CountEntry) and entry.count > 0:
        return entry.count * 1000 if unit is Unit.KG else entry.count
    if isinstance(entry, WeightEntry) and unit is Unit.KG and entry.grams > 0:
        return entry.grams
    kind = "a weight in kg" if unit is Unit.KG else "a whole number from 1 to 9999"
    raise BasketError(f"{item}: the quantity must be {kind}")


def price_basket(
    cart: Cart, rules: Sequence[Rule], at: datetime, coupons: frozenset[str] = frozenset()
) -> PricedBasket:
    """``cart`` priced at ``at``, with the coupon rules ``coupons`` unlocked."""
    return price_cart(cart, rules, at, coupons)


def basket_json(cart: Cart, priced: PricedBasket) -> dict[str, object]:
    """The ``pos basket --json`` document: money as decimal strings, amounts positive."""
    return {
        "lines": [
            {
                "barcode": line.barcode,
                "name": line.name,
                "qty": format_qty_json(line),
                "unit_price": format_money(line.unit_price),
                "total": format_money(line.total),
            }
            for line in cart
        ],
        "discounts": [{"name": d.name, "amount": format_money(d.amount)} for d in priced.discounts],
        "subtotal": format_money(priced.subtotal),
        "discount_total": format_money(priced.discount_total),
        "total": format_money(priced.total),
    }


def format_qty_json(line: CartLine) -> int | str:
    """A count as a number; a weight as a kg decimal string (``"0.850"``)."""
    if line.unit is Unit.KG:
        return f"{line.qty // 1000}.{line.qty % 1000:03d}"
    return line.qty


def rule_summary(rule: Rule, name_of: Callable[[str], str]) -> tuple[str, ...]:
    """One row of ``pos discounts list``."""
    return (
        rule.name,
        rule.kind,
        describe_condition(rule, name_of),
        rule.spec.describe(rule),
        str(rule.priority),
        "yes" if rule.exclusive else "",
        rule.group or "",
        "yes" if rule.active else "no",
        describe_window(rule),
    )

"""Fixed-width receipt text for 58 mm and 80 mm printers (32, 42 or 48 columns).

Column widths come from the longest value in each column plus one space of
padding; the name column takes what is left and long names wrap at word
boundaries inside it. Money is right-aligned. Widths are measured in terminal
cells, so CJK names and combining accents keep the columns straight. The money
totals (TOTAL, each payment, change, a refund's amount) carry the currency sign
of the ``currency_symbol`` setting; the item columns stay plain figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.money import format_money, format_scaled
from pos.domain.pricing import AppliedDiscount, PricedBasket
from pos.domain.tax import RateLine
from pos.domain.tender import METHOD_LABELS, Method, Payment
from pos.domain.text import cell_len, cut_cells, pad_left, pad_right, wrap_cells
from pos.domain.vouchers import Voucher, issued_lines

WIDTHS = (32, 42, 48)
"""Characters per line: 58 mm paper takes 32, 80 mm paper 42 or 48."""

MIN_NAME_WIDTH = 10
"""Below this the name goes on its own line(s) above the figures."""


@dataclass(frozen=True, slots=True)
class Row:
    """One item row before layout: the name and its three right-aligned figures."""

    name: str
    qty: str
    price: str
    total: str


def format_qty(unit: Unit, qty: int) -> str:
    """``3`` for items; ``0.850kg`` for a weighed line (qty in grams)."""
    if unit is Unit.KG:
        return f"{qty // 1000}.{qty % 1000:03d}kg"
    return str(qty)


def format_qty_text(unit: str, qty: int) -> str:
    """``format_qty`` for a unit stored as text (``"each"`` or ``"kg"``)."""
    return format_qty(Unit(unit), qty)


def row_for(line: CartLine) -> Row:
    return Row(
        line.name,
        format_qty(line.unit, line.qty),
        format_money(line.unit_price),
        format_money(line.total),
    )


def check_width(width: int) -> None:
    if width not in WIDTHS:
        raise ValueError(f"receipt width must be one of {WIDTHS}, not {width}")


def label_amount(label: str, amount: str, width: int) -> str:
    """``label`` on the left and ``amount`` right-aligned on one line of ``width``."""
    room = width - cell_len(amount) - 1
    return pad_right(label if cell_len(label) <= room else wrap_cells(label, room)[0], room) + (
        " " + amount
    )


def layout_rows(rows: Sequence[Row], width: int) -> list[str]:
    """Lay out item rows under a ``Item / Qty / Price / Total`` heading."""
    return [line for group in _layout(rows, width) for line in group]


def _layout(rows: Sequence[Row], width: int) -> list[list[str]]:
    """The heading and each row as its own group of lines, all with the same column widths."""
    check_width(width)
    header = Row("Item", "Qty", "Price", "Total")
    everything = [header, *rows]
    qty_w = max(cell_len(r.qty) for r in everything)
    price_w = max(cell_len(r.price) for r in everything)
    total_w = max(cell_len(r.total) for r in everything)
    figures_w = qty_w + price_w + total_w + 3  # one space before each figure column
    name_w = width - figures_w

    def figures(row: Row) -> str:
        return (
            f" {pad_left(row.qty, qty_w)} {pad_left(row.price, price_w)} "
            f"{pad_left(row.total, total_w)}"
        )

    groups: list[list[str]] = []
    for row in everything:
        if name_w >= MIN_NAME_WIDTH:
            parts = wrap_cells(row.name, name_w)
            groups.append([pad_right(parts[0], name_w) + figures(row), *parts[1:]])
        else:  # too narrow: the name gets whole lines, the figures a line of their own
            groups.append([*wrap_cells(row.name, width), pad_left(figures(row).lstrip(), width)])
    return groups


def render_priced(
    lines: Sequence[CartLine],
    priced: PricedBasket,
    item_count: int,
    width: int = 42,
    *,
    currency: str = "",
) -> str:
    """The cart with its discounts: each item discount under the last line it used,
    then the subtotal, the basket discounts, the total (with the ``currency`` sign) and
    what the customer saved."""
    check_width(width)
    under: dict[int, list[AppliedDiscount]] = {}
    basket: list[AppliedDiscount] = []
    for discount in priced.discounts:
        if discount.uses:
            under.setdefault(discount.last_line, []).append(discount)
        else:
            basket.append(discount)
    groups = _layout([row_for(line) for line in lines], width)
    body = list(groups[0])  # the heading
    for line, group in zip(lines, groups[1:], strict=True):
        body.extend(group)
        for discount in under.get(line.line_no, ()):
            body.append(
                label_amount(
                    "  " + discount_label(discount), "-" + format_money(discount.amount), width
                )
            )
    rule = "-" * width
    totals = [
        label_amount("Items", str(item_count), width),
        label_amount("Subtotal", format_money(priced.subtotal), width),
    ]
    totals.extend(
        label_amount(discount_label(d), "-" + format_money(d.amount), width) for d in basket
    )
    totals.append(label_amount("TOTAL", format_money(priced.total, currency), width))
    if priced.discount_total:
        totals.append(label_amount("You saved", format_money(priced.discount_total), width))
    return "\n".join([*body, rule, *totals]) + "\n"


def discount_label(discount: AppliedDiscount) -> str:
    """``Lemons 3 for 1.30`` or, applied twice, ``Lemons 3 for 1.30 x2``."""
    return discount.name if discount.sets <= 1 else f"{discount.name} x{discount.sets}"


def render_cart(lines: Iterable[CartLine], subtotal: int, item_count: int, width: int = 42) -> str:
    """The cart as receipt text: the item rows, then the item count and total."""
    check_width(width)
    body = layout_rows([row_for(line) for line in lines], width)
    rule = "-" * width
    total = [
        label_amount("Items", str(item_count), width),
        label_amount("TOTAL", format_money(subtotal), width),
    ]
    return "\n".join([*body, rule, *total]) + "\n"


@dataclass(frozen=True, slots=True)
class ReceiptData:
    """Everything a completed sale's receipt shows."""

    store: str
    till: str
    receipt_no: int
    operator: str
    at: datetime  # local time
    lines: Sequence[CartLine]
    priced: PricedBasket
    vat: Sequence[RateLine]
    payments: Sequence[Payment]
    inclusive: bool = True
    currency: str = ""
    """The currency sign on the money totals (``"£"``), or none."""
    header: Sequence[str] = ()
    """Lines under the store name (address, VAT number): the ``receipt_header`` setting."""
    demo: bool = False
    """Made on a demo database: marked :data:`DEMO_RECEIPT` above and below."""
    age_checked: int | None = None
    """The age the customer was confirmed to be (an age-restricted item asked), or None."""
    coupons: Sequence[tuple[str, str]] = ()
    """The coupons the sale used (issue 22): (code, rule)."""
    vouchers: Sequence[Voucher] = ()
    """The gift vouchers the sale sold (issue 22): each printed with its barcode."""
    voucher_left: tuple[tuple[str, int], ...] = ()
    """What is left on each gift voucher that paid, by code."""


DEMO_RECEIPT = "DEMO - NOT A RECEIPT"
"""Printed above and below every receipt of a demo database (issue 17, item 3)."""


def mark_demo(text: str, width: int = 42) -> str:
    """A demo database's receipt: :data:`DEMO_RECEIPT` above and below it, so that no part
    of it can pass for a real one."""
    marker = _centre(DEMO_RECEIPT, width)
    return f"{marker}\n{text.rstrip()}\n{marker}\n"


def format_receipt_no(number: int) -> str:
    return f"{number:04d}"


def render_receipt(data: ReceiptData, width: int = 42, *, copy: bool = False) -> str:
    """The whole receipt: header, lines and discounts, totals, VAT, payments."""
    check_width(width)
    rule = "-" * width
    out = store_header(data.store, data.header, width)
    out.append(label_amount(data.till, f"Receipt {format_receipt_no(data.receipt_no)}", width))
    out.append(label_amount(f"{data.at:%Y-%m-%d %H:%M}", data.operator, width))
    if copy:
        out.append(_centre("*** COPY ***", width))
    out.append(rule)
    money = data.currency
    items = sum(line.items for line in data.lines)
    body = render_priced(data.lines, data.priced, items, width, currency=money)
    lines = body.rstrip("\n").split("\n")
    if not data.inclusive:  # the TOTAL line of the body is before tax: add the tax to it
        lines = [line for line in lines if not line.startswith("TOTAL")]
        tax = sum(row.vat for row in data.vat)
        lines.append(label_amount("VAT", format_money(tax), width))
        lines.append(label_amount("TOTAL", format_money(data.priced.total + tax, money), width))
    out.extend(lines)
    out.append(rule)
    out.append(_vat_table(data.vat, width))
    out.append(rule)
    for payment in data.payments:
        label = METHOD_LABELS[payment.method]
        if payment.method is Method.VOUCHER:
            label += f" ...{payment.reference[-4:]}"
        elif payment.reference:
            label += f" {payment.reference}"
        out.append(label_amount(label, format_money(payment.tendered, money), width))
        if (left := dict(data.voucher_left).get(payment.reference)) is not None:
            out.append(label_amount("  Left on the voucher", format_money(left, money), width))
        if payment.change:
            out.append(label_amount("Change", format_money(payment.change, money), width))
    if data.age_checked is not None:
        out.append(cut_cells(f"Age checked ({data.age_checked}+)", width))
    for code, rule_name in data.coupons:
        out.append(label_amount(cut_cells(f"Coupon: {rule_name}", width - 6), "0.00", width))
        out.append(cut_cells(f"  {code}", width))
    if data.vouchers:
        out.append(rule)
        out.extend(issued_lines(data.vouchers, width, money))
    out.append("")
    out.append(_centre("Thank you", width))
    text = "\n".join(out) + "\n"
    return mark_demo(text, width) if data.demo else text


def store_header(store: str, header: Sequence[str], width: int) -> list[str]:
    """The store name and the header lines under it (address, VAT number), each centred
    and wrapped at spaces to the paper's width."""
    return [
        _centre(part, width).rstrip()
        for text in (store, *header)
        for part in wrap_cells(text, width)
    ]


def _centre(text: str, width: int) -> str:
    gap = max(0, width - cell_len(text)) // 2
    return " " * gap + text


def _vat_table(rows: Sequence[RateLine], width: int) -> str:
    cells = [("VAT", "Net", "VAT", "Gross")] + [
        (
            f"{format_scaled(r.rate, 2)}%",
            format_money(r.net),
            format_money(r.vat),
            format_money(r.gross),
        )
        for r in rows
    ]
    widths = [max(cell_len(c[i]) for c in cells) for i in range(4)]
    first = width - sum(widths[1:]) - 3
    return "\n".join(
        pad_right(c[0], first) + "".join(" " + pad_left(c[i], widths[i]) for i in (1, 2, 3))
        for c in cells
    )


def mark_copy(text: str, width: int = 42) -> str:
    """A receipt printed again: ``*** COPY ***`` above and below it."""
    marker = _centre("*** COPY ***", width)
    return f"{marker}\n{text.rstrip()}\n{marker}\n"


def render_refund(
    *,
    store: str,
    till: str,
    number: int,
    original: int | None,
    operator: str,
    at: datetime,
    items: Sequence[tuple[str, str, int]],
    method: str,
    width: int = 42,
    currency: str = "",
    lost: Sequence[str] = (),
    header: Sequence[str] = (),
    demo: bool = False,
    original_till: str | None = None,
    reason: str | None = None,
    approver: str | None = None,
    vat: Sequence[RateLine] = (),
    given_back: Sequence[str] = (),
    restored: Sequence[tuple[str, int, int]] = (),
) -> str:
    """A refund's receipt: what came back, the deals the customer no longer gets
    (``lost``, by name), and how the money went back (the totals with the ``currency``
    sign), under the store's name and ``header`` lines. An item with no quantity is the
    rest of what was paid for a line that came back in an earlier refund. ``demo``: marked
    as a demo database's (:func:`mark_demo`); ``original_till``: the sale was another
    till's; ``original`` None: a refund without a receipt; ``reason``: why it came back
    (issue 21); ``approver``: the manager who approved it, if one had to; ``vat``: the VAT
    paid back on top of the items' prices, per rate, when prices exclude VAT (a refund
    without a receipt): shown as a sale's receipt shows it, a VAT line and a VAT table;
    ``given_back``: the coupons whose use the refund gives back (issue 22);
    ``restored``: what went back onto each gift voucher (code, amount, what it now holds)."""
    check_width(width)
    rule = "-" * width
    out = store_header(store, header, width)
    out.append(label_amount(till, f"Refund {format_receipt_no(number)}", width))
    out.append(label_amount(f"{at:%Y-%m-%d %H:%M}", operator, width))
    if original is None:
        out.append(cut_cells("Without a receipt", width))
    else:
        of = "" if original_till is None else f" of {original_till}"  # another till's sale
        out.append(cut_cells(f"For sale {format_receipt_no(original)}{of}", width))
    if reason is not None:
        out.extend(wrap_cells(f"Reason: {reason}", width))
    if approver is not None:
        out.append(cut_cells(f"Approved by {approver}", width))
    out.append(rule)
    for name, qty, amount in items:
        label = f"{name} x {qty}" if qty else f"{name} (returned before)"
        figure = "-" + format_money(amount)
        parts = wrap_cells(label, width - cell_len(figure) - 1)  # a long name wraps
        out.extend([*parts[:-1], label_amount(parts[-1], figure, width)])
    for name in lost:
        out.extend(wrap_cells(f"{name} no longer applies", width))
    for code in given_back:  # issue 22: a coupon whose deal the refund broke
        out.extend(wrap_cells(f"Coupon {code} given back", width))
    out.append(rule)
    tax = sum(row.vat for row in vat)
    total = sum(amount for _, _, amount in items) + tax
    if vat:  # the items' prices are before VAT: add it, as a sale's receipt does
        out.append(label_amount("VAT", "-" + format_money(tax), width))
    out.append(label_amount("REFUNDED", format_money(total, currency), width))
    out.append(label_amount(f"Paid back by {method}", format_money(total, currency), width))
    for code, amount, balance in restored:  # a refund onto gift vouchers (issue 22)
        out.append(label_amount(f"  Voucher ...{code[-4:]}", format_money(amount, currency), width))
        out.append(label_amount("    now holds", format_money(balance, currency), width))
    if vat:
        out.append(rule)
        back = [RateLine(r.rate, -r.net, -r.vat, -r.gross) for r in vat]
        out.append(_vat_table(back, width))
    text = "\n".join(out) + "\n"
    return mark_demo(text, width) if demo else text


def render_cash_slip(
    *,
    store: str,
    till: str,
    title: str,
    amount: int | None,
    reason: str,
    operator: str,
    at: datetime,
    width: int = 42,
    currency: str = "",
    header: Sequence[str] = (),
    approver: str | None = None,
    demo: bool = False,
) -> str:
    """The slip of a cash movement (a No sale, a paid in or out, a pickup): what, how
    much (``amount`` None for a No sale), why, who and when, under the store's name."""
    check_width(width)
    rule = "-" * width
    out = store_header(store, header, width)
    out.append(label_amount(till, title.upper(), width))
    out.append(label_amount(f"{at:%Y-%m-%d %H:%M}", operator, width))
    out.append(rule)
    if amount is not None:
        out.append(label_amount("Amount", format_money(amount, currency), width))
    out.extend(wrap_cells(f"Reason: {reason}", width))
    if approver is not None:
        out.append(cut_cells(f"Approved by {approver}", width))
    out.append(rule)
    out.extend(["", "Signed", "", rule])
    text = "\n".join(out) + "\n"
    return mark_demo(text, width) if demo else text

"""Cashier discounts (issue 21, item 8): a "Line discount" (a percentage or an amount off
one line) and a "Sale discount" (a percentage off the sale), each with a reason.

They apply after the promotions, on the priced basket: a line's percentage is of what the
line costs after its deals (its share of every promotion, as :func:`line_costs` works it
out), an amount off is at most that, and the sale discount is a percentage of what is
left once the line discounts are off. Each becomes an
:class:`~pos.domain.pricing.AppliedDiscount` of its own (kind :data:`LINE` or
:data:`SALE`) after the promotions, so the VAT, what was paid per line, the screen and the
receipt treat it as they treat any discount, and nothing ever goes below zero.

Percentages are in basis points (``1000`` is 10%), rounded half up to the penny.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.money import MAX_AMOUNT, format_money, format_scaled, percent_of
from pos.domain.pricing import AppliedDiscount, PricedBasket
from pos.domain.tax import share

LINE = "manual_line"
SALE = "manual_sale"
KINDS = (LINE, SALE)
"""The kinds of :class:`AppliedDiscount` a cashier's discount becomes (never a rule's)."""

PERCENT = "percent"
AMOUNT = "amount"

FULL = 10_000
"""100% in basis points."""

SALE_LINE = 0
"""The "line number" a sale discount is kept under (cart lines start at 1)."""

TITLES = {LINE: "Line discount", SALE: "Sale discount"}
"""Each discount's name, as the palette and the menu say it."""


class DiscountEntryError(ValueError):
    """A discount the till will not give; ``str()`` says what to do."""


@dataclass(frozen=True, slots=True)
class ManualDiscount:
    """One cashier's discount on the open cart.

    Attributes:
        line_no: The line it is off; :data:`SALE_LINE` (0) for the sale discount.
        kind: :data:`PERCENT` or :data:`AMOUNT` (a sale discount is always a percentage).
        value: Basis points (percent), or minor units (an amount off).
        reason: Why (one of the ``discount_reasons``).
        operator: Who gave it.
        approver: The manager who approved it, if one had to.
    """

    line_no: int
    kind: str
    value: int
    reason: str
    operator: str | None = None
    approver: str | None = None

    @property
    def is_sale(self) -> bool:
        return self.line_no == SALE_LINE

    def label(self) -> str:
        """What the screen and the receipt call it: ``Discount 10% (Damaged)``."""
        if self.is_sale:
            return f"Sale discount {format_scaled(self.value, 2)}% ({self.reason})"
        if self.kind == PERCENT:
            return f"Discount {format_scaled(self.value, 2)}% ({self.reason})"
        return f"Discount ({self.reason})"

    def describe(self) -> str:
        """``10%`` or ``2.00 off``."""
        if self.kind == PERCENT:
            return f"{format_scaled(self.value, 2)}%"
        return f"{format_money(self.value)} off"


_PERCENT_RE = re.compile(r"^(?P<int>\d{1,6})(?:\.(?P<frac>\d{0,2}))?$")
_AMOUNT_RE = re.compile(r"^(?P<int>\d{1,9})(?:\.(?P<frac>\d{0,2}))?$")


def parse_discount(text: str, *, percent_only: bool = False) -> tuple[str, int]:
    """What the cashier typed, as ``(kind, value)``: ``10%`` or ``12.5%`` is a percentage
    (basis points); ``2.00`` an amount off (minor units). With ``percent_only`` (the sale
    discount) a plain number is a percentage too.

    Raises:
        DiscountEntryError: blank, not a number, zero or below, or over 100%.
    """
    typed = text.strip().replace(" ", "")
    how = "a percentage such as 10%" if percent_only else "10% for a percentage, 2.00 for an amount"
    if not typed:
        raise DiscountEntryError(f"Type the discount: {how}")
    if typed.startswith("-"):
        raise DiscountEntryError(f"A discount cannot be negative: type {how}")
    percent = typed.endswith("%") or percent_only
    number = typed.removesuffix("%")
    match = (_PERCENT_RE if percent else _AMOUNT_RE).match(number) if number.isascii() else None
    if match is None:
        raise DiscountEntryError(f"{text.strip()!r} is not a discount: type {how}")
    value = int(match["int"]) * 100 + int((match["frac"] or "").ljust(2, "0"))
    if value <= 0:
        raise DiscountEntryError(f"A discount of 0 takes nothing off: type {how}")
    if percent:
        if value > FULL:
            raise DiscountEntryError(
                f"{format_scaled(value, 2)}% is over 100%: type a percentage of 100% or less"
            )
        return PERCENT, value
    if value > MAX_AMOUNT:
        raise DiscountEntryError("That amount is too large: type what comes off the line")
    return AMOUNT, value


def line_costs(lines: Iterable[CartLine], priced: PricedBasket) -> dict[int, int]:
    """What each line costs after the discounts in ``priced``: its total less its share of
    each (an item discount on the lines it used, by the value of the units it used; a
    basket discount over every line, by what is left of each), never below 0. The same
    shares :func:`pos.domain.tax.paid_per_line` pays by."""
    by_no = {line.line_no: line for line in lines}
    left = {no: line.total for no, line in by_no.items()}
    for discount in priced.discounts:
        if discount.uses:
            weights = {
                no: by_no[no].total if by_no[no].unit is Unit.KG else by_no[no].unit_price * units
                for no, units in discount.uses
                if no in by_no
            }
        else:
            weights = {no: amount for no, amount in left.items() if amount > 0}
        for no, part in share(discount.amount, weights).items():
            left[no] -= part
    return {no: max(0, amount) for no, amount in left.items()}


def amount_off(discount: ManualDiscount, cost: int) -> int:
    """What ``discount`` takes off a line (or a sale) that costs ``cost``: a percentage of
    it rounded half up, or the amount, never more than ``cost``."""
    if cost <= 0:
        return 0
    if discount.kind == PERCENT:
        return min(cost, percent_of(cost, min(discount.value, FULL)))
    return min(cost, discount.value)


def effective_percent(discount: ManualDiscount, cost: int) -> int:
    """The percentage (basis points, rounded up) ``discount`` is of ``cost``: what the
    role caps are compared with. An amount off a line that costs nothing is 100%."""
    if discount.kind == PERCENT:
        return discount.value
    if cost <= 0:
        return FULL
    return min(FULL, -(-discount.value * FULL // cost))


def with_manual(
    lines: Sequence[CartLine], priced: PricedBasket, manual: Iterable[ManualDiscount]
) -> PricedBasket:
    """``priced`` (the promotions) with the cashier's discounts after them: each line's,
    in line order, then the sale's on what is left. A discount on a line the cart no
    longer has, or that would take nothing off, is left out. The sale never goes below 0.
    """
    given = list(manual)
    if not given:
        return priced
    by_no = {line.line_no: line for line in lines}
    costs = line_costs(lines, priced)
    # a gift voucher sold is money: no cashier's discount comes off it (issue 22)
    left = max(0, priced.total - sum(line.total for line in lines if line.voucher))
    added: list[AppliedDiscount] = []
    for discount in sorted((d for d in given if not d.is_sale), key=lambda d: d.line_no):
        line = by_no.get(discount.line_no)
        if line is None or line.voucher:
            continue
        amount = min(left, amount_off(discount, costs[line.line_no]))
        if amount > 0:
            uses = ((line.line_no, line.qty),)
            added.append(AppliedDiscount(discount.label(), LINE, amount, 1, uses))
            left -= amount
    for discount in (d for d in given if d.is_sale):
        amount = amount_off(discount, left)
        if amount > 0:
            added.append(AppliedDiscount(discount.label(), SALE, amount, 1))
            left -= amount
    return replace(priced, discounts=(*priced.discounts, *added))


def promotions(priced: PricedBasket) -> PricedBasket:
    """``priced`` without the cashier's discounts: the promotions alone."""
    kept = tuple(d for d in priced.discounts if d.kind not in KINDS)
    return priced if len(kept) == len(priced.discounts) else replace(priced, discounts=kept)


def manual_total(discounts: Iterable[AppliedDiscount]) -> int:
    """What the cashier's discounts among ``discounts`` take off."""
    return sum(d.amount for d in discounts if d.kind in KINDS)


def kept_part(discount: ManualDiscount, sold: int, kept: int) -> ManualDiscount:
    """A sold line's discount as it applies to the ``kept`` of ``sold`` units once some
    came back (for a refund): a percentage stays the same; an amount off (its ``value``
    what it took off the sale) is the share the kept units carry, rounded down."""
    if discount.kind == PERCENT or discount.is_sale or sold <= 0:
        return discount
    return replace(discount, value=discount.value * kept // sold)


OUTGROWN = "its discount was taken off: give it again for the new quantity or price"
"""Said when a change to a line takes the cashier's discounts it outgrew off."""


class GivenDiscounts(dict[int, ManualDiscount]):
    """The cashier's discounts on an open cart, by line number (``SALE_LINE``: the sale's)."""

    def outgrown(self, line_no: int) -> tuple[int, ...]:
        """The discounts a change of line ``line_no``'s quantity or price outgrows: the
        line's own (checked against the cap, perhaps approved, for what the line held:
        an amount off on fewer units is a bigger percentage) and a sale discount a manager
        approved (for the basket as it was). A sale discount within its giver's cap
        stays: a percentage within the cap is within it for any basket."""
        sale = self.get(SALE_LINE)
        approved_sale = (SALE_LINE,) if sale is not None and sale.approver is not None else ()
        return ((line_no,) if line_no in self else ()) + approved_sale

    def forget(self, stale: tuple[int, ...]) -> str:
        """Take the ``stale`` discounts off (once saved so); what to tell the cashier."""
        for line_no in stale:
            self.pop(line_no, None)
        return f"; {OUTGROWN}" if stale else ""

    def line_gone(self, line_no: int, *, cart_empty: bool) -> None:
        """A line left the cart: its discount too; the sale's if the cart is empty."""
        self.pop(line_no, None)
        if cart_empty:
            self.pop(SALE_LINE, None)

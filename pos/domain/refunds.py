"""What a refund pays back: the sale re-priced without what comes back.

A sale keeps the discount rules that applied to it and the local time it was priced at.
A refund re-prices what the customer keeps with those rules at that time (never with
rules that did not apply, so a refund cannot create a discount the customer did not get;
a deal whose set the refund breaks is lost) and pays back::

    what was paid for the sale - the price of what is kept

never below 0, never more than was paid for the lines that have come back. That amount is
*cumulative* (all the refunds of the sale so far, this one included), so a refund pays
the difference from what earlier refunds paid and two partial refunds add up to one
refund of the same units.

Losing a deal can make what is kept dearer than it was with the refunded units still in
it (two lemons at full price cost more than three on "3 for 1.30" when a lemon costs
more than 0.65; spending under a basket threshold). The cumulative amount is then the
best of the refunds the customer could have had by bringing the same units back in some
order (they could always have brought the others first): the highest over every part of
what came back. That keeps every refund at 0 or more and the sum independent of the
order. The parts closest to the whole are tried first and a part whose lines were not
paid enough to beat the best so far is skipped; the search is exact unless more than
:data:`MAX_PRICINGS` parts need pricing (a refund of many lines with many units each,
with deals lost), when it keeps the best of those.

Each refund is split over its lines in proportion to their share of what was paid (for
the VAT, and so that all the refunds of a line never add up to more than was paid for
it). When the amount is more than those lines have left, the rest goes to lines that
came back earlier for less than was paid for them (a line with no quantity on the
receipt): returning everything always pays back exactly what was paid. (A refund that
would pay nothing back is refused, and its units stay with the customer.)

Sales saved before the rules were kept have none (``rules is None``): each line pays back
its share of what was paid, as before (cumulative, floored).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.discounts import Rule
from pos.domain.history import RefundableLine
from pos.domain.manual_discounts import KINDS as MANUAL_KINDS
from pos.domain.manual_discounts import ManualDiscount, kept_part, with_manual
from pos.domain.pricing import PricedBasket, price_cart
from pos.domain.tax import amount_due, share, vat_summary

MAX_PRICINGS = 256
"""The most parts of what came back that working out one refund prices again."""

MAX_PARTS = 20_000
"""The most parts looked at (most are skipped without pricing)."""


@dataclass(frozen=True, slots=True)
class SaleBasis:
    """Everything a sale's refunds are worked out from.

    Attributes:
        lines: The sold lines, with what was paid for each and what came back so far.
        total: What the customer paid for the sale.
        inclusive: Prices include VAT (else it was added on top, and is paid back too).
        rules: The rules that priced the sale; None for sales saved before they were kept.
        priced_at: The local (naive) time the sale was priced at.
        manual: The cashier's discounts (issue 21): applied again, after the rules, to
            what is kept (an amount off as what it took off, shared by the units kept),
            so that a refund pays back what was paid for a line, its discount included.
    """

    lines: tuple[RefundableLine, ...]
    total: int
    inclusive: bool = True
    rules: tuple[Rule, ...] | None = None
    priced_at: datetime | None = None
    manual: tuple[ManualDiscount, ...] = ()

    @property
    def refunded(self) -> int:
        """What earlier refunds of the sale paid back."""
        return sum(line.refunded_amount for line in self.lines)


@dataclass(frozen=True, slots=True)
class RefundItem:
    """One line of a refund: ``qty`` units (grams) of ``line`` back, ``amount`` paid back.
    ``qty`` is 0 for the rest of what was paid for a line that came back earlier."""

    line: RefundableLine
    qty: int
    amount: int


@dataclass(frozen=True, slots=True)
class RefundPlan:
    """What a refund pays back, line by line, and the deals it costs the customer."""

    items: tuple[RefundItem, ...]
    lost: tuple[str, ...] = ()
    recomputed: bool = False

    @property
    def total(self) -> int:
        return sum(item.amount for item in self.items)


class _Basket:
    """Sold lines as the pricing engine reads a cart (lines of one product may repeat)."""

    def __init__(self, lines: Iterable[CartLine]) -> None:
        self.lines = sorted(lines, key=lambda line: line.line_no)
        self.subtotal = sum(line.total for line in self.lines)
        self._by_barcode: dict[str, list[CartLine]] = {}
        for line in self.lines:
            self._by_barcode.setdefault(line.barcode, []).append(line)

    def __iter__(self) -> Iterator[CartLine]:
        return iter(self.lines)

    def lines_for(self, barcode: str) -> Iterable[CartLine]:
        return self._by_barcode.get(barcode, ())


def cart_line(line: RefundableLine, qty: int | None = None) -> CartLine:
    """A sold line as a cart line, with ``qty`` of it (all of it by default)."""
    return CartLine(
        line_no=line.line_no,
        barcode=line.barcode,
        name=line.name,
        unit=Unit(line.unit),
        unit_price=line.unit_price,
        qty=line.sold if qty is None else qty,
        tax_rate=line.tax_rate,
        voucher=line.voucher,
    )


def plan_refund(sale: SaleBasis, quantities: Mapping[int, int]) -> RefundPlan:
    """What bringing back ``quantities`` (line number -> units, or grams) pays back.

    Raises:
        LookupError: a line the sale does not have, or more than is left of it.
    """
    lines = {line.line_no: line for line in sale.lines}
    asked = {no: qty for no, qty in sorted(quantities.items()) if qty != 0}
    for line_no, qty in asked.items():
        line = lines.get(line_no)
        if line is None or qty < 1 or qty > line.left:
            raise LookupError(f"line {line_no}: at most {line.left if line else 0}")
    if sale.rules is None or sale.priced_at is None:
        return _proportional(lines, asked)
    return _Repricing(sale).plan(asked)


def _proportional(lines: Mapping[int, RefundableLine], asked: Mapping[int, int]) -> RefundPlan:
    """Each line pays back its share of what was paid (cumulative, floored)."""
    items = []
    for line_no, qty in asked.items():
        line = lines[line_no]
        after = line.paid * (line.refunded + qty) // line.sold
        items.append(RefundItem(line, qty, after - line.refunded_amount))
    return RefundPlan(tuple(items))


class _Repricing:
    """One sale's refunds worked out by re-pricing what is kept (see the module docstring)."""

    def __init__(self, sale: SaleBasis) -> None:
        assert sale.rules is not None
        assert sale.priced_at is not None
        self.sale = sale
        self.rules = sale.rules
        self.at = sale.priced_at
        self.lines = {line.line_no: line for line in sale.lines}
        self._kept: dict[tuple[tuple[int, int], ...], tuple[int, PricedBasket]] = {}

    def priced(self, back: Mapping[int, int]) -> tuple[int, PricedBasket]:
        """What is kept when ``back`` (line -> units) has come back: its price, as paid
        (VAT added when prices exclude it), and its discounts."""
        kept = tuple(
            (no, line.sold - back.get(no, 0))
            for no, line in self.lines.items()
            if line.sold - back.get(no, 0) > 0
        )
        hit = self._kept.get(kept)
        if hit is None:
            cart = [cart_line(self.lines[no], qty) for no, qty in kept]
            # the sale's coupon rules applied: its coupons unlocked them (issue 22)
            unlocked = frozenset(rule.name for rule in self.rules if rule.coupon)
            # a gift voucher sold is money, not goods: no promotion counted it at the sale
            # (issue 22), so none counts it in what is kept; it is still paid for
            goods = [line for line in cart if not line.voucher]
            priced = price_cart(_Basket(goods), self.rules, self.at, unlocked)
            vouchers = sum(line.total for line in cart if line.voucher)
            if vouchers:
                priced = replace(priced, subtotal=priced.subtotal + vouchers)
            if self.sale.manual:
                left = dict(kept)
                manual = [
                    d if d.is_sale else kept_part(d, self.lines[d.line_no].sold, left[d.line_no])
                    for d in self.sale.manual
                    if d.is_sale or left.get(d.line_no, 0) > 0
                ]
                priced = with_manual(cart, priced, manual)
            hit = (amount_due(vat_summary(cart, priced, inclusive=self.sale.inclusive)), priced)
            self._kept[kept] = hit
        return hit

    def owed(self, back: Mapping[int, int]) -> int:
        """All the refunds of the sale together, once ``back`` has come back: what was paid
        less the price of what is kept, at most what was paid for the lines that came back."""
        touched = [no for no, qty in back.items() if qty > 0]
        if not touched:
            return 0
        most = min(self.sale.total, sum(self.lines[no].paid for no in touched))
        return max(0, min(most, self.sale.total - self.priced(back)[0]))

    def best(self, back: Mapping[int, int]) -> int:
        """The most :meth:`owed` over every part of ``back``: the parts closest to all of
        it first, those that could not pay more skipped, at most MAX_PRICINGS priced."""
        touched = [no for no, qty in back.items() if qty > 0]
        if not touched:
            return 0
        most = min(self.sale.total, sum(self.lines[no].paid for no in touched))
        found = self.owed(back)
        options = []  # what may stay out of each line's part, fewest first
        for no in touched:
            line, qty = self.lines[no], back[no]
            if line.unit == "kg":  # a weighed line comes back whole, or as it came before
                options.append(sorted({0, qty - line.refunded, qty}))
            else:
                options.append(list(range(qty + 1)))
        priced = visited = 0
        for out in _fewest_first(options):
            if found >= most or priced >= MAX_PRICINGS or visited >= MAX_PARTS:
                break
            visited += 1
            part = {no: back[no] - n for no, n in zip(touched, out, strict=True)}
            if min(self.sale.total, sum(self.lines[no].paid for no in part if part[no])) <= found:
                continue  # its lines were not paid enough to beat what is found
            priced += 1
            found = max(found, self.owed(part))
        return found

    def plan(self, asked: Mapping[int, int]) -> RefundPlan:
        before = {no: line.refunded for no, line in self.lines.items() if line.refunded}
        after = dict(before)
        for no, qty in asked.items():
            after[no] = after.get(no, 0) + qty
        due = max(0, self.best(after) - self.sale.refunded)
        items = self._split(due, asked)
        kept_before = self.priced(before)[1].by_name()
        kept_after = self.priced(after)[1].by_name()
        lost = tuple(  # a cashier's discount goes with its line: no deal is lost
            name
            for name, discount in kept_before.items()
            if name not in kept_after and discount.kind not in MANUAL_KINDS
        )
        return RefundPlan(items, lost, recomputed=True)

    def _split(self, due: int, asked: Mapping[int, int]) -> tuple[RefundItem, ...]:
        """Share ``due`` over the lines that come back, in proportion to their share of
        what was paid for them, each at most what it has left; the rest over the lines
        that came back earlier and still have something left."""
        back = {no: self.lines[no] for no in asked}
        weights = {
            no: line.paid * (line.refunded + asked[no]) // line.sold
            - line.paid * line.refunded // line.sold
            for no, line in back.items()
        }
        room = {no: max(0, line.paid - line.refunded_amount) for no, line in back.items()}
        amounts = _fill(min(due, sum(room.values())), weights, room)
        rest = due - sum(amounts.values())
        extra: dict[int, int] = {}
        if rest > 0:
            earlier = {
                no: line.paid - line.refunded_amount
                for no, line in self.lines.items()
                if no not in back and line.refunded and line.paid > line.refunded_amount
            }
            extra = _fill(min(rest, sum(earlier.values())), earlier, earlier)
        items = [RefundItem(line, asked[no], amounts.get(no, 0)) for no, line in back.items()]
        items += [RefundItem(self.lines[no], 0, amount) for no, amount in extra.items() if amount]
        return tuple(items)


def _fewest_first(options: Sequence[Sequence[int]]) -> Iterator[tuple[int, ...]]:
    """Every choice of one option per line except the first of each (left out: nothing),
    by how many options in they are in all, then in order."""
    deepest = sum(len(o) - 1 for o in options)
    for depth in range(1, deepest + 1):
        yield from _at_depth(options, depth)


def _at_depth(options: Sequence[Sequence[int]], depth: int) -> Iterator[tuple[int, ...]]:
    if not options:
        if depth == 0:
            yield ()
        return
    first, rest = options[0], options[1:]
    room = sum(len(o) - 1 for o in rest)
    for index in range(max(0, depth - room), min(depth, len(first) - 1) + 1):
        for tail in _at_depth(rest, depth - index):
            yield (first[index], *tail)


def _fill(amount: int, weights: Mapping[int, int], room: Mapping[int, int]) -> dict[int, int]:
    """Split ``amount`` (at most the total room) in proportion to ``weights``, no key over
    its ``room``: a key that would go over gets its room, the rest is shared again."""
    out = dict.fromkeys(weights, 0)
    open_keys = [k for k in weights if room[k] > 0]
    left = amount
    while left > 0 and open_keys:
        use = {k: weights[k] for k in open_keys}
        if sum(use.values()) <= 0:
            use = {k: room[k] for k in open_keys}
        parts = share(left, use)
        full = [k for k in open_keys if parts[k] >= room[k] - out[k]]
        if not full:
            for k in open_keys:
                out[k] += parts[k]
            return out
        for k in full:
            left -= room[k] - out[k]
            out[k] = room[k]
        open_keys = [k for k in open_keys if k not in full]
    return out

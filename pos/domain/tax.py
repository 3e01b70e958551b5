"""VAT: the summary per rate that a receipt prints, adding up exactly.

Prices are VAT-inclusive by default: the gross per rate is what the customer pays
for the lines at that rate, after their share of the discounts; the VAT in it is
``gross * rate / (100% + rate)`` rounded half up, and the net is the rest, so net
plus VAT is the gross to the penny and the grosses add up to the total.

With tax-exclusive pricing (a setting), the prices are net: VAT per rate is
``net * rate`` rounded half up and is added to the total.

Discounts are shared out over the rates: an item discount goes to the rate of the
lines it used (in proportion to their value), a basket discount in proportion to
what is left at each rate; remainders go by the largest-remainder rule, so the
shares add up exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.money import round_half_up
from pos.domain.pricing import PricedBasket


@dataclass(frozen=True, slots=True)
class RateLine:
    """One row of the VAT summary."""

    rate: int  # basis points
    net: int
    vat: int
    gross: int


def share(amount: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Split ``amount`` over keys in proportion to ``weights``, adding up exactly
    (largest remainder; ties to the larger weight, then the smaller key)."""
    total = sum(weights.values())
    if total <= 0 or amount == 0:
        return dict.fromkeys(weights, 0)
    base = {k: amount * w // total for k, w in weights.items()}
    left = amount - sum(base.values())
    order = sorted(weights, key=lambda k: (-(amount * weights[k] % total), -weights[k], k))
    for k in order[:left]:
        base[k] += 1
    return base


def gross_by_rate(lines: Iterable[CartLine], priced: PricedBasket) -> dict[int, int]:
    """What is paid at each VAT rate, discounts shared out (see the module docstring)."""
    by_no = {line.line_no: line for line in lines}
    gross: dict[int, int] = {}
    money: dict[int, int] = {}  # gift vouchers sold: no discount is ever shared onto them
    for line in by_no.values():
        gross[line.tax_rate] = gross.get(line.tax_rate, 0) + line.total
        if line.voucher:
            money[line.tax_rate] = money.get(line.tax_rate, 0) + line.total
    for discount in priced.discounts:
        if discount.uses:
            weights: dict[int, int] = {}
            for line_no, units in discount.uses:
                line = by_no[line_no]
                value = (  # a weighed line is one unit worth its line total
                    line.total
                    if line.unit is Unit.KG or units >= line.qty or line.qty == 0
                    else (line.total * units // line.qty)
                )
                weights[line.tax_rate] = weights.get(line.tax_rate, 0) + value
        else:
            weights = {
                rate: goods
                for rate, amount in gross.items()
                if (goods := amount - money.get(rate, 0)) > 0
            }
        for rate, part in share(discount.amount, weights).items():
            gross[rate] = gross.get(rate, 0) - part
    return {rate: amount for rate, amount in sorted(gross.items()) if amount or rate in gross}


def vat_summary(
    lines: Iterable[CartLine], priced: PricedBasket, *, inclusive: bool = True
) -> list[RateLine]:
    """The VAT summary per rate; with ``inclusive=False`` the VAT is on top."""
    rows = []
    for rate, amount in gross_by_rate(lines, priced).items():
        if inclusive:
            vat = round_half_up(amount * rate, 10_000 + rate)
            rows.append(RateLine(rate, amount - vat, vat, amount))
        else:
            vat = round_half_up(amount * rate, 10_000)
            rows.append(RateLine(rate, amount, vat, amount + vat))
    return rows


def amount_due(summary: Iterable[RateLine]) -> int:
    """What the customer pays: the sum of the grosses."""
    return sum(row.gross for row in summary)


def paid_per_line(lines: Iterable[CartLine], priced: PricedBasket, total: int) -> dict[int, int]:
    """What the customer paid for each line: its total less its share of the discounts
    (an item discount on the lines it used, a basket discount on all), scaled to the sale's
    ``total`` (which includes the VAT when prices exclude it). Adds up to ``total`` exactly.
    A refund pays back at most these amounts."""
    by_no = {line.line_no: line for line in lines}
    left = {no: line.total for no, line in by_no.items()}
    for discount in priced.discounts:
        if discount.uses:
            weights = {
                no: by_no[no].total if by_no[no].unit is Unit.KG else by_no[no].unit_price * units
                for no, units in discount.uses
            }
        else:
            weights = {
                no: amount for no, amount in left.items() if amount > 0 and not by_no[no].voucher
            }
        for no, part in share(discount.amount, weights).items():
            left[no] -= part
    net = {no: max(0, amount) for no, amount in left.items()}
    return share(total, net) if sum(net.values()) else dict.fromkeys(by_no, 0)

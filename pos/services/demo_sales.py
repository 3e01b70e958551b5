"""The generated sales history of ``pos demo-data``: completed sales over the year 2026.

Each sale has 1 to 30 lines of popular products, is paid by cash, card or both, and
carries the VAT summary, the paid share of each line and the receipt text, as the till
writes them. Generated sales carry no discounts and no audit-log entries (see
:mod:`pos.services.demo_data`). Everything comes from the random stream it is given.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

from pos.db.sales import SaleRecord
from pos.domain.cart import CartLine
from pos.domain.catalog import Product, Unit
from pos.domain.pricing import PricedBasket
from pos.domain.receipt import ReceiptData, render_receipt
from pos.domain.tax import RateLine, amount_due, paid_per_line, vat_summary
from pos.domain.tender import Tender, quick_cash
from pos.services.demo_catalog import DAYS, YEAR_START
from pos.services.store import DEMO_OPERATORS, StoreSettings


def make_sales(
    rng: random.Random,
    count: int,
    popular: list[Product],
    settings: StoreSettings,
    lines_made: list[int],
) -> Iterator[SaleRecord]:
    """``count`` completed sales of ``popular`` products in time order over the year
    (adding the number of their lines to ``lines_made[0]``)."""
    seconds = sorted(_sale_second(rng) for _ in range(count))
    names = {number: name for number, name, _, _ in DEMO_OPERATORS}
    for second in seconds:
        at = YEAR_START + timedelta(seconds=second)
        operator = "9001" if rng.random() < 0.15 else "1001"
        lines = _lines(rng, popular, operator)
        lines_made[0] += len(lines)
        priced = PricedBasket(sum(line.total for line in lines), ())
        vat = vat_summary(lines, priced, inclusive=settings.tax_inclusive)
        due = amount_due(vat)
        tender = _pay(rng, due)
        local = at.astimezone().replace(tzinfo=None)
        yield SaleRecord(
            uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            at=at,
            operator=operator,
            lines=lines,
            priced=priced,
            total=due,
            tax_inclusive=settings.tax_inclusive,
            payments=tuple(tender.payments),
            vat=vat,
            paid=paid_per_line(lines, priced, due),
            receipt_text=functools.partial(
                _receipt,
                settings=settings,
                operator=names[operator],
                local=local,
                lines=lines,
                priced=priced,
                vat=vat,
                tender=tender,
            ),
            rules=(),
            priced_at=local,
        )


def _sale_second(rng: random.Random) -> int:
    """A second of the year in opening hours (UTC 07:00 to 21:59), busier around midday
    and the early evening."""
    day = rng.randrange(DAYS)
    hour = rng.choices(range(7, 22), (2, 4, 5, 6, 7, 8, 7, 6, 6, 7, 8, 8, 6, 4, 2))[0]
    return ((day * 24 + hour) * 60 + rng.randrange(60)) * 60 + rng.randrange(60)


def _lines(rng: random.Random, popular: list[Product], operator: str) -> list[CartLine]:
    """1 to 30 lines of different products (most baskets are small)."""
    n = min(30, 1 + int(rng.expovariate(1 / 8)))
    lines = []
    for line_no, product in enumerate(rng.sample(popular, min(n, len(popular))), 1):
        if product.unit is Unit.KG:
            qty = rng.randrange(150, 2500, 5)  # grams
        else:
            qty = rng.choices((1, 2, 3, 4, 6), (75, 15, 5, 3, 2))[0]
        lines.append(CartLine.for_product(line_no, product, qty, operator=operator))
    return lines


def _pay(rng: random.Random, due: int) -> Tender:
    """Card, cash (the exact amount or the next notes up, with change) or both."""
    tender = Tender(due)
    if due <= 0:
        return tender
    way = rng.random()
    if way < 0.55:
        tender.card()
    else:
        if way > 0.95 and due >= 200:  # split: part by card, the rest in cash
            tender.card(due // rng.choice((2, 3, 4)))
        tender.cash(rng.choice(quick_cash(tender.remaining)))
    return tender


def _receipt(
    number: int,
    *,
    settings: StoreSettings,
    operator: str,
    local: datetime,
    lines: list[CartLine],
    priced: PricedBasket,
    vat: Sequence[RateLine],
    tender: Tender,
) -> str:
    return render_receipt(
        ReceiptData(
            settings.store_name,
            settings.till_name,
            number,
            operator,
            local,
            lines,
            priced,
            vat,
            tender.payments,
            settings.tax_inclusive,
            currency=settings.currency_symbol,
            demo=settings.demo,
        ),
        settings.receipt_width,
    )

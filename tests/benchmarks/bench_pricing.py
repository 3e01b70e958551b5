"""Figure 4: re-pricing the L-line cart against the R rules of the database.

Incremental: after one scan (a rescan of a product already in the cart, so the cart
stays at L lines), ``Pricer.price`` with the scanned barcode as the change, as
``CheckoutService.reprice`` calls it, for each of S scans: p99. Full: the cart priced
from scratch with ``price_cart`` (a new Pricer: components built, every one solved)."""

from __future__ import annotations

import tempfile
import time
from datetime import datetime
from pathlib import Path

from pos.db.database import open_database
from pos.db.repositories import DiscountRepository, ProductRepository
from pos.domain.cart import Cart, CartLine
from pos.domain.pricing import Pricer, price_cart
from tests.benchmarks.common import Sizes, emit, median, ms, percentile
from tests.benchmarks.fixture import cart_barcode, working_copy

AT = datetime(2026, 3, 14, 9, 30)  # local shop time, a Saturday morning
FULL_RUNS = 20


def bench_pricing(sizes: Sizes) -> list[dict[str, object]]:
    with (
        tempfile.TemporaryDirectory(prefix="pos-bench-price-") as folder,
        working_copy(sizes.products, sizes.rules, Path(folder)) as target,
    ):
        db = open_database(target)
        try:
            products = ProductRepository(db)
            found = [products.get(cart_barcode(k, sizes.products)) for k in range(sizes.lines)]
            rules = DiscountRepository(db).all()
        finally:
            db.close()
    lines = []
    for number, product in enumerate(found, 1):
        assert product is not None
        lines.append(CartLine.for_product(number, product, 1))
    cart = Cart(lines)
    assert len(cart) == sizes.lines
    pricer = Pricer(rules)
    reference = pricer.price(cart, AT)

    incremental: list[float] = []
    for k in range(sizes.reprices):
        line = cart.lines[(k * 7) % len(cart)]
        cart.put(line.with_qty(line.qty + 1))
        started = time.perf_counter()
        priced = pricer.price(cart, AT, {line.barcode})
        incremental.append(time.perf_counter() - started)

    full: list[float] = []
    for _ in range(FULL_RUNS):
        started = time.perf_counter()
        again = price_cart(cart, rules, AT)
        full.append(time.perf_counter() - started)
    assert again == priced, "the incremental price differs from pricing from scratch"

    sized = {"rules": len(rules), "lines": len(cart), "scans": sizes.reprices}
    p99 = ms(percentile(incremental, 99))
    full_ms = ms(median(full))
    return [
        emit(
            "4_reprice_incremental_p99",
            p99,
            "ms",
            sized,
            "<= 2 ms",
            p99 <= 2,
            median_ms=round(ms(median(incremental)), 4),
            discounts=len(priced.discounts),
            discounts_at_start=len(reference.discounts),
        ),
        emit(
            "4_reprice_full",
            full_ms,
            "ms",
            sized | {"runs": FULL_RUNS},
            "<= 50 ms (median of the runs)",
            full_ms <= 50,
            max_ms=round(ms(max(full)), 3),
        ),
    ]

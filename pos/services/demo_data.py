"""A deterministic large database for benchmarks and for trying the till at scale
(``pos demo-data``).

The database is made as ``pos init --demo`` makes it (schema, settings, the demo
operators, the demo catalog, built beside the target and swapped in when complete), and
then filled with generated data, all of it a function of the arguments and the seed:

* products with valid, unique EAN-13 barcodes (GS1 country prefixes, never the in-store
  ``2`` range), names combined from brand, product and size word lists, prices from
  0.25 to 49.99 skewed low, VAT 0/5/20 % and a few percent weighed (``kg``) items;
* discount rules of every kind, as rule-file JSON checked by :func:`parse_rule`
  against the catalog, on popular products (the ones the sales buy);
* completed sales over the year 2026 (UTC), 1 to 30 lines each, paid by cash, card or
  both, with gapless receipt numbers on the database's till, the VAT summary, the paid
  share of each line and the receipt text, as the till writes them.

Generated sales carry no discounts (their rules list is empty), and they have **no
audit-log entries**: the log is append-only and hash-chained, and it only records what
really happened, so the generator writes nothing to it.

Times are fixed (the year 2026), never the wall clock. The receipt text shows the local
time of the machine that ran the generator, as the till's receipts do, so the same
arguments give byte-identical tables on machines in the same time zone.

This module makes the database and times the parts; the products and rules are made by
:mod:`pos.services.demo_catalog`, the sales by :mod:`pos.services.demo_sales`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from pos.auth.pins import PinHasher
from pos.config import DbTarget
from pos.db.database import Database
from pos.db.repositories import DiscountRepository, ProductRepository, SettingsRepository
from pos.db.sales import SaleRecord, SaleRepository
from pos.domain.catalog import Product
from pos.domain.discounts import Rule
from pos.paths import DEMO_CATALOG
from pos.services.demo_catalog import make_products, make_rules
from pos.services.demo_sales import make_sales
from pos.services.store import StoreSettings
from pos.services.store_setup import init_database

MAX_PRODUCTS = 10_000_000
MAX_RULES = 100_000
MAX_SALES = 10_000_000

POPULAR = 4_000
"""How many products the sales and the rules draw from (what a shop mostly sells)."""


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What :func:`generate_demo_data` made and how long each part took (seconds)."""

    path: DbTarget
    seed: int
    products: int
    """Generated products (the demo catalog's come on top: ``demo_products``)."""
    demo_products: int
    rules: int
    sales: int
    sale_lines: int
    setup_seconds: float
    products_seconds: float
    rules_seconds: float
    sales_seconds: float
    total_seconds: float

    def summary(self) -> str:
        return (
            f"made {self.products:,} products, {self.rules:,} rules, {self.sales:,} sales "
            f"in {self.total_seconds:.1f} s"
        )


def generate_demo_data(
    path: DbTarget,
    *,
    products: int,
    rules: int,
    sales: int,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
    hasher: PinHasher | None = None,
    till: str | None = None,
) -> DemoReport:
    """Make a database at ``path`` like ``pos init --demo`` (without the demo rules)
    and fill it with ``products`` generated products, ``rules`` rules of every kind and
    ``sales`` completed sales, all determined by ``seed`` (see the module docstring).

    The sales skip the audit log (it records only what really happened). ``progress``
    is called with counts of things made (products, rules and sales, adding up to
    ``products + rules + sales``). ``hasher`` hashes the demo operators' PINs (tests
    pass a fast one). ``till`` names the till the sales are made on (``pos --till``),
    instead of the ``till_name`` setting.

    Raises:
        ValueError: a size out of range (``rules`` needs ``products`` >= 10 and
            ``sales`` needs ``products`` >= 30).
        DatabaseOpenError: the file exists and is not empty (without ``force``), as
            ``pos init``; nothing is changed.
        StorageError: a write failed; nothing is swapped in.
    """
    _check_sizes(products, rules, sales)
    started = time.perf_counter()
    times: dict[str, float] = {}
    made: dict[str, int] = {}

    def fill(db: Database) -> None:
        times["setup"] = time.perf_counter() - started
        generator = _Generator(seed, products)
        tick = time.perf_counter()
        made["products"] = ProductRepository(db).insert_new(generator.products(progress))
        made["demo"] = ProductRepository(db).count() - made["products"]
        times["products"] = time.perf_counter() - tick
        tick = time.perf_counter()
        made_rules = generator.rules(rules)
        DiscountRepository(db).upsert_many(made_rules)
        if progress is not None and made_rules:
            progress(len(made_rules))
        made["rules"] = len(made_rules)
        times["rules"] = time.perf_counter() - tick
        tick = time.perf_counter()
        settings = StoreSettings.load(SettingsRepository(db))
        if till is not None:
            settings = replace(settings, till_name=till)
        repo = SaleRepository(db, settings.till_name)
        lines = [0]
        made["sales"] = repo.complete_many(generator.sales(sales, settings, lines), progress)
        made["lines"] = lines[0]
        times["sales"] = time.perf_counter() - tick

    init_database(
        path,
        demo_catalog=DEMO_CATALOG,
        demo_operators=True,
        force=force,
        hasher=hasher,
        fill=fill,
    )
    return DemoReport(
        path=path,
        seed=seed,
        products=made["products"],
        demo_products=made["demo"],
        rules=made["rules"],
        sales=made["sales"],
        sale_lines=made["lines"],
        setup_seconds=times["setup"],
        products_seconds=times["products"],
        rules_seconds=times["rules"],
        sales_seconds=times["sales"],
        total_seconds=time.perf_counter() - started,
    )


def _check_sizes(products: int, rules: int, sales: int) -> None:
    for name, value, high in (
        ("products", products, MAX_PRODUCTS),
        ("rules", rules, MAX_RULES),
        ("sales", sales, MAX_SALES),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            raise ValueError(f"{name} must be a whole number from 0 to {high:,}")
    if rules and products < 10:
        raise ValueError("rules need at least 10 products to act on")
    if sales and products < 30:
        raise ValueError("sales need at least 30 products to sell")


class _Generator:
    """Everything generated from one seed. Each part has its own random stream, so the
    products do not change when only the number of rules or sales does."""

    def __init__(self, seed: int, count: int) -> None:
        self.seed = seed
        self.count = count
        picker = random.Random(f"pos-demo:{seed}:popular")
        self.popular_at = set(picker.sample(range(count), min(count, POPULAR)))
        self.popular: list[Product] = []

    def _random(self, part: str) -> random.Random:
        return random.Random(f"pos-demo:{self.seed}:{part}")

    def products(
        self, progress: Callable[[int], None] | None, every: int = 10_000
    ) -> Iterator[Product]:
        """The generated products, streamed (never all in memory); remembers the popular
        ones for the rules and sales."""
        return make_products(
            self._random("products"), self.count, self.popular_at, self.popular, progress, every
        )

    def rules(self, count: int) -> list[Rule]:
        """``count`` rules of every kind on popular products, checked by ``parse_rules``
        against the products they name."""
        return make_rules(self._random("rules"), count, self.popular)

    def sales(
        self, count: int, settings: StoreSettings, lines_made: list[int]
    ) -> Iterator[SaleRecord]:
        """``count`` completed sales in time order over the year."""
        return make_sales(self._random("sales"), count, self.popular, settings, lines_made)

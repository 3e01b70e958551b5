"""Everything the app needs, built once from a database path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pos.db.database import Database, open_database
from pos.db.repositories import (
    CartRepository,
    DiscountRepository,
    ProductRepository,
    SettingsRepository,
)
from pos.domain.clock import Clock, IdGenerator
from pos.services.catalog import CatalogService
from pos.services.checkout import CheckoutService
from pos.services.discounts import DiscountService
from pos.services.store import StoreSettings


@dataclass
class Services:
    """The app's collaborators: the screens call these, never the database."""

    db_path: Path
    db: Database
    settings: StoreSettings
    checkout: CheckoutService
    catalog: CatalogService
    discounts: DiscountService

    def close(self) -> None:
        self.db.close()


def build_services(
    db_path: Path, *, clock: Clock, ids: IdGenerator, create: bool = False
) -> Services:
    """Open the database and wire the services to it.

    Raises:
        DatabaseOpenError: the database cannot be used (the message says why).
    """
    db = open_database(db_path, create=create)
    try:
        settings = StoreSettings.load(SettingsRepository(db))
        products = ProductRepository(db)
        checkout = CheckoutService(
            products,
            CartRepository(db, settings.till_name),
            clock,
            ids.new_id,
            settings.patterns,
            DiscountRepository(db),
        )
        catalog = CatalogService(products, settings.patterns)
        discounts = DiscountService(DiscountRepository(db), products)
    except Exception:
        db.close()
        raise
    return Services(db_path, db, settings, checkout, catalog, discounts)

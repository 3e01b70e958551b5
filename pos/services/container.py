"""Everything the app needs, built once from a database path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pos.db.database import Database, TillLock, open_database
from pos.db.errors import DatabaseOpenError, StorageError
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
    lock: TillLock | None = None

    def close(self) -> None:
        self.db.close()
        if self.lock is not None:
            self.lock.release()


def build_services(
    db_path: Path, *, clock: Clock, ids: IdGenerator, create: bool = False
) -> Services:
    """Open the database and wire the services to it.

    Raises:
        DatabaseOpenError: the database cannot be used (the message says why).
    """
    db = open_database(db_path, create=create)
    lock = None
    try:
        settings = StoreSettings.load(SettingsRepository(db))
        lock = TillLock(db_path, settings.till_name)
        lock.acquire()
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
    except StorageError as exc:
        db.close()
        if lock is not None:
            lock.release()
        raise DatabaseOpenError(
            f"{db_path}: the database cannot be read ({exc.detail}); run pos db check"
        ) from exc
    except Exception:
        db.close()
        if lock is not None:
            lock.release()
        raise
    return Services(db_path, db, settings, checkout, catalog, discounts, lock)

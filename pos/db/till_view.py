"""One till's open cart and last sale, read from its SQLite file and never written.

The customer display (``pos display``) follows a till from another process: it opens the
file read-only (``mode=ro``: SQLite itself refuses any write), asks ``PRAGMA
data_version`` (cheap, and it changes only when another connection commits) and reads
the cart again only when it changed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import peewee

from pos.db import models as m
from pos.db.carts import cart_line
from pos.db.errors import DatabaseOpenError, StorageError, bound, storage_errors
from pos.domain.cart import CartLine
from pos.domain.catalog import Unit


def open_read_only(path: Path) -> peewee.Database:
    """A connection to the SQLite file at ``path`` that cannot write.

    Raises:
        DatabaseOpenError: there is no such file, or it is not one SQLite can read.
    """
    if not path.is_file():
        raise DatabaseOpenError(f"{path}: no such database file")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    db = peewee.SqliteDatabase(uri, uri=True, autoconnect=False)
    try:
        db.connect()
        db.execute_sql("PRAGMA schema_version").fetchone()  # fails now if not a database
    except (peewee.DatabaseError, sqlite3.Error) as exc:
        db.close()
        raise DatabaseOpenError(f"{path}: cannot be read ({exc})") from exc
    return db


def data_version(db: peewee.Database) -> int:
    """A number that changes whenever another connection commits a change to the file."""
    with storage_errors():
        row = db.execute_sql("PRAGMA data_version").fetchone()
    return int(row[0])


def store_till(db: peewee.Database) -> str | None:
    """The till a file made for a store belongs to (its sync state says), else None: such
    a file always sells as that till, whatever ``--till`` says."""
    with storage_errors():
        tables = db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'"
        ).fetchone()
        if tables is None:
            return None
        row = db.execute_sql("SELECT value FROM sync_state WHERE key = 'till'").fetchone()
    return None if row is None else str(row[0])


@dataclass(frozen=True)
class OpenCart:
    """The till's open cart: its id and lines in scan order."""

    id: int
    lines: list[CartLine]


@dataclass(frozen=True)
class PaidSale:
    """A completed sale as the customer saw it paid."""

    id: int
    items: int
    subtotal: int
    total: int
    discount_total: int
    tendered: int
    change: int


class TillView:
    """Read-only queries about one till (``till``) on ``db``."""

    def __init__(self, db: peewee.Database, till: str) -> None:
        self.db = db
        self.till = till

    def read(self) -> tuple[OpenCart | None, PaidSale | None]:
        """The open cart and the newest sale, read in one transaction (one snapshot).

        Raises:
            StorageError: the file cannot be read.
        """
        with bound(self.db), storage_errors(), self.db.atomic():
            return self._open_cart(), self._last_sale()

    def _open_cart(self) -> OpenCart | None:
        row = (
            m.Cart.select(m.Cart.id)
            .where((m.Cart.till == self.till) & (m.Cart.status == "open"))
            .order_by(m.Cart.id.desc())
            .first()
        )
        if row is None:
            return None
        query = m.CartLine.select().where(m.CartLine.cart == row.id).order_by(m.CartLine.line_no)
        return OpenCart(row.id, [cart_line(line) for line in query])

    def _last_sale(self) -> PaidSale | None:
        sale = m.Sale.select().where(m.Sale.till == self.till).order_by(m.Sale.id.desc()).first()
        if sale is None:
            return None
        payments = list(m.Payment.select().where(m.Payment.sale == sale.id))
        lines = m.SaleLine.select(m.SaleLine.unit, m.SaleLine.qty).where(m.SaleLine.sale == sale.id)
        return PaidSale(
            id=sale.id,
            items=sum(
                1 if line.unit == Unit.KG.value else line.qty for line in lines
            ),  # as Cart counts
            subtotal=sale.subtotal,
            total=sale.total,
            discount_total=sale.discount_total,
            tendered=sum(p.tendered for p in payments),
            change=sum(p.change for p in payments),
        )


__all__ = [
    "OpenCart",
    "PaidSale",
    "StorageError",
    "TillView",
    "data_version",
    "open_read_only",
    "store_till",
]

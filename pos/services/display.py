"""What the customer display shows: the till's open cart priced as the till prices it.

The display (``pos display``) follows a till from another process, through a read-only
connection (:mod:`pos.db.till_view`). Each :meth:`CustomerDisplay.poll` asks whether the
file changed and, only then, reads the open cart and prices it with the till's own
pricing (:class:`~pos.services.cart_pricing.CartPricing` over the discount rules), so the
total and the savings are the till's. After a sale, the amount paid and the change are
shown until the next item is scanned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from pos.db.database import Database
from pos.db.errors import StorageError
from pos.db.repositories import DiscountRepository, SettingsRepository
from pos.db.till_view import OpenCart, TillView, data_version, open_read_only, store_till
from pos.domain.cart import Cart, CartLine
from pos.domain.catalog import Unit
from pos.domain.clock import Clock
from pos.services.cart_pricing import CartPricing
from pos.services.store import StoreSettings

log = logging.getLogger(__name__)


class Showing(Enum):
    """What the display is showing."""

    WAITING = "waiting"  # no items yet (no open cart, an empty one, or no till yet)
    CART = "cart"  # the open cart's last item and totals
    PAID = "paid"  # the sale just paid: paid, change, thank you


@dataclass(frozen=True)
class DisplayState:
    """Everything on the customer display, in minor units."""

    store: str
    till: str
    showing: Showing = Showing.WAITING
    last_item: str = ""
    last_count: int = 0  # how many of the last item (0: weighed)
    last_price: int = 0  # its line's price (all of them)
    items: int = 0
    subtotal: int = 0
    savings: int = 0
    total: int = 0
    paid: int = 0
    change: int = 0


class CustomerDisplay:
    """One till followed from its database file, read-only.

    Attributes:
        till: The till followed.
        state: What the display shows now.
    """

    def __init__(self, db: Database, till: str | None, clock: Clock) -> None:
        self._db = db
        settings = StoreSettings.load(SettingsRepository(db))
        # a file made for a store sells as its own till, as the till itself does
        self.till = store_till(db) or till or settings.till_name
        self._store = settings.store_name
        self._view = TillView(db, self.till)
        self._pricing = CartPricing(DiscountRepository(db), clock)
        self._version: int | None = None
        self._thanked: int | None = None  # the newest sale when items were last seen
        self._seen: dict[int, tuple[int, int]] = {}  # each line's qty and price, last read
        self._last_no = 0
        self.state = DisplayState(self._store, self.till)

    @classmethod
    def open(cls, path: Path, till: str | None, clock: Clock) -> CustomerDisplay:
        """Follow ``till`` (the file's till_name setting when None) in the file at ``path``.

        Raises:
            DatabaseOpenError: the file cannot be read.
        """
        return cls(open_read_only(path), till, clock)

    def close(self) -> None:
        self._db.close()

    def poll(self) -> bool:
        """Read the till again if its file changed since the last poll; whether it did.

        A file that cannot be read just now (the till is being restored, the disk is
        busy) leaves the display as it is; the next poll tries again.
        """
        try:
            version = data_version(self._db)
            if version == self._version:
                return False
            self.refresh()
        except StorageError:
            log.warning("the customer display cannot read the till's file", exc_info=True)
            self._version = None
            return False
        self._version = version
        return True

    def refresh(self) -> DisplayState:
        """Read the till now and work out what to show."""
        self._store = StoreSettings.load(SettingsRepository(self._db)).store_name
        cart, sale = self._view.read()
        sale_id = sale.id if sale is not None else 0
        if self._thanked is None:
            self._thanked = sale_id  # started now: a sale paid before is not thanked for
        if cart is not None and cart.lines:
            self._thanked = sale_id
            self.state = self._cart_state(cart)
        elif sale is not None and sale_id != self._thanked:
            self.state = DisplayState(
                self._store,
                self.till,
                Showing.PAID,
                items=sale.items,
                subtotal=sale.subtotal,
                savings=sale.discount_total,
                total=sale.total,
                paid=sale.tendered,
                change=sale.change,
            )
            self._seen = {}
        else:
            self.state = DisplayState(self._store, self.till)
            self._seen = {}
        return self.state

    def _cart_state(self, stored: OpenCart) -> DisplayState:
        cart = Cart(stored.lines)
        self._pricing.forget()
        priced = self._pricing.reprice(cart)
        last = self._last_line(stored.lines)
        return DisplayState(
            self._store,
            self.till,
            Showing.CART,
            last_item=last.name,
            last_count=0 if last.unit is Unit.KG else last.qty,
            last_price=last.total,
            items=cart.item_count,
            subtotal=priced.subtotal,
            savings=priced.discount_total,
            total=priced.total,
        )

    def _last_line(self, lines: list[CartLine]) -> CartLine:
        """The line changed last: one added or changed since the last read, else the one
        shown before (if it is still there), else the newest."""
        now = {line.line_no: (line.qty, line.unit_price) for line in lines}
        changed = [no for no, seen in now.items() if self._seen.get(no) != seen]
        self._seen = now
        if changed:
            self._last_no = max(changed)
        elif self._last_no not in now:
            self._last_no = max(now)
        return next(line for line in lines if line.line_no == self._last_no)

"""Price check (F1 on the scanning screen): what an item costs and which deals it is in
right now, read the way a scan reads it, without touching the cart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pos.auth.guard import Authority
from pos.db.errors import StorageError
from pos.db.repositories import ProductRepository
from pos.domain.barcodes import BarcodePattern
from pos.domain.catalog import Product
from pos.domain.clock import Clock
from pos.domain.discounts import Rule, describe_condition
from pos.services.cart_pricing import RuleSource
from pos.services.guarded import guarded
from pos.services.outcomes import Outcome, unreadable
from pos.services.scan_entry import look_up


@dataclass(frozen=True, slots=True)
class PriceCheck:
    """One item's price check.

    Attributes:
        product: The catalog's product (its price is per kg for a weighed one).
        label_price: A price-embedded label's own price (the deli's), else None.
        label_grams: A weight-embedded label's weight, else None.
        deals: Each item deal the product is in right now, in words: its name, what it
            takes and what it gives (``3 for 1.00: 3 x Lemons, set for 1.00``).
    """

    product: Product
    label_price: int | None
    label_grams: int | None
    deals: tuple[str, ...]


class PriceCheckService:
    """Looks an item up as a scan would (the same barcode patterns and the same catalog),
    and the item deals it is in at the till's local time now."""

    def __init__(
        self,
        products: ProductRepository,
        patterns: Callable[[], tuple[BarcodePattern, ...]],
        rules: RuleSource,
        clock: Clock,
        *,
        authority: Authority,
    ) -> None:
        self.products = products
        self.patterns = patterns  # asked at each look-up: the setting may have changed
        self.rules = rules
        self.clock = clock
        self.authority = authority
        self._read: tuple[int, tuple[Rule, ...]] | None = None

    @guarded("sale")
    def look_up(self, code: str) -> PriceCheck | Outcome:
        """The price check for a scanned or typed ``code``, or a failed :class:`Outcome`
        that says why there is none (the scan's own messages)."""
        found = look_up(code, self.products, self.patterns())
        if isinstance(found, Outcome):
            return found
        product, embedded = found
        now = self.clock.now().astimezone().replace(tzinfo=None)  # rule windows are local
        try:
            rules = [
                rule
                for rule in sorted(self._rules(), key=Rule.sort_key)
                if not rule.is_basket
                and product.barcode in rule.barcodes
                and rule.is_active_at(now)
            ]
            names = self.products.names(code for rule in rules for code in rule.items)
        except StorageError as exc:
            return unreadable(exc)
        deals = tuple(
            f"{rule.name}: {describe_condition(rule, lambda c: names.get(c, c))}, "
            f"{rule.spec.describe(rule)}"
            for rule in rules
        )
        return PriceCheck(product, embedded.price, embedded.grams, deals)

    def _rules(self) -> tuple[Rule, ...]:
        """The rules, read again only when they changed (their version)."""
        version = self.rules.version()
        if self._read is None or self._read[0] != version:
            self._read = (version, tuple(self.rules.all()))
        return self._read[1]

"""How the open cart is priced: against the discount rules, re-read when they change.

The rules are read when the cart is first priced, not when the till starts, and read
again when their version changes (a manager saved one): the change takes effect on the
next scan of every open cart. A cart is priced again after every change, only for the
products whose lines changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from pos.db.errors import StorageError
from pos.domain.cart import Cart
from pos.domain.clock import Clock
from pos.domain.discounts import Rule
from pos.domain.pricing import PricedBasket, Pricer
from pos.domain.vouchers import GoodsOnly


class RuleSource(Protocol):
    """Where the discount rules come from, and a version that changes with them."""

    def version(self) -> int: ...

    def all(self) -> list[Rule]: ...


class NoRules:
    """A rule source with no rules."""

    def version(self) -> int:
        return 0

    def all(self) -> list[Rule]:
        return []


class CartPricing:
    """One till's cart priced against the discount rules, kept with the time it was.

    Attributes:
        rule_set: The rules read last (empty until they are read).
    """

    def __init__(
        self,
        rules: RuleSource | None,
        clock: Clock,
        capped: Callable[[Iterable[Rule]], frozenset[str]] | None = None,
    ) -> None:
        self._rules = rules or NoRules()
        self._capped = capped
        """The rules of those given that have had all their ``max_uses`` (read from the
        database; issue 22): left out when the rules are read."""
        self._clock = clock
        self._rules_version = 0
        self.rule_set: tuple[Rule, ...] = ()
        self._pricer: Pricer | None = None  # the rules are not read yet
        self._priced: PricedBasket | None = None
        self._priced_at: datetime | None = None
        self.coupons: frozenset[str] = frozenset()
        """The coupon rules the cart's coupons unlock (issue 22, :mod:`.cart_coupons`)."""
        self.spent: frozenset[str] = frozenset()
        """Rules at their ``max_uses``: left out. Read with the rules (another till may
        have used the last use), and added to when a sale or a recheck finds one."""

    def forget(self) -> None:
        """Another cart was loaded: price it from scratch when it is next looked at."""
        self._priced = None

    def load_rules(self) -> None:
        """Read the discount rules, if they have not been read yet.

        Raises:
            StorageError: they cannot be read (nothing is priced without them).
        """
        if self._pricer is None:
            self._read_rules(self._rules.version())

    def current_rules(self) -> tuple[Rule, ...]:
        """The rules as they are now, read again if their version changed since the last
        scan (a coupon scanned first, or just after a manager added its rule); the cart is
        then priced from scratch. The rules held are kept if they cannot be read."""
        try:
            version = self._rules.version()
            if self._pricer is None or version != self._rules_version:
                self._read_rules(version)
                self._priced = None
        except StorageError:
            pass
        return self.rule_set

    def _read_rules(self, version: int) -> None:
        """Read the rules (at ``version``) and price with them from now on; nothing
        changes if they cannot be read (StorageError)."""
        rule_set = tuple(self._rules.all())
        if self._capped is not None:
            with suppress(StorageError):  # cannot look: the recheck and the commit do
                self.spent = self._capped(rule_set)
        self._pricer = Pricer([r for r in rule_set if r.name not in self.spent])
        self.rule_set = rule_set
        self._rules_version = version

    def local_now(self) -> datetime:
        """The shop's local time (naive), which rule windows are written in."""
        return self._clock.now().astimezone().replace(tzinfo=None)

    def priced(self, cart: Cart) -> PricedBasket:
        """``cart`` as priced last (priced now if it has not been since it was loaded).

        Raises:
            StorageError: only the first time, if the rules cannot be read.
        """
        if self._priced is None:
            return self.reprice(cart)
        return self._priced

    def priced_at(self, cart: Cart) -> datetime:
        """The local (naive) time ``cart`` was last priced at."""
        if self._priced is None:
            self.reprice(cart)
        assert self._priced_at is not None
        return self._priced_at

    def reprice(self, cart: Cart, changed: Iterable[str] | None = None) -> PricedBasket:
        """Price ``cart`` again; ``changed`` names the products whose lines changed.

        If the rules changed since the last scan (a manager saved one), they are
        reloaded first: a change takes effect on the next scan of every open cart.

        Raises:
            StorageError: only if the rules have never been read and cannot be.
        """
        if self._pricer is None:
            self.load_rules()
            changed = None
        else:  # rules read again (then priced from scratch) or kept if they cannot be
            self.current_rules()
        if self._priced is None:
            changed = None  # a cart just loaded: nothing cached is about it
        assert self._pricer is not None
        self._priced_at = self.local_now()
        # a gift voucher is money, not goods: no promotion sees its lines (issue 22)
        view = GoodsOnly(cart) if cart.voucher_lines else cart
        priced = self._pricer.price(view, self._priced_at, changed, self.coupons)
        if view is not cart:  # the vouchers are still paid for: back in the subtotal
            priced = replace(priced, subtotal=cart.subtotal)
        self._priced = priced
        return self._priced

    def leave_out(self, rule: str) -> None:
        """Price without ``rule`` from now on (it reached its ``max_uses``)."""
        self.spent |= {rule}
        self._pricer = Pricer([r for r in self.rule_set if r.name not in self.spent])
        self._priced = None

    def applied_rules(self, cart: Cart) -> tuple[Rule, ...]:
        """The rules behind ``cart``'s discounts as priced last."""
        names = {discount.name for discount in self.priced(cart).discounts}
        return tuple(rule for rule in self.rule_set if rule.name in names)

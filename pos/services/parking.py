"""Parking a cart for later and recalling it: the part of
:class:`pos.services.checkout.CheckoutService` that holds carts aside (one question, in
a file of its own; the service mixes it in and owns the state it uses)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from pos.db.errors import StorageError
from pos.domain.cart import Cart, ParkedCart, StoredCart
from pos.domain.money import format_money
from pos.domain.pricing import PricedBasket, price_cart
from pos.domain.text import plural, sentence
from pos.services.outcomes import Change, Outcome, not_saved, unreadable

if TYPE_CHECKING:
    from pos.auth.guard import Authority
    from pos.db.carts import CartRepository
    from pos.domain.clock import Clock
    from pos.services.cart_pricing import CartPricing


class Parking:
    """Park, recall and list the parked carts of the till (scope ``sale`` for each)."""

    if TYPE_CHECKING:  # what CheckoutService has, which these methods use
        authority: Authority
        cart: Cart
        cart_id: int
        _carts: CartRepository
        _clock: Clock
        _new_id: Callable[[], str]
        _pricing: CartPricing

        @property
        def priced(self) -> PricedBasket: ...
        def _load(self, stored: StoredCart) -> None: ...
        def load_rules(self) -> None: ...
        def local_now(self) -> datetime: ...
        def _unlocked_in(self, cart_id: int) -> frozenset[str]: ...

    def parked(self) -> list[ParkedCart] | Outcome:
        """The parked carts of this till, oldest first (or why they cannot be read), each
        with the total the customer would pay now: priced with the discount rules and its
        coupons (``sale``)."""
        self.authority.require("sale")
        try:
            self.load_rules()
            parked = self._carts.parked()
            at = self.local_now()
            shown = []
            for p in parked:
                lines = self._carts.lines_of(p.id)
                rules = [r for r in self._pricing.rule_set if r.name not in self._pricing.spent]
                # with its coupons' deals (issue 22), as the cart prices when recalled
                total = price_cart(Cart(lines), rules, at, self._unlocked_in(p.id)).total
                shown.append(replace(p, total=total, names=tuple(line.name for line in lines)))
            return shown
        except StorageError as exc:
            return unreadable(exc)

    def park(self) -> Outcome:
        """Hold the cart for later and start a new one (``sale``)."""
        self.authority.require("sale")
        if not len(self.cart):
            return Outcome.fail("Nothing to park: the cart is empty")
        summary = f"{plural(len(self.cart), 'line')}, {format_money(self.priced.total)}"
        try:
            stored = self._carts.park(self.cart_id, self._clock.now(), self._new_id())
        except StorageError as exc:
            return not_saved(exc)
        self._load(stored)
        return Outcome(Change.RELOAD, f"Cart parked ({summary})")

    def recall(self, parked_id: int) -> Outcome:
        """Make a parked cart the open one; the current cart must be empty (``sale``)."""
        self.authority.require("sale")
        if len(self.cart):
            return Outcome.fail("Park or void the current cart before recalling another")
        try:
            stored = self._carts.recall(parked_id, self.cart_id)
        except LookupError as exc:
            return Outcome.fail(sentence(str(exc)))
        except StorageError as exc:
            return not_saved(exc)
        self._load(stored)
        total = format_money(self.priced.total)
        lines = plural(len(self.cart), "line")
        return Outcome(Change.RELOAD, f"Recalled parked cart ({lines}, {total})")

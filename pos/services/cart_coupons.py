"""The coupons scanned into the open cart (issue 22): the part of
:class:`pos.services.checkout.CheckoutService` that holds them (mixed in, as
:mod:`.parking` is; the service owns the state these methods use).

A coupon code is scanned like any barcode: it adds a coupon row (0.00, named after its
rule) and unlocks its rule for the sale; a refused code says why and changes nothing.
The coupons are kept with the cart (``cart_coupon``), so a restart, a park and a recall
keep them. A use is taken only when the sale commits, in its transaction
(:meth:`CartCoupons.claim`): a code another till used up in the meantime makes the sale
fail with :class:`CouponLost`, nothing saved, and the cart is re-priced without it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from pos.db.coupons import CouponRepository
from pos.db.errors import StorageError
from pos.domain.coupons import (
    Coupon,
    CouponRefused,
    at_cap,
    cap_reached,
    check_code,
    check_usable,
    is_coupon_code,
    unlocked,
    with_cap,
    with_coupon,
)
from pos.domain.entry import ScanEntry
from pos.services.outcomes import Change, Outcome, not_saved, unreadable

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from pos.auth.guard import Authority
    from pos.db.carts import CartRepository
    from pos.domain.catalog import Catalog
    from pos.domain.clock import Clock
    from pos.domain.discounts import Rule
    from pos.domain.pricing import PricedBasket
    from pos.services.cart_pricing import CartPricing
    from pos.services.live_settings import LiveSettings
    from pos.services.scan_entry import EntryState
    from pos.services.store_coupons import StoreCoupons


OFFLINE_AGAIN = (
    "was used at this till while the store's server is out of reach: once per till until "
    "the server is back"
)


def _just(why: str) -> str:
    """The server's refusal, as the payment screen says it."""
    if why == "used up":
        return "was just used up at another till"
    return f"cannot be used: {why}"


class CouponLost(Exception):
    """At the sale's commit a coupon (or a rule's ``max_uses``) was found used up: nothing
    was saved. ``str()`` says which, for the payment screen.

    Attributes:
        code: The coupon code (None: a rule reached its ``max_uses``).
        rule: The rule it unlocked (or that reached its cap).
    """

    def __init__(self, code: str | None, rule: str, why: str = "") -> None:
        what = f"Coupon {code} ({rule})" if code else f"The deal {rule!r}"
        super().__init__(f"{what} {why or 'was just used up at another till'}")
        self.code = code
        self.rule = rule


class CartCoupons:
    """Scan, remove and (at the sale's commit) use the open cart's coupons."""

    coupons: tuple[Coupon, ...] = ()
    """The coupons in the open cart, in the order scanned."""

    store: StoreCoupons | None = None
    """A store's till: the server that claims the uses at payment (None: this file is
    the authority, :meth:`claim` takes them)."""

    _held: tuple[str, frozenset[str]] = ("", frozenset())
    """The sale (uuid) whose coupons the store's server holds uses of, and which."""

    if TYPE_CHECKING:  # what CheckoutService has, which these methods use
        authority: Authority
        _catalog: Catalog
        cart_id: int
        cart_uuid: str
        _carts: CartRepository
        _clock: Clock
        _entry: EntryState
        _pricing: CartPricing
        _settings: LiveSettings

        def reprice(self, changed: Iterable[str] | None = None) -> PricedBasket: ...
        def applied_rules(self) -> tuple[Rule, ...]: ...

    @property
    def _coupon_codes(self) -> CouponRepository:
        return CouponRepository(self._carts.db)

    def _load_coupons(self, cart_id: int) -> None:
        """The coupons of the cart just loaded (none if they cannot be read: the cart is
        priced without them, and a scan adds them again)."""
        try:
            self._set_coupons(self._coupon_codes.in_cart(cart_id))
        except StorageError:
            self._set_coupons(())

    def _unlocked_in(self, cart_id: int) -> frozenset[str]:
        """The coupon rules the coupons of a (parked) cart unlock.

        Raises:
            StorageError: they cannot be read.
        """
        return unlocked(self._coupon_codes.in_cart(cart_id))

    def _set_coupons(self, coupons: tuple[Coupon, ...]) -> None:
        self.coupons = coupons
        self._pricing.coupons = unlocked(coupons)

    def _coupon_scan(self, entry: ScanEntry) -> Outcome | None:
        """A scanned coupon code added to the cart (or why not); None if the code is no
        coupon code (then it is looked up as a product)."""
        code = entry.code.strip()
        if not is_coupon_code(code):
            return None
        if entry.explicit_multiplier:
            return Outcome.fail("A coupon cannot be multiplied: scan it once")
        try:
            check_code(code, self._settings.current.store_number)
            coupon = check_usable(self._coupon_codes.get(code), code, self._today())
            self._rule_of(coupon)
            now = with_coupon(self.coupons, coupon)
        except CouponRefused as exc:
            if exc.reason in ("tampered", "other_store", "unknown") and self._old_product(code):
                return None  # a product from before coupons (v19) has that barcode: sell it
            return Outcome.fail(str(exc))
        except StorageError as exc:
            return unreadable(exc)
        # a number typed next must not land on the line scanned before the coupon
        self._entry.end_pending("A coupon counts once: scan the item again to add more")
        if now is self.coupons:
            return Outcome.info(f"Coupon {code} is in the sale already: it counts once")
        try:
            self._coupon_codes.put_in_cart(self.cart_id, coupon)
        except StorageError as exc:
            return not_saved(exc)
        self._set_coupons(now)
        self.reprice()
        return Outcome(Change.RELOAD, f"Coupon: {coupon.rule}")

    def _old_product(self, code: str) -> bool:
        """Whether a product has ``code`` (one added before coupons, v19, could)."""
        try:
            return self._catalog.get(code) is not None
        except StorageError:
            return False

    def _rule_of(self, coupon: Coupon) -> Rule:
        for rule in self._pricing.current_rules():
            if rule.name.lower() == coupon.rule.lower():
                if rule.coupon:
                    return rule
                raise CouponRefused(
                    "no_rule",
                    f"Coupon {coupon.code} is not needed: {rule.name!r} is now a deal for "
                    "everyone (the coupon is not used)",
                )
        raise CouponRefused(
            "no_rule", f"Coupon {coupon.code} is for {coupon.rule!r}, which is no longer a deal"
        )

    def _capped_rules(self, rules: Iterable[Rule]) -> frozenset[str]:
        """The rules of ``rules`` that have had all their ``max_uses`` (any till's sales,
        as ``rule_use`` counts them).

        Raises:
            StorageError: the counts cannot be read.
        """
        rules = tuple(rules)
        names = with_cap(rules)
        if not names:
            return frozenset()
        return at_cap(rules, self._coupon_codes.rule_uses(names))

    def _today(self) -> date:
        return self._clock.now().astimezone().date()

    def remove_coupon(self, code: str) -> Outcome:
        """Take a coupon out of the cart (Del on its row): its deal no longer applies.
        Needs no approval: it only takes a discount away (scope ``sale``)."""
        self.authority.require("sale")
        held = next((c for c in self.coupons if c.code == code), None)
        if held is None:
            return Outcome.fail("Select a coupon first")
        try:
            self._coupon_codes.take_from_cart(self.cart_id, code)
        except StorageError as exc:
            return not_saved(exc)
        self._set_coupons(tuple(c for c in self.coupons if c.code != code))
        self.reprice()
        return Outcome(Change.RELOAD, f"Coupon taken off: {held.rule}")

    def _coupons_gone(self) -> None:
        """The cart was voided (its coupons with it, in the same write)."""
        self._set_coupons(())

    # ------------------------------------------------------------ at the sale's commit

    def used_coupons(self) -> tuple[Coupon, ...]:
        """The cart's coupons whose coupon rule gives a discount now: a sale uses these (not
        one whose rule no longer needs a coupon)."""
        applied = {rule.name.lower() for rule in self.applied_rules() if rule.coupon}
        return tuple(c for c in self.coupons if c.rule.lower() in applied)

    def claim(self, sale_uuid: str) -> tuple[Coupon, ...]:
        """Take a use of each coupon the sale uses and count the sale for each rule with
        a ``max_uses``: call inside the sale's transaction (which a raise undoes).

        Raises:
            CouponLost: one was used up meanwhile (another till).
        """
        repo = self._coupon_codes
        today = self._today()
        used = self.used_coupons()
        held = self._held[1] if self._held[0] == sale_uuid else frozenset()
        offline = set()
        # rows are taken in one order (by code, then by rule): two tills whose sales share
        # codes or capped rules wait for each other instead of deadlocking
        for coupon in sorted(used, key=lambda c: c.code):
            if coupon.code in held:
                continue  # the store's server took it (its number comes back by the pull)
            if not repo.take_use(coupon.code, today):
                raise CouponLost(coupon.code, coupon.rule, self._why_not(coupon.code, today))
            if self.store is not None:
                offline.add(coupon.code)
        for rule in sorted(self.applied_rules(), key=lambda r: r.name):
            if rule.max_uses is not None and not repo.take_rule_use(rule.name, rule.max_uses):
                raise CouponLost(None, rule.name)
        if used:
            repo.record_sale(sale_uuid, used, offline)
        return used

    def _why_not(self, code: str, today: date) -> str:
        """Why a use of ``code`` could not be taken at the commit: it expired or was
        voided meanwhile (said so), else another till used it up ("": the default)."""
        try:
            check_usable(self._coupon_codes.get(code), code, today)
        except CouponRefused as exc:
            if exc.reason in ("expired", "voided", "unknown"):
                return str(exc).removeprefix(f"Coupon {code} ")
        except StorageError:
            pass
        return ""

    def claim_on_store(self, sale_uuid: str) -> None:
        """A store's till, before the sale is saved: the server holds a use of each
        coupon the sale uses (again, under the same sale: nothing taken twice). Offline,
        a code is good once per till until its sale reaches the server.

        Raises:
            CouponLost: the server refused one (or it was used offline here already).
        """
        refused = self._store_refusals(sale_uuid)
        if refused:
            coupon, why = refused[0]
            raise CouponLost(coupon.code, coupon.rule, why)

    def _store_refusals(self, sale_uuid: str) -> list[tuple[Coupon, str]]:
        """The coupons the sale cannot use, and why: asked of the store's server, or (it
        cannot be reached) of this till's offline uses. Nothing for a till of its own."""
        used = self.used_coupons()
        if self.store is None or not used:
            return []
        codes = [c.code for c in used]
        held = self._held[1] if self._held[0] == sale_uuid else frozenset()
        answer = self.store.claim(sale_uuid, codes, self._today())
        if answer is None:  # offline: what the server held already still counts
            out: list[tuple[Coupon, str]] = []
            for coupon in used:
                if coupon.code in held:
                    continue
                with contextlib.suppress(StorageError):
                    if self._coupon_codes.used_offline(coupon.code):
                        out.append((coupon, OFFLINE_AGAIN))
            return out
        why = {r.code: r.why for r in answer}
        self._held = (sale_uuid, frozenset() if why else frozenset(codes))
        return [(c, _just(why[c.code])) for c in used if c.code in why]

    def lost(self, lost: CouponLost) -> str:
        """After :class:`CouponLost`: the coupon out of the cart (or the rule left out),
        the cart re-priced; what to tell the cashier."""
        if lost.code is not None:
            self._lost_quietly(lost.code)
        else:
            self._pricing.leave_out(lost.rule)
        self.reprice()
        return f"{lost}: it is taken off and the sale re-priced"

    def recheck(self) -> str:
        """Before payment: take off the coupons that can no longer be used (another till
        used them up, a manager voided one, one expired, its rule no longer needs one) and
        leave out the deals that have had all their ``max_uses`` (at any till),
        re-pricing; what to say ("" if all are good). Read-only on the codes: the use is
        taken at the commit."""
        gone: list[str] = []
        today = self._today()
        for coupon in self.coupons:
            try:
                check_usable(self._coupon_codes.get(coupon.code), coupon.code, today)
                self._rule_of(coupon)
            except CouponRefused as exc:
                gone.append(str(exc))
                self._lost_quietly(coupon.code)
            except StorageError:
                continue  # cannot look: the commit decides
        for coupon, why in self._store_refusals(self.cart_uuid):
            gone.append(str(CouponLost(coupon.code, coupon.rule, why)))
            self._lost_quietly(coupon.code)
        if gone:
            self.reprice()
        capped = self._capped_now()
        if not gone and not capped:
            return ""
        for rule in capped:
            gone.append(cap_reached(rule))
            self._pricing.leave_out(rule.name)
        self.reprice()
        return "; ".join(gone) + ": taken off, the sale re-priced"

    def _capped_now(self) -> list[Rule]:
        """The deals the cart has that have had all their ``max_uses`` (read now: another
        till, or this one's last sale, may have used the last); none if unreadable."""
        applied = self.applied_rules()
        try:
            names = self._capped_rules(applied)
        except StorageError:
            return []  # cannot look: the commit decides
        return [rule for rule in applied if rule.name in names]

    def _lost_quietly(self, code: str) -> None:
        with contextlib.suppress(StorageError):
            self._coupon_codes.take_from_cart(self.cart_id, code)
        self._set_coupons(tuple(c for c in self.coupons if c.code != code))

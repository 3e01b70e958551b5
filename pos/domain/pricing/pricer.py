"""The pricer: rules 1 to 7 over a cart, re-solving only what a change can affect.

Exclusive rules first, then the item components (see :mod:`.components`), then the
basket rules, with rule 4 across item and basket rules of one group; :class:`Pricer`
keeps each component's result between scans so that re-pricing stays flat on big carts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time

from pos.domain.discounts import Rule
from pos.domain.pricing.components import _components, _slots_for, _solve, _used_groups
from pos.domain.pricing.priced import AppliedDiscount, CartView, PricedBasket
from pos.domain.pricing.units import _NOTHING, _Result

MIXED_GROUPS_EXACT = 8
"""The most mixed groups (holding both eligible item rules and active basket rules) for
which :meth:`Pricer.price` tries every choice of side, 2^8 = 256 combinations (each a
few sums; a component is priced again only for the groups it holds, once per choice and
kept between scans). Beyond it, a quicker search that can miss the best
(:meth:`Pricer._climb`)."""


@dataclass(frozen=True, slots=True)
class _Option:
    """One choice of side for the mixed groups, priced.

    Attributes:
        saving: Its item and basket discounts, in total.
        changed: The components priced without some groups' item rules, and their results.
        baskets: The basket discounts it gives.
    """

    saving: int
    changed: dict[int, _Result]
    baskets: list[AppliedDiscount]


class Pricer:
    """Prices carts against one rule set, re-solving only what a change can affect.

    Components (item rules linked by shared products or groups) are fixed by the
    rule set. Each component's last result is kept with the inputs it was computed
    from; :meth:`price` recomputes a component only when its lines, its rules'
    activity or its rules' ``min_subtotal`` conditions have changed.

    What a scan costs follows what it changed, not the size of the rule set:

    * A component is looked at again only when a line of one of its products changed,
      or when its eligible rules may have: at a new minute for rules with a time window
      (windows are whole minutes, so within a minute a rule is on or off throughout;
      a window that is not gets looked at every time), on every call for rules with a
      ``min_subtotal``. The other components' results are kept as they are.
    * The discount of each exclusive item rule is kept until a line of its products
      changes, and each component keeps the groups its result used.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(sorted(rules, key=Rule.sort_key))
        self._order = {rule.name: n for n, rule in enumerate(self.rules)}
        self._exclusive = [r for r in self.rules if r.exclusive]
        self._basket = [r for r in self.rules if r.is_basket and not r.exclusive]
        self._basket_groups = frozenset(r.group for r in self._basket if r.group)
        items = [r for r in self.rules if not r.is_basket and not r.exclusive]
        self._components, self._component_of = _components(items)
        # per component: its eligible rules when they never change (None otherwise)
        self._fixed: list[tuple[Rule, ...] | None] = [
            None
            if any(map(_windowed, rules))
            or any(map(_thresholded, rules))
            or any(r.coupon for r in rules)
            else tuple(r for r in rules if r.active)
            for rules in self._components
        ]
        self._by_threshold = [
            i for i, rules in enumerate(self._components) if any(map(_thresholded, rules))
        ]
        self._by_window = [
            i
            for i, rules in enumerate(self._components)
            if any(map(_windowed, rules)) and i not in set(self._by_threshold)
        ]
        self._whole_minutes = all(_whole_minutes(r) for r in self.rules)
        self._minute: datetime | None = None  # when the windowed components were last seen
        self._shares_basket_group = [
            i
            for i, rules in enumerate(self._components)
            if any(r.group in self._basket_groups for r in rules if r.group)
        ]
        self._items: list[tuple[tuple[Rule, ...], _Result]] = [
            ((), _NOTHING) for _ in self._components
        ]
        # what each component's result gives the basket rules: its discounts, their total
        # and the groups they used
        self._applied_of: list[tuple[AppliedDiscount, ...]] = [() for _ in self._components]
        self._total_of = [0 for _ in self._components]
        self._used_groups: list[frozenset[str]] = [frozenset() for _ in self._components]
        # per component, its results with the item rules of some groups left out (see
        # :meth:`_without`), dropped whenever its own result is worked out again
        self._dropped: list[dict[frozenset[str], tuple[_Result, frozenset[str]]]] = [
            {} for _ in self._components
        ]
        self._primed = False  # every component priced at least once
        self._coupons: frozenset[str] = frozenset()  # the coupon rules unlocked last time
        self._exclusive_found: dict[int, AppliedDiscount | None] = {}
        """The discount of each exclusive item rule (by position in ``_exclusive``) on the
        cart as last seen, dropped when a line of one of its products changes."""

    def price(
        self,
        cart: CartView,
        at: datetime,
        changed: Iterable[str] | None = None,
        coupons: frozenset[str] = frozenset(),
    ) -> PricedBasket:
        """Price ``cart`` at ``at`` (local time).

        Args:
            cart: The cart.
            at: The moment of the sale, local and naive.
            changed: Barcodes whose lines changed since the last call; ``None`` means
                anything may have changed. Only a hint: the answer is always the same
                as pricing from scratch.
            coupons: The names of the coupon rules the sale's coupon codes unlock; a
                coupon rule not named here does not count (as if it were inactive).
        """
        subtotal = cart.subtotal
        if coupons != self._coupons:
            changed = None  # a coupon scanned or voided: rarely, so price from scratch
            self._coupons = coupons
        minute = at.replace(second=0, microsecond=0) if self._whole_minutes else None
        if changed is None or not self._primed:
            stale = set(range(len(self._components)))
            self._exclusive_found.clear()
            self._primed = True
            look = stale
        else:
            changed = set(changed)
            stale = {self._component_of[b] for b in changed if b in self._component_of}
            if self._exclusive_found:
                for n in list(self._exclusive_found):
                    if not changed.isdisjoint(self._exclusive[n].barcodes):
                        del self._exclusive_found[n]
            look = stale.union(self._by_threshold)
            if minute is None or minute != self._minute:
                look.update(self._by_window)
        self._minute = minute

        # Item components are brought up to date first, always: the cache must follow
        # every change, even while an exclusive rule hides their result.
        items = self._items
        for index in sorted(look):
            eligible = self._fixed[index]
            if eligible is None:
                eligible = tuple(
                    r
                    for r in self._components[index]
                    if r.is_active_at(at) and _threshold_met(r, subtotal) and r.unlocked(coupons)
                )
            kept, was = items[index]
            if index not in stale and kept == eligible:
                continue  # the same rules on the same lines: the same result
            result = _solve(eligible, _slots_for(eligible, cart)) if eligible else _NOTHING
            items[index] = (eligible, result)
            self._dropped[index] = {}
            self._applied_of[index] = result.applied
            self._total_of[index] = result.total
            self._used_groups[index] = _used_groups(eligible, result)

        for n, rule in enumerate(self._exclusive):
            if (
                not rule.is_active_at(at)
                or not _threshold_met(rule, subtotal)
                or not rule.unlocked(coupons)
            ):
                continue
            if rule.is_basket:
                found = self._exclusive_discount(rule, cart, subtotal)
            elif n in self._exclusive_found:
                found = self._exclusive_found[n]
            else:
                found = self._exclusive_found[n] = self._exclusive_discount(rule, cart, subtotal)
            if found is not None:
                return PricedBasket(subtotal, (found,))

        return self._choose(cart, at, subtotal)

    def _choose(self, cart: CartView, at: datetime, subtotal: int) -> PricedBasket:
        """The item discounts plus the basket rules, with rule 4 across kinds.

        Where a group holds eligible item rules and active basket rules (a *mixed* group),
        at most one rule of it applies, so each mixed group is on its item side (its item
        rules compete as usual; its basket rules apply only if none of them did) or on its
        basket side (its item rules left out; the best of its basket rules whose threshold
        is met applies, if any: leaving its item rules out can also lift the sale over
        another basket rule's threshold). The choices of different groups interact (the
        basket rules work on what the item discounts leave), so every combination is
        tried: 2^k for k mixed groups, usually 0 to 2, up to :data:`MIXED_GROUPS_EXACT`.
        The one that saves most wins; on equal savings, the fewest groups on their basket
        side, then the earliest group names. Past that many groups, see :meth:`_climb`.
        The choice depends only on the cart, the rules and the moment, so the incremental
        path makes the same one as pricing from scratch.
        """
        live: list[Rule] = []  # active, with a threshold the sale can be over
        active_groups: set[str] = set()
        for rule in self._basket:
            if (
                rule.min_subtotal is None
                or not rule.is_active_at(at)
                or not rule.unlocked(self._coupons)
            ):
                continue
            if rule.group:
                active_groups.add(rule.group)
            if subtotal > rule.min_subtotal:
                live.append(rule)
        mixed_of: dict[int, frozenset[str]] = {}
        if active_groups:
            for index in self._shares_basket_group:
                here = frozenset(r.group for r in self._items[index][0] if r.group in active_groups)
                if here:
                    mixed_of[index] = here
        # of the groups the item discounts used, only those of basket rules matter
        used = active_groups & set().union(*self._used_groups) if active_groups else set()
        base_total = sum(self._total_of)

        def option(dropped: frozenset[str]) -> _Option:
            changed: dict[int, _Result] = {}
            total, groups = base_total, set(used)
            for index, here in mixed_of.items():
                drop = here & dropped
                if drop:
                    result, result_groups = self._without(index, drop, cart)
                    changed[index] = result
                    total += result.total - self._total_of[index]
                    groups.difference_update(here)
                    groups.update(result_groups & active_groups)
            baskets = self._basket_discounts(live, subtotal - total, groups)
            return _Option(total + sum(d.amount for d in baskets), changed, baskets)

        if not mixed_of:  # the everyday case: one choice
            baskets = self._basket_discounts(live, subtotal - base_total, used)
            applied = list(itertools.chain.from_iterable(self._applied_of))
            return PricedBasket(subtotal, (*applied, *baskets))
        mixed = sorted(set().union(*mixed_of.values()))
        if len(mixed) <= MIXED_GROUPS_EXACT:
            best = option(frozenset())
            for size in range(1, len(mixed) + 1):
                for dropped in itertools.combinations(mixed, size):
                    other = option(frozenset(dropped))
                    if other.saving > best.saving:
                        best = other
        else:
            best = self._climb(mixed, option)
        applied = [
            d
            for index, kept in enumerate(self._applied_of)
            for d in (best.changed[index].applied if index in best.changed else kept)
        ]
        return PricedBasket(subtotal, (*applied, *best.baskets))

    @staticmethod
    def _climb(mixed: Sequence[str], option: Callable[[frozenset[str]], _Option]) -> _Option:
        """Past :data:`MIXED_GROUPS_EXACT` mixed groups: from every group on its item side,
        move the one group whose change of side saves most, while one does (at most one
        round per group). Quick, but it can miss the best combination."""
        dropped: frozenset[str] = frozenset()
        best = option(dropped)
        for _ in mixed:
            step: tuple[frozenset[str], _Option] | None = None
            for group in mixed:
                moved = dropped ^ {group}
                other = option(moved)
                if other.saving > (step[1] if step else best).saving:
                    step = (moved, other)
            if step is None:
                break
            dropped, best = step
        return best

    def _without(
        self, index: int, drop: frozenset[str], cart: CartView
    ) -> tuple[_Result, frozenset[str]]:
        """Component ``index`` priced without the item rules of the groups ``drop``, and the
        groups that result used; kept until the component is worked out again."""
        kept = self._dropped[index].get(drop)
        if kept is None:
            rules = tuple(r for r in self._items[index][0] if r.group not in drop)
            result = _solve(rules, _slots_for(rules, cart)) if rules else _NOTHING
            kept = self._dropped[index][drop] = (result, _used_groups(rules, result))
        return kept

    def _basket_discounts(
        self, live: Sequence[Rule], after_items: int, used_groups: set[str]
    ) -> list[AppliedDiscount]:
        """The basket rules ``live`` (active, in priority order) on what the item discounts
        leave (``after_items``), leaving out the groups the item discounts used."""
        best_in_group: dict[str, AppliedDiscount] = {}
        basket: list[AppliedDiscount] = []
        for rule in live:
            assert rule.min_subtotal is not None
            if after_items <= rule.min_subtotal or (rule.group and rule.group in used_groups):
                continue
            assert rule.spec.basket_discount is not None
            amount = rule.spec.basket_discount(rule, after_items)
            if amount <= 0:
                continue
            found = AppliedDiscount(rule.name, rule.kind, amount, 1)
            if rule.group is None:
                basket.append(found)
            elif rule.group not in best_in_group or amount > best_in_group[rule.group].amount:
                best_in_group[rule.group] = found
        basket.extend(best_in_group.values())
        basket.sort(key=lambda d: self._order[d.name])
        applied = []
        room = after_items  # basket discounts never take the sale below zero
        for found in basket:
            amount = min(found.amount, room)
            if amount > 0:
                if amount != found.amount:
                    found = AppliedDiscount(found.name, found.kind, amount, 1)
                applied.append(found)
                room -= amount
        return applied

    def _exclusive_discount(
        self, rule: Rule, cart: CartView, subtotal: int
    ) -> AppliedDiscount | None:
        if rule.is_basket:
            assert rule.spec.basket_discount is not None
            amount = min(rule.spec.basket_discount(rule, subtotal), subtotal)
            return AppliedDiscount(rule.name, rule.kind, amount, 1) if amount > 0 else None
        result = _solve((rule,), _slots_for((rule,), cart))
        return result.applied[0] if result.applied else None


def _windowed(rule: Rule) -> bool:
    """Whether a rule's activity depends on the moment."""
    return (
        rule.starts_at is not None
        or rule.ends_at is not None
        or rule.weekdays is not None
        or rule.hours is not None
    )


def _thresholded(rule: Rule) -> bool:
    return rule.min_subtotal is not None


def _whole_minutes(rule: Rule) -> bool:
    """Whether every edge of the rule's windows falls on a whole minute (so that it is on
    or off for the whole of any minute)."""
    edges: list[datetime | time] = [t for t in (rule.starts_at, rule.ends_at) if t is not None]
    edges += list(rule.hours or ())
    return all(t.second == 0 and t.microsecond == 0 for t in edges)


def _threshold_met(rule: Rule, subtotal: int) -> bool:
    """An item rule's (or an exclusive rule's) price condition, on the undiscounted subtotal."""
    return rule.min_subtotal is None or subtotal > rule.min_subtotal


def price_cart(
    cart: CartView, rules: Sequence[Rule], at: datetime, coupons: frozenset[str] = frozenset()
) -> PricedBasket:
    """Price a cart from scratch (the reference the incremental path must equal);
    ``coupons`` names the coupon rules the sale's coupon codes unlock."""
    return Pricer(rules).price(cart, at, coupons=coupons)

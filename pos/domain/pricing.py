"""The pricing engine: a pure function of the cart, the rules and the moment of the sale.

How rules combine (the contract the tests check):

1. Only active rules inside their date, weekday and hours windows count.
2. Exclusive rules are checked first, highest priority first (then by name); the
   first whose conditions hold, and which saves something, is the only discount.
3. Otherwise each unit in the cart is used by at most one item rule. Where item
   rules compete for units, the engine chooses the combination that gives the
   customer the lowest total; ties go to the higher priority, then the name.
4. Within one ``group`` at most one rule applies: the one that saves most.
5. Basket rules come last: their threshold is compared (strictly) with the subtotal
   after item discounts, and their amount is worked out on that subtotal; several
   stack unless they share a group. An item rule's own ``min_subtotal`` is compared
   with the subtotal before any discount.
6. No discount makes a line or the sale negative, and a deal that would cost more
   than the normal prices is not applied.
7. Re-pricing after a change gives the same answer as pricing from scratch.

Weighed (``kg``) lines count as one unit worth their line total. Percentages are
rounded half up per set (see :mod:`pos.domain.money`).

Item rules that share a product, or a group, form a *component*; components are
priced independently. :class:`Pricer` keeps each component's result and, after a
scan, re-solves only the component of the scanned product (plus the exclusive and
basket rules, which are cheap), which is how re-pricing stays flat on big carts.
Within a component the search is exact (a memoised search over the units left)
while it fits :data:`EXACT_WORK_LIMIT`; beyond that it takes the best of the
greedy orders of its rules (see :func:`_heuristic`), which may miss the optimum
by a few pence in rare mixes of competing rules.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.discounts import Rule

MAX_EXACT_SETS = 200
"""The most sets the exact search may build (it recurses once per set)."""

EXACT_WORK_LIMIT = 20_000
"""The exact search's budget for one component (sets tried); a bigger component takes
the best greedy order instead, so no scan ever waits on the optimiser."""


class CartView(Protocol):
    """What the engine reads from a cart."""

    subtotal: int

    def __iter__(self) -> Iterable[CartLine]: ...  # type: ignore[override]

    def lines_for(self, barcode: str) -> Iterable[CartLine]: ...


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    """One rule applied to the sale.

    Attributes:
        name: The rule's name (shown on screen and on the receipt).
        kind: The rule's kind.
        amount: What it takes off, in minor units (positive).
        sets: How many times it applied (1 for basket rules).
        uses: ``(line_no, units)`` for every line whose units it used (empty for basket rules).
    """

    name: str
    kind: str
    amount: int
    sets: int
    uses: tuple[tuple[int, int], ...] = ()

    @property
    def last_line(self) -> int:
        """The last cart line the discount used (0 for basket discounts)."""
        return max((line_no for line_no, _ in self.uses), default=0)


@dataclass(frozen=True, slots=True)
class PricedBasket:
    """The cart priced against the rules."""

    subtotal: int
    discounts: tuple[AppliedDiscount, ...]

    @property
    def discount_total(self) -> int:
        return sum(d.amount for d in self.discounts)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total

    def by_name(self) -> dict[str, AppliedDiscount]:
        return {d.name: d for d in self.discounts}


EMPTY = PricedBasket(0, ())


# ------------------------------------------------------------------------- units


@dataclass(frozen=True, slots=True)
class _Slot:
    """A line's units as the optimiser sees them: ``count`` units worth ``value`` each."""

    line_no: int
    barcode: str
    value: int
    count: int


def _slot(line: CartLine) -> _Slot:
    if line.unit is Unit.KG:
        return _Slot(line.line_no, line.barcode, line.total, 1)
    return _Slot(line.line_no, line.barcode, line.unit_price, line.qty)


@dataclass(frozen=True, slots=True)
class _Result:
    """The discounts of one component: per rule, its amount, sets and the units used."""

    total: int
    applied: tuple[AppliedDiscount, ...]


_NOTHING = _Result(0, ())


def _applied(rule: Rule, sets: list[tuple[int, dict[int, int]]]) -> AppliedDiscount | None:
    """Fold a rule's sets (discount, {line_no: units}) into one AppliedDiscount."""
    if not sets:
        return None
    uses: dict[int, int] = {}
    for _, used in sets:
        for line_no, units in used.items():
            uses[line_no] = uses.get(line_no, 0) + units
    amount = sum(discount for discount, _ in sets)
    return AppliedDiscount(rule.name, rule.kind, amount, len(sets), tuple(sorted(uses.items())))


# ------------------------------------------------------------------------- one rule


def _greedy(
    rule: Rule, slots: Sequence[_Slot], counts: list[int]
) -> list[tuple[int, dict[int, int]]]:
    """Apply one rule as often as it pays, taking the most valuable units first.

    For a single rule this is optimal: sets built from the most valuable units in
    turn maximise every kind's reward (the cheapest-free kind included). ``counts``
    (units left per slot) is updated in place.
    """
    spec = rule.spec
    assert spec.set_discount is not None
    if rule.items:
        pools = {
            code: sorted(
                (i for i, s in enumerate(slots) if s.barcode == code and counts[i] > 0),
                key=lambda i: -slots[i].value,
            )
            for code in rule.items
        }
    else:
        members = set(rule.any_of)
        pools = {
            "": sorted(
                (i for i, s in enumerate(slots) if s.barcode in members and counts[i] > 0),
                key=lambda i: -slots[i].value,
            )
        }
    needs = dict(rule.items) if rule.items else {"": rule.count}
    sets: list[tuple[int, dict[int, int]]] = []
    while True:
        chosen: dict[int, int] = {}
        values: list[int] = []
        for code, need in needs.items():
            got = 0
            for i in pools[code]:
                left = counts[i] - chosen.get(i, 0)
                take = min(left, need - got)
                if take > 0:
                    chosen[i] = chosen.get(i, 0) + take
                    values.extend([slots[i].value] * take)
                    got += take
                if got == need:
                    break
            if got < need:
                return sets
        discount = spec.set_discount(rule, values)
        if discount <= 0:
            return sets
        # identical sets repeat while every chosen slot still has units for another copy
        repeat = min((counts[i] // n for i, n in chosen.items()), default=1)
        for i, n in chosen.items():
            counts[i] -= n * repeat
        used = {slots[i].line_no: n for i, n in chosen.items()}
        sets.extend([(discount, used)] * repeat)


# ------------------------------------------------------------------------- several rules


class _TooBig(Exception):
    """The exact search would take too long for this component."""


def _candidate_sets(
    rule: Rule, slots: Sequence[_Slot], counts: tuple[int, ...]
) -> Iterable[tuple[int, ...]]:
    """Every distinct way to take one set of ``rule`` from the units left, as take-vectors."""
    n = len(slots)
    if rule.items:
        per_code = []
        for code, need in rule.items.items():
            idx = [i for i in range(n) if slots[i].barcode == code and counts[i] > 0]
            per_code.append(list(_multisets(idx, need, counts)))
            if not per_code[-1]:
                return
        for combo in itertools.product(*per_code):
            take = [0] * n
            for part in combo:
                for i, k in part:
                    take[i] += k
            yield tuple(take)
    else:
        members = set(rule.any_of)
        idx = [i for i in range(n) if slots[i].barcode in members and counts[i] > 0]
        for part in _multisets(idx, rule.count, counts):
            take = [0] * n
            for i, k in part:
                take[i] += k
            yield tuple(take)


def _multisets(
    idx: list[int], need: int, counts: Sequence[int]
) -> Iterable[tuple[tuple[int, int], ...]]:
    """Ways to take ``need`` units from the slots ``idx`` (bounded by ``counts``)."""
    if need == 0:
        yield ()
        return
    if not idx:
        return
    first, rest = idx[0], idx[1:]
    for k in range(min(need, counts[first]), -1, -1):
        for tail in _multisets(rest, need - k, counts):
            yield (((first, k),) if k else ()) + tail


def _exact(rules: Sequence[Rule], slots: Sequence[_Slot]) -> _Result:
    """The best allocation of units to sets of ``rules`` (sorted by priority, then name)."""
    memo: dict[
        tuple[int, tuple[int, ...], frozenset[str], bool], tuple[int, tuple[object, ...]]
    ] = {}
    work = [0]  # candidate sets tried so far

    def search(
        i: int, counts: tuple[int, ...], used: frozenset[str], started: bool
    ) -> tuple[int, tuple[object, ...]]:
        if i == len(rules):
            return 0, ()
        key = (i, counts, used, started)
        hit = memo.get(key)
        if hit is not None:
            return hit
        rule = rules[i]
        best: tuple[int, tuple[object, ...]] | None = None
        if rule.group is None or started or rule.group not in used:
            spec = rule.spec
            assert spec.set_discount is not None
            for take in _candidate_sets(rule, slots, counts):
                work[0] += 1
                if work[0] > EXACT_WORK_LIMIT:
                    raise _TooBig
                values = [slots[j].value for j, k in enumerate(take) for _ in range(k)]
                discount = spec.set_discount(rule, values)
                if discount <= 0:
                    continue
                left = tuple(c - t for c, t in zip(counts, take, strict=True))
                sub_total, sub_path = search(i, left, used, True)
                total = discount + sub_total
                if best is None or total > best[0]:
                    best = (total, ((i, discount, take), *sub_path))
        now_used = used | {rule.group} if (started and rule.group) else used
        moved = search(i + 1, counts, now_used, False)
        if best is None or moved[0] > best[0]:  # ties keep the higher-priority rule's sets
            best = moved
        memo[key] = best
        return best

    total, path = search(0, tuple(s.count for s in slots), frozenset(), False)
    per_rule: dict[int, list[tuple[int, dict[int, int]]]] = {}
    for step in path:
        i, discount, take = step  # type: ignore[misc]
        used_units = {slots[j].line_no: k for j, k in enumerate(take) if k}
        per_rule.setdefault(i, []).append((discount, used_units))
    applied = [_applied(rules[i], sets) for i, sets in sorted(per_rule.items())]
    return _Result(total, tuple(a for a in applied if a is not None))


def _heuristic(rules: Sequence[Rule], slots: Sequence[_Slot]) -> _Result:
    """For components too big to search exactly: the best of the greedy rule orders.

    Up to 6 rules every order is tried; beyond that, priority order and its reverse.
    """
    orders = (
        itertools.permutations(rules)
        if len(rules) <= 6
        else iter([tuple(rules), tuple(reversed(rules))])
    )
    best: _Result | None = None
    for order in orders:
        counts = [s.count for s in slots]
        groups: set[str] = set()
        applied = []
        for rule in order:
            if rule.group is not None and rule.group in groups:
                continue
            sets = _greedy(rule, slots, counts)
            found = _applied(rule, sets)
            if found is not None:
                applied.append(found)
                if rule.group is not None:
                    groups.add(rule.group)
        rank = {rule.name: n for n, rule in enumerate(rules)}
        applied.sort(key=lambda a: rank[a.name])
        result = _Result(sum(a.amount for a in applied), tuple(applied))
        if best is None or result.total > best.total:
            best = result
    return best or _NOTHING


def _exact_cost(rules: Sequence[Rule], slots: Sequence[_Slot]) -> int:
    """A bound on the exact search's work: states times the sets tried in each.

    Also infinite when the search would nest too deep (it recurses once per set), so a
    line of thousands of units never reaches it.
    """
    smallest_set = min(r.set_size for r in rules)
    if sum(slot.count for slot in slots) // max(smallest_set, 1) > MAX_EXACT_SETS:
        return EXACT_WORK_LIMIT + 1
    states = 1
    for slot in slots:
        states *= slot.count + 1
        if states > EXACT_WORK_LIMIT:
            return states
    branching = 0
    for rule in rules:
        if rule.items:
            ways = 1
            for code, need in rule.items.items():
                k = sum(1 for s in slots if s.barcode == code)
                ways *= math.comb(k + need - 1, need) if k else 0
        else:
            k = sum(1 for s in slots if s.barcode in rule.any_of)
            ways = math.comb(k + rule.count - 1, rule.count) if k else 0
        branching += ways + 1
    return states * branching


def _solve(rules: Sequence[Rule], slots: Sequence[_Slot]) -> _Result:
    """Price one component: its eligible item rules against its lines.

    Exact whenever the search is small enough (which it is for everyday baskets: a few
    competing rules over a handful of lines); otherwise the best greedy order. Even a
    single rule is searched exactly when it can be: rounding a percentage per set means
    the most valuable units first is not always best (1% of 1.50 + 1.50 and of
    1.20 + 1.20 rounds to 0.05; two sets of 1.50 + 1.20 round to 0.06).
    """
    if not rules or not slots:
        return _NOTHING
    if _exact_cost(rules, slots) <= EXACT_WORK_LIMIT:
        try:
            return _exact(rules, slots)
        except _TooBig:
            pass
    return _heuristic(rules, slots)


# ------------------------------------------------------------------------- the pricer


class Pricer:
    """Prices carts against one rule set, re-solving only what a change can affect.

    Components (item rules linked by shared products or groups) are fixed by the
    rule set. Each component's last result is kept with the inputs it was computed
    from; :meth:`price` recomputes a component only when its lines, its rules'
    activity or its rules' ``min_subtotal`` conditions have changed.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(sorted(rules, key=Rule.sort_key))
        self._exclusive = [r for r in self.rules if r.exclusive]
        self._basket = [r for r in self.rules if r.is_basket and not r.exclusive]
        items = [r for r in self.rules if not r.is_basket and not r.exclusive]
        self._components, self._component_of = _components(items)
        self._cache: dict[int, tuple[object, _Result]] = {}

    def price(
        self, cart: CartView, at: datetime, changed: Iterable[str] | None = None
    ) -> PricedBasket:
        """Price ``cart`` at ``at`` (local time).

        Args:
            cart: The cart.
            at: The moment of the sale, local and naive.
            changed: Barcodes whose lines changed since the last call; ``None`` means
                anything may have changed. Only a hint: the answer is always the same
                as pricing from scratch.
        """
        subtotal = cart.subtotal
        if changed is None:
            stale = set(range(len(self._components)))
        else:
            stale = {self._component_of[b] for b in changed if b in self._component_of}

        # Item components are brought up to date first, always: the cache must follow
        # every change, even while an exclusive rule hides their result.
        items: list[tuple[tuple[Rule, ...], _Result]] = []
        for index, rules in enumerate(self._components):
            eligible = tuple(r for r in rules if r.is_active_at(at) and _threshold_met(r, subtotal))
            cached = self._cache.get(index)
            if not eligible:
                result = _NOTHING
            elif cached is not None and index not in stale and cached[0] == eligible:
                result = cached[1]
            else:
                result = _solve(eligible, _slots_for(eligible, cart))
            self._cache[index] = (eligible, result)
            items.append((eligible, result))

        for rule in self._exclusive:
            if not rule.is_active_at(at) or not _threshold_met(rule, subtotal):
                continue
            found = self._exclusive_discount(rule, cart, subtotal)
            if found is not None:
                return PricedBasket(subtotal, (found,))

        best = self._with_baskets(items, subtotal, at)
        # Rule 4 across kinds: where a group holds both item and basket rules, only one
        # of them applies: try the group's basket side instead of its item side too.
        item_groups = {r.group for eligible, _ in items for r in eligible if r.group}
        for group in sorted(item_groups & {r.group for r in self._basket if r.group}):
            without = [
                (eligible, result)
                if not any(r.group == group for r in eligible)
                else (
                    kept := tuple(r for r in eligible if r.group != group),
                    _solve(kept, _slots_for(kept, cart)) if kept else _NOTHING,
                )
                for eligible, result in items
            ]
            other = self._with_baskets(without, subtotal, at)
            if other.discount_total > best.discount_total:
                best = other
        return best

    def _with_baskets(
        self, items: list[tuple[tuple[Rule, ...], _Result]], subtotal: int, at: datetime
    ) -> PricedBasket:
        """The item discounts plus the basket rules, worked out on what the items leave."""
        applied: list[AppliedDiscount] = []
        item_total = 0
        used_groups: set[str] = set()
        for eligible, result in items:
            applied.extend(result.applied)
            item_total += result.total
            used_groups.update(r.group for r in eligible if r.group and _uses(result, r))
        after_items = subtotal - item_total
        best_in_group: dict[str, AppliedDiscount] = {}
        basket: list[AppliedDiscount] = []
        for rule in self._basket:
            if not rule.is_active_at(at) or rule.min_subtotal is None:
                continue
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
        order = {rule.name: n for n, rule in enumerate(self.rules)}
        basket.sort(key=lambda d: order[d.name])
        room = after_items  # basket discounts never take the sale below zero
        for found in basket:
            amount = min(found.amount, room)
            if amount > 0:
                applied.append(AppliedDiscount(found.name, found.kind, amount, 1))
                room -= amount
        return PricedBasket(subtotal, tuple(applied))

    def _exclusive_discount(
        self, rule: Rule, cart: CartView, subtotal: int
    ) -> AppliedDiscount | None:
        if rule.is_basket:
            assert rule.spec.basket_discount is not None
            amount = min(rule.spec.basket_discount(rule, subtotal), subtotal)
            return AppliedDiscount(rule.name, rule.kind, amount, 1) if amount > 0 else None
        result = _solve((rule,), _slots_for((rule,), cart))
        return result.applied[0] if result.applied else None


def _slots_for(rules: Sequence[Rule], cart: CartView) -> list[_Slot]:
    """The cart's lines of the products ``rules`` name, as slots."""
    return [
        _slot(line)
        for code in sorted({c for r in rules for c in r.barcodes})
        for line in cart.lines_for(code)
    ]


def _threshold_met(rule: Rule, subtotal: int) -> bool:
    """An item rule's (or an exclusive rule's) price condition, on the undiscounted subtotal."""
    return rule.min_subtotal is None or subtotal > rule.min_subtotal


def _uses(result: _Result, rule: Rule) -> bool:
    return any(a.name == rule.name for a in result.applied)


def _components(rules: Sequence[Rule]) -> tuple[list[tuple[Rule, ...]], dict[str, int]]:
    """Group item rules that share a product or a group (union-find)."""
    parent = list(range(len(rules)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, rule in enumerate(rules):
        keys = [f"b:{code}" for code in rule.barcodes]
        if rule.group is not None:
            keys.append(f"g:{rule.group}")
        for key in keys:
            if key in owner:
                parent[find(i)] = find(owner[key])
            else:
                owner[key] = i
    members: dict[int, list[Rule]] = {}
    for i, rule in enumerate(rules):
        members.setdefault(find(i), []).append(rule)
    components = [tuple(group) for group in members.values()]  # rules stay in priority order
    component_of: dict[str, int] = {}
    for index, group in enumerate(components):
        for rule in group:
            for code in rule.barcodes:
                component_of[code] = index
    return components, component_of


def price_cart(cart: CartView, rules: Sequence[Rule], at: datetime) -> PricedBasket:
    """Price a cart from scratch (the reference the incremental path must equal)."""
    return Pricer(rules).price(cart, at)

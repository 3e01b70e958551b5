"""The pricing engine: a pure function of the cart, the rules and the moment of the sale.

How rules combine (the contract the tests check):

1. Only active rules inside their date, weekday and hours windows count.
2. Exclusive rules are checked first, highest priority first (then by name); the
   first whose conditions hold, and which saves something, is the only discount.
3. Otherwise each unit in the cart is used by at most one item rule. Where item
   rules compete for units, the engine chooses the combination that gives the
   customer the lowest total; ties go to the higher priority, then the name (of two
   combinations that cost the same, the one with more sets of the first rule in that
   order, then of the second, and so on).
4. Within one ``group`` at most one rule applies: the one that saves most. A group may
   hold item rules and basket rules: each such group's two sides are tried in every
   combination with the others' (see :meth:`Pricer._choose`).
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
Within a component the search is exact (:class:`_Search`: a branch and bound over
the units left, memoised, with bounds from the linear relaxation) while it fits
:data:`EXACT_WORK_LIMIT`. Deals on fixed sets (``items``) never come near it, whatever
the quantities; only mix-and-match (``any_of``) deals with many units can (one "any 3
of 3" deal with about 80 of each item, two overlapping ones with about 20 of each
product, six overlapping "any 3 of 6" deals over 12 products with 2 of each). Beyond
it the engine takes the better of the best greedy order of the rules (see
:func:`_heuristic`) and the search's first solution, which can miss the optimum.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.discounts import Rule


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

EXACT_WORK_LIMIT = 4_000
"""The exact search's budget for one component, in steps (a number of sets tried at a
level; a linear programme counts by its size): a tenth to a fifth of a second. A component
that needs more takes the better of the best greedy order (see :func:`_heuristic`) and
the search's first solution, which may miss the optimum."""

QUICK_WORK_LIMIT = 60
"""The steps of the quick first try, which settles everyday baskets (see
:meth:`_Search.solve`)."""

MAX_CANDIDATES = 1_000
"""The most ways to fill one set that the exact search lists for a component (summed over
its rules). Only mix-and-match sets over many lines have more: ``any 3`` of 18 lines can
be filled 1,140 ways, ``any 4`` of 20 lines 8,855."""

_SCALE = 1 << 24
"""Fixed point for the per-unit rates of the search's upper bound (integers: exact)."""


class _TooBig(Exception):
    """The exact search would take too long for this component.

    Attributes:
        found: The best allocation found before it stopped, if any.
    """

    found: _Result | None = None


def _candidate_sets(
    rule: Rule, slots: Sequence[_Slot], counts: Sequence[int]
) -> Iterable[tuple[tuple[int, int], ...]]:
    """Every distinct way to take one set of ``rule`` from the units left.

    Each way is ``((slot, units), ...)`` by slot. The order is fixed (it settles ties):
    for an ``items`` rule product by product in the rule's order, and for each product
    the most units from its earliest slot first; ``any_of`` likewise over its slots.
    """
    n = len(slots)
    if rule.items:
        per_code = []
        for code, need in rule.items.items():
            idx = [i for i in range(n) if slots[i].barcode == code and counts[i] > 0]
            per_code.append(list(_multisets(idx, need, counts)))
            if not per_code[-1]:
                return
        for combo in itertools.product(*per_code):
            yield tuple(sorted(part for parts in combo for part in parts))
    else:
        members = set(rule.any_of)
        idx = [i for i in range(n) if slots[i].barcode in members and counts[i] > 0]
        yield from _multisets(idx, rule.count, counts)


def _multisets(
    idx: Sequence[int], need: int, counts: Sequence[int]
) -> Iterable[tuple[tuple[int, int], ...]]:
    """Ways to take ``need`` units from the slots ``idx`` (bounded by ``counts``).

    From the most units of ``idx[0]`` down (lexicographic), without recursion: a
    product may have hundreds of price-label lines.
    """
    caps = [counts[i] for i in idx]
    room = [*itertools.accumulate(reversed(caps), initial=0)][::-1]  # room[j]: sum(caps[j:])
    if room[0] < need:
        return
    ks = [0] * len(idx)

    def fill(start: int, left: int) -> None:
        for j in range(start, len(idx)):
            ks[j] = min(caps[j], left)
            left -= ks[j]

    fill(0, need)
    while True:
        yield tuple((idx[j], k) for j, k in enumerate(ks) if k)
        # the next way: the last slot that can pass one unit on to the slots after it
        tail = 0
        for j in range(len(idx) - 1, -1, -1):
            if ks[j] and room[j + 1] > tail:
                ks[j] -= 1
                fill(j + 1, tail + 1)
                break
            tail += ks[j]
        else:
            return


def _candidate_count(rule: Rule, slots: Sequence[_Slot]) -> int:
    """An upper bound on the ways to fill one set of ``rule`` from ``slots``."""
    if rule.items:
        ways = 1
        for code, need in rule.items.items():
            k = sum(1 for s in slots if s.barcode == code)
            ways *= math.comb(k + need - 1, need) if k else 0
        return ways
    k = sum(1 for s in slots if s.barcode in rule.any_of)
    return math.comb(k + rule.count - 1, rule.count) if k else 0


_LP_SIZE = 600
"""The largest linear programme (levels x slots) the search solves for a bound."""

_LP_CUTS = 8
"""Bounds from linear programmes kept per level."""


def _lp_prices(
    columns: Sequence[Sequence[tuple[int, int]]], gains: Sequence[int], caps: Sequence[int]
) -> list[float] | None:
    """Prices per row from the linear relaxation: the dual of ``max gains . x`` subject to
    ``sum(k * x[n] for (row, k) in columns[n]) <= caps[row]`` and ``x >= 0``.

    The simplex method on a dense tableau: the most negative reduced cost enters, and
    after a run of steps that gain nothing, Bland's rule (which cannot cycle). ``None``
    if it does not finish within its step limit. Floats: the caller makes the prices safe.
    """
    n_rows, n_cols = len(caps), len(columns)
    width = n_cols + n_rows
    table = [[0.0] * (width + 1) for _ in range(n_rows)]
    for n, column in enumerate(columns):
        for row, k in column:
            table[row][n] = float(k)
    for row, cap in enumerate(caps):
        table[row][n_cols + row] = 1.0
        table[row][width] = float(cap)
    objective = [-float(g) for g in gains] + [0.0] * (n_rows + 1)
    basis = list(range(n_cols, width))
    eps = 1e-9
    stalled = 0
    for _ in range(20 * width):
        if stalled < 10:
            enter = min(range(width), key=objective.__getitem__)
            if objective[enter] >= -eps:
                return objective[n_cols:width]
        else:
            enter = next((j for j in range(width) if objective[j] < -eps), -1)
            if enter < 0:
                return objective[n_cols:width]
        leave, ratio = -1, math.inf
        for row in range(n_rows):
            a = table[row][enter]
            if a > eps:
                r = table[row][width] / a
                if r < ratio - eps or (r <= ratio + eps and basis[row] < basis[leave]):
                    leave, ratio = row, r
        if leave < 0:
            return None  # unbounded: cannot happen with finite caps
        stalled = stalled + 1 if ratio <= eps else 0
        a = table[leave][enter]
        pivot = table[leave] = [x / a for x in table[leave]]
        for row in range(n_rows):
            if row != leave and (f := table[row][enter]):
                table[row] = [x - f * p for x, p in zip(table[row], pivot, strict=True)]
        if f := objective[enter]:
            objective = [x - f * p for x, p in zip(objective, pivot, strict=True)]
        basis[leave] = enter
    return None


class _Bound:
    """At most what ``m`` sets at one level, and then the levels after it, take off.

    In units of ``1 / (_SCALE * lcm)`` and concave in ``m``: ``m`` times the level's
    discount plus the least of some lines (what the units left are worth at prices per
    unit that pay for every later set) and of the sum, rule by rule, of its best set
    times the most sets its units left allow (a line for the rules whose sets need one
    kind of unit, a minimum of lines for each of the others).
    """

    __slots__ = ("gain", "lines", "most", "multi", "sets", "top")

    def __init__(
        self,
        gain: int,
        most: int,
        lines: list[tuple[int, int]],
        sets: tuple[int, int],
        multi: list[tuple[int, list[tuple[int, int]]]],
    ) -> None:
        self.gain = gain
        self.most = most  # the most sets the level can take
        self.lines = lines  # (value at m = 0, fall per set)
        self.sets = sets  # the same, for the rules whose sets need one kind of unit
        self.multi = multi  # (best set, [(sets allowed at m = 0, fall per set)])
        self.top: int | None = None  # where it stops rising (found when needed)

    def __call__(self, m: int) -> int:
        rest = min([a - b * m for a, b in self.lines])
        sets = self.sets[0] - self.sets[1] * m
        for most, parts in self.multi:
            sets += most * min([a - b * m for a, b in parts])
        return m * self.gain + min(rest, sets)

    def add(self, line: tuple[int, int]) -> None:
        self.lines.append(line)
        self.top = None

    def peak(self) -> int:
        """The fewest sets at which the bound is at its highest (it is concave)."""
        if self.top is None:
            low, high = 0, self.most
            while low < high:
                mid = (low + high) // 2
                if self(mid + 1) > self(mid):
                    low = mid + 1
                else:
                    high = mid
            self.top = low
        return self.top

    def last_over(self, need: int, m: int) -> int | None:
        """The most sets, at most ``m``, at which the bound is at least ``need``."""
        if m < 0:
            return None
        if self(m) >= need:
            return m
        peak = self.peak()
        if m <= peak or self(peak) < need:
            return None  # below the peak fewer sets only lower it
        low, high = peak, m - 1  # it falls from the peak to m: bisect
        while low < high:
            mid = (low + high + 1) // 2
            if self(mid) >= need:
                low = mid
            else:
                high = mid - 1
        return low


class _Frame:
    """A state being searched: the sets still to try at its level, and the best so far."""

    __slots__ = (
        "best",
        "bound",
        "choice",
        "counts",
        "floor",
        "gained",
        "key",
        "level",
        "mask",
        "next",
    )

    def __init__(
        self,
        key: tuple[int, ...],
        level: int,
        counts: list[int],
        mask: int,
        floor: int,
        bound: _Bound,
    ) -> None:
        self.key = key
        self.level = level
        self.counts = counts
        self.mask = mask
        self.floor = floor  # the caller needs a total over this; then the best so far
        self.bound = bound
        self.best: int | None = None
        self.choice = 0  # how many sets the best total takes at this level
        self.next = bound.most  # the most sets still to try
        self.gained = 0  # what the sets being tried take off, with the moves after them


class _Search:
    """The exact allocation of a component's units to sets of its rules.

    The rules are taken in order (priority, then name) and, within a rule, its ways to
    fill a set (:func:`_candidate_sets`) in order; each (rule, way) is a *level*. The
    search maximises a score that orders allocations as rule 3 does: the discount, then
    the sets of each rule in turn (more sets of the higher-priority rule, whichever ways
    fill them), in one integer (:attr:`gain` per level, see :meth:`_scores`). At each
    level it chooses how many sets to take that way, the most first, and keeps the first
    choice that reaches the best score: among allocations equal in money and in sets per
    rule, more sets of the earlier way. That gives the same allocation, down to the lines
    each discount used, as trying every allocation in that order would.

    What makes it fast:

    * Moves without a choice are made at once: a level that cannot fill a set is
      skipped, and one whose units no later level uses takes every set it can (a rule on
      its own is one step, whatever the quantities).
    * A first solution from a dive that follows the bound (below) sets the floor, so the
      search only looks where it might do at least as well.
    * Branch and bound: a state is searched for a total over a floor (what its caller
      already has). The bound on what the later levels can take off is the least of:
      every unit left at the best rate per unit any later level pays for it; the same in
      proportion to the units' prices; rule by rule, the most sets its units allow times
      its best set; and the prices of the linear relaxation (solved by the simplex method
      where a state needs it, kept per level, and valid for every state). All exact
      integer arithmetic and concave in the number of sets taken at the level, so the
      numbers of sets worth trying form one range, found by bisection.
    * States (level, units left, groups used) are memoised on the units the remaining
      levels can still use, so different choices that leave the same units meet; a state
      that could not beat its floor remembers that, and is searched again only for less.
    * An explicit stack, no recursion: the depth is the number of levels, never the
      number of sets.
    * A quick first try without the dive and the relaxation, which cost more than they
      save in the small searches of everyday baskets.

    Raises :class:`_TooBig` past :data:`MAX_CANDIDATES` or :data:`EXACT_WORK_LIMIT`.
    """

    def __init__(self, rules: Sequence[Rule], slots: Sequence[_Slot]) -> None:
        if sum(_candidate_count(r, slots) for r in rules) > MAX_CANDIDATES:
            raise _TooBig
        self.rules = rules
        self.slots = slots
        counts = [s.count for s in slots]
        bits: dict[str, int] = {}
        self.rule_of: list[int] = []
        self.take: list[tuple[tuple[int, int], ...]] = []
        self.gain: list[int] = []
        for i, rule in enumerate(rules):
            spec = rule.spec
            assert spec.set_discount is not None
            for take in _candidate_sets(rule, slots, counts):
                values = [slots[j].value for j, k in take for _ in range(k)]
                discount = spec.set_discount(rule, values)
                if discount > 0:
                    self.rule_of.append(i)
                    self.take.append(take)
                    self.gain.append(discount)
            if rule.group is not None:
                bits.setdefault(rule.group, 1 << len(bits))
        self.money = self.gain  # what each level's set takes off
        self.scale, self.gain = self._scores()
        size = self.size = len(self.take)
        rule_bit = [bits[r.group] if r.group is not None else 0 for r in rules]
        self.bit = [rule_bit[i] for i in self.rule_of]
        self.first = [n == 0 or self.rule_of[n - 1] != i for n, i in enumerate(self.rule_of)]
        self.end = [size] * size  # the first level of the next rule
        for n in range(size - 2, -1, -1):
            self.end[n] = n + 1 if self.rule_of[n + 1] != self.rule_of[n] else self.end[n + 1]
        # taking a set marks its rule's group used, which matters to the levels after it
        # only when a later rule with sets to offer is in the same group
        later: set[int] = set()
        shares_rule: dict[int, bool] = {}
        for i in sorted(set(self.rule_of), reverse=True):
            shares_rule[i] = bool(rule_bit[i]) and rule_bit[i] in later
            later.add(rule_bit[i])
        self.shares = [shares_rule[i] for i in self.rule_of]

        # per level, over it and every later level: the slots they use, the best rate
        # paid per unit and per unit of value (fixed point, rounded up), their group bits,
        # and per rule its best set; per rule, what a set needs (units of each product,
        # or of its members)
        self.rel: list[tuple[int, ...]] = [()] * (size + 1)
        self.per_unit: list[dict[int, int]] = [{}] * (size + 1)
        self.per_value: list[dict[int, int]] = [{}] * (size + 1)
        self.mask = [0] * (size + 1)
        self.free = [False] * size  # no later level uses this level's slots
        self.best_set: list[tuple[tuple[int, int], ...]] = [()] * (size + 1)
        self.needs: dict[int, tuple[tuple[int, tuple[int, ...]], ...]] = {}
        for i, rule in enumerate(rules):
            if rule.items:
                self.needs[i] = tuple(
                    (need, tuple(j for j, s in enumerate(slots) if s.barcode == code))
                    for code, need in rule.items.items()
                )
            else:
                members = tuple(j for j, s in enumerate(slots) if s.barcode in rule.any_of)
                self.needs[i] = ((rule.count, members),)
        self.lcm = math.lcm(*(need for i in set(self.rule_of) for need, _ in self.needs[i]))
        unit_rate: dict[int, int] = {}
        value_rate: dict[int, int] = {}
        most: dict[int, int] = {}
        for n in range(size - 1, -1, -1):
            take, discount = self.take[n], self.gain[n]
            self.free[n] = not any(j in unit_rate for j, _ in take)
            units = sum(k for _, k in take)
            worth = sum(slots[j].value * k for j, k in take)  # > 0: it gives a discount
            for j, _ in take:
                unit_rate[j] = max(unit_rate.get(j, 0), -(-discount * _SCALE // units))
                share = -(-discount * slots[j].value * _SCALE // worth)
                value_rate[j] = max(value_rate.get(j, 0), share)
            most[self.rule_of[n]] = max(most.get(self.rule_of[n], 0), discount)
            self.rel[n] = tuple(sorted(unit_rate))
            self.per_unit[n] = dict(unit_rate)
            self.per_value[n] = dict(value_rate)
            self.best_set[n] = tuple(sorted(most.items()))
            self.mask[n] = self.mask[n + 1] | self.bit[n]
        self.cuts: list[list[dict[int, int]]] = [[] for _ in range(size + 1)]
        self.solved: dict[tuple[int, ...], dict[int, int] | None] = {}  # linear programmes
        # key -> (exact, total, sets): the best total from a state and how many sets its
        # level takes for it, or (not exact) a total the state is known not to exceed
        self.memo: dict[tuple[int, ...], tuple[bool, int, int]] = {}
        self.work = 0
        self.limit = EXACT_WORK_LIMIT
        self.relax = True  # use the linear relaxation (not in the quick first try)

    def _scores(self) -> tuple[int, list[int]]:
        """The score of a set at each level, and the score of one minor unit of money.

        A set's score is its discount times the scale plus its rule's weight; the weights
        are a mixed radix over the rules in order (each rule's digit is its number of sets,
        at most what its units allow), so that an allocation's score orders allocations by
        money, then by the sets of the first rule, then of the second, and so on. With one
        rule the score is the money.
        """
        rules = sorted(set(self.rule_of))
        if len(rules) < 2:
            return 1, self.money
        weight: dict[int, int] = {}
        scale = 1
        for i in reversed(rules):
            weight[i] = scale
            rule = self.rules[i]
            units = sum(s.count for s in self.slots if s.barcode in rule.barcodes)
            scale *= units // rule.set_size + 1
        return scale, [m * scale + weight[i] for m, i in zip(self.money, self.rule_of, strict=True)]

    # -------------------------------------------------------------- moves

    def advance(
        self, level: int, counts: list[int], mask: int, sets: list[int] | None = None
    ) -> tuple[int, int, int]:
        """Enter ``level`` and make the moves that need no choice.

        Returns the level with a choice (or the end), the groups used, and the discount
        of the sets taken on the way; ``counts`` is updated in place and ``sets`` (per
        level), when given, counts the sets taken.
        """
        gained = 0
        size = self.size
        while level < size:
            if self.first[level] and self.bit[level] & mask:
                level = self.end[level]  # an earlier rule of its group applied
                continue
            take = self.take[level]
            room = min([counts[j] // k for j, k in take])
            if room and not (
                self.free[level] and (not self.shares[level] or self.bit[level] & mask)
            ):
                break  # a choice: how many sets to take here
            if room:  # nothing later wants these units: every set, at once
                for j, k in take:
                    counts[j] -= k * room
                gained += self.gain[level] * room
                mask |= self.bit[level]
                if sets is not None:
                    sets[level] += room
            level += 1
        return level, mask, gained

    def key(self, level: int, counts: list[int], mask: int) -> tuple[int, ...]:
        return (level, mask & self.mask[level], *[counts[j] for j in self.rel[level]])

    # -------------------------------------------------------------- bounds

    def line(
        self, rates: dict[int, int], counts: list[int], take: Sequence[tuple[int, int]]
    ) -> tuple[int, int]:
        """A bound from prices per unit, as (at m = 0, fall per set at the level)."""
        start = sum([counts[j] * r for j, r in rates.items()])
        fall = sum([k * rates.get(j, 0) for j, k in take])
        return start * self.lcm, fall * self.lcm

    def bound(self, level: int, counts: list[int]) -> _Bound:
        """The bound of taking ``m`` sets at ``level`` (a state with a choice)."""
        take = self.take[level]
        after = level + 1
        lines = [
            self.line(rates, counts, take)
            for rates in (self.per_unit[after], self.per_value[after], *self.cuts[after])
        ]
        used = dict(take)
        single = [0, 0]
        multi = []
        for i, best in self.best_set[after]:
            parts = []
            for need, where in self.needs[i]:
                left = sum([counts[j] for j in where])
                fall = sum([used.get(j, 0) for j in where])
                factor = self.lcm // need
                if fall % need:
                    parts.append((left * factor, fall * factor))
                else:  # whole sets either way: round down
                    parts.append((left // need * self.lcm, fall // need * self.lcm))
            if len(parts) == 1:
                single[0] += best * _SCALE * parts[0][0]
                single[1] += best * _SCALE * parts[0][1]
            else:
                multi.append((best * _SCALE, parts))
        most = min([counts[j] // k for j, k in take])
        gain = self.gain[level] * _SCALE * self.lcm
        return _Bound(gain, most, lines, (single[0], single[1]), multi)

    def relaxed(self, level: int, counts: list[int]) -> dict[int, int] | None:
        """Prices per unit from the linear relaxation of the levels from ``level`` on, at
        ``counts``: exact integers, rounded up so that they pay for every set of those
        levels (so they bound every state at ``level``, not only this one).
        """
        rel = self.rel[level]
        columns = self.size - level
        if not columns or columns * len(rel) > _LP_SIZE:
            return None
        key = self.key(level, counts, 0)
        if key in self.solved:
            return self.solved[key]
        self.work += 1 + columns * len(rel) ** 2 // 170  # about its cost in steps
        row = {j: r for r, j in enumerate(rel)}
        takes = [[(row[j], k) for j, k in self.take[n]] for n in range(level, self.size)]
        prices = _lp_prices(takes, self.gain[level:], [counts[j] for j in rel])
        rates: dict[int, int] | None = None
        if prices is not None:
            fixed = [max(0, math.ceil(p * _SCALE)) + 1 for p in prices]
            for n, column in enumerate(takes):  # make sure every set is paid for
                short = self.gain[level + n] * _SCALE - sum(fixed[r] * k for r, k in column)
                if short > 0:
                    r, k = max(column, key=lambda part: part[1])
                    fixed[r] += -(-short // k)
            rates = {j: fixed[r] for j, r in row.items() if fixed[r]}
            cuts = self.cuts[level]
            cuts.append(rates)
            if len(cuts) > _LP_CUTS:
                del cuts[0]
        self.solved[key] = rates
        return rates

    def refine(self, bound: _Bound, level: int, counts: list[int], m: int) -> None:
        """Add the relaxation's bound, solved after ``m`` sets at ``level``, to ``bound``."""
        if not self.relax or self.work > self.limit:
            return
        left = list(counts)
        take = self.take[level]
        for j, k in take:
            left[j] -= k * m
        rates = self.relaxed(level + 1, left)
        if rates is not None:
            bound.add(self.line(rates, counts, take))

    # -------------------------------------------------------------- search

    def dive(self) -> tuple[int, list[int]]:
        """A good first solution: at each level, the number of sets the bound likes best."""
        counts = [s.count for s in self.slots]
        sets = [0] * self.size
        level, mask, total = self.advance(0, counts, 0, sets)
        while level < self.size:
            bound = self.bound(level, counts)
            m = bound.peak()
            for _ in range(3):  # a few steps of the relaxation move the peak where it belongs
                self.refine(bound, level, counts, m)
                if bound.peak() == m:
                    break
                m = bound.peak()
            for j, k in self.take[level]:
                counts[j] -= k * m
            sets[level] += m
            total += self.gain[level] * m
            level, mask, gained = self.advance(
                level + 1, counts, mask | self.bit[level] if m else mask, sets
            )
            total += gained
        return total, sets

    def best(self, level: int, counts: list[int], mask: int, floor: int) -> int | None:
        """The best total from a state with a choice to make, if it is over ``floor``."""
        memo, size = self.memo, self.size
        scale = _SCALE * self.lcm
        root = _Frame(
            self.key(level, counts, mask), level, counts, mask, floor, self.bound(level, counts)
        )
        stack = [root]
        answer: int | None = None
        pending = False  # ``answer`` is for the top frame's child of ``frame.next`` sets
        while stack:
            frame = stack[-1]
            level = frame.level
            if pending:
                pending = False
                if answer is not None:  # it beat the floor: the best so far
                    frame.floor = frame.best = frame.gained + answer
                    frame.choice = frame.next
                frame.next -= 1
            take, gain, bit, bound = (
                self.take[level],
                self.gain[level],
                self.bit[level],
                frame.bound,
            )
            while (m := bound.last_over((frame.floor + 1) * scale, frame.next)) is not None:
                self.work += 1
                if self.work > self.limit:
                    raise _TooBig
                left = list(frame.counts)
                for j, k in take:
                    left[j] -= k * m
                at, groups, gained = self.advance(
                    level + 1, left, frame.mask | bit if m else frame.mask
                )
                gained += m * gain
                need = frame.floor - gained  # what the rest must be worth to matter
                found: int | None = None
                if at == size:
                    found = 0 if need < 0 else None
                else:
                    key = self.key(at, left, groups)
                    hit = memo.get(key)
                    if hit is not None and (hit[0] or hit[1] <= need):
                        found = hit[1] if hit[0] and hit[1] > need else None
                    else:
                        lines = len(bound.lines)
                        self.refine(bound, level, frame.counts, m)
                        if len(bound.lines) > lines and bound(m) < (frame.floor + 1) * scale:
                            frame.next = m - 1  # the relaxation says it cannot
                            continue
                        frame.next, frame.gained = m, gained
                        stack.append(_Frame(key, at, left, groups, need, self.bound(at, left)))
                        break
                if found is not None:
                    frame.floor = frame.best = gained + found
                    frame.choice = m
                frame.next = m - 1
            else:
                stack.pop()
                if frame.best is not None:
                    memo[frame.key] = (True, frame.best, frame.choice)
                else:
                    memo[frame.key] = (False, frame.floor, 0)
                answer = frame.best
                pending = True
        return answer

    def solve(self) -> _Result:
        """The best allocation; :class:`_TooBig` carries the dive's when it runs out.

        Small searches (most) are done by a quick first try without the dive and the
        linear relaxation, which cost more than they save there. What that try learnt
        stays in the memo for the full search.
        """
        counts = [s.count for s in self.slots]
        sets = [0] * self.size
        level, mask, total = self.advance(0, counts, 0, sets)
        if level < self.size:
            self.limit, self.relax = QUICK_WORK_LIMIT, False
            try:
                found = self.best(level, counts, mask, -1)
            except _TooBig:
                self.limit, self.relax = EXACT_WORK_LIMIT, True
                first, dived = self.dive()
                greedy = _heuristic(self.rules, self.slots, _few_orders(self.rules)).total
                greedy *= self.scale  # a score it reaches at least
                try:
                    found = self.best(level, counts, mask, max(first, greedy) - total - 1)
                except _TooBig as big:
                    big.found = self.result(dived)
                    raise
            assert found is not None
            total += found
        while level < self.size:  # follow the remembered choices
            exact, _, times = self.memo[self.key(level, counts, mask)]
            assert exact
            for j, k in self.take[level]:
                counts[j] -= k * times
            sets[level] += times
            if times:
                mask |= self.bit[level]
            level, mask, _ = self.advance(level + 1, counts, mask, sets)
        return self.result(sets)

    def result(self, sets: list[int]) -> _Result:
        """The discounts of ``sets`` (per level, how many), by rule in order."""
        per_rule: dict[int, tuple[list[int], dict[int, int]]] = {}
        total = 0
        for n, times in enumerate(sets):
            if times:
                total += self.money[n] * times
                tally, uses = per_rule.setdefault(self.rule_of[n], ([0, 0], {}))
                tally[0] += self.money[n] * times
                tally[1] += times
                for j, k in self.take[n]:
                    line_no = self.slots[j].line_no
                    uses[line_no] = uses.get(line_no, 0) + k * times
        applied = []
        for i, ((amount, count), uses) in sorted(per_rule.items()):
            rule = self.rules[i]
            applied.append(
                AppliedDiscount(rule.name, rule.kind, amount, count, tuple(sorted(uses.items())))
            )
        return _Result(total, tuple(applied))


def _exact(rules: Sequence[Rule], slots: Sequence[_Slot]) -> _Result:
    """The best allocation of units to sets of ``rules`` (sorted by priority, then name)."""
    return _Search(rules, slots).solve()


def _few_orders(rules: Sequence[Rule]) -> list[tuple[Rule, ...]]:
    """Some rule orders to seed the exact search with: every order of up to 4 rules,
    otherwise each rotation of the priority order and of its reverse."""
    if len(rules) <= 4:
        return list(itertools.permutations(rules))
    forward, back = tuple(rules), tuple(reversed(rules))
    return [order[n:] + order[:n] for order in (forward, back) for n in range(len(rules))]


def _heuristic(
    rules: Sequence[Rule],
    slots: Sequence[_Slot],
    orders: Iterable[Sequence[Rule]] | None = None,
) -> _Result:
    """For components too big to search exactly: the best of the greedy rule orders.

    Up to 6 rules every order is tried; beyond that, priority order and its reverse
    (or the ``orders`` given).
    """
    if orders is None:
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
        if best is None or _ranked(rules, result) > _ranked(rules, best):
            best = result
    return best or _NOTHING


def _ranked(rules: Sequence[Rule], result: _Result) -> tuple[int, tuple[int, ...]]:
    """How rule 3 orders allocations of ``rules`` (in order): the discount, then the sets
    of each rule in turn (more sets of the higher-priority rule first)."""
    sets = {a.name: a.sets for a in result.applied}
    return result.total, tuple(sets.get(rule.name, 0) for rule in rules)


_GREEDY_EXACT = frozenset({"multibuy", "free_items"})
"""Kinds for which one rule on its own is solved exactly by :func:`_greedy`: the
reward of a set grows with the value of its units and is not rounded per set."""

SMALL_UNITS = 24
SMALL_WAYS = 120
"""A rule of :data:`_GREEDY_EXACT` alone on at most this many units, with at most this
many ways to fill one set, is searched anyway: the saving is the same, but the search
breaks ties between lines as rule 3 says (the earliest lines first), where the most
valuable units first may use other lines (4 lemons on one line and one at a label
price, any 2 for 1: 4 of the first line, not 3 + 1). Beyond it the tie-break is the
greedy one, which is quick whatever the quantities."""


def _small(rule: Rule, slots: Sequence[_Slot]) -> bool:
    """Whether searching ``rule`` alone over ``slots`` costs next to nothing."""
    return (
        sum(s.count for s in slots) <= SMALL_UNITS and _candidate_count(rule, slots) <= SMALL_WAYS
    )


def _solve(rules: Sequence[Rule], slots: Sequence[_Slot]) -> _Result:
    """Price one component: its eligible item rules against its lines.

    Exact whenever the search fits its budget (see the module's notes); otherwise the
    better of the best greedy order and the search's first solution. Even a
    single rule is searched exactly when it can be: rounding a percentage per set means
    the most valuable units first is not always best (1% of 1.50 + 1.50 and of
    1.20 + 1.20 rounds to 0.05; two sets of 1.50 + 1.20 round to 0.06).
    """
    if not rules or not slots:
        return _NOTHING
    if len(rules) == 1 and rules[0].kind in _GREEDY_EXACT and not _small(rules[0], slots):
        # one rule alone: its most valuable units first is the best (no rounding per set)
        found = _applied(rules[0], _greedy(rules[0], slots, [s.count for s in slots]))
        return _Result(found.amount, (found,)) if found is not None else _NOTHING
    try:
        return _exact(rules, slots)
    except _TooBig as big:
        fallback = _heuristic(rules, slots)
        if big.found is not None and _ranked(rules, big.found) > _ranked(rules, fallback):
            return big.found
        return fallback


# ------------------------------------------------------------------------- the pricer

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
            if any(map(_windowed, rules)) or any(map(_thresholded, rules))
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
        self._exclusive_found: dict[int, AppliedDiscount | None] = {}
        """The discount of each exclusive item rule (by position in ``_exclusive``) on the
        cart as last seen, dropped when a line of one of its products changes."""

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
                    if r.is_active_at(at) and _threshold_met(r, subtotal)
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
            if not rule.is_active_at(at) or not _threshold_met(rule, subtotal):
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
            if rule.min_subtotal is None or not rule.is_active_at(at):
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


def _used_groups(eligible: Sequence[Rule], result: _Result) -> frozenset[str]:
    """The groups of the rules that ``result`` applied."""
    return frozenset(r.group for r in eligible if r.group and _uses(result, r))


def _slots_for(rules: Sequence[Rule], cart: CartView) -> list[_Slot]:
    """The cart's lines of the products ``rules`` name, as slots."""
    return [
        _slot(line)
        for code in sorted({c for r in rules for c in r.barcodes})
        for line in cart.lines_for(code)
    ]


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
    edges = [t for t in (rule.starts_at, rule.ends_at) if t is not None]
    edges += list(rule.hours or ())
    return all(t.second == 0 and t.microsecond == 0 for t in edges)


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

"""The exact search: the best allocation of a component's units to sets of its rules.

A memoised branch and bound over the units left (see :class:`_Search`), within a budget
of steps; past it the caller falls back on the greedy orders (see :mod:`.components`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pos.domain.discounts import Rule
from pos.domain.pricing.bounds import _LP_CUTS, _LP_SIZE, _SCALE, _Bound, _lp_prices
from pos.domain.pricing.candidates import _candidate_count, _candidate_sets
from pos.domain.pricing.greedy import _few_orders, _heuristic
from pos.domain.pricing.priced import AppliedDiscount
from pos.domain.pricing.units import _Result, _Slot

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


CAP_LINE = -1
"""The line number of the slot that holds a rule's cap on its sets (no cart line)."""


class _TooBig(Exception):
    """The exact search would take too long for this component.

    Attributes:
        found: The best allocation found before it stopped, if any.
    """

    found: _Result | None = None


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
        # a rule's cap on its sets (max_uses_per_sale) is one more slot, of no value and
        # no line, holding the cap: each set of the rule takes one unit of it, so the cap
        # is one more kind of unit to the search and its bounds
        capped = {
            i: _Slot(CAP_LINE, "", 0, rule.max_uses_per_sale)
            for i, rule in enumerate(rules)
            if rule.max_uses_per_sale is not None
        }
        cap_slot = {i: len(slots) + n for n, i in enumerate(capped)}
        self.slots = slots = [*slots, *capped.values()]
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
                    self.take.append((*take, (cap_slot[i], 1)) if i in cap_slot else take)
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
                    if line_no != CAP_LINE:
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

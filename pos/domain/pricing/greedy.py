"""The greedy orders: apply rules one after another, most valuable units first.

Quick whatever the quantities. For one rule of a kind whose ``greedy_exact`` holds it is
the optimum; for several rules the best of some orders seeds the exact search and stands
in for it when a component is too big to search (see :mod:`.components`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from pos.domain.discounts import Rule
from pos.domain.pricing.units import _NOTHING, _applied, _Result, _Slot


def _greedy(
    rule: Rule, slots: Sequence[_Slot], counts: list[int]
) -> list[tuple[int, dict[int, int]]]:
    """Apply one rule as often as it pays, taking the most valuable units first.

    For a single rule of a kind whose ``greedy_exact`` holds this is optimal: sets built
    from the most valuable units in turn maximise its reward (the cheapest-free kind
    included), also with a cap on its sets (``max_uses_per_sale``): the first sets are
    the most valuable. ``counts`` (units left per slot) is updated in place.
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
    cap = rule.max_uses_per_sale
    while cap is None or len(sets) < cap:
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
        if cap is not None:
            repeat = min(repeat, cap - len(sets))
        for i, n in chosen.items():
            counts[i] -= n * repeat
        used = {slots[i].line_no: n for i, n in chosen.items()}
        sets.extend([(discount, used)] * repeat)
    return sets


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

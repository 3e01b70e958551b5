"""Components: the item rules priced together, and how one component is priced.

Item rules that share a product, or a group, form a *component*; components are priced
independently, so a scan re-solves only the component of the scanned product. Within a
component the search is exact while it fits :data:`.search.EXACT_WORK_LIMIT`. Deals on
fixed sets (``items``) never come near it, whatever the quantities; only mix-and-match
(``any_of``) deals with many units can (one "any 3 of 3" deal with about 80 of each
item, two overlapping ones with about 20 of each product, six overlapping "any 3 of 6"
deals over 12 products with 2 of each). Beyond it the engine takes the better of the
best greedy order of the rules and the search's first solution, which can miss the
optimum.
"""

from __future__ import annotations

from collections.abc import Sequence

from pos.domain.discounts import Rule
from pos.domain.pricing.candidates import _candidate_count
from pos.domain.pricing.greedy import _greedy, _heuristic, _ranked
from pos.domain.pricing.priced import CartView
from pos.domain.pricing.search import _exact, _TooBig
from pos.domain.pricing.units import _NOTHING, _applied, _Result, _Slot, _slot


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


def _uses(result: _Result, rule: Rule) -> bool:
    return any(a.name == rule.name for a in result.applied)


SMALL_UNITS = 24
SMALL_WAYS = 120
"""A rule of a kind whose ``greedy_exact`` holds, alone on at most this many units, with
at most this many ways to fill one set, is searched anyway: the saving is the same, but the search
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
    if len(rules) == 1 and rules[0].spec.greedy_exact and not _small(rules[0], slots):
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

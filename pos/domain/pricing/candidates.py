"""The ways to fill one set of a rule from the units left, in the order that settles ties.

Each (rule, way) is one level of the exact search (see :mod:`.search`); their number is
what decides whether a component can be searched at all.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

from pos.domain.discounts import Rule
from pos.domain.pricing.units import _Slot


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

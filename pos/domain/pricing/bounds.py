"""Upper bounds for the exact search: the linear relaxation and the concave bound per level.

What lets the branch and bound skip most of the search (see :class:`.search._Search`):
exact integer arithmetic in units of ``1 / _SCALE``, so a bound never cuts off the optimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_SCALE = 1 << 24
"""Fixed point for the per-unit rates of the search's upper bound (integers: exact)."""


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

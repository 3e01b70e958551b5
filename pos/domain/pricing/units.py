"""The units the optimisers share out, and what one component's pricing gives.

A cart line becomes a *slot* (``count`` units worth ``value`` each); the greedy orders and
the exact search both take slots in and give a :class:`_Result` back.
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.discounts import Rule
from pos.domain.pricing.priced import AppliedDiscount


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

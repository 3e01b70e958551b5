"""Discount rules: what a rule is, and the registry of kinds and their rewards.

A rule has a ``kind``, a condition and a reward. A *coupon rule* (``coupon``) applies
only to a sale into which one of its coupon codes was scanned (see
:mod:`pos.domain.coupons`); ``max_uses_per_sale`` caps the sets of any rule in one sale,
and ``max_uses`` (in total, over every sale) is a count the database keeps.

The item condition is either ``items`` (barcode -> count: the set that must be bought
together) or ``any_of`` with ``count`` (mix and match: any ``count`` units from the list). The price
condition is ``min_subtotal``, which the subtotal must exceed (strictly); it is optional
on every rule (a basket rule without one has a threshold of 0: every sale).

Every kind is one :class:`Kind` in :data:`KINDS`, found by name: adding a kind
means writing its reward function and registering it, nothing else.

Rules are read and validated from the rule file format (and written back to it) by
:mod:`pos.domain.rule_format`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time

from pos.domain.money import format_money, format_scaled, percent_of

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The weekday names of the file format, in ``datetime.weekday()`` order."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated discount rule (money in minor units, percents in basis points)."""

    name: str
    kind: str
    items: Mapping[str, int] = field(default_factory=dict)
    any_of: tuple[str, ...] = ()
    count: int = 0
    price: int | None = None
    free: int | None = None
    percent: int | None = None
    amount: int | None = None
    min_subtotal: int | None = None
    exclusive: bool = False
    priority: int = 0
    group: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekdays: frozenset[int] | None = None
    hours: tuple[time, time] | None = None
    active: bool = True
    coupon: bool = False
    max_uses: int | None = None
    max_uses_per_sale: int | None = None

    def unlocked(self, coupons: frozenset[str]) -> bool:
        """Whether the rule may apply to a sale whose coupons unlock the rules ``coupons``
        (by name): every rule that is not a coupon rule, and a coupon rule whose code was
        scanned into the sale."""
        return not self.coupon or self.name in coupons

    @property
    def spec(self) -> Kind:
        return KINDS[self.kind]

    @property
    def is_basket(self) -> bool:
        return self.spec.basket

    @property
    def barcodes(self) -> frozenset[str]:
        """Every product the item condition names."""
        return frozenset(self.items) | frozenset(self.any_of)

    @property
    def set_size(self) -> int:
        return sum(self.items.values()) if self.items else self.count

    def sort_key(self) -> tuple[int, str]:
        """Higher priority first, then by name: the order ties are settled in."""
        return (-self.priority, self.name)

    def is_active_at(self, at: datetime) -> bool:
        """Whether the rule counts at ``at`` (local time, naive)."""
        if not self.active:
            return False
        if self.starts_at is not None and at < self.starts_at:
            return False
        if self.ends_at is not None and at >= self.ends_at:
            return False
        day = at.weekday()
        if self.hours is not None and self.hours[0] > self.hours[1] and at.time() < self.hours[1]:
            day = (day - 1) % 7  # after midnight in a window that began the day before
        if self.weekdays is not None and day not in self.weekdays:
            return False
        if self.hours is not None:
            start, end = self.hours
            now = at.time()
            if start == end:  # 00:00-24:00: all day
                return True
            if start < end:
                return start <= now < end
            # a window over midnight (22:00-02:00): the hours after midnight belong to the
            # day the window started on, so "fri 22:00-02:00" is on at Saturday 01:00
            return now >= start or now < end
        return True


@dataclass(frozen=True, slots=True)
class Kind:
    """What one kind of rule needs and how it rewards.

    Attributes:
        name: The ``kind`` value in the file.
        basket: Acts on the whole sale (no item condition).
        reward_fields: The reward fields the kind requires.
        set_discount: For item kinds: the discount for one complete set, given the
            value of each unit in it (minor units). Never more than the set is worth.
        basket_discount: For basket kinds: the discount on a subtotal.
        weighed_ok: Weighed (kg) products may be in the set (priced by line total).
        greedy_exact: For item kinds: one rule on its own is priced best by taking the
            most valuable units first (the reward of a set grows with the value of its
            units and is not rounded per set), so the pricer needs no search for it.
        describe: The reward in words, for tables and the editor.
    """

    name: str
    basket: bool
    reward_fields: tuple[str, ...]
    describe: Callable[[Rule], str]
    set_discount: Callable[[Rule, Sequence[int]], int] | None = None
    basket_discount: Callable[[Rule, int], int] | None = None
    weighed_ok: bool = False
    greedy_exact: bool = False


KINDS: dict[str, Kind] = {}
"""Every kind of rule, by its name."""


def register(kind: Kind) -> Kind:
    """Add a kind to :data:`KINDS`."""
    KINDS[kind.name] = kind
    return kind


def _multibuy(rule: Rule, values: Sequence[int]) -> int:
    assert rule.price is not None
    return max(0, sum(values) - rule.price)


def _free_items(rule: Rule, values: Sequence[int]) -> int:
    assert rule.free is not None
    return sum(sorted(values)[: rule.free])


def _percent_off(rule: Rule, values: Sequence[int]) -> int:
    assert rule.percent is not None
    return percent_of(sum(values), rule.percent)


def _amount_off(rule: Rule, values: Sequence[int]) -> int:
    assert rule.amount is not None
    return min(rule.amount, sum(values))


def _basket_amount(rule: Rule, subtotal: int) -> int:
    assert rule.amount is not None
    return min(rule.amount, subtotal)


def _basket_percent(rule: Rule, subtotal: int) -> int:
    assert rule.percent is not None
    return percent_of(subtotal, rule.percent)


def _pct(rule: Rule) -> str:
    return format_scaled(rule.percent or 0, 2)


register(
    Kind(
        "multibuy",
        False,
        ("price",),
        lambda r: f"set for {format_money(r.price or 0)}",
        set_discount=_multibuy,
        greedy_exact=True,
    )
)
register(
    Kind(
        "free_items",
        False,
        ("free",),
        lambda r: f"{r.free} cheapest free",
        set_discount=_free_items,
        greedy_exact=True,
    )
)
register(
    Kind(
        "percent_off",
        False,
        ("percent",),
        lambda r: f"{_pct(r)}% off",
        set_discount=_percent_off,
        weighed_ok=True,
    )
)
register(
    Kind(
        "amount_off",
        False,
        ("amount",),
        lambda r: f"{format_money(r.amount or 0)} off",
        set_discount=_amount_off,
    )
)
register(
    Kind(
        "basket_amount_off",
        True,
        ("amount",),
        lambda r: f"{format_money(r.amount or 0)} off the sale",
        basket_discount=_basket_amount,
    )
)
register(
    Kind(
        "basket_percent_off",
        True,
        ("percent",),
        lambda r: f"{_pct(r)}% off the sale",
        basket_discount=_basket_percent,
    )
)


def describe_condition(rule: Rule, names: Callable[[str], str] = lambda code: code) -> str:
    """The condition in words: ``3 x Lemons``, ``any 3 of 5 items``, ``spend over 50.00``."""
    parts = []
    if rule.items:
        parts.append(" + ".join(f"{n} x {names(code)}" for code, n in rule.items.items()))
    elif rule.any_of:
        parts.append(f"any {rule.count} of {len(rule.any_of)} items")
    if rule.is_basket and not rule.min_subtotal:
        parts.append("every sale")
    elif rule.min_subtotal is not None:
        parts.append(f"spend over {format_money(rule.min_subtotal)}")
    return ", ".join(parts)

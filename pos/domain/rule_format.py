"""The discount rule file format: reading a rule with its validation, and writing it back.

The same :func:`parse_rule` validates the rule file, the database rows and the
manager's editor, so there is one set of rules for what a valid rule is; a bad rule is a
:class:`RuleError` naming the rule, the field and the problem. :func:`rule_to_json`
writes a :class:`~pos.domain.discounts.Rule` back in the same format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time

from pos.domain.barcodes import BarcodeError, normalise
from pos.domain.catalog import Product, Unit
from pos.domain.discounts import KINDS, WEEKDAYS, Rule
from pos.domain.money import (
    MoneyError,
    format_money,
    format_scaled,
    parse_decimal,
    parse_money,
)

MAX_SET_COUNT = 99
"""No set needs more than 99 units of one product."""
MAX_PRIORITY = 1_000_000
MAX_NAME = 80
MAX_USES = 10_000_000
"""The most uses in total a rule may be capped at (``max_uses``)."""
MAX_USES_PER_SALE = 9_999
"""The most sets per sale a rule may be capped at (``max_uses_per_sale``)."""

_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")


class RuleError(ValueError):
    """A rule is not valid; names the rule and the field.

    Attributes:
        rule: The rule's name (or its position in the file when it has none).
        field: The field at fault.
        problem: What is wrong, in words a shop manager understands.
    """

    def __init__(self, rule: str, field_name: str, problem: str) -> None:
        super().__init__(f"rule {rule!r}, field {field_name!r}: {problem}")
        self.rule = rule
        self.field = field_name
        self.problem = problem


class RuleErrors(RuleError):
    """Every problem in a rule file, one :class:`RuleError` per bad rule (at least one).

    A :class:`RuleError` itself (naming the first problem), so a caller that wants only
    one still gets it; ``errors`` lists them all, in file order.
    """

    def __init__(self, errors: list[RuleError]) -> None:
        first = errors[0]
        super().__init__(first.rule, first.field, first.problem)
        self.errors = list(errors)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        return str(self.args[0])


KNOWN_FIELDS = frozenset(
    {
        "name",
        "kind",
        "items",
        "any_of",
        "count",
        "price",
        "free",
        "percent",
        "amount",
        "min_subtotal",
        "exclusive",
        "priority",
        "group",
        "starts_at",
        "ends_at",
        "weekdays",
        "hours",
        "active",
        "coupon",
        "max_uses",
        "max_uses_per_sale",
    }
)

CatalogLookup = Callable[[str], Product | None]


def _text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a number written as text, e.g. "1.30"')
    return value if isinstance(value, str) else repr(value)


def _money(name: str, key: str, value: object, *, positive: bool) -> int:
    try:
        amount = parse_money(_text(value), what=key)
    except (MoneyError, ValueError) as exc:
        raise RuleError(name, key, str(exc)) from None
    if positive and amount <= 0:
        raise RuleError(name, key, f"{key} must be more than 0")
    return amount


def _int(name: str, key: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RuleError(name, key, f"{key} must be a whole number")
    try:
        number = int(value)
    except ValueError:
        raise RuleError(name, key, f"{key} must be a whole number") from None
    if not low <= number <= high:
        raise RuleError(name, key, f"{key} must be between {low} and {high}")
    return number


def _when(name: str, key: str, value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RuleError(name, key, f"{key} must be a date and time like 2026-12-24T17:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RuleError(name, key, f"{key} {value!r} is not a date like 2026-12-24T17:00") from None
    if moment.tzinfo is not None:
        raise RuleError(name, key, f"{key} is a local shop time: leave out the time zone")
    return moment


def _bool(name: str, key: str, value: object, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise RuleError(name, key, f"{key} must be true or false")
    return value


def parse_rule(data: object, catalog: CatalogLookup | None = None, position: int = 0) -> Rule:
    """Validate one rule from the file format (or the editor) and build it.

    Args:
        data: The rule as a JSON object.
        catalog: Looks barcodes up; when given, unknown barcodes and weighed products in
            count-based sets are refused.
        position: The rule's place in the file, to name a rule that has no name.

    Raises:
        RuleError: naming the rule, the field and the problem.
    """
    if not isinstance(data, dict):
        raise RuleError(f"#{position}", "rule", "each rule must be a JSON object")
    raw_name = data.get("name")
    label = raw_name if isinstance(raw_name, str) and raw_name.strip() else f"#{position}"
    if not isinstance(raw_name, str) or not raw_name.strip():
        raise RuleError(label, "name", "every rule needs a name")
    name = raw_name.strip()
    if len(name) > MAX_NAME or not name.isprintable():
        raise RuleError(label, "name", f"name must be up to {MAX_NAME} printable characters")
    unknown = sorted(set(data) - KNOWN_FIELDS)
    if unknown:
        raise RuleError(name, unknown[0], f"unknown field {unknown[0]!r}")
    kind_name = data.get("kind")
    if not isinstance(kind_name, str) or kind_name not in KINDS:
        raise RuleError(
            name, "kind", f"unknown kind {kind_name!r}; kinds are {', '.join(sorted(KINDS))}"
        )
    kind = KINDS[kind_name]

    items: dict[str, int] = {}
    any_of: tuple[str, ...] = ()
    count = 0
    if kind.basket:
        for key in ("items", "any_of", "count"):
            if key in data:
                raise RuleError(name, key, f"a {kind_name} rule acts on the whole sale: no {key}")
    else:
        has_items, has_any = "items" in data, "any_of" in data
        if has_items == has_any:
            raise RuleError(name, "items", "give either items (barcode: count) or any_of + count")
        if has_items:
            raw_items = data["items"]
            if not isinstance(raw_items, dict) or not raw_items:
                raise RuleError(name, "items", "items must map barcodes to counts")
            for code, need in raw_items.items():
                items[_barcode(name, "items", code)] = _int(name, "count", need, 1, MAX_SET_COUNT)
            if "count" in data:
                raise RuleError(name, "count", "count goes with any_of, not with items")
        else:
            raw_any = data["any_of"]
            if not isinstance(raw_any, list) or not raw_any:
                raise RuleError(name, "any_of", "any_of must be a list of barcodes")
            codes = [_barcode(name, "any_of", code) for code in raw_any]
            if len(set(codes)) != len(codes):
                raise RuleError(name, "any_of", "a barcode is listed twice")
            any_of = tuple(codes)
            if "count" not in data:
                raise RuleError(name, "count", "any_of needs a count")
            count = _int(name, "count", data["count"], 1, MAX_SET_COUNT)

    reward: dict[str, int] = {}
    for key in ("price", "free", "percent", "amount"):
        if key in data and key not in kind.reward_fields:
            raise RuleError(name, key, f"a {kind_name} rule has no {key}")
    for key in kind.reward_fields:
        if key not in data or data[key] is None or data[key] == "":
            raise RuleError(name, key, f"a {kind_name} rule needs a {key}")
        value = data[key]
        if key in ("price", "amount"):
            reward[key] = _money(name, key, value, positive=True)
        elif key == "percent":
            try:
                pct = parse_decimal(_text(value), 2, what="percent")
            except (MoneyError, ValueError) as exc:
                raise RuleError(name, key, str(exc)) from None
            if not 0 < pct <= 10_000:
                raise RuleError(name, key, "percent must be more than 0 and at most 100")
            reward[key] = pct
        else:  # free
            reward[key] = _int(name, key, value, 1, MAX_SET_COUNT)

    min_subtotal = None
    if data.get("min_subtotal") not in (None, ""):
        min_subtotal = _money(name, "min_subtotal", data["min_subtotal"], positive=False)
    if kind.basket and min_subtotal is None:
        min_subtotal = 0  # optional on every rule: a basket rule without one is for every sale

    set_size = sum(items.values()) if items else count
    if "free" in reward and reward["free"] >= set_size:
        raise RuleError(name, "free", f"free must be fewer than the {set_size} items in the set")

    starts_at = _when(name, "starts_at", data.get("starts_at"))
    ends_at = _when(name, "ends_at", data.get("ends_at"))
    if starts_at and ends_at and ends_at <= starts_at:
        raise RuleError(name, "ends_at", "ends_at must be after starts_at")

    weekdays = None
    if data.get("weekdays") is not None:
        raw_days = data["weekdays"]
        if not isinstance(raw_days, list) or not raw_days:
            raise RuleError(name, "weekdays", 'weekdays must be a list like ["sat", "sun"]')
        days = set()
        for day in raw_days:
            if not isinstance(day, str) or day.lower() not in WEEKDAYS:
                raise RuleError(name, "weekdays", f"{day!r} is not one of {', '.join(WEEKDAYS)}")
            days.add(WEEKDAYS.index(day.lower()))
        weekdays = frozenset(days)

    hours = None
    if data.get("hours") not in (None, ""):
        raw_hours = data["hours"]
        match = _HOURS.match(raw_hours) if isinstance(raw_hours, str) else None
        if match is None:
            raise RuleError(name, "hours", 'hours must look like "17:00-19:00"')
        start = time(int(match[1]), int(match[2]))
        end_h, end_m = int(match[3]), int(match[4])
        if end_h == 24 and end_m:
            raise RuleError(name, "hours", "hours end at 24:00 at the latest")
        end = time(0, 0) if end_h == 24 else time(end_h, end_m)
        if start == end and not (end_h == 24 and start == time(0, 0)):
            raise RuleError(name, "hours", "the hours window is empty")
        hours = (start, end)

    group = data.get("group")
    if group is not None and (not isinstance(group, str) or not group.strip()):
        raise RuleError(name, "group", "group must be a name")

    rule = Rule(
        name=name,
        kind=kind_name,
        items=items,
        any_of=any_of,
        count=count,
        price=reward.get("price"),
        free=reward.get("free"),
        percent=reward.get("percent"),
        amount=reward.get("amount"),
        min_subtotal=min_subtotal,
        exclusive=_bool(name, "exclusive", data.get("exclusive"), False),
        priority=_int(name, "priority", data.get("priority", 0), -MAX_PRIORITY, MAX_PRIORITY),
        group=group.strip() if isinstance(group, str) else None,
        starts_at=starts_at,
        ends_at=ends_at,
        weekdays=weekdays,
        hours=hours,
        active=_bool(name, "active", data.get("active"), True),
        coupon=_bool(name, "coupon", data.get("coupon"), False),
        max_uses=_cap(name, "max_uses", data.get("max_uses"), MAX_USES),
        max_uses_per_sale=_cap(
            name, "max_uses_per_sale", data.get("max_uses_per_sale"), MAX_USES_PER_SALE
        ),
    )
    if catalog is not None:
        check_products(rule, catalog)
    return rule


def _cap(name: str, key: str, value: object, high: int) -> int | None:
    """An optional usage cap: none (no cap) or a whole number from 1 to ``high``."""
    if value is None or value == "":
        return None
    return _int(name, key, value, 1, high)


def _barcode(name: str, key: str, code: object) -> str:
    if not isinstance(code, str):
        raise RuleError(name, key, f"barcode {code!r} must be text")
    try:
        return normalise(code.strip())
    except BarcodeError as exc:
        raise RuleError(name, key, str(exc)) from None


def check_products(rule: Rule, catalog: CatalogLookup) -> None:
    """Refuse barcodes the catalog lacks, and weighed products in count-based sets."""
    key = "items" if rule.items else "any_of"
    for code in sorted(rule.barcodes):
        product = catalog(code)
        if product is None:
            raise RuleError(rule.name, key, f"no product with barcode {code} in the catalog")
        if product.unit is Unit.KG:
            counted = rule.set_size > 1 or not rule.spec.weighed_ok or bool(rule.any_of)
            if counted:
                raise RuleError(
                    rule.name,
                    key,
                    f"{product.name} is weighed: it can only be in a percent_off rule on its own "
                    "line (count 1)",
                )


def parse_rules(data: object, catalog: CatalogLookup | None = None) -> list[Rule]:
    """Validate a whole rule file ``{"discounts": [...]}``; every rule or none.

    Every rule is checked, so that one run lists every bad rule.

    Raises:
        RuleError: the file is not ``{"discounts": [...]}``.
        RuleErrors: one or more rules are bad (a name used twice is a problem of the
            second rule): each error names the rule and the field.
    """
    if not isinstance(data, dict) or not isinstance(data.get("discounts"), list):
        raise RuleError("file", "discounts", 'the file must look like {"discounts": [...]}')
    rules: list[Rule] = []
    errors: list[RuleError] = []
    seen: set[str] = set()
    for position, item in enumerate(data["discounts"], 1):
        try:
            rule = parse_rule(item, catalog, position)
        except RuleError as exc:
            errors.append(exc)
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str):
                seen.add(name.lower())
            continue
        if rule.name.lower() in seen:
            errors.append(RuleError(rule.name, "name", "two rules in the file have this name"))
            continue
        seen.add(rule.name.lower())
        rules.append(rule)
    if errors:
        raise RuleErrors(errors)
    return rules


def rule_to_json(rule: Rule) -> dict[str, object]:
    """The rule in the file format (only the fields that differ from the defaults)."""
    out: dict[str, object] = {"name": rule.name, "kind": rule.kind}
    if rule.items:
        out["items"] = dict(rule.items)
    if rule.any_of:
        out["any_of"] = list(rule.any_of)
        out["count"] = rule.count
    if rule.price is not None:
        out["price"] = format_money(rule.price)
    if rule.free is not None:
        out["free"] = rule.free
    if rule.percent is not None:
        out["percent"] = format_scaled(rule.percent, 2)
    if rule.amount is not None:
        out["amount"] = format_money(rule.amount)
    if rule.min_subtotal is not None:
        out["min_subtotal"] = format_money(rule.min_subtotal)
    if rule.exclusive:
        out["exclusive"] = True
    if rule.priority:
        out["priority"] = rule.priority
    if rule.group is not None:
        out["group"] = rule.group
    if rule.starts_at is not None:
        out["starts_at"] = rule.starts_at.isoformat()
    if rule.ends_at is not None:
        out["ends_at"] = rule.ends_at.isoformat()
    if rule.weekdays is not None:
        out["weekdays"] = [WEEKDAYS[d] for d in sorted(rule.weekdays)]
    if rule.hours is not None:
        start, end = rule.hours
        end_text = "24:00" if end == time(0, 0) else f"{end:%H:%M}"
        out["hours"] = f"{start:%H:%M}-{end_text}"
    if not rule.active:
        out["active"] = False
    if rule.coupon:
        out["coupon"] = True
    if rule.max_uses is not None:
        out["max_uses"] = rule.max_uses
    if rule.max_uses_per_sale is not None:
        out["max_uses_per_sale"] = rule.max_uses_per_sale
    return out

"""The manager's rule form: what its fields hold, and every problem with them at once.

The form is a front for the rule file format: :func:`form_to_data` turns the fields
into the same JSON object a rule file holds, and :func:`check_form` validates it with
:func:`pos.domain.rule_format.parse_rule`, the one set of rules for what a valid rule is.
``parse_rule`` stops at the first problem; a form should show every field that is
wrong, so :func:`check_form` puts a harmless value in each field it has reported and
asks again, until the rule is valid or every faulty field is named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pos.domain.discounts import KINDS, WEEKDAYS, Rule
from pos.domain.rule_format import (
    CatalogLookup,
    RuleError,
    check_products,
    parse_rule,
    rule_to_json,
)

KIND_LABELS: dict[str, str] = {
    "multibuy": "Multibuy: the set for a price",
    "free_items": "Buy the set, the cheapest free",
    "percent_off": "Percent off items",
    "amount_off": "Amount off items",
    "basket_amount_off": "Amount off the sale",
    "basket_percent_off": "Percent off the sale",
}
"""What each kind is called on screen (every kind in the registry needs one)."""

KIND_SHORT: dict[str, str] = {
    "multibuy": "multibuy",
    "free_items": "free items",
    "percent_off": "% off",
    "amount_off": "amount off",
    "basket_amount_off": "sale off",
    "basket_percent_off": "sale % off",
}
"""The same, short enough for a table column."""

FIELDS = (
    "name",
    "kind",
    "products",
    "count",
    "price",
    "free",
    "percent",
    "amount",
    "min_subtotal",
    "priority",
    "exclusive",
    "group",
    "coupon",
    "max_uses",
    "max_uses_per_sale",
    "active",
    "starts_at",
    "ends_at",
    "weekdays",
    "hours",
)
"""The form's fields, top to bottom; an error is reported against one of them."""

FIELD_LABELS: dict[str, str] = {
    "name": "name",
    "products": "products",
    "count": "number of items",
    "price": "price",
    "free": "number free",
    "percent": "percent",
    "amount": "amount",
    "min_subtotal": "spend threshold",
    "priority": "priority",
    "group": "group",
    "max_uses_per_sale": "uses per sale",
    "max_uses": "uses in total",
    "starts_at": "start",
    "ends_at": "end",
    "weekdays": "days",
    "hours": "hours",
}

DATE_FORMAT_HINT = "2026-12-24 17:00"

# a harmless value for each field, to look past a reported problem for the next one
_SAFE_BARCODE = "4006381333931"
_SAFE: dict[str, object] = {
    "name": "rule",
    "count": 99,
    "price": "0.01",
    "free": 1,
    "percent": "1",
    "amount": "0.01",
    "min_subtotal": "0",
    "priority": 0,
    "exclusive": False,
    "active": True,
}
_OPTIONAL = (
    "group",
    "max_uses",
    "max_uses_per_sale",
    "starts_at",
    "ends_at",
    "weekdays",
    "hours",
)


@dataclass(slots=True)
class RuleForm:
    """The form's fields as typed (text, as the widgets hold it).

    Attributes:
        products: The products of the condition, in order: barcode and count (the count
            is used by a set, ignored by "any N of the list").
        any_of: "Any ``count`` of the list" (mix and match) rather than the whole set.
        weekdays: Ticked days (``mon`` ... ``sun``); none ticked means every day.
        coupon: A coupon rule: it counts only in a sale with one of its codes (issue 22).
        max_uses: The sales it may be used in altogether ("": no cap).
        max_uses_per_sale: The sets it may give in one sale ("": no cap).
    """

    name: str = ""
    kind: str = "multibuy"
    any_of: bool = False
    products: list[tuple[str, int]] = field(default_factory=list)
    count: str = ""
    price: str = ""
    free: str = ""
    percent: str = ""
    amount: str = ""
    min_subtotal: str = ""
    priority: str = "0"
    exclusive: bool = False
    group: str = ""
    coupon: bool = False
    max_uses: str = ""
    max_uses_per_sale: str = ""
    active: bool = True
    starts_at: str = ""
    ends_at: str = ""
    weekdays: tuple[str, ...] = ()
    hours: str = ""

    @classmethod
    def from_rule(cls, rule: Rule) -> RuleForm:
        """The form filled in from a saved rule (to edit or duplicate it)."""
        data = rule_to_json(rule)
        return cls(
            name=rule.name,
            kind=rule.kind,
            any_of=bool(rule.any_of),
            products=[(code, 1) for code in rule.any_of] or list(rule.items.items()),
            count=str(rule.count) if rule.any_of else "",
            price=str(data.get("price", "")),
            free=str(data.get("free", "")),
            percent=str(data.get("percent", "")),
            amount=str(data.get("amount", "")),
            min_subtotal=str(data.get("min_subtotal", "")),
            priority=str(rule.priority),
            exclusive=rule.exclusive,
            group=rule.group or "",
            coupon=rule.coupon,
            max_uses="" if rule.max_uses is None else str(rule.max_uses),
            max_uses_per_sale="" if rule.max_uses_per_sale is None else str(rule.max_uses_per_sale),
            active=rule.active,
            starts_at=rule.starts_at.isoformat(" ", "minutes") if rule.starts_at else "",
            ends_at=rule.ends_at.isoformat(" ", "minutes") if rule.ends_at else "",
            weekdays=tuple(WEEKDAYS[d] for d in sorted(rule.weekdays or ())),
            hours=str(data.get("hours", "")),
        )

    def shown_fields(self) -> frozenset[str]:
        """The fields this kind of rule uses (the form hides the others)."""
        kind = KINDS[self.kind]
        shown = {"name", "kind", "min_subtotal", "priority", "exclusive", "group", "active"}
        shown |= {"coupon", "max_uses", "max_uses_per_sale"}
        shown |= {"starts_at", "ends_at", "weekdays", "hours", *kind.reward_fields}
        if not kind.basket:
            shown.add("products")
            if self.any_of:
                shown.add("count")
        return frozenset(shown)


def form_to_data(form: RuleForm) -> dict[str, object]:
    """The form as a rule in the file format (only the fields its kind uses)."""
    shown = form.shown_fields()
    data: dict[str, object] = {"name": form.name, "kind": form.kind}
    if "products" in shown:
        if form.any_of:
            data["any_of"] = [code for code, _ in form.products]
            data["count"] = form.count.strip()
        else:
            data["items"] = dict(form.products)
    for key in ("price", "free", "percent", "amount"):
        if key in shown:
            data[key] = getattr(form, key).strip()
    if form.min_subtotal.strip():
        data["min_subtotal"] = form.min_subtotal.strip()
    data["priority"] = form.priority.strip() or "0"
    data["exclusive"] = form.exclusive
    data["active"] = form.active
    if form.group.strip():
        data["group"] = form.group.strip()
    if form.coupon:
        data["coupon"] = True
    for key in ("max_uses", "max_uses_per_sale"):
        if getattr(form, key).strip():
            data[key] = getattr(form, key).strip()
    for key in ("starts_at", "ends_at"):
        value = getattr(form, key).strip()
        if value:
            data[key] = value
    if form.weekdays and len(form.weekdays) < len(WEEKDAYS):
        data["weekdays"] = list(form.weekdays)
    if form.hours.strip():
        data["hours"] = form.hours.strip()
    return data


def _field_of(error: RuleError) -> str:
    if error.field in ("items", "any_of", "rule"):
        return "products"
    if error.field == "count" and "count goes with" not in error.problem:
        return "count"
    return error.field if error.field in FIELDS else "name"


_KIND_PHRASE = re.compile(r"\ban? (" + "|".join(map(re.escape, KINDS)) + r") rule\b")


_WEIGHED = re.compile(r"^(?P<product>.+?) is weighed: it can only be in ")


def _weighed(product: str, kind: str, any_of: bool) -> str:
    """Why a weighed product cannot be in this rule, said for the kind at hand."""
    spec = KINDS.get(kind)
    if spec is None or not spec.weighed_ok:
        short = KIND_SHORT.get(kind, kind.replace("_", " "))
        article = "an" if short[:1].lower() in "aeiou" else "a"
        takers = [KIND_LABELS.get(k, k) for k, other in KINDS.items() if other.weighed_ok]
        refused = f"{product} is sold by weight: {article} {short} rule cannot include it"
        if not takers:
            return refused
        only = " or ".join(f'"{label}"' for label in takers)
        return f"{refused}. Only {only} can, with it as the only product"
    if any_of:
        return (
            f"{product} is sold by weight: it cannot be one of a list; "
            "make it the rule's only product, with a count of 1"
        )
    return f"{product} is sold by weight: it must be this rule's only product, with a count of 1"


def friendly(problem: str, field_name: str, any_of: bool, kind: str = "") -> str:
    """An engine message in the form's words: field labels instead of file keys, the
    form's date format, a capital letter. ``kind`` is the kind of rule in the form
    (a weighed product's problem is said for it)."""
    weighed = _WEIGHED.match(problem)
    if weighed is not None and kind:
        return _weighed(weighed["product"], kind, any_of)
    text = _KIND_PHRASE.sub("this kind of rule", problem)
    text = text.replace("2026-12-24T17:00", DATE_FORMAT_HINT)
    if field_name == "count" and not any_of:
        text = text.replace("count must", "each product's count must")
    for key, label in FIELD_LABELS.items():
        if key not in ("name", "count"):
            text = re.sub(rf"\b{key}\b", label, text)
    text = text.replace("give either items (barcode: count) or any_of + count", "add a product")
    text = text.replace("any_of needs a count", "say how many items from the list")
    if field_name == "count" and any_of and "whole number" in text:
        text = "Say how many items from the list make a set, e.g. 3"
    text = re.sub(r"\b(a) ([aeiou])", r"\1n \2", text)  # "needs an amount"
    return text[:1].upper() + text[1:]


def check_form(
    form: RuleForm,
    catalog: CatalogLookup | None = None,
    taken: Callable[[str], bool] = lambda _name: False,
    limit: int = len(FIELDS),
) -> tuple[Rule | None, dict[str, str]]:
    """Validate the form with the engine's own rules and name every faulty field.

    Args:
        form: The fields as typed.
        catalog: Looks products up (unknown products and misplaced weighed items are errors).
        taken: Whether another rule already has this name.
        limit: At most this many rounds (one per faulty field).

    Returns:
        The rule when the form is valid (no errors), else ``None`` and the problem of
        each faulty field, in the form's words.
    """
    data = form_to_data(form)
    errors: dict[str, str] = {}
    if not form.products and "products" in form.shown_fields():
        errors["products"] = "Add a product: scan its barcode or type its name"
        data["items"] = {_SAFE_BARCODE: 99}
        data.pop("any_of", None)
        data.pop("count", None)
    if _negative(form.priority):
        # the file format allows one (to sort a rule after the rest); in the editor it is
        # a stray minus, most likely
        errors["priority"] = "Priority cannot be negative: type 0 or more (higher goes first)"
        data["priority"] = 0
    use_catalog = catalog if not errors else None
    if isinstance(data.get("name"), str) and data["name"] and taken(str(data["name"]).strip()):
        errors["name"] = f"Another rule is already called {str(data['name']).strip()!r}"
        data["name"] = _SAFE["name"]
    rule: Rule | None = None
    for _ in range(limit):
        try:
            rule = parse_rule(data)
            if use_catalog is not None:
                check_products(rule, use_catalog)
            break
        except RuleError as exc:
            rule = None
            where = _field_of(exc)
            if where in errors or where == "kind":
                errors.setdefault(where, friendly(exc.problem, where, form.any_of, form.kind))
                break
            errors[where] = friendly(exc.problem, where, form.any_of, form.kind)
            _make_safe(data, where, form.any_of)
            if where == "products":
                use_catalog = None
    if errors:
        return None, errors
    return rule, {}


def _negative(text: str) -> bool:
    """Whether ``text`` is a negative whole number (``-5``)."""
    text = text.strip()
    return text.startswith("-") and text[1:].isdigit() and int(text[1:]) > 0


def _make_safe(data: dict[str, object], where: str, any_of: bool) -> None:
    if where == "products":
        if any_of:
            data["any_of"] = [_SAFE_BARCODE]
            data["count"] = 99
        else:
            data["items"] = {_SAFE_BARCODE: 99}
    elif where == "count" and not any_of:
        items = data.get("items")
        codes = items if isinstance(items, dict) and items else {_SAFE_BARCODE: 99}
        data["items"] = dict.fromkeys(codes, 99)
    elif where in _OPTIONAL:
        data.pop(where, None)
        if where == "ends_at":
            data.pop("starts_at", None)  # "ends before it starts" names the end
    elif where in _SAFE:
        data[where] = _SAFE[where]


def describe_uses(rule: Rule) -> str:
    """The editor table's "Uses" column: ``cpn`` for a coupon rule, ``≤100`` for its
    ``max_uses``, ``2/s`` for its ``max_uses_per_sale`` (blank: none of them)."""
    parts = ["cpn"] if rule.coupon else []
    if rule.max_uses is not None:
        parts.append(f"≤{rule.max_uses}")
    if rule.max_uses_per_sale is not None:
        parts.append(f"{rule.max_uses_per_sale}/s")
    return " ".join(parts)


def describe_window(rule: Rule) -> str:
    """The rule's date window in words: ``2026-12-01 to 2026-12-24 17:00``, or ``always``."""
    parts = []
    if rule.starts_at or rule.ends_at:
        start = _moment(rule.starts_at) if rule.starts_at else "..."
        end = _moment(rule.ends_at) if rule.ends_at else "..."
        parts.append(f"{start} to {end}")
    if rule.weekdays is not None:
        parts.append(",".join(WEEKDAYS[d] for d in sorted(rule.weekdays)))
    if rule.hours is not None:
        start_h, end_h = rule.hours
        end_text = "24:00" if end_h.hour == end_h.minute == 0 else f"{end_h:%H:%M}"
        parts.append(f"{start_h:%H:%M}-{end_text}")
    return " ".join(parts) or "always"


def _moment(value: object) -> str:
    text = value.isoformat(" ", "minutes") if hasattr(value, "isoformat") else str(value)
    return text.removesuffix(" 00:00")


def rule_matches(rule: Rule, text: str, on_now: bool, names: Mapping[str, str]) -> bool:
    """Whether a rule passes the editor's filter: words of its name, kind, group or
    products, a product's barcode, or a state (``active``, ``inactive``, ``on now``,
    ``off now``). ``names`` maps the rule's barcodes to product names."""
    needle = text.strip().lower()
    if not needle:
        return True
    states = {
        "active": rule.active,
        "inactive": not rule.active,
        "on now": on_now,
        "off now": not on_now,
    }
    if needle in states:
        return states[needle]
    haystack = " ".join(
        (
            rule.name,
            rule.kind.replace("_", " "),
            KIND_LABELS.get(rule.kind, ""),
            KIND_SHORT.get(rule.kind, ""),  # the words the table's Kind column shows
            rule.group or "",
            *names.values(),
            *names,  # a scanned barcode finds the rules on that product
        )
    ).lower()
    return all(word in haystack for word in needle.split())

"""The manager's discount editor behind the screen: list, check, save, switch on and
off, delete and preview rules, each change through the guard and into the audit log.

Every change needs the ``discounts:edit`` scope, checked here when the change is made
(not only when the screen opened). An operator without it may still make one change
with a manager's approval bound to exactly that change (the rule's name and content),
used up in the same transaction as the change and its audit entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pos.auth.guard import Guard, OverrideRequired
from pos.auth.service import AuditSink, Identity
from pos.db.coupons import CouponRepository
from pos.db.errors import StorageError
from pos.db.repositories import DiscountRepository, ProductRepository, store_owned_message
from pos.domain.barcodes import BarcodePattern
from pos.domain.cart import Cart
from pos.domain.catalog import Product, Unit
from pos.domain.clock import Clock
from pos.domain.discounts import Rule, describe_condition
from pos.domain.money import format_money
from pos.domain.pricing import PricedBasket, price_cart
from pos.domain.rule_form import KIND_SHORT, RuleForm, check_form, describe_window, rule_matches
from pos.domain.rule_format import parse_rule, rule_to_json
from pos.domain.search import SearchError, SearchRebuilding
from pos.domain.text import plural
from pos.services.approvals import ApprovalRefused, Approvals
from pos.services.basket import BasketError, build_cart
from pos.services.guarded import SIGNED_IN, guarded
from pos.services.search import CatalogSearch

SCOPE = "discounts:edit"
OPEN_ACTION: dict[str, Any] = {"scope": SCOPE, "op": "open"}
"""What a manager's approval to open the editor is bound to."""
SORTS = ("name", "kind", "state")
"""The orders the rule table can be sorted in."""


class EditRefused(Exception):
    """The change was not made; ``str()`` is what the manager is told."""


class NeedsApproval(Exception):
    """The operator lacks the scope: a manager may approve this one change.

    Attributes:
        action: What the approval must be bound to.
        requester: Who asked.
    """

    def __init__(self, action: dict[str, Any], requester: Identity) -> None:
        super().__init__("This change needs a manager's approval")
        self.action = action
        self.requester = requester


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One row of the editor's table, in words."""

    rule: Rule
    kind: str  # short, for a table column
    condition: str
    reward: str
    window: str
    on_now: bool


@dataclass(frozen=True, slots=True)
class DearerDeal:
    """A multibuy that costs as much as its set at normal prices, or more: it never
    saves anything, so the engine never applies it.

    Attributes:
        normal: What the set costs without the deal (the dearest set, for "any N of
            the list").
        price: The deal's set price.
        any_of: The set is "any N of the list".
    """

    normal: int
    price: int
    any_of: bool


@dataclass(frozen=True, slots=True)
class Preview:
    """What a rule does to a sample basket: priced without it and with it."""

    items: int
    without: PricedBasket
    with_rule: PricedBasket
    rule_name: str
    as_saved: PricedBasket | None = None
    """When editing: the basket with the rule as it is saved now."""
    dearer: DearerDeal | None = None
    """For a multibuy whose set price is not below its products' normal prices."""

    @property
    def rule_saving(self) -> int:
        applied = self.with_rule.by_name().get(self.rule_name)
        return applied.amount if applied is not None else 0


class DiscountAdmin:
    """What the discount editor screen calls."""

    def __init__(
        self,
        rules: DiscountRepository,
        products: ProductRepository,
        guard: Guard,
        approvals: Approvals,
        audit: AuditSink,
        clock: Clock,
        patterns: Callable[[], tuple[BarcodePattern, ...]],
        search: CatalogSearch,
    ) -> None:
        self._rules = rules
        self._products = products
        self._search = search
        self._guard = guard
        self.authority = guard  # what ``@guarded`` asks
        self._approvals = approvals
        self._audit = audit
        self._clock = clock
        self._patterns = patterns  # asked at each use: the setting may have changed
        self._cached: tuple[int, list[Rule], dict[str, str]] | None = None

    def _saved(self) -> tuple[list[Rule], dict[str, str]]:
        """Every saved rule and the names of their products, read again only when the
        rules change (the editor asks on every keystroke of the filter and the form)."""
        version = self._rules.version()
        if self._cached is None or self._cached[0] != version:
            rules = self._rules.all()
            codes = {code for rule in rules for code in rule.barcodes}
            self._cached = (version, rules, self._products.names(codes))
        return self._cached[1], self._cached[2]

    @staticmethod
    def _names_for(codes: Iterable[str], known: dict[str, str]) -> dict[str, str]:
        """Each barcode's product name, or says it has left the catalog."""
        return {code: known.get(code) or f"{code} (not in the catalog)" for code in sorted(codes)}

    # ---------------------------------------------------------------- reading

    def local_now(self) -> datetime:
        """The shop's local time (naive), which rule windows are written in."""
        return self._clock.now().astimezone().replace(tzinfo=None)

    def allowed(self) -> bool:
        """Whether the operator at the till holds the scope now (the screen re-checks
        this when it opens; any doubt is a refusal)."""
        try:
            self._guard.require(SCOPE)
        except Exception:  # noqa: BLE001 - a lapsed session or a missing scope alike
            return False
        return True

    def open(self, approval: str | None = None) -> bool:
        """Whether the editor may open now: the operator holds the scope, or brings a
        manager's approval to open it (checked and used up here, and audited)."""
        if approval is None:
            return self.allowed()
        # Brought an approval: the refusal that asked for it is in the audit log already,
        # so the scope is looked at here without logging a second ``authz_denied``; the
        # session is validated as ever, and the approval checked and used up.
        try:
            identity = self._guard.current()
        except Exception:  # noqa: BLE001 - a lapsed session: any doubt is a refusal
            return False
        if identity.may(SCOPE):
            return True
        try:
            approved = self._approvals.authorise(identity, SCOPE, OPEN_ACTION, approval, missing="")
            with self._rules.transaction():
                approved.use(**OPEN_ACTION)
        except (ApprovalRefused, StorageError):
            return False
        return True

    @guarded(SIGNED_IN)
    def rows(self, text: str = "", sort: str = "name") -> list[RuleRow]:
        """Every rule (or those matching ``text``), described for the table."""
        now = self.local_now()
        out = []
        rules, known = self._saved()
        for rule in rules:
            names = self._names_for(rule.barcodes, known)
            on_now = rule.is_active_at(now)
            if not rule_matches(rule, text, on_now, names):
                continue
            out.append(
                RuleRow(
                    rule,
                    KIND_SHORT.get(rule.kind, rule.kind),
                    describe_condition(rule, names.__getitem__),
                    rule.spec.describe(rule),
                    describe_window(rule),
                    on_now,
                )
            )
        keys: dict[str, Callable[[RuleRow], tuple[object, ...]]] = {
            "name": lambda row: (row.rule.name.lower(),),
            "kind": lambda row: (row.kind, row.rule.name.lower()),
            "state": lambda row: (not row.on_now, not row.rule.active, row.rule.name.lower()),
        }
        return sorted(out, key=keys.get(sort, keys["name"]))

    @guarded(SIGNED_IN)
    def get(self, name: str) -> Rule | None:
        return self._rules.get(name)

    @guarded(SIGNED_IN)
    def summary(self, rule: Rule) -> str:
        """The rule in one line, for the manager approving it: kind, condition, reward
        and window."""
        names = self._names_for(rule.barcodes, self._products.names(rule.barcodes))
        parts = [
            KIND_SHORT.get(rule.kind, rule.kind),
            describe_condition(rule, names.__getitem__),
            rule.spec.describe(rule),
            describe_window(rule),
        ]
        if not rule.active:
            parts.append("switched off")
        return ", ".join(part for part in parts if part)

    @guarded(SIGNED_IN)
    def product(self, barcode: str) -> Product | None:
        return self._products.get(barcode)

    @guarded(SIGNED_IN)
    def product_name(self, barcode: str) -> str:
        return self._names_for([barcode], self._products.names([barcode]))[barcode]

    @guarded(SIGNED_IN)
    def search_products(self, text: str, limit: int = 8) -> list[Product]:
        """The product picker's list: what Find finds for ``text`` (the words of a name in
        any order, any case, accents aside, each the start of a word; a PLU or barcode
        typed whole first), best first. Nothing for a search with no word in it.

        Raises:
            SearchRebuilding: a large import is rebuilding the till file's search index.
        """
        try:
            return [found.product for found in self._search.find(text, limit)]
        except SearchRebuilding:
            raise
        except SearchError:  # blank, punctuation only, too long: nothing to list
            return []

    @guarded(SIGNED_IN)
    def check(
        self, form: RuleForm, editing: str | None = None
    ) -> tuple[Rule | None, dict[str, str]]:
        """The form validated by the engine's own rules; every faulty field is named."""

        def taken(name: str) -> bool:
            other = self._rules.get(name)
            return other is not None and (editing is None or other.name.lower() != editing.lower())

        return check_form(form, self._products.get, taken)

    # ---------------------------------------------------------------- preview

    @guarded(SIGNED_IN)
    def sample_basket(self, text: str) -> Cart:
        """A basket typed as ``BARCODE`` or ``BARCODE:QTY`` items, as ``pos basket`` reads them.

        Raises:
            BasketError: an unknown barcode or a bad quantity (the message says which).
        """
        return build_cart(text.split(), self._products, self._patterns())

    @guarded(SIGNED_IN)
    def preview(self, rule: Rule, basket: Cart, editing: str | None = None) -> Preview:
        """Price ``basket`` at the current moment with the other saved rules only, with
        ``rule`` as well, and (when editing) with the rule as it is saved now. A coupon
        rule is priced as if one of its codes were scanned (issue 22)."""
        names = {rule.name.lower(), (editing or "").lower()}
        rules, _ = self._saved()
        others = [r for r in rules if r.name.lower() not in names]
        saved = next((r for r in rules if editing and r.name.lower() == editing.lower()), None)
        now = self.local_now()
        coupons = frozenset(r.name for r in (rule, saved) if r is not None and r.coupon)
        return Preview(
            basket.item_count,
            price_cart(basket, others, now),
            price_cart(basket, [*others, rule], now, coupons),
            rule.name,
            price_cart(basket, [*others, saved], now, coupons) if saved is not None else None,
            self._dearer_deal(rule),
        )

    def _dearer_deal(self, rule: Rule) -> DearerDeal | None:
        """A multibuy whose set price is not below the set's normal price (see
        :class:`DearerDeal`); None for any other rule."""
        if rule.kind != "multibuy" or rule.price is None:
            return None
        prices = {}
        for code in rule.barcodes:
            product = self._products.get(code)
            if product is None or product.unit is not Unit.EACH:
                return None
            prices[code] = product.price
        if rule.items:
            value = sum(prices[code] * count for code, count in rule.items.items())
        else:
            value = max(prices.values(), default=0) * rule.count
        return DearerDeal(value, rule.price, bool(rule.any_of)) if rule.price >= value else None

    # ---------------------------------------------------------------- changes

    def save(self, form: RuleForm, editing: str | None = None, approval: str | None = None) -> Rule:
        """Save the form as a new rule, or in place of ``editing`` (its saved name).

        Raises:
            EditRefused: the form is not valid, or the approval was refused.
            NeedsApproval: the operator lacks the scope (ask a manager, then call again
                with the approval).
            LoginRequired: the session has ended.
            StorageError: the write failed; nothing was saved.
        """
        self._refuse_on_a_store_till()
        rule, errors = self.check(form, editing)
        if rule is None:
            raise EditRefused("Not saved: " + "; ".join(errors.values()))
        after = rule_to_json(rule)
        action = self.action_for("save", editing or rule.name, after)

        def write() -> dict[str, Any]:
            # read again inside the transaction: another till may have changed it
            before = self._rules.get(editing) if editing else None
            if editing and before is None:
                raise EditRefused(
                    f"Not saved: the rule {editing!r} was deleted meanwhile (on another till?)"
                )
            renamed = not editing or editing.lower() != rule.name.lower()
            if renamed and self._rules.get(rule.name) is not None:
                raise EditRefused(f"Not saved: another rule is already called {rule.name!r}")
            if editing and renamed and CouponRepository(self._rules.db).listed(editing, 1):
                raise EditRefused(  # its codes name it (issue 22): they would unlock nothing
                    f"Not saved: coupon codes were issued for {editing!r} and name it: keep "
                    "its name (F4 copies it under a new one, for new codes)"
                )
            self._rules.save(rule, editing)
            return {
                "name": rule.name,
                "before": rule_to_json(before) if before else None,
                "after": after,
                "source": "editor",
            }

        self._change(action, approval, write, "discount_rule_saved")
        return rule

    def set_active(self, name: str, active: bool, approval: str | None = None) -> Rule:
        """Switch a rule on or off (raises as :meth:`save`)."""
        self._refuse_on_a_store_till()
        rule = self._rules.get(name)
        if rule is None:
            raise EditRefused(f"No rule called {name!r}: it may have been deleted")
        data = rule_to_json(rule)
        data.pop("active", None)
        if not active:
            data["active"] = False
        changed = parse_rule(data)

        def write() -> dict[str, Any]:
            current = self._rules.get(rule.name)
            if current is None:
                raise EditRefused(f"No rule called {name!r}: it may have been deleted")
            self._rules.save(changed, rule.name)
            return {
                "name": rule.name,
                "before": rule_to_json(current),
                "after": rule_to_json(changed),
                "source": "editor",
            }

        self._change(
            self.action_for("enable" if active else "disable", rule.name, data),
            approval,
            write,
            "discount_rule_saved",
        )
        return changed

    def delete(self, name: str, approval: str | None = None) -> Rule:
        """Delete a rule; the audit entry keeps its last content (raises as :meth:`save`)."""
        self._refuse_on_a_store_till()
        rule = self._rules.get(name)
        if rule is None:
            raise EditRefused(f"No rule called {name!r}: it may have been deleted")
        last = rule_to_json(rule)

        def remove() -> dict[str, Any]:
            current = self._rules.get(rule.name)
            if current is None or not self._rules.delete(rule.name):
                raise EditRefused(f"No rule called {name!r}: it may have been deleted")
            return {
                "name": rule.name,
                "before": rule_to_json(current),
                "after": None,
                "source": "editor",
            }

        self._change(
            self.action_for("delete", rule.name, last),
            approval,
            remove,
            "discount_rule_deleted",
        )
        return rule

    def _refuse_on_a_store_till(self) -> None:
        """A store's till takes its rules from the store (issue 19): refused here, with
        where to change them."""
        store = self._rules.owning_store()
        if store is not None:
            raise EditRefused(store_owned_message(store, "discount rules"))

    def action_for(self, op: str, name: str, content: dict[str, object]) -> dict[str, Any]:
        """What an approval of one change is bound to: the operation, the rule's (saved)
        name and a digest of its new content, so it approves nothing else."""
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        return {"scope": SCOPE, "op": op, "rule": name.lower(), "content": digest[:32]}

    def _change(
        self,
        action: dict[str, Any],
        approval: str | None,
        write: Callable[[], dict[str, Any]],
        event: str,
    ) -> None:
        """Check who may, then write, use up the approval and audit, in one transaction
        (``write`` makes the change and returns the audit entry's details; anything it
        raises undoes all of it)."""
        if approval is None:
            try:
                actor = self._guard.require(SCOPE)
            except OverrideRequired as exc:  # the guard logs the refusal, once
                raise NeedsApproval(action, exc.identity) from None
        else:
            # the second try, with the manager's approval: the first logged the refusal,
            # so the scope is looked at without logging it again
            actor = self._guard.current()
        try:
            approved = self._approvals.authorise(
                actor, SCOPE, action, approval, missing="This change needs a manager's approval"
            )
        except ApprovalRefused as refused:
            raise EditRefused(str(refused)) from None
        try:
            with self._rules.transaction():
                details = write()
                approved.use(**action)
                self._audit.append(event, actor.number, details)
        except ApprovalRefused as exc:
            raise EditRefused(str(exc)) from None


def _row(label: str, priced: PricedBasket) -> str:
    return f"{label:<12}{format_money(priced.total):>10}{format_money(priced.discount_total):>10}"


def _never_applied(deal: DearerDeal) -> list[str]:
    """Why a multibuy at or above its set's normal price is never applied, in lines of
    at most 38 columns."""
    normal = format_money(deal.normal)
    more = "cost more" if deal.price > deal.normal else "save nothing"
    if deal.any_of:
        return [
            f"A set costs at most {normal} at normal",
            f"prices; this deal would {more},",
            "so it is never applied.",
        ]
    return [
        f"The set costs {normal} at normal prices;",
        f"this deal would {more},",
        "so it is never applied.",
    ]


def summarise(preview: Preview) -> list[str]:
    """The preview in words, line by line (at most 38 columns wide)."""
    if not preview.items:
        empty = ["The basket is empty: type barcodes", "above, or scan items into the cart."]
        return empty + (["", *_never_applied(preview.dearer)] if preview.dearer else [])
    without, with_rule = preview.without, preview.with_rule
    lines = [
        f"{plural(preview.items, 'item')}, {format_money(without.subtotal)} before discounts",
        "",
        f"{'Basket':<12}{'total':>10}{'saved':>10}",
        _row("Without it", without),
    ]
    if preview.as_saved is not None:
        lines.append(_row("As saved", preview.as_saved))
        lines.append(_row("As edited", with_rule))
    else:
        lines.append(_row("With it", with_rule))
    lines.append("")
    if preview.rule_saving:
        lines.append(f"This rule takes off {format_money(preview.rule_saving)}")
    elif preview.dearer is not None:
        lines += _never_applied(preview.dearer)
    else:
        lines.append("This rule does not apply to this basket")
    displaced = sorted(set(without.by_name()) - set(with_rule.by_name()))
    if displaced:
        lines.append("instead of: " + ", ".join(displaced))
    if with_rule.discounts:
        lines += ["", "Discounts with it:"]
        lines += [f"- {d.name}  -{format_money(d.amount)}" for d in with_rule.discounts]
    return lines


__all__ = [
    "SCOPE",
    "SORTS",
    "BasketError",
    "DiscountAdmin",
    "EditRefused",
    "NeedsApproval",
    "OPEN_ACTION",
    "DearerDeal",
    "Preview",
    "RuleRow",
    "summarise",
]

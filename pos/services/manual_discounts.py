"""Cashier discounts (issue 21, item 8): "Line discount" and "Sale discount".

Each role gives up to its cap without asking (the ``max_discount_percent_<role>``
settings: 0% for a cashier, 10% for a supervisor, 100% for a manager by default; an amount
off counts as the percentage it is of what the line costs after its deals). Above the
cap a manager approves that one discount (scope :data:`SCOPE`, bound to the cart, the
line, the discount and the reason), through the one approval flow; the approving
manager's own cap must cover it. The discount, the approval used up and its audit entry
(``manual_discount``) are one transaction, saved with the open cart (a restart keeps it);
the cart on screen changes only once that is done. A discount given again on the same
line (or a second sale discount) replaces the first.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pos.auth.guard import Authority
from pos.db.carts import CartRepository
from pos.db.errors import StorageError
from pos.domain.cash import CashEntryError, clean_reason
from pos.domain.manual_discounts import (
    AMOUNT,
    SALE_LINE,
    DiscountEntryError,
    ManualDiscount,
    amount_off,
    effective_percent,
    line_costs,
    parse_discount,
    promotions,
    with_manual,
)
from pos.domain.money import format_money, format_scaled
from pos.services.approvals import Approval, ApprovalRefused, Approvals
from pos.services.checkout import CheckoutService
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.outcomes import Change, Outcome, not_saved
from pos.services.store import StoreSettings

SCOPE = "discounts:manual"
"""Approving a cashier's discount above the cap of the one who gives it (managers)."""

AUDIT_EVENT = "manual_discount"


class DiscountRefused(Exception):
    """Nothing was given; ``str()`` says why and what to do."""


@dataclass(frozen=True, slots=True)
class Offer:
    """A discount checked and ready to give: what it is, what it takes off now, what it
    is of what it is off (basis points) and whether the giver's cap covers that."""

    discount: ManualDiscount
    amount: int
    percent: int
    cap: int
    name: str

    @property
    def needs_approval(self) -> bool:
        return self.percent > self.cap

    def what(self) -> str:
        """``Discount 10% (Damaged) on Milk: -0.13``: for the approval dialog and the line."""
        return f"{self.discount.label()} on {self.name}: -{format_money(self.amount)}"


class ManualDiscounts:
    """Gives the open cart's cashier's discounts; who gives one is asked of ``authority``
    (the guard) when it is given, never taken from an identity a screen captured."""

    def __init__(
        self,
        checkout: CheckoutService,
        carts: CartRepository,
        approvals: Approvals,
        settings: LiveSettings,
        *,
        authority: Authority,
    ) -> None:
        self.checkout = checkout
        self.carts = carts
        self.approvals = approvals
        self.live = settings
        self.authority = authority

    @property
    def settings(self) -> StoreSettings:
        return self.live.current

    @guarded("sale")
    def reasons(self) -> tuple[str, ...]:
        """The reasons a discount is given for (the ``discount_reasons`` setting)."""
        return self.settings.discount_reasons

    @guarded("sale")
    def offer(self, line_no: int | None, text: str, reason: str) -> Offer:
        """Check a discount on line ``line_no`` (None or 0: the sale) as :meth:`give`
        checks it; nothing is written (for the dialog, which stays open on a refusal).

        Raises:
            DiscountRefused: no such line, bad text, over 100%, more than the line
                costs, or a bad reason (the message says what to do).
        """
        role = self.authority.current().role
        try:
            return self._offer(line_no or SALE_LINE, text, reason, self.settings.discount_cap(role))
        except (DiscountEntryError, CashEntryError) as exc:
            raise DiscountRefused(str(exc)) from None

    def _offer(self, line_no: int, text: str, reason: str, cap: int) -> Offer:
        cart = self.checkout.cart
        if not len(cart):
            raise DiscountEntryError("The cart is empty: scan an item first")
        sale = line_no == SALE_LINE
        line = None if sale else cart.get(line_no)
        if not sale and line is None:
            raise DiscountEntryError("Select an item line first (Up/Down)")
        if line is not None and line.voucher:
            raise DiscountEntryError("A gift voucher is money: it cannot be discounted")
        kind, value = parse_discount(text, percent_only=sale)
        choices = self.settings.discount_reasons
        reason = clean_reason(reason, choices, listed_only=bool(choices))
        discount = ManualDiscount(line_no, kind, value, reason)
        priced = self.checkout.priced
        if sale:
            others = [d for no, d in self.checkout.manual.items() if no != SALE_LINE]
            cost = with_manual(cart.lines, promotions(priced), others).total
            cost, name = cost - cart.voucher_total, "the sale"  # not the vouchers sold
        else:
            assert line is not None
            cost, name = line_costs(cart.lines, promotions(priced))[line_no], line.name
        if cost <= 0:
            raise DiscountEntryError(f"{name} costs nothing now: there is nothing to take off")
        if kind == AMOUNT and value > cost:
            raise DiscountEntryError(
                f"That is more than {name} costs after its deals ({format_money(cost)}): "
                f"type {format_money(cost)} or less"
            )
        percent = effective_percent(discount, cost)
        return Offer(discount, amount_off(discount, cost), percent, cap, name)

    def action(self, offer: Offer) -> dict[str, Any]:
        """What a manager's approval of ``offer`` is bound to."""
        d = offer.discount
        return {
            "scope": SCOPE,
            "cart": self.checkout.cart_uuid,
            "line": d.line_no,
            "kind": d.kind,
            "value": d.value,
            "reason": d.reason,
        }

    def give(
        self, line_no: int | None, text: str, reason: str, approval: str | None = None
    ) -> Outcome:
        """Give the discount for the current operator (asked of the guard now): within
        their cap at once, above it with a manager's ``approval`` of exactly it; saved with
        the cart, the approval used up and audited in one transaction.

        Raises:
            LoginRequired: the session has ended: nothing was given.
        """
        actor = self.authority.require("sale")
        try:
            offer = self._offer(
                line_no or SALE_LINE, text, reason, self.settings.discount_cap(actor.role)
            )
        except (DiscountEntryError, CashEntryError) as exc:
            return Outcome.fail(str(exc))
        allowed = self._allowed(actor.number, offer, approval)
        if isinstance(allowed, Outcome):
            return allowed
        discount = replace(offer.discount, operator=actor.number, approver=allowed.approver)
        details = {
            **self.action(offer),
            "name": offer.name,
            "amount": offer.amount,
            **({"approver": allowed.approver} if allowed.approver else {}),
        }
        try:
            with self.carts.transaction():
                self.carts.save_discount(self.checkout.cart_id, discount)
                allowed.use(**details)
                self.approvals.record(AUDIT_EVENT, actor.number, details)
        except ApprovalRefused as exc:
            return Outcome.fail(str(exc))
        except StorageError as exc:
            return not_saved(exc)
        self.checkout.manual[discount.line_no] = discount
        self.checkout.reprice(())  # nothing of the promotions changed
        line = self.checkout.cart.get(discount.line_no)
        return Outcome(Change.LINE if line else Change.NONE, offer.what(), line)

    def _allowed(self, requester: str, offer: Offer, token: str | None) -> Approval | Outcome:
        """The giver's own cap, or a manager's approval of exactly this whose cap covers it."""
        if not offer.needs_approval:
            return Approval(None, None, "sale", requester)
        cap = format_scaled(offer.cap, 2)
        if token is None:
            return Outcome.fail(
                f"{format_scaled(offer.percent, 2)}% is over your limit of {cap}%: "
                "a manager must approve it"
            )
        try:
            claims = self.approvals.check(token, SCOPE, self.action(offer), requester)
        except ApprovalRefused as exc:
            return Outcome.fail(str(exc))
        theirs = self.settings.discount_cap(claims.role)
        if offer.percent > theirs:
            return Outcome.fail(
                f"Over the approving manager's own limit of {format_scaled(theirs, 2)}%: "
                "nothing given"
            )
        return Approval(self.approvals, claims, SCOPE, requester)

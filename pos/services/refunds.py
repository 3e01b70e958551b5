"""Refunds: lines and quantities of a past sale, paid back by cash or card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pos.auth.guard import Authority
from pos.auth.service import AuditSink, anchor_audit
from pos.db.coupons import CouponRepository
from pos.db.errors import StorageError
from pos.db.sales import SaleRepository
from pos.db.vouchers import VoucherRepository
from pos.domain.clock import Clock
from pos.domain.history import RefundableLine
from pos.domain.receipt import format_qty_text, render_refund
from pos.domain.refunds import RefundPlan
from pos.domain.returns import ReturnError, reason_of
from pos.domain.text import sentence
from pos.services.approvals import ApprovalRefused, Approvals
from pos.services.days import DayClosed, DayService
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.store import StoreSettings


class RefundFailed(Exception):
    """Nothing was refunded; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class RefundDone:
    receipt_no: int
    amount: int
    receipt_text: str
    method: str


class RefundService:
    """Refunds need the ``refund`` scope, or a manager's approval bound to the refund.

    Who refunds is asked of ``authority`` (the guard) when the refund is made, so a
    refund that runs after a manager's approval, or after the session ended, is
    checked then, not under an identity captured before.
    """

    def __init__(
        self,
        sales: SaleRepository,
        approvals: Approvals,
        audit: AuditSink,
        days: DayService,
        settings: LiveSettings,
        clock: Clock,
        new_id: Callable[[], str],
        *,
        authority: Authority,
        vouchers: VoucherRepository | None = None,
    ) -> None:
        self.authority = authority
        self.vouchers = vouchers
        """The gift vouchers a refund may go back onto (issue 22)."""
        self.sales = sales
        self.approvals = approvals
        self.audit = audit
        self.days = days
        self.live = settings
        self.clock = clock
        self.new_id = new_id

    @property
    def settings(self) -> StoreSettings:
        """The settings in use now (:mod:`pos.services.live_settings`)."""
        return self.live.current

    @guarded("sale")
    def onto_vouchers(self, receipt_no: int, till: str | None = None) -> int:
        """What a refund of the sale ``receipt_no`` may still put back onto the gift
        vouchers that paid it (0: it was not paid by voucher, or it is all back)."""
        if self.vouchers is None:
            return 0
        uuid = self.sales.uuid_of(receipt_no, till)
        return 0 if uuid is None else self.vouchers.restorable(uuid)

    @guarded("sale")
    def reasons(self) -> tuple[str, ...]:
        """The reasons a refund is chosen from (the ``refund_reasons`` setting)."""
        return self.settings.refund_reasons

    @guarded("sale")
    def reason(self, text: str) -> str:
        """The refund reason ``text`` names (its number in the list, or its words).

        Raises:
            RefundFailed: none, or one not in the list (the message lists them).
        """
        try:
            return reason_of(text, self.settings.refund_reasons)
        except ReturnError as exc:
            raise RefundFailed(str(exc)) from None

    @guarded("sale")
    def lines(self, receipt_no: int, till: str | None = None) -> list[RefundableLine] | None:
        """What is left to refund of a sale (``till``: another till's, copied here)."""
        return self.sales.refundable(receipt_no, till)

    @guarded("sale")
    def quote(
        self, receipt_no: int, quantities: dict[int, int], till: str | None = None
    ) -> RefundPlan:
        """What refunding ``quantities`` would pay back now, and the deals it would cost
        (shown before the refund is made; nothing is written).

        Raises:
            RefundFailed: no such sale, too much, or it cannot be read.
        """
        try:
            return self.sales.quote(
                receipt_no, {k: v for k, v in quantities.items() if v > 0}, till
            )
        except LookupError as exc:
            raise RefundFailed(sentence(str(exc))) from exc
        except StorageError as exc:
            raise RefundFailed(f"Cannot work the refund out: {exc.reason}; {exc.advice}") from exc

    @staticmethod
    def action(
        receipt_no: int,
        quantities: dict[int, int],
        method: str,
        till: str | None = None,
        *,
        reason: str,
    ) -> dict[str, Any]:
        """What an approval for this refund is bound to."""
        action = {
            "scope": "refund",
            "receipt": receipt_no,
            "lines": {str(k): v for k, v in sorted(quantities.items())},
            "method": method,
            "reason": reason,
        }
        if till is not None:
            action["till"] = till  # another till's sale: the approval is for that one
        return action

    def refund(
        self,
        receipt_no: int,
        quantities: dict[int, int],
        method: str,
        approval: str | None = None,
        till: str | None = None,
        *,
        reason: str,
    ) -> RefundDone:
        """Pay back the chosen quantities, for ``reason`` (one of ``refund_reasons``), in
        one transaction with the approval and audit, for the current operator (asked of
        the guard now); ``till``: a sale of another till, copied here
        (:mod:`pos.services.other_tills`).

        Raises:
            LoginRequired: the session has ended: nothing was refunded.
            RefundFailed: not allowed, no reason or one not listed, nothing to refund,
                too much, or not saved.
        """
        actor = self.authority.current()
        if method not in ("cash", "card") and (method != "voucher" or self.vouchers is None):
            raise RefundFailed("Refund to cash or card")
        try:
            reason = reason_of(reason, self.settings.refund_reasons)
        except ReturnError as exc:
            raise RefundFailed(str(exc)) from None
        quantities = {k: v for k, v in quantities.items() if v > 0}
        if not quantities:
            raise RefundFailed("Choose what comes back first")
        try:
            approved = self.approvals.authorise(
                actor,
                "refund",
                self.action(receipt_no, quantities, method, till, reason=reason),
                approval,
                missing="A refund needs a manager's approval",
            )
        except ApprovalRefused as exc:
            raise RefundFailed(str(exc)) from exc
        try:
            self.days.check_open()
        except DayClosed as exc:
            raise RefundFailed(str(exc)) from exc
        at = self.clock.now()
        texts: dict[int, str] = {}
        settings = self.settings  # one set for the refund and its receipt
        uuid = self.new_id()
        restored: list[tuple[str, int, int]] = []

        def onto_vouchers(sale: str, total: int) -> None:  # first in the transaction
            assert self.vouchers is not None
            today = at.astimezone().date()
            restored.extend(self.vouchers.restore(sale, uuid, total, at, today))

        coupons = CouponRepository(self.sales.db)
        sold_by = till if till is not None else self.sales.till
        back: list[str] = []  # the coupons whose deal the refund breaks (issue 22)

        def breaks(plan: RefundPlan) -> list[str]:
            """The codes of the sale's coupons whose deal ``plan`` breaks, not given back."""
            lost = {name.lower() for name in plan.lost}
            return [
                code
                for code, rule, given in coupons.of_receipt(sold_by, receipt_no)
                if not given and rule.lower() in lost
            ]

        def receipt(number: int, plan: RefundPlan) -> str:
            # inside the refund's transaction: the uses are given back first and the
            # receipt says only what this refund gave back (a refund of the same sale at
            # another till at once gives back nothing twice)
            back[:] = [c for c in breaks(plan) if coupons.return_use(sold_by, receipt_no, c)]
            for rule in coupons.capped_in_sale(sold_by, receipt_no) & set(plan.lost):
                coupons.give_rule_use_back(rule)  # its max_uses count, coupon rule or not
            texts[number] = render_refund(
                store=settings.store_name,
                till=settings.till_name,
                number=number,
                original=receipt_no,
                original_till=till,
                operator=actor.name,
                at=at.astimezone().replace(tzinfo=None),
                items=[
                    (
                        item.line.name,
                        format_qty_text(item.line.unit, item.qty) if item.qty else "",
                        item.amount,
                    )
                    for item in plan.items
                ],
                method=method,
                width=settings.receipt_width,
                currency=settings.currency_symbol,
                lost=plan.lost,
                header=settings.receipt_header,
                demo=settings.demo,
                reason=reason,
                given_back=back,
                restored=restored,
            )
            return texts[number]

        def also(number: int, total: int) -> None:
            approved.use(receipt=receipt_no, **({} if till is None else {"till": till}))
            details: dict[str, Any] = {
                "sale": receipt_no,
                "refund": number,
                "amount": total,
                "method": method,
                "reason": reason,
            }
            if till is not None:
                details["till"] = till
            self.audit.append("refund", actor.number, details)

        try:
            number, amount = self.sales.refund(
                receipt_no=receipt_no,
                uuid=uuid,
                quantities=quantities,
                method=method,
                at=at,
                operator=actor.number,
                approver=approved.approver,
                receipt_text=receipt,
                also=also,
                till=till,
                reason=reason,
                first=onto_vouchers if method == "voucher" else None,
            )
        except LookupError as exc:
            kept = self._kept_coupons(exc, sold_by, receipt_no)
            raise RefundFailed(sentence(str(exc)) + kept) from exc
        except ApprovalRefused as exc:
            raise RefundFailed(str(exc)) from exc
        except StorageError as exc:
            raise RefundFailed(f"Refund NOT saved: {exc.reason}; {exc.advice}") from exc
        anchor_audit(self.audit)  # the refund's entry is committed: anchor it
        return RefundDone(number, amount, texts.get(number, ""), method)

    def _kept_coupons(self, refused: LookupError, till: str, receipt_no: int) -> str:
        """A refund that pays back nothing (a coupon made the sale free) cannot give the
        coupon's use back (a refund is money): what to do instead, or ""."""
        said = str(refused)
        if not said.startswith("nothing to pay back"):
            return ""
        try:
            held = CouponRepository(self.sales.db).of_receipt(till, receipt_no)
        except StorageError:
            return ""
        return "".join(
            f". Coupon {code} stays used (the sale was paid by its deal): give the customer "
            f"a new one (pos coupons issue --rule {rule!r} --count 1)"
            for code, rule, given in held
            if not given and f"{rule} no longer applies" in said
        )

"""Refunds without a receipt (issue 21, item 6): a manager's action.

The items are scanned or found as a sale's are; each pays back at most today's price (a
lower price may be given, never a higher one); a reason from ``refund_reasons`` is
required; cash or card. It needs the ``refund:unreceipted`` scope (managers), or a
manager's approval bound to that one refund (its lines, prices, method and reason). The
refund, the approval used up and the audit entry are one transaction, in which the
till's daily limit (``max_unreceipted_refunds``) is checked under the write lock. The
receipt is printed after the commit, as a refund of a sale's is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pos.auth.guard import Authority
from pos.auth.service import AuditSink, anchor_audit
from pos.db.errors import StorageError
from pos.db.repositories import ProductRepository
from pos.db.returns import NewReturn, ReturnRepository
from pos.domain.barcodes import BarcodePattern
from pos.domain.catalog import Unit
from pos.domain.clock import Clock
from pos.domain.money import format_money
from pos.domain.receipt import format_qty_text, render_refund
from pos.domain.returns import (
    METHODS,
    UNRECEIPTED_SCOPE,
    ReturnError,
    ReturnLine,
    check_limit,
    check_return,
    reason_of,
    vat_rows,
)
from pos.services.approvals import ApprovalRefused, Approvals
from pos.services.days import DayClosed, DayService
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.outcomes import Outcome
from pos.services.refunds import RefundDone, RefundFailed
from pos.services.scan_entry import look_up
from pos.services.store import StoreSettings

AUDIT_EVENT = "refund_unreceipted"
"""The audit log's event for a refund without a receipt."""


class ReturnService:
    """Makes refunds without a receipt on this till; who makes one is asked of
    ``authority`` (the guard) when it is made."""

    def __init__(
        self,
        returns: ReturnRepository,
        products: ProductRepository,
        patterns: Callable[[], tuple[BarcodePattern, ...]],
        approvals: Approvals,
        audit: AuditSink,
        days: DayService,
        settings: LiveSettings,
        clock: Clock,
        new_id: Callable[[], str],
        *,
        authority: Authority,
    ) -> None:
        self.authority = authority
        self.returns = returns
        self.products = products
        self.patterns = patterns  # asked at each look-up: the setting may have changed
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
    def item(self, code: str, qty: int = 1) -> ReturnLine | Outcome:
        """The line a scanned or typed ``code`` brings back (``qty`` items) at today's
        price, read as a scan reads it, or a failed :class:`Outcome` that says why not (an
        unknown barcode). A weighed item comes back by its label's weight; a label's own
        price is today's price of that item. When prices exclude VAT (``tax_inclusive``
        no) the line pays back its VAT too."""
        return self._line(code, qty, vat_added=not self.settings.tax_inclusive)

    def _line(self, code: str, qty: int, *, vat_added: bool) -> ReturnLine | Outcome:
        found = look_up(code, self.products, self.patterns())
        if isinstance(found, Outcome):
            return found
        product, embedded = found
        if product.unit is Unit.KG:
            if embedded.grams is None:
                return Outcome.fail(
                    f"{product.name} is weighed: scan the label with its weight on it"
                )
            qty = embedded.grams
        elif qty < 1:
            return Outcome.fail("Type how many come back (1 or more)")
        today = product.price if embedded.price is None else embedded.price
        if today <= 0:
            return Outcome.fail(f"{product.name} has no price today: it cannot be refunded")
        unit = product.unit.value
        return ReturnLine(
            code, product.barcode, product.name, unit, today, qty, product.tax_rate, None, vat_added
        )

    @guarded("sale")
    def reasons(self) -> tuple[str, ...]:
        """The reasons a refund is chosen from (the ``refund_reasons`` setting)."""
        return self.settings.refund_reasons

    @guarded("sale")
    def left_today(self) -> int:
        """What the till's refunds without a receipt may still pay back today."""
        try:
            already = self.returns.paid_back_today()
        except StorageError as exc:
            raise RefundFailed(f"Cannot read today's refunds: {exc.reason}; {exc.advice}") from exc
        return max(0, self.settings.max_unreceipted_refunds - already)

    @staticmethod
    def action(lines: Sequence[ReturnLine], method: str, reason: str) -> dict[str, Any]:
        """What a manager's approval of this refund is bound to: each line's item,
        quantity and price, the method and the reason."""
        return {
            "scope": UNRECEIPTED_SCOPE,
            "lines": [[line.barcode, line.qty, line.unit_price] for line in lines],
            "method": method,
            "reason": reason,
        }

    def refund(
        self,
        lines: Sequence[ReturnLine],
        method: str,
        reason: str,
        approval: str | None = None,
    ) -> RefundDone:
        """Pay back ``lines`` by ``method`` for ``reason``, for the current operator
        (asked of the guard now): the refund, its approval used up and its audit entry
        in one transaction, with the till's daily limit checked inside it.

        Raises:
            LoginRequired: the session has ended: nothing was refunded.
            RefundFailed: not allowed, no lines, a price above today's or not above 0, no
                reason or one not listed, over the daily limit, the day closed, or not
                saved (the message says what to do).
        """
        actor = self.authority.current()
        settings = self.settings  # one set for the refund and its receipt
        if method not in METHODS:
            raise RefundFailed("Refund to cash or card")
        try:
            reason = reason_of(reason, settings.refund_reasons)
            vat_added = not settings.tax_inclusive
            lines = [self._today(line, vat_added=vat_added) for line in lines]
            total = check_return(lines)
            limit = settings.max_unreceipted_refunds
            check_limit(total, 0, limit)  # over the limit on its own: before any approval
        except ReturnError as exc:
            raise RefundFailed(str(exc)) from None
        try:
            approved = self.approvals.authorise(
                actor,
                UNRECEIPTED_SCOPE,
                self.action(lines, method, reason),
                approval,
                missing="A refund without a receipt needs a manager's approval",
            )
        except ApprovalRefused as exc:
            raise RefundFailed(str(exc)) from exc
        try:
            self.days.check_open()
        except DayClosed as exc:
            raise RefundFailed(str(exc)) from exc
        at = self.clock.now()
        new = NewReturn(
            self.new_id(), tuple(lines), method, reason, at, actor.number, approved.approver
        )
        texts: dict[int, str] = {}

        def receipt(number: int) -> str:
            texts[number] = render_refund(
                store=settings.store_name,
                till=settings.till_name,
                number=number,
                original=None,
                operator=actor.name,
                at=at.astimezone().replace(tzinfo=None),
                # each at its price; when prices exclude VAT, the VAT is added below them
                items=[(_label(line), _qty(line), line.price_total) for line in lines],
                method=method,
                width=settings.receipt_width,
                currency=settings.currency_symbol,
                header=settings.receipt_header,
                demo=settings.demo,
                reason=reason,
                approver=approved.approver,
                vat=vat_rows(lines) if vat_added else (),
            )
            return texts[number]

        def also(number: int, amount: int) -> None:
            details: dict[str, Any] = {
                "id": new.uuid,
                "refund": number,
                "amount": amount,
                "method": method,
                "reason": reason,
            }
            approved.use(**details)
            self.audit.append(AUDIT_EVENT, actor.number, details)

        try:
            number, amount = self.returns.add(
                new,
                check=lambda already: check_limit(total, already, limit),
                receipt_text=receipt,
                also=also,
            )
        except (ReturnError, ApprovalRefused) as exc:
            raise RefundFailed(str(exc)) from exc
        except StorageError as exc:
            raise RefundFailed(f"Refund NOT saved: {exc.reason}; {exc.advice}") from exc
        anchor_audit(self.audit)  # the refund's entry is committed: anchor it
        return RefundDone(number, amount, texts.get(number, ""), method)

    def _today(self, line: ReturnLine, *, vat_added: bool) -> ReturnLine:
        """``line`` read again from what was scanned, at today's price now (never the
        price the caller says today's is), at the lower price given for it, if any, with
        its VAT on top when prices exclude it (the settings now, not the caller's say)."""
        fresh = self._line(line.code, line.qty, vat_added=vat_added)
        if isinstance(fresh, Outcome):
            raise ReturnError(f"{line.name}: {fresh.message}")
        return fresh if line.price is None else fresh.priced(line.price)


def _label(line: ReturnLine) -> str:
    """A line's name on the receipt, with its price when a lower one was given."""
    if line.price is None:
        return line.name
    return f"{line.name} at {format_money(line.price)}"


def _qty(line: ReturnLine) -> str:
    return format_qty_text(line.unit, line.qty)

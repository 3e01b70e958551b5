"""The cash office (issue 21, items 1-4): "No sale", "Paid in", "Paid out" and "Cash
pickup".

Each needs its scope (:data:`pos.domain.cash.SCOPES`: supervisors and managers), or a
manager's approval bound to that one movement (kind, amount and reason). The movement,
the approval used up and its audit entry are one transaction; the slip is printed after
the commit (with the drawer kick), so a printer fault never loses a movement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pos.auth.guard import Authority
from pos.auth.service import AuditSink, anchor_audit
from pos.db.cash import CashMovementRepository, NewMovement
from pos.db.errors import StorageError
from pos.db.reports import trading_day_figures
from pos.domain.cash import (
    NO_SALE,
    PICKUP,
    SCOPES,
    TITLES,
    CashEntryError,
    check_amount,
    clean_reason,
)
from pos.domain.clock import Clock
from pos.domain.money import format_money
from pos.domain.receipt import render_cash_slip
from pos.services.approvals import ApprovalRefused, Approvals
from pos.services.days import DayClosed, DayService
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.printing import PrintJob, ReceiptPrinter
from pos.services.store import StoreSettings

REPORTS = "reports"
"""Who may see the cash expected in the drawer (the X report's scope): anyone else is told
a pickup is too large without the figure."""

AUDIT_EVENTS = {
    NO_SALE: "no_sale",
    "paid_in": "paid_in",
    "paid_out": "paid_out",
    PICKUP: "cash_pickup",
}
"""The audit log's event for each kind of movement."""


class CashRefused(Exception):
    """Nothing was recorded; ``str()`` says why and what to do."""


@dataclass(frozen=True, slots=True)
class CashDone:
    """A recorded movement, and its slip for the printer (None: no printer is set)."""

    kind: str
    amount: int
    reason: str
    slip: str
    job: PrintJob | None

    def summary(self) -> str:
        """``Paid out 12.00 recorded (Window cleaner)``."""
        amount = "" if self.kind == NO_SALE else f" {format_money(self.amount)}"
        return f"{TITLES[self.kind]}{amount} recorded ({self.reason})"


class CashOffice:
    """Records the till's cash movements; who does one is asked of ``authority`` (the
    guard) when it is recorded, never taken from an identity a screen captured."""

    def __init__(
        self,
        movements: CashMovementRepository,
        approvals: Approvals,
        audit: AuditSink,
        days: DayService,
        settings: LiveSettings,
        clock: Clock,
        new_id: Callable[[], str],
        printer: Callable[[], ReceiptPrinter],
        *,
        authority: Authority,
    ) -> None:
        self.authority = authority
        self.movements = movements
        self.approvals = approvals
        self.audit = audit
        self.days = days
        self.live = settings
        self.clock = clock
        self.new_id = new_id
        self.printer = printer  # the sales' printer, as the ``printer`` setting names it now

    @property
    def settings(self) -> StoreSettings:
        """The settings in use now (:mod:`pos.services.live_settings`)."""
        return self.live.current

    @guarded("sale")
    def reasons(self, kind: str) -> tuple[str, ...]:
        """The reasons offered for ``kind`` (the only ones a "No sale" takes)."""
        settings = self.settings
        return settings.no_sale_reasons if kind == NO_SALE else settings.cash_reasons

    @staticmethod
    def action(kind: str, amount: int, reason: str) -> dict[str, Any]:
        """What a manager's approval of a movement is bound to."""
        return {"scope": SCOPES[kind], "kind": kind, "amount": amount, "reason": reason}

    @guarded("sale")
    def check(self, kind: str, amount: int, reason: str) -> tuple[int, str]:
        """The amount and reason to record (a listed reason by its number, in its own
        words), checked as :meth:`record` checks them; nothing is written (for the dialog,
        which stays open on a refusal).

        Raises:
            CashRefused: a bad amount or reason (the message says what to do).
        """
        blind = not self.authority.current().may(REPORTS)  # the drawer's figure is theirs
        try:
            self.days.check_open(open_first=False)  # only reads: the record opens it
            return self._checked(kind, amount, reason, in_drawer=self._in_drawer(), blind=blind)
        except (CashEntryError, DayClosed) as exc:
            raise CashRefused(str(exc)) from None
        except StorageError as exc:
            raise CashRefused(f"Cannot check it: {exc.reason}; {exc.advice}") from None

    def _checked(
        self, kind: str, amount: int, reason: str, *, in_drawer: int | None, blind: bool = True
    ) -> tuple[int, str]:
        if kind not in SCOPES:
            raise CashEntryError(f"No such movement of cash: {kind}")
        settings = self.settings
        amount = 0 if kind == NO_SALE else amount
        limit = settings.max_cash_movement
        check_amount(kind, amount, limit, in_drawer=in_drawer, blind=blind)
        choices = self.reasons(kind)
        return amount, clean_reason(reason, choices, listed_only=kind == NO_SALE)

    def _in_drawer(self) -> int | None:
        """The cash expected in the drawer now: 0 before the till's first day (it opens
        with no float); None once the day is closed (nothing is recorded then)."""
        day = self.days.current()
        if day is None:
            return 0
        if not day.open:
            return None
        repo = self.movements
        figures = trading_day_figures(repo.db, repo.till, day, self.clock.now())
        return figures.expected_cash(day.float_amount)

    def record(self, kind: str, amount: int, reason: str, approval: str | None = None) -> CashDone:
        """Record a movement for the current operator (asked of the guard now): its row,
        its approval used up and its audit entry in one transaction; then its slip.

        Raises:
            LoginRequired: the session has ended: nothing was recorded.
            CashRefused: not allowed, a bad amount or reason, a pickup larger than the
                cash in the drawer, the day closed, or not saved.
        """
        actor = self.authority.current()
        try:
            amount, reason = self._checked(kind, amount, reason, in_drawer=None)
        except CashEntryError as exc:
            raise CashRefused(str(exc)) from None
        try:
            approved = self.approvals.authorise(
                actor,
                SCOPES[kind],
                self.action(kind, amount, reason),
                approval,
                missing=f"{TITLES[kind]} needs a manager's approval",
            )
        except ApprovalRefused as exc:
            raise CashRefused(str(exc)) from exc
        at = self.clock.now()
        movement = NewMovement(
            self.new_id(), kind, amount, reason, actor.number, approved.approver, at
        )

        blind = not actor.may(REPORTS)

        def pickup_fits() -> None:  # under the write lock: no sale or refund in between
            limit = self.settings.max_cash_movement
            check_amount(kind, amount, limit, in_drawer=self._in_drawer(), blind=blind)

        def audited() -> None:
            details = {"id": movement.uuid, "amount": amount, "reason": reason}
            approved.use(kind=kind, **details)
            self.audit.append(AUDIT_EVENTS[kind], actor.number, details)

        try:
            self.days.check_open()
            self.movements.add(
                movement, check=pickup_fits if kind == PICKUP else None, also=audited
            )
        except (DayClosed, CashEntryError, ApprovalRefused) as exc:
            raise CashRefused(str(exc)) from exc
        except StorageError as exc:
            raise CashRefused(f"{TITLES[kind]} NOT saved: {exc.reason}; {exc.advice}") from exc
        anchor_audit(self.audit)  # the entry is committed: anchor it
        settings = self.settings
        slip = render_cash_slip(
            store=settings.store_name,
            till=settings.till_name,
            title=TITLES[kind],
            amount=None if kind == NO_SALE else amount,
            reason=reason,
            operator=actor.name,
            at=at.astimezone().replace(tzinfo=None),
            width=settings.receipt_width,
            currency=settings.currency_symbol,
            header=settings.receipt_header,
            approver=approved.approver,
            demo=settings.demo,
        )
        printer = self.printer()
        job = PrintJob(slip, printer, open_drawer=True) if printer.configured else None
        return CashDone(kind, amount, reason, slip, job)

"""What the till's screens ask the app to open beyond the sale itself (the price check,
Find, the history and its refunds, the reports, the cash office, the discount rules, the
store link and the audit log): each ``on_...`` handler takes a request message of
:mod:`pos.screens.requests` and opens the screen with the services it needs, unless the
till locked while the request waited (:class:`pos.app.PosApp` is one of these).

Every screen here is imported where it is first opened, so the till reaches its login
screen without loading them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from pos.screens.login import LoginScreen, SetupScreen
from pos.screens.requests import (
    OpenAudit,
    OpenCashOffice,
    OpenDiscountEditor,
    OpenFind,
    OpenHistory,
    OpenManualDiscount,
    OpenPriceCheck,
    OpenReport,
    OpenStoreLink,
)
from pos.screens.stack import scan_screens

if TYPE_CHECKING:
    from pos.services.container import Services
    from pos.services.outcomes import Outcome


class ManagerRequests(App[None]):
    """The handlers of the requests for the till's other screens."""

    services: Services

    def _locked(self) -> bool:
        """The till locked after a screen asked for another (the request was queued
        behind the lock): nothing opens over the login."""
        return isinstance(self.screen, LoginScreen | SetupScreen)

    def lock_till(self, message: str = "") -> None:
        """Lock to the login screen (:meth:`pos.app.PosApp.lock_till`)."""
        raise NotImplementedError

    def on_open_price_check(self, _: OpenPriceCheck) -> None:
        from pos.screens.price_check import PriceCheckScreen

        if not self._locked():
            services = self.services
            self.push_screen(
                PriceCheckScreen(services.price_check, services.search.find),
                lambda _: None,
            )

    def on_open_find(self, request: OpenFind) -> None:
        from pos.screens.find import FindScreen

        if not self._locked():
            self.push_screen(FindScreen(self.services.search.find, request.text), request.answer)

    def on_open_history(self, _: OpenHistory) -> None:
        from pos.screens.history import HistoryScreen

        if self._locked():
            return
        sales = self.services.sales
        self.push_screen(
            HistoryScreen(
                sales.history,
                sales.receipt,
                sales.reprint,
                self.open_refund,
                other_tills=self.services.other_tills,
            ),
            lambda _: None,
        )

    def open_refund(self, receipt_no: int, till: str | None = None) -> None:
        """Refund lines of a sale (``till``: another till's, copied here): the ``refund``
        scope, or a manager approves this one."""
        from pos.screens.refund import RefundScreen

        services = self.services
        lines = services.refunds.lines(receipt_no, till)
        if lines:
            refund = RefundScreen(
                receipt_no,
                lines,
                services.refunds,
                services.sales,
                services.guard,
                services.approvals,
                till=till,
            )
            self.push_screen(refund, lambda _: None)

    def on_open_report(self, _: OpenReport) -> None:
        from pos.screens.report import ReportScreen

        if self._locked():
            return
        s = self.services
        self.push_screen(ReportScreen(s.sales, s.days, s.reports), lambda _: None)

    def on_open_cash_office(self, request: OpenCashOffice) -> None:
        """A No sale, paid in or out, or cash pickup (:mod:`pos.screens.cash`), said on
        the scanning screen's message line."""
        from pos.screens.cash import CashOfficeFlow

        if not self._locked():
            s = self.services
            CashOfficeFlow(
                self,
                s.cash,
                s.approvals,
                s.guard,
                report=self._tell_till,
                ended=self.lock_till,
                unreceipted=self.open_unreceipted_refund,
                other=self._discount_from_menu,
                balance=self.open_voucher_balance,
            ).open(request.kind)

    def open_voucher_balance(self) -> None:
        """A gift voucher's balance (:mod:`pos.screens.voucher_balance`): anyone's."""
        from pos.screens.voucher_balance import VoucherBalanceModal

        vouchers = self.services.vouchers
        if vouchers is not None:
            self.push_screen(VoucherBalanceModal(vouchers, self.lock_till), lambda _: None)

    def open_unreceipted_refund(self) -> None:
        """A refund without a receipt (:mod:`pos.screens.unreceipted`): the screen is
        anyone's; the refund needs ``refund:unreceipted`` or a manager's approval."""
        from pos.screens.unreceipted import UnreceiptedRefundScreen

        s = self.services
        self.push_screen(
            UnreceiptedRefundScreen(s.returns, s.sales, s.guard, s.approvals), lambda _: None
        )

    def _discount_from_menu(self, kind: str) -> None:
        """L or S in the cash office's menu: a discount on the selected line, or the sale."""
        selected = None
        for screen in scan_screens(self.screen_stack):
            selected = screen.cart_table.selected_line_no
        self.on_open_manual_discount(OpenManualDiscount(kind, selected))

    def on_open_manual_discount(self, request: OpenManualDiscount) -> None:
        """A cashier's "Line discount" or "Sale discount" (:mod:`pos.screens.discounts`)."""
        from pos.screens.discounts import ManualDiscountFlow

        if not self._locked():
            s = self.services
            ManualDiscountFlow(
                self,
                s.manual_discounts,
                s.approvals,
                s.guard,
                report=self._tell_till,
                ended=self.lock_till,
            ).open(request.kind, request.line_no)

    def _tell_till(self, outcome: Outcome) -> None:
        for screen in scan_screens(self.screen_stack):
            screen.apply(outcome)

    def on_open_discount_editor(self, request: OpenDiscountEditor) -> None:
        """The discount rules (the screen checks the scope, or the approval, itself)."""
        from pos.screens.discount_editor import DiscountEditorScreen

        if self._locked():
            return
        services = self.services

        def closed(_: None) -> None:
            for screen in scan_screens(self.screen_stack):
                screen.discounts_closed()

        self.push_screen(
            DiscountEditorScreen(
                services.discount_admin,
                services.approvals,
                lambda: services.checkout.cart,
                request.approval,
            ),
            closed,
        )

    def on_open_store_link(self, _: OpenStoreLink) -> None:
        if not self._locked():
            from pos.screens.outbox import OutboxScreen

            self.push_screen(OutboxScreen(self.services.store_outbox, self.services.store_state))

    def on_open_audit(self, _: OpenAudit) -> None:
        if not self._locked():
            self.open_audit()

    def open_audit(self) -> None:
        """The audit log screen (it checks the scope again itself)."""
        from pos.screens.audit import AuditScreen

        services = self.services

        def allowed() -> bool:
            try:
                services.guard.require("audit")
            except Exception:  # noqa: BLE001 - any doubt is a refusal
                return False
            return True

        self.push_screen(AuditScreen(services.search_audit, allowed), lambda _: None)

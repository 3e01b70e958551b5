"""Turning the open cart into a completed sale that is never lost or charged twice."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from pos.auth.guard import Authority, LoginRequired, OverrideRequired
from pos.auth.service import AuditSink, anchor_audit
from pos.db.database import checkpoint, checkpoint_apart
from pos.db.errors import StorageError
from pos.db.reports import day_figures, trading_day_figures
from pos.db.sale_search import find_sales
from pos.db.sales import SaleRepository
from pos.db.vouchers import VoucherTaken
from pos.domain.cart import CartLine, StoredCart
from pos.domain.clock import Clock
from pos.domain.history import SaleRow, SaleSummary, named_receipt
from pos.domain.receipt import ReceiptData, format_receipt_no, mark_copy, render_receipt
from pos.domain.report import DayFigures, local_hours
from pos.domain.tax import RateLine, amount_due, paid_per_line, vat_summary
from pos.domain.tender import Method, Tender
from pos.domain.vouchers import Voucher, VoucherError, without_codes
from pos.services.cart_coupons import CouponLost
from pos.services.checkout import CheckoutService
from pos.services.days import DayClosed, DayService
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.printing import PrinterError, PrintJob, ReceiptPrinter, no_printer
from pos.services.store import StoreSettings
from pos.services.vouchers import VoucherService


@dataclass(frozen=True, slots=True)
class Completed:
    """A sale that is safely in the database (printed afterwards: ``receipt_job``)."""

    receipt_no: int
    receipt_text: str
    change: int
    cash: bool = False


class SaleFailed(Exception):
    """The sale was NOT saved; ``str()`` says why. The cart is kept."""


class Repriced(SaleFailed):
    """The sale was NOT saved and the cart was re-priced (a coupon was just used up at
    another till, issue 22): the payment starts again for the new amount."""


class SaleService:
    """Payment and completion of the open cart.

    Who completes a sale or prints a copy is asked of ``authority`` (the guard) at the
    moment it happens, never taken from an identity a screen captured earlier: a
    session that ended in between (operator deactivated, PIN changed, logged out)
    saves nothing.
    """

    def __init__(
        self,
        checkout: CheckoutService,
        sales: SaleRepository,
        audit: AuditSink,
        settings: LiveSettings,
        clock: Clock,
        printer: ReceiptPrinter | None = None,
        days: DayService | None = None,
        *,
        authority: Authority,
        vouchers: VoucherService | None = None,
    ) -> None:
        self.authority = authority
        self.vouchers = vouchers
        """Issues the gift vouchers a sale sells (issue 22); None: a till without them."""
        self.days = days
        self._printer = printer  # given: always this one; else the ``printer`` setting's
        self._printers: dict[str, ReceiptPrinter] = {}
        self.checkout = checkout
        self.sales = sales
        self.audit = audit
        self.live = settings
        self.clock = clock
        self.committed: Callable[[], None] = lambda: None
        """Told after each sale's commit (a store's till: its sync worker sends it now,
        :meth:`pos.services.sync.StoreSync.nudge`); it must not wait or raise."""

    @property
    def settings(self) -> StoreSettings:
        """The settings in use now (:mod:`pos.services.live_settings`)."""
        return self.live.current

    @property
    def printer(self) -> ReceiptPrinter:
        """The receipt printer: the one given, or the one the ``printer`` setting names
        now (one per setting, so a job printing on the old one carries on)."""
        if self._printer is not None:
            return self._printer
        setting = self.settings.printer
        printer = self._printers.get(setting)
        if printer is None:
            printer = self._printers[setting] = ReceiptPrinter(setting)
        return printer

    @printer.setter
    def printer(self, printer: ReceiptPrinter) -> None:
        """Print on ``printer`` whatever the setting says (tests, other drivers)."""
        self._printer = printer

    def vat(self) -> list[RateLine]:
        cart = self.checkout.cart
        return vat_summary(cart.lines, self.checkout.priced, inclusive=self.settings.tax_inclusive)

    def start(self) -> Tender:
        """A tender for what the open cart costs now."""
        return Tender(amount_due(self.vat()))

    @guarded("sale")
    def recheck_coupons(self) -> str:
        """Before payment: the coupons no longer good taken off the cart and the cart
        re-priced (issue 22); what to say, "" if there was nothing to do."""
        return self.checkout.recheck()

    def last_sale(self) -> SaleSummary | None:
        """The till's last sale, for the scanning screen; None if it cannot be read or
        nobody may see it (no session: nothing is shown)."""
        try:
            self.authority.require("sale")
            return self.sales.last()
        except (StorageError, LoginRequired, OverrideRequired):
            return None

    def complete(self, tender: Tender) -> Completed:
        """Write the sale, its lines, discounts and payments, its audit entry, the removal
        of the cart and the next (empty) open cart, in one transaction; then carry on with
        that cart. The sale is the current operator's: the
        guard is asked now, so a session that has ended saves nothing. Nothing is
        printed here: the receipt's ``receipt_job`` goes to the printer afterwards, off
        the event loop.

        Raises:
            LoginRequired: the session has ended: nothing was saved (the cart and the
                tender are kept; after a login a retry is safe).
            SaleFailed: nothing was saved (the cart is kept; a retry is safe).
        """
        if not tender.complete:
            raise SaleFailed("Something is still to pay")
        try:
            actor = self.authority.require("sale")
        except OverrideRequired as exc:
            raise SaleFailed(f"Sale NOT saved: {exc}") from None
        if self.days is not None:
            try:
                self.days.check_open()
            except DayClosed as exc:
                raise SaleFailed(str(exc)) from exc
            except StorageError as exc:
                raise SaleFailed(
                    f"Sale NOT saved: {exc.reason}. The cart is kept; {exc.advice}."
                ) from exc
        cart = self.checkout.cart
        if not len(cart):
            raise SaleFailed("The cart is empty")
        vat = self.vat()
        if amount_due(vat) != tender.due:
            raise SaleFailed("The cart changed during payment: take payment again")
        try:  # a store's till: its server holds the coupons' uses first (issue 22)
            self.checkout.claim_on_store(self.checkout.cart_uuid)
        except CouponLost as exc:
            raise Repriced(self.checkout.lost(exc)) from exc
        at = self.clock.now()
        uuid = self.checkout.cart_uuid
        lines = cart.lines
        priced = self.checkout.priced
        rules = self.checkout.applied_rules()
        priced_at = self.checkout.priced_at
        texts: dict[int, str] = {}
        settings = self.settings  # one set for the whole sale, its receipt and its row
        used = tuple((c.code, c.rule) for c in self.checkout.used_coupons())
        issued = self._vouchers_for(lines, at)
        left: dict[str, int] = {}  # what each voucher that pays holds after it

        pays_by_voucher = any(p.method is Method.VOUCHER for p in tender.payments)
        claimed = self._claim(tender, uuid, at) if pays_by_voucher else {}

        def redeem() -> None:  # first in the sale's transaction: before its receipt
            if self.vouchers is None:
                raise SaleFailed("Sale NOT saved: this till takes no gift vouchers")
            left.update(self.vouchers.redeem(tender.payments, uuid, at, claimed))

        def receipt(number: int) -> str:
            texts[number] = render_receipt(
                ReceiptData(
                    settings.store_name,
                    settings.till_name,
                    number,
                    f"{actor.name}",
                    at.astimezone().replace(tzinfo=None),
                    lines,
                    priced,
                    vat,
                    tender.payments,
                    settings.tax_inclusive,
                    currency=settings.currency_symbol,
                    header=settings.receipt_header,
                    demo=settings.demo,
                    age_checked=self.checkout.age_checked,
                    coupons=used,
                    vouchers=issued,
                    voucher_left=tuple(left.items()),
                ),
                settings.receipt_width,
            )
            return without_codes(texts[number])  # kept: a reprint is no gift voucher

        next_cart: list[StoredCart] = []

        def in_transaction(number: int) -> None:
            self.checkout.claim(uuid)  # the coupons' uses (issue 22): CouponLost undoes all
            self.audit.append(
                "sale_completed",
                actor.number,
                {"receipt": format_receipt_no(number), "total": tender.due, "sale": uuid},
            )
            if issued and self.vouchers is not None:
                self.vouchers.write_sold(issued, uuid, at)
            next_cart.append(self.checkout.open_next_cart())

        try:
            number = self.sales.complete(
                cart_id=self.checkout.cart_id,
                uuid=uuid,
                at=at,
                operator=actor.number,
                lines=lines,
                priced=priced,
                total=tender.due,
                tax_inclusive=settings.tax_inclusive,
                payments=tender.payments,
                vat=vat,
                paid=paid_per_line(lines, priced, tender.due),
                receipt_text=receipt,
                also=in_transaction,
                rules=rules,
                priced_at=priced_at,
                manual=tuple(self.checkout.manual.values()),
                first=redeem if pays_by_voucher else None,
            )
        except CouponLost as exc:
            raise Repriced(self.checkout.lost(exc)) from exc
        except VoucherTaken as exc:  # nothing saved; the voucher's payment comes off
            _drop_voucher(tender, exc.code)
            raise SaleFailed(str(exc)) from None
        except StorageError as exc:
            # an error at COMMIT can hide a commit that happened: look before saying no
            try:
                number_or_none = self.sales.receipt_no_of(uuid)
            except StorageError:
                number_or_none = None
            if number_or_none is None:
                raise SaleFailed(
                    f"Sale NOT saved: {exc.reason}. The cart is kept; {exc.advice}."
                ) from exc
            number = number_or_none
            next_cart.clear()  # committed after all: open_cart finds the cart it opened
        self.committed()
        if next_cart:
            self.checkout.continue_with(next_cart[-1])
        else:  # saved before (the same sale id), or saved by a COMMIT that reported an error
            self.checkout.start_new_cart()
        text = texts.get(number) or self.sales.receipt_text(number) or ""
        cash = any(p.method is Method.CASH for p in tender.payments)
        return Completed(number, text, tender.change, cash)

    def _claim(self, tender: Tender, uuid: str, at: datetime) -> dict[str, Voucher]:
        """A store's till claims the voucher payments on its server before the sale is
        saved (:meth:`VoucherService.claim`); a refusal takes that payment off."""
        if self.vouchers is None:
            return {}
        try:
            return self.vouchers.claim(tender.payments, uuid, at)
        except VoucherTaken as exc:
            _drop_voucher(tender, exc.code)
            raise SaleFailed(str(exc)) from None

    def _vouchers_for(self, lines: Sequence[CartLine], at: datetime) -> list[Voucher]:
        """The gift vouchers the sale issues, with fresh codes (a collision of codes, one
        in 10^12, fails the commit: the cashier's retry draws new ones)."""
        if self.vouchers is None or not any(line.voucher for line in lines):
            return []
        try:
            return self.vouchers.for_sale(lines, at)
        except VoucherError as exc:
            raise SaleFailed(f"Sale NOT saved: {exc}") from None

    def between_customers(self) -> None:
        """Upkeep nobody waits for, once a sale's receipt is on screen: the database log's
        checkpoint (see :func:`pos.db.database.checkpoint`), which would otherwise land on
        whichever scan or sale commit crosses SQLite's threshold. If it cannot be done now,
        SQLite does it later by itself. Also the audit log's anchor
        (:mod:`pos.auth.anchor`): the sale's ``sale_completed`` entry, committed with the
        sale, is written to it here, after the commit and off the sale's own path."""
        anchor_audit(self.audit)
        with contextlib.suppress(StorageError):
            checkpoint(self.sales.db)

    def keep_log_short(self) -> None:
        """The same checkpoint from a worker thread, on a connection of its own, in each
        pause between items while someone is logged in (the app's tick): a long cart (and
        its hundreds of saved lines) never reaches SQLite's own checkpoint inside a scan's
        commit."""
        with contextlib.suppress(StorageError):
            checkpoint_apart(self.sales.db)

    def receipt_job(self, text: str, *, open_drawer: bool) -> PrintJob | None:
        """A saved sale's or refund's receipt for the printer (kicking the drawer when
        cash changed hands), or None without a printer. Only ever printed after the
        commit: a printer never loses a sale."""
        if not self.printer.configured:
            return None
        return PrintJob(text, self.printer, open_drawer=open_drawer)

    @guarded("reports")
    def x_report(self) -> tuple[str, DayFigures, list[int]]:
        """The till's trading day: the open one's figures so far (what its Z report would
        show), or, once it is closed and before the next one opens, the closed day's
        figures from its real start to its Z report; a title saying which, and the
        takings of each local hour (0 to 23)."""
        now = self.clock.now().astimezone()
        day = self.days.current() if self.days is not None else None
        sales = self.sales
        if day is not None:  # the day's own sales, whatever time the clock gave them
            start = day.opened_at
            figures = trading_day_figures(sales.db, sales.till, day, day.closed_at or now)
            if day.open:  # what the drawer should hold now (a closed day's Z has its own)
                figures = replace(figures, float_amount=day.float_amount)
        else:
            start = datetime.combine(now.date(), time()).astimezone()
            figures = day_figures(sales.db, sales.till, start, now + timedelta(microseconds=1))
        hourly = local_hours(figures.takings_by_utc_hour, start.astimezone())
        since = start.astimezone()
        till = self.settings.till_name
        if day is not None and day.closed_at is not None:
            title = (
                f"Z report {day.z_no or 0:04d}  {till}  {since:%Y-%m-%d %H:%M} to "
                f"{day.closed_at.astimezone():%H:%M}  (the day is closed; F3 opens a new one)"
            )
        else:
            title = (
                f"X report  {till}  since {since:%Y-%m-%d %H:%M}, at {now:%H:%M}  (closes nothing)"
            )
        return title, figures, hourly

    @guarded("sale")
    def history(self, text: str) -> list[SaleRow]:
        """Past sales of this till, newest first (search: a receipt number or a date), or
        another till's sale copied here (search: its till and number, ``front 42``)."""
        named = named_receipt(text)
        if named is None:
            return find_sales(self.sales.db, self.sales.till, text)
        till, number = named
        rows = find_sales(self.sales.db, till, str(number))
        # this till's own, typed as its receipt prints it, is listed as one of its own
        return rows if till == self.sales.till else [replace(row, till=till) for row in rows]

    @guarded("sale")
    def receipt(self, receipt_no: int, till: str | None = None) -> str | None:
        return self.sales.receipt_text(receipt_no, till)

    def reprint(
        self, receipt_no: int, as_printed: str | None = None, till: str | None = None
    ) -> PrintJob:
        """A saved receipt (a sale's or a refund's) to print again, marked COPY, for the
        current operator (asked of the guard now). Once it printed, its
        ``after_printed`` puts the reprint in the audit log. ``as_printed``: the text of
        the sale just completed as its receipt screen holds it, its gift vouchers' codes
        whole (the saved copy has them cut): F2 there prints the customer's vouchers if
        the first print failed.

        Raises:
            LoginRequired: the session has ended: nothing is printed.
            PrinterError: no printer, or no such receipt (the message says why).
        """
        try:
            actor = self.authority.require("sale")
        except OverrideRequired as exc:
            raise PrinterError("", subject=str(exc)) from None
        if not self.printer.configured:
            raise no_printer()
        number = format_receipt_no(receipt_no) + ("" if till is None else f" of {till}")
        text = as_printed or self.sales.receipt_text(receipt_no, till)
        if text is None:
            raise PrinterError("", subject=f"no receipt {number} on this till")
        copy = mark_copy(text, self.settings.receipt_width)

        def audit() -> None:
            self.audit.append("reprint", actor.number, {"receipt": number})

        return PrintJob(copy, self.printer, after_printed=audit)


def _drop_voucher(tender: Tender, code: str) -> None:
    """Take the payment of voucher ``code`` (spent at another till) off ``tender``, and
    count the cash handed over again against what is now left (its change anew: it was
    worked out with the voucher's payment in)."""
    for payment in [p for p in tender.payments if p.reference == code]:
        tender.drop(payment)
    tender.payments[:] = tender.repriced(tender.due).payments

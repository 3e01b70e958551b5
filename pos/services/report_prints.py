"""Printed X and Z reports (issue 21, item 5), on the receipt printer at its width.

The X report prints as the report screen shows it (the ``reports`` scope, as seeing it);
the Z report prints once its day is closed, after the commit, so a printer fault never
loses it; a copy of any past Z (marked COPY, the ``reports`` scope) prints from the report
screen or ``pos report --z N --print``, and goes in the audit log once printed, as a
receipt's copy does. Sending is the caller's: off the event loop (:class:`PrintJob`).
"""

from __future__ import annotations

import re
from datetime import datetime, time

from pos.auth.guard import Authority, OverrideRequired
from pos.auth.service import AuditSink, Identity, anchor_audit
from pos.db.database import Database
from pos.db.days import DayRepository
from pos.domain.clock import Clock
from pos.domain.report import local_hours
from pos.domain.report_print import PrintHead, render_x_report, render_z_report
from pos.services.days import SCOPE as CLOSE_SCOPE
from pos.services.days import CashUp, DayService, closed_day
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.printing import PrinterError, PrintJob, ReceiptPrinter, no_printer
from pos.services.sales import SaleService
from pos.services.store import StoreSettings

REPORTS = "reports"
"""Who sees the X report, and prints it or a copy of a past Z (supervisors, managers)."""

Z_NUMBER = re.compile(r"^\s*0*(\d{1,9})\s*$")


class ZRefused(Exception):
    """No such Z report to print; ``str()`` says why and what to do."""


def find_z(db: Database, till: str, text: str | int) -> CashUp:
    """The closed day of ``till`` whose Z report is number ``text`` (``3`` or ``0003``).

    Raises:
        ZRefused: not a number, no such Z report, or the number the day open now will
            get (the message says which numbers there are).
        StorageError: the database could not be read.
    """
    match = Z_NUMBER.match(str(text))
    number = int(match[1]) if match else 0
    days = DayRepository(db, till)
    last = days.last_z()
    which = f"1 to {last}" if last and last > 1 else "1" if last else ""
    choose = f"give the number of a closed day's Z report ({which})" if which else ""
    if number < 1:
        shown = str(text).strip()[:20] or "nothing"
        raise ZRefused(
            f"Z report {shown!r} is not a number: "
            + (choose or f"{till} has no Z report yet (the first comes when a day closes)")
        )
    found = closed_day(db, till, number)
    if found is not None:
        return found
    latest = days.latest()
    if number == (last or 0) + 1 and latest is not None and latest.open:
        raise ZRefused(
            f"Z report {number:04d} is the day still open: it prints when the day is closed"
            + (f"; or {choose}" if choose else "")
        )
    raise ZRefused(
        f"{till} has no Z report {number:04d}: "
        + (choose or "it has none yet (the first comes when a day closes)")
    )


class ReportPrints:
    """The X and Z reports for the printer; who prints is asked of ``authority`` (the
    guard) when it happens."""

    def __init__(
        self,
        sales: SaleService,
        days: DayService,
        audit: AuditSink,
        settings: LiveSettings,
        clock: Clock,
        *,
        authority: Authority,
    ) -> None:
        self.authority = authority
        self.sales = sales
        self.days = days
        self.audit = audit
        self.live = settings
        self.clock = clock

    @property
    def settings(self) -> StoreSettings:
        return self.live.current

    @property
    def printer(self) -> ReceiptPrinter:
        """The receipts' printer (the ``printer`` setting's): one printer, one setting."""
        return self.sales.printer

    def _head(self) -> PrintHead:
        s = self.settings
        return PrintHead(s.store_name, s.till_name, s.receipt_width, s.receipt_header, s.demo)

    def _require(self) -> Identity:
        """The current operator, if they may print reports.

        Raises:
            LoginRequired: the session has ended.
            PrinterError: not allowed, or no printer (nothing is printed).
        """
        try:
            actor = self.authority.require(REPORTS)
        except OverrideRequired:
            raise PrinterError("", subject="only supervisors and managers print reports") from None
        if not self.printer.configured:
            raise no_printer()
        return actor

    @guarded(REPORTS)
    def last_z(self) -> int | None:
        """The number of this till's newest Z report (the Z copy dialog's default)."""
        return self.days.days.last_z()

    @guarded(REPORTS)
    def check_z(self, text: str) -> int:
        """The number of a closed day's Z report typed as ``text``.

        Raises:
            ZRefused: not a number or no such Z report (the message says what to do).
            StorageError: the database could not be read.
        """
        repo = self.days.days
        return find_z(repo.db, repo.till, text).day.z_no or 0

    def x_job(self) -> PrintJob:
        """The X report of the open day (what the report screen shows now) for the
        printer; once the day is closed, and before the next one opens, the screen shows
        the closed day: a copy of its Z report (:meth:`z_copy`).

        Raises:
            LoginRequired: the session has ended: nothing is printed.
            PrinterError: not allowed, or no printer (the message says why).
            StorageError: the figures could not be read.
        """
        actor = self._require()
        day = self.days.current()
        if day is not None and not day.open and day.z_no is not None:
            return self.z_copy(day.z_no)
        _title, figures, hourly = self.sales.x_report()
        now = self.clock.now().astimezone()
        if day is not None:
            since = day.opened_at.astimezone()
        else:  # before the till's first day: today's, as the screen shows it
            since = datetime.combine(now.date(), time()).astimezone()
        text = render_x_report(
            self._head(),
            since=since.replace(tzinfo=None),
            at=now.replace(tzinfo=None),
            operator=actor.name,
            figures=figures,
            hourly=hourly,
        )
        return PrintJob(text, self.printer)

    def _z_text(self, cash_up: CashUp, *, copy: bool) -> str:
        return z_report_text(cash_up, self._head(), copy=copy)

    @guarded(CLOSE_SCOPE)
    def z_job(self, cash_up: CashUp) -> PrintJob | None:
        """The Z report of the day just closed (``cash_up``, from
        :meth:`DayService.close_day`, already committed) for the printer; None without a
        printer. A fault: :meth:`z_copy` prints it again."""
        if not self.printer.configured:
            return None
        return PrintJob(self._z_text(cash_up, copy=False), self.printer)

    def z_copy(self, z_no: int) -> PrintJob:
        """A copy (marked COPY) of this till's Z report ``z_no``; once printed, its
        ``after_printed`` puts the copy in the audit log (``z_copy``).

        Raises:
            LoginRequired: the session has ended: nothing is printed.
            PrinterError: not allowed, or no printer.
            ZRefused: no such Z report.
            StorageError: it could not be read.
        """
        actor = self._require()
        repo = self.days.days
        cash_up = find_z(repo.db, repo.till, z_no)

        def audit() -> None:
            self.audit.append("z_copy", actor.number, {"z": z_no})
            anchor_audit(self.audit)

        return PrintJob(self._z_text(cash_up, copy=True), self.printer, after_printed=audit)


def z_report_text(cash_up: CashUp, head: PrintHead, *, copy: bool) -> str:
    """A closed day's Z report as it prints (``copy``: marked COPY)."""
    day = cash_up.day
    assert day.closed_at is not None
    opened = day.opened_at.astimezone()
    return render_z_report(
        head,
        z_no=day.z_no or 0,
        opened=opened.replace(tzinfo=None),
        closed=day.closed_at.astimezone().replace(tzinfo=None),
        cash_up=cash_up.cash_up_rows(),
        figures=cash_up.figures,
        hourly=local_hours(cash_up.figures.takings_by_utc_hour, opened),
        audit_head=cash_up.audit_head,
        copy=copy,
    )

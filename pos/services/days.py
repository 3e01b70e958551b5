"""Opening and closing the trading day: the float, the Z report and the cash-up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pos.auth.guard import Authority
from pos.auth.service import AuditSink
from pos.db.auth_repositories import z_report_entry
from pos.db.database import Database
from pos.db.days import Day, DayRepository
from pos.db.reports import trading_day_figures
from pos.domain.clock import Clock
from pos.domain.money import format_money
from pos.domain.report import DayFigures


class TradingDay(Protocol):
    """The till's trading day as the cart sees it: ``check_open`` raises DayClosed once a
    Z report closed it (:class:`DayService`, or a test's stand-in)."""

    def check_open(self, *, open_first: bool = True) -> None: ...


class DayClosed(Exception):
    """No sale can be taken: ``str()`` says why and what to do."""


@dataclass(frozen=True, slots=True)
class CashUp:
    """A closed day: its Z number, figures and the cash count."""

    day: Day
    figures: DayFigures
    audit_head: tuple[int, str] | None = None
    """The audit log's chain head when the day closed (its ``z_report`` entry's number
    and hash): noted on paper, it shows later whether entries were removed."""

    def audit_line(self) -> str | None:
        if self.audit_head is None:
            return None
        seq, digest = self.audit_head
        return f"Audit log head  entry {seq}  hash {digest[:16]}"

    @property
    def difference(self) -> int:
        assert self.day.counted is not None
        assert self.day.expected is not None
        return self.day.counted - self.day.expected

    def lines(self) -> list[str]:
        d = self.day
        assert d.counted is not None
        assert d.expected is not None
        audit_line = self.audit_line()
        return [
            f"Z report {d.z_no:04d}  (the day is closed)",
            "",
            *self.cash_up_lines(),
            "",
            *self.figures.lines(),
            *([] if audit_line is None else ["", audit_line]),
        ]

    @property
    def over_short(self) -> str:
        """``over``, ``short`` or ``exact``: the counted cash against the expected."""
        return "over" if self.difference > 0 else "short" if self.difference < 0 else "exact"

    def cash_up_lines(self) -> list[str]:
        """The cash-up: float, cash takings and refunds, the cash movements, expected,
        counted, difference."""
        d = self.day
        assert d.counted is not None
        assert d.expected is not None
        over = self.over_short
        return [
            "Cash-up",
            f"  Float           {format_money(d.float_amount):>12}",
            f"  Cash takings    {format_money(self.figures.cash):>12}",
            f"  Cash refunds    {format_money(self.figures.cash_refunds):>12}",
            *self._unreceipted_line(),
            f"  Paid in         {format_money(self.figures.paid_in):>12}",
            f"  Paid out        {format_money(self.figures.paid_out):>12}",
            f"  Pickups         {format_money(self.figures.pickups):>12}",
            f"  Expected        {format_money(d.expected):>12}",
            f"  Counted         {format_money(d.counted):>12}",
            f"  Difference      {format_money(self.difference):>12}  {over}",
        ]

    def cash_up_rows(self) -> list[tuple[str, str]]:
        """The cash-up as label and value pairs (for a printed Z report)."""
        d = self.day
        assert d.counted is not None
        assert d.expected is not None
        f = self.figures
        return [
            ("Float", format_money(d.float_amount)),
            ("Cash takings", format_money(f.cash)),
            ("Cash refunds", format_money(f.cash_refunds)),
            *([("  no receipt", format_money(f.unreceipted_cash))] if f.unreceipted_cash else []),
            ("Paid in", format_money(f.paid_in)),
            ("Paid out", format_money(f.paid_out)),
            ("Pickups", format_money(f.pickups)),
            ("Expected", format_money(d.expected)),
            ("Counted", format_money(d.counted)),
            ("Difference", f"{format_money(self.difference)} {self.over_short}"),
        ]

    def _unreceipted_line(self) -> list[str]:
        """Of the cash refunds, those without a receipt (issue 21; none: no line)."""
        cash = self.figures.unreceipted_cash
        return [f"    no receipt    {format_money(cash):>12}"] if cash else []

    def cash_up_json(self) -> dict[str, str]:
        d = self.day
        assert d.counted is not None
        assert d.expected is not None
        return {
            "float": format_money(d.float_amount),
            "cash_takings": format_money(self.figures.cash),
            "cash_refunds": format_money(self.figures.cash_refunds),
            "unreceipted_cash_refunds": format_money(self.figures.unreceipted_cash),
            "paid_in": format_money(self.figures.paid_in),
            "paid_out": format_money(self.figures.paid_out),
            "pickups": format_money(self.figures.pickups),
            "expected": format_money(d.expected),
            "counted": format_money(d.counted),
            "difference": format_money(self.difference),
            "over_short": self.over_short,
        }


def closed_day(db: Database, till: str, z_no: int) -> CashUp | None:
    """The till's day closed by Z report ``z_no`` with its figures and cash-up, as its Z
    report showed them, or None if the till has no such Z report."""
    day = DayRepository(db, till).by_z(z_no)
    if day is None or day.closed_at is None:
        return None
    head = z_report_entry(db, till, z_no)
    return CashUp(day, trading_day_figures(db, till, day, day.closed_at), head)


SCOPE = "day:close"
"""Who opens and closes the day (managers)."""


class DayService:
    """The till's day: sales need an open one; a Z report closes it.

    Who opens or closes a day is asked of ``authority`` (the guard) when it happens,
    with the ``day:close`` scope, never taken from an identity a caller built."""

    def __init__(
        self, days: DayRepository, audit: AuditSink, clock: Clock, *, authority: Authority
    ) -> None:
        self.authority = authority
        self.days = days
        self.audit = audit
        self.clock = clock

    def check_open(self, *, open_first: bool = True) -> None:
        """Raises DayClosed if the till's day has been closed and no new one opened.
        The very first day of a till opens by itself (with no float), unless
        ``open_first`` is false: then this only reads (a check before any tender, which
        must not wait on another till's write lock; the sale opens the day)."""
        latest = self.days.latest()
        if latest is None:
            if open_first:
                self.days.open_day(self.clock.now(), 0, None)
            return
        if not latest.open:
            raise DayClosed(
                f"The day was closed by Z report {latest.z_no:04d}: a manager opens a new "
                "day (F12) before the next sale"
            )

    def current(self) -> Day | None:
        return self.days.latest()

    def open_day(self, float_amount: int) -> Day:
        """Open the next day with ``float_amount`` in the drawer (``day:close``).

        Raises:
            LoginRequired, OverrideRequired: not allowed; nothing was opened.
            StorageError: nothing was opened.
        """
        actor = self.authority.require(SCOPE)
        day = self.days.open_day(self.clock.now(), float_amount, actor.number)
        self.audit.append("day_opened", actor.number, {"float": float_amount})
        return day

    def close_day(self, counted: int) -> CashUp:
        """The Z report: figures since the day opened, the cash count, the day closed
        (``day:close``).

        Raises:
            LoginRequired, OverrideRequired: not allowed; nothing was closed.
            DayClosed: no day is open.
            StorageError: nothing was closed.
        """
        actor = self.authority.require(SCOPE)
        latest = self.days.latest()
        if latest is None or not latest.open:
            raise DayClosed("No day is open")
        now = self.clock.now()
        # the day's sales and refunds are those recording it, whatever the clock said;
        # rows from before schema v10 (no day recorded) by time: every one up to and
        # including this moment belongs to the day being closed
        figures = trading_day_figures(self.days.db, self.days.till, latest, now)
        expected = figures.expected_cash(latest.float_amount)
        try:
            day = self.days.close_day(now, counted, expected, actor.number)
        except LookupError as exc:
            raise DayClosed(str(exc)) from exc
        head = self.audit.append(
            "z_report",
            actor.number,
            {"z": day.z_no, "expected": expected, "counted": counted, "net": figures.net},
        )
        return CashUp(day, figures, head if isinstance(head, tuple) else None)

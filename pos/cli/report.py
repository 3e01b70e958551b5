"""``pos report``: a day's X report, or a closed till day's Z report with its cash-up."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import click

from pos.auth.audit import printable
from pos.cli.common import (
    audit_log,
    cli_actor,
    db_option,
    db_path,
    friendly_errors,
    open_db,
    till_name,
    till_option,
)
from pos.config import DbTarget
from pos.db.database import Database
from pos.db.repositories import owning_till
from pos.domain.clock import SystemClock
from pos.domain.money import format_money

if TYPE_CHECKING:
    from pos.db.coupons import Overuse
    from pos.services.days import CashUp


@click.command("report")
@db_option
@till_option
@click.option("--date", "day_text", help="The day (YYYY-MM-DD, local). Default: today.")
@click.option(
    "--z",
    "z_text",
    metavar="N",
    help="A closed till day instead: its Z report by number (--z 3), with the cash-up.",
)
@click.option(
    "--print",
    "to_printer",
    is_flag=True,
    help="With --z N: print a copy of that Z report (marked COPY) on the printer setting's "
    "printer instead, at the receipt width.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report_command(
    ctx: click.Context,
    db: DbTarget | None,
    till: str | None,
    day_text: str | None,
    z_text: str | None,
    to_printer: bool,
    as_json: bool,
) -> None:
    """The X report of a calendar day: sales, takings, discounts, tender, VAT, operators
    (closes nothing); or, with --z, the Z report of a closed till day as the report screen
    showed it, with its cash-up (expected, counted, over/short). Hours are local time.
    For one till: --till (or pos --till, $POS_TILL), else the till_name setting. With
    --z N --print, a copy of that Z report goes to the receipt printer (and the audit log)."""
    from datetime import date as date_type
    from datetime import time as time_type
    from datetime import timedelta

    from pos.db.coupons import coupon_overuses
    from pos.db.reports import day_figures
    from pos.domain.report import local_hours, utc_offset
    from pos.services.report_prints import ZRefused, find_z

    if z_text is not None and day_text is not None:
        raise click.UsageError("give --date (a calendar day) or --z (a Z report), not both")
    if to_printer and (z_text is None or as_json):
        raise click.UsageError(
            "--print prints a copy of a Z report: give its number, without --json "
            "(pos report --z 3 --print)"
        )
    z_no: int | None = None
    path = db_path(ctx, db)
    try:
        day = (
            date_type.fromisoformat(day_text)
            if day_text
            else SystemClock().now().astimezone().date()
        )
    except ValueError:
        raise click.ClickException(f"--date {day_text!r} is not a date like 2026-03-14") from None
    start = datetime.combine(day, time_type()).astimezone()
    end = datetime.combine(day + timedelta(days=1), time_type()).astimezone()  # 23 or 25 h
    cash_up: CashUp | None = None
    over: list[Overuse] = []
    with friendly_errors():
        database = open_db(ctx, path)
        till = till_name(ctx, till, database)
        own = owning_till(database)
        if own is not None and till != own:  # its copies of other tills' sales are partial
            raise click.ClickException(
                f"This file is {printable(own)}'s, a till of its store: it reports only its "
                f"own sales. For {printable(till)}, ask the store's server: pos report "
                f"--db URL --till {printable(till)!r}"
            )
        if z_text is not None:
            try:
                cash_up = find_z(database, till, z_text)
            except ZRefused as exc:
                raise click.ClickException(printable(str(exc))) from None
            z_no = cash_up.day.z_no
            if to_printer:
                _print_copy(ctx, database, path, till, cash_up)
                return
            figures = cash_up.figures
        else:
            figures = day_figures(database, till, start, end)
            over = coupon_overuses(database, till, start, end)  # a store's server (issue 22)
    if cash_up is not None:
        assert cash_up.day.closed_at is not None
        assert z_no is not None
        start = cash_up.day.opened_at.astimezone()
        closed = cash_up.day.closed_at.astimezone()
    if as_json:
        head: dict[str, object] = {"till": till}
        if cash_up is not None:
            head |= {
                "z": z_no,
                "opened_at": start.isoformat(timespec="seconds"),
                "closed_at": closed.isoformat(timespec="seconds"),
                "cash_up": cash_up.cash_up_json(),
            }
            if cash_up.audit_head is not None:
                head["audit_head"] = {"seq": cash_up.audit_head[0], "hash": cash_up.audit_head[1]}
        else:
            head["date"] = day.isoformat()
            if over:
                head["coupon_overuses"] = [
                    {
                        "code": o.code,
                        "rule": o.rule,
                        "receipt": o.receipt_no,
                        "at": o.at.astimezone().isoformat(timespec="seconds"),
                        "why": o.why,
                    }
                    for o in over
                ]
        click.echo(json.dumps({**head, **figures.as_json()}, indent=2))
        return
    if cash_up is not None:
        click.echo(
            f"Z report {z_no:04d}  {till}  {start:%Y-%m-%d %H:%M} to {closed:%Y-%m-%d %H:%M}"
            "  (closed)"
        )
        click.echo("-" * 44)
        audit_line = cash_up.audit_line()
        for line in [*cash_up.cash_up_lines(), "", *([audit_line, ""] if audit_line else [])]:
            click.echo(line)
    else:
        click.echo(f"X report  {till}  {day.isoformat()}  (closes nothing)")
        click.echo("-" * 44)
    for line in figures.lines():
        click.echo(line)
    click.echo("")
    click.echo(f"Takings by hour (local time, {utc_offset(start)})")
    hours = [(h, t) for h, t in enumerate(local_hours(figures.takings_by_utc_hour, start)) if t]
    top = max((t for _, t in hours), default=0)
    for hour, takings in hours:
        bar = "#" * (round(20 * takings / top) if top > 0 else 0)
        click.echo(f"  {hour:02d}:00  {format_money(takings):>10}  {bar}")
    if not hours:
        click.echo("  no sales")
    if over:
        click.echo("")
        click.echo("Coupons used over their limit while the till was offline")
        for o in over:
            click.echo(
                f"  {o.code}  {printable(o.rule)}  receipt {o.receipt_no:04d}  "
                f"{o.at.astimezone():%H:%M}  {o.why}"
            )


def _print_copy(
    ctx: click.Context, database: Database, path: DbTarget, till: str, cash_up: CashUp
) -> None:
    """A copy of ``cash_up``'s Z report on the ``printer`` setting's printer; once it
    printed, a ``z_copy`` entry in the audit log (as the reprint of a receipt)."""
    from pos.auth.service import anchor_audit
    from pos.db.repositories import SettingsRepository
    from pos.domain.report_print import PrintHead
    from pos.services.printing import PrinterError, ReceiptPrinter
    from pos.services.report_prints import z_report_text
    from pos.services.store import StoreSettings

    z_no = cash_up.day.z_no or 0
    s = StoreSettings.load(SettingsRepository(database))
    printer = ReceiptPrinter(s.printer)
    if not printer.configured:
        raise click.ClickException(
            f"Z report {z_no:04d} not printed: no printer is set up (pos settings set printer "
            "host:port, or a device or file path)"
        )
    head = PrintHead(s.store_name, till, s.receipt_width, s.receipt_header, s.demo)
    try:
        printer.print(z_report_text(cash_up, head, copy=True), open_drawer=False)
    except PrinterError as exc:
        raise click.ClickException(
            f"Z report {z_no:04d} not printed: {exc}; nothing was changed, try again"
        ) from None
    log = audit_log(database, path, ctx)
    log.append("z_copy", cli_actor(), {"z": z_no})
    anchor_audit(log)
    click.echo(f"Copy of Z report {z_no:04d} of {printable(till)} printed on {s.printer}")

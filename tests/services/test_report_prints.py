"""Printed X and Z reports (issue 21, item 5): text snapshots at the printer's width, the
bytes through python-escpos's Dummy printer, copies of past Z reports and bad numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from escpos.printer import Dummy

from pos.auth.guard import LoginRequired
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.report_print import table
from pos.services.container import Services, build_services
from pos.services.printing import PrinterError, ReceiptPrinter
from pos.services.report_prints import ZRefused, find_z
from tests.conftest import CASHIER, FAST_HASHER, MANAGER
from tests.sales import sell

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50
CUT = b"\x1dV"
DRAWER = b"\x1bp"


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


@pytest.fixture
def printed(services: Services) -> list[Dummy]:
    """Every printer opened, in order: python-escpos's Dummy, which keeps the bytes."""
    opened: list[Dummy] = []

    def dummy() -> Dummy:
        opened.append(Dummy())
        return opened[-1]

    services.sales.printer = ReceiptPrinter(opener=dummy)
    return opened


def width(services: Services, characters: int, *, demo: bool = False) -> None:
    """The ``receipt_width`` setting (and the demo mark) as the till uses them now."""
    services.live.current = replace(services.live.current, receipt_width=characters, demo=demo)


def a_day(services: Services, clock: FixedClock) -> None:
    """A 50.00 float, a pen sold at 09:30, a lemon at 10:30, a paid out and a No sale."""
    services.days.open_day(5000)
    sell(services, PEN)
    clock.advance(hours=1)
    sell(services, LEMON)
    services.cash.record("paid_out", 550, "Window cleaner, and the ladder he brought")
    services.cash.record("no_sale", 0, "Check a note")


X_32 = """\
            My Shop
Till 1                  X REPORT
2026-03-14 10:30    Demo Manager
Day opened      2026-03-14 09:30
--------------------------------
Sales                          2
Gross takings               1.70
Discounts given             0.00
Manual discounts            0.00
  count                        0
Refunds                     0.00
Net                         1.70
Voids                          0
Overrides                      0
--------------------------------
By tender
  Cash                      1.70
  Card                      0.00
--------------------------------
Cash movements
  Paid in                   0.00
  Paid out                  5.50
  Pickups                   0.00
  No sales                     1
    by 9001                    1
10:30 Paid out              5.50
  9001: Window cleaner, and the
  ladder he brought
10:30 No sale
  9001: Check a note
--------------------------------
Cash in drawer
  Float                    50.00
  Expected                 46.20
--------------------------------
By VAT rate
Rate              Net  VAT Gross
0%               0.50 0.00  0.50
20%              1.00 0.20  1.20
--------------------------------
By operator
Operator     Sales Total Refunds
9001             2  1.70    0.00
--------------------------------
Takings by hour
  09:00                     1.20
  10:00                     0.50
--------------------------------
X report: it closes nothing
"""


def test_the_x_report_prints_fitted_to_a_58_mm_printer(
    services: Services, clock: FixedClock, printed: list[Dummy]
) -> None:
    """A text snapshot of the X report at 32 characters, then its bytes as sent: the
    text, the cut, and no drawer kick (a report opens no drawer)."""
    a_day(services, clock)
    width(services, 32)
    job = services.reports.x_job()
    assert job.text == X_32
    assert not job.open_drawer
    job.send()
    out = printed[0].output
    assert b"Till 1                  X REPORT\n" in out
    assert out.index(b"X report: it closes nothing") < out.index(CUT)
    assert DRAWER not in out
    assert [e.event for e in services.audit.entries()][-1] == "no_sale"  # an X is no event


Z_42 = """\
           DEMO - NOT A RECEIPT
                 My Shop
Till 1                       Z REPORT 0001
Day opened                2026-03-14 09:30
Day closed                2026-03-14 18:30
------------------------------------------
Cash-up
  Float                              50.00
  Cash takings                        1.70
  Cash refunds                        0.00
  Paid in                             0.00
  Paid out                            5.50
  Pickups                             0.00
  Expected                           46.20
  Counted                            46.00
  Difference                   -0.20 short
------------------------------------------
Sales                                    2
Gross takings                         1.70
Discounts given                       0.00
Manual discounts                      0.00
  count                                  0
Refunds                               0.00
Net                                   1.70
Voids                                    0
Overrides                                0
------------------------------------------
By tender
  Cash                                1.70
  Card                                0.00
------------------------------------------
Cash movements
  Paid in                             0.00
  Paid out                            5.50
  Pickups                             0.00
  No sales                               1
    by 9001                              1
10:30 Paid out                        5.50
  9001: Window cleaner, and the ladder he
  brought
10:30 No sale
  9001: Check a note
------------------------------------------
By VAT rate
Rate                        Net  VAT Gross
0%                         0.50 0.00  0.50
20%                        1.00 0.20  1.20
------------------------------------------
By operator
Operator               Sales Total Refunds
9001                       2  1.70    0.00
------------------------------------------
Takings by hour
  09:00                               1.20
  10:00                               0.50
------------------------------------------
Audit log head
{entry}
  Hash                    {digest}
------------------------------------------
Z report: the day is closed
           DEMO - NOT A RECEIPT
"""


def test_the_z_report_prints_with_the_audit_chain_head(
    services: Services, clock: FixedClock, printed: list[Dummy]
) -> None:
    """A text snapshot of the Z report at 42 characters on a demo database: the cash-up,
    the figures, and the audit log's head when the day closed (its ``z_report`` entry),
    as ``pos report --z 1`` and ``pos audit verify`` show it (16 characters of the hash)."""
    a_day(services, clock)
    width(services, 42, demo=True)
    clock.advance(hours=8)
    cash_up = services.days.close_day(4600)
    head = services.audit.head()
    assert head is not None
    assert cash_up.audit_head == head
    job = services.reports.z_job(cash_up)
    assert job is not None
    assert job.text == Z_42.format(entry=f"  Entry{head[0]:>35}", digest=head[1][:16])
    assert job.after_printed is None  # the Z itself: the close is its audit entry
    job.send()
    assert b"Z REPORT 0001" in printed[0].output
    assert CUT in printed[0].output


@pytest.mark.parametrize("characters", [32, 42, 48])
def test_every_printed_line_fits_the_paper(
    services: Services, clock: FixedClock, printed: list[Dummy], characters: int
) -> None:
    a_day(services, clock)
    receipt = sell(services, PEN, cash=5000).receipt_no
    line = (services.refunds.lines(receipt) or [])[0].line_no
    services.refunds.refund(receipt, {line: 1}, "cash", reason="Faulty")
    services.cash.record("pickup", 2000, "Safe drop " + "S" * 50)  # one word of 50
    width(services, characters, demo=True)
    x = services.reports.x_job().text
    z = services.reports.z_job(services.days.close_day(12345))
    assert z is not None
    copy = services.reports.z_copy(1).text
    for text in (x, z.text, copy):
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= characters
        assert max(len(line) for line in lines) >= characters - 1  # right to the edge
    assert "Refunds" in x
    assert "Pickups" in z.text
    for text in (x, z.text):  # the refunds by reason (issue 21 item 7), on paper too
        assert "Refunds by reason" in text
        assert "Faulty" in text
        assert "Manual discounts" in text  # apart from the promotions (item 8)


def test_a_table_too_wide_for_the_paper_gives_its_first_column_a_line() -> None:
    rows = [("Operator 9001 the long name", "12", "1234.50", "10.00")]
    narrow = table(("Operator", "Sales", "Total", "Refunds"), rows, 32)
    assert narrow == [
        "Operator",
        pad("Sales   Total Refunds", 32),
        "Operator 9001 the long name",
        pad("12 1234.50   10.00", 32),
    ]
    assert table(("Rate", "Net"), [("20%", "1.00")], 32) == [
        "Rate" + " " * 24 + " Net",
        "20%" + " " * 25 + "1.00",
    ]


def pad(text: str, characters: int) -> str:
    return " " * (characters - len(text)) + text


def test_a_copy_of_a_past_z_is_marked_and_audited_once_printed(
    services: Services, clock: FixedClock, printed: list[Dummy]
) -> None:
    a_day(services, clock)
    first = services.days.close_day(4620)
    services.days.open_day(0)
    sell(services, PEN)
    services.days.close_day(120)
    assert services.reports.last_z() == 2
    job = services.reports.z_copy(1)
    lines = job.text.splitlines()
    assert lines[0].strip() == lines[-1].strip() == "*** COPY ***"
    assert "Z REPORT 0001" in job.text
    assert "  Difference                    0.00 exact" in lines
    original = services.reports.z_job(first)
    assert original is not None
    assert job.text.splitlines()[1:-1] == original.text.splitlines()  # the same report
    before = [e.event for e in services.audit.entries()]
    job.send()
    assert [e.event for e in services.audit.entries()] == before  # not yet: the caller's
    assert job.after_printed is not None
    job.after_printed()
    entry = list(services.audit.entries())[-1]
    assert (entry.event, entry.operator, entry.details) == ("z_copy", "9001", '{"z":1}')
    assert b"*** COPY ***" in printed[0].output


def test_a_printer_fault_loses_no_z_and_it_prints_again(
    services: Services, clock: FixedClock
) -> None:
    """Saved first, then printed: a printer that fails leaves the day closed, and the Z
    prints again (a copy) once the printer is back."""

    class OutOfPaper(Dummy):
        def _raw(self, msg: bytes) -> None:
            raise OSError("out of paper")

    services.sales.printer = ReceiptPrinter(opener=OutOfPaper)
    a_day(services, clock)
    cash_up = services.days.close_day(4620)
    job = services.reports.z_job(cash_up)
    assert job is not None
    with pytest.raises(PrinterError, match="out of paper"):
        job.send()
    current = services.days.current()
    assert current is not None
    assert current.z_no == 1
    assert not current.open
    working = Dummy()
    services.sales.printer = ReceiptPrinter(opener=lambda: working)
    services.reports.x_job().send()  # the screen shows the closed day: F2 prints its copy
    assert b"*** COPY ***" in working.output
    assert b"Z REPORT 0001" in working.output


def test_no_printer_and_no_permission_are_refused_with_what_to_do(
    services: Services, clock: FixedClock
) -> None:
    a_day(services, clock)
    cash_up = services.days.close_day(4620)
    assert services.reports.z_job(cash_up) is None  # no printer: the close said so
    with pytest.raises(PrinterError, match=r"no printer is set up \(pos settings set printer"):
        services.reports.x_job()
    with pytest.raises(PrinterError, match="no printer"):
        services.reports.z_copy(1)
    services.sales.printer = ReceiptPrinter(opener=Dummy)
    services.guard.logout()
    services.sessions.login(*CASHIER)
    with pytest.raises(PrinterError) as refused:
        services.reports.z_copy(1)
    assert "supervisors and managers" in str(refused.value)
    with pytest.raises(PrinterError):
        services.reports.x_job()
    services.guard.logout()
    with pytest.raises(LoginRequired):
        services.reports.z_copy(1)


def test_a_bad_z_number_says_which_ones_there_are(services: Services, clock: FixedClock) -> None:
    db, till = services.db, "Till 1"
    with pytest.raises(ZRefused, match="Till 1 has no Z report 0001: it has none yet"):
        find_z(db, till, "1")
    with pytest.raises(ZRefused, match="'abc' is not a number: Till 1 has no Z report yet"):
        find_z(db, till, "abc")
    a_day(services, clock)
    services.days.close_day(4620)
    services.days.open_day(0)
    sell(services, PEN)
    services.days.close_day(120)
    services.days.open_day(0)  # day 3 is open
    assert find_z(db, till, " 0002 ").day.z_no == 2
    assert services.reports.check_z("1") == 1
    for bad, said in [
        ("abc", "Z report 'abc' is not a number: give the number of a closed day's Z report "
         "(1 to 2)"),
        ("0", "Z report '0' is not a number"),
        ("", "Z report 'nothing' is not a number"),
        ("-1", "Z report '-1' is not a number"),
        ("3", "Z report 0003 is the day still open: it prints when the day is closed; or give "
         "the number of a closed day's Z report (1 to 2)"),
        ("9", "Till 1 has no Z report 0009: give the number of a closed day's Z report (1 to 2)"),
    ]:  # fmt: skip
        with pytest.raises(ZRefused) as refused:
            services.reports.check_z(bad)
        assert str(refused.value).startswith(said), (bad, str(refused.value))

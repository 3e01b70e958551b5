"""Refund reasons and refunds without a receipt (issue 21, items 6 and 7): every refund
takes a listed reason; a refund without a receipt pays back at most today's price, is a
manager's (or approved), stays under the till's daily limit, and is counted apart in the
X and Z reports and their JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pos.auth.roles import scopes_for
from pos.cli import cli
from pos.db import models as m
from pos.db.database import open_database
from pos.db.errors import bound
from pos.db.repositories import SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.returns import ReturnLine
from pos.services.container import Services, build_services
from pos.services.outcomes import Outcome
from pos.services.refunds import RefundFailed
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin
from tests.sales import sell

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"  # 1.20, VAT 20%
LEMON = "5000000000012"  # 0.50
BANANAS_LABEL = "2100001012502"  # bananas, 0.85 a kg, 1.250 kg on the label
SUPERVISOR = ("2001", "4826")


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def item(services: Services, code: str, qty: int = 1) -> ReturnLine:
    found = services.returns.item(code, qty)
    assert isinstance(found, ReturnLine), found
    return found


def refunds(services: Services) -> list[tuple[Any, ...]]:
    with bound(services.db):
        r = m.Refund
        query = r.select(r.receipt_no, r.sale, r.method, r.total, r.reason, r.operator, r.approver)
        return [tuple(row) for row in query.order_by(r.id).tuples()]


def refund_lines(services: Services) -> list[tuple[Any, ...]]:
    with bound(services.db):
        rl = m.RefundLine
        query = rl.select(
            rl.line_no, rl.qty, rl.amount, rl.barcode, rl.name, rl.unit, rl.unit_price, rl.tax_rate
        )
        return [tuple(row) for row in query.order_by(rl.id).tuples()]


def events(services: Services) -> list[str]:
    return [entry.event for entry in services.audit.entries()]


def set_setting(demo_db: Path, key: str, value: str) -> None:
    database = open_database(demo_db)  # as pos settings set beside the till
    try:
        SettingsRepository(database).set(key, value)
    finally:
        database.close()


def test_only_managers_hold_the_scope() -> None:
    assert "refund:unreceipted" in scopes_for("manager")
    assert "refund:unreceipted" not in scopes_for("supervisor")
    assert "refund:unreceipted" not in scopes_for("cashier")


RECEIPT = """\
           DEMO - NOT A RECEIPT
                 My Shop
Till 1                         Refund 0001
2026-03-14 09:30              Demo Manager
Without a receipt
Reason: Faulty
------------------------------------------
Highlighter pen yellow x 2           -2.40
Lemons unwaxed at 0.40 x 3           -1.20
------------------------------------------
REFUNDED                             £3.60
Paid back by cash                    £3.60
           DEMO - NOT A RECEIPT
"""
"""A refund without a receipt, as printed (a lower price shown on its line)."""


def test_a_manager_refunds_without_a_receipt(services: Services) -> None:
    lines = [item(services, PEN, 2), item(services, LEMON, 3).priced(40)]
    done = services.returns.refund(lines, "cash", "faulty")  # the listed reason, any case
    assert (done.receipt_no, done.amount, done.method) == (1, 360, "cash")
    assert refunds(services) == [(1, None, "cash", 360, "Faulty", MANAGER[0], None)]
    assert refund_lines(services) == [
        (1, 2, 240, PEN, "Highlighter pen yellow", "each", 120, 2000),
        (2, 3, 120, LEMON, "Lemons unwaxed", "each", 40, 0),
    ]
    assert events(services)[-1] == "refund_unreceipted"
    figures = services.sales.x_report()[1]
    assert (figures.refunds, figures.cash_refunds, figures.net) == (360, 360, -360)
    assert figures.unreceipted == {"cash": (1, 360)}
    assert figures.refund_reasons == {"Faulty": (1, 360)}
    # the pens' VAT comes off the 20% rate, from the refund lines' own rate
    assert [(r, n, v, g) for r, n, v, g in figures.vat] == [
        (0, -120, 0, -120),
        (2000, -200, -40, -240),
    ]
    data = figures.as_json()
    assert data["unreceipted_refunds"] == {
        "count": 1,
        "amount": "3.60",
        "cash": "3.60",
        "card": "0.00",
    }
    assert data["refund_reasons"] == {"Faulty": {"count": 1, "amount": "3.60"}}
    lines_shown = figures.lines()
    assert "  Faulty                 1        3.60" in lines_shown
    assert "  Without a receipt      1        3.60" in lines_shown
    history = services.sales.history("")
    assert [(row.receipt_no, row.unreceipted, row.total) for row in history] == [(1, True, -360)]


def test_receipt_snapshot(services: Services) -> None:
    """The refund receipt as text, whole (the demo database marks it DEMO), and as kept."""
    lines = [item(services, PEN, 2), item(services, LEMON, 3).priced(40)]
    done = services.returns.refund(lines, "cash", "Faulty")
    assert done.receipt_text == RECEIPT
    assert services.sales.receipt(1) == RECEIPT


def test_a_lower_price_is_taken_never_a_higher_one(services: Services) -> None:
    pen = item(services, PEN)
    assert pen.priced(100).amount == 100
    assert pen.priced(120).price is None  # today's price: nothing lowered
    for price, message in ((121, "more than today's price"), (0, "above 0.00"), (-5, "above 0")):
        with pytest.raises(ValueError, match=message):
            pen.priced(price)
    forged = ReturnLine(PEN, PEN, "Highlighter pen yellow", "each", 999, 1, 2000)
    with pytest.raises(RefundFailed, match="more than today's price"):  # today read again
        services.returns.refund([forged.priced(500)], "cash", "Faulty")
    assert refunds(services) == []


@pytest.mark.parametrize(
    ("lines", "method", "reason", "message"),
    [
        ([], "cash", "Faulty", "Scan or find what comes back first"),
        (None, "cash", "", "needs a reason: choose one of 1 Faulty"),
        (None, "cash", "Bored of it", "Choose one of the refund reasons"),
        (None, "cash", "99", "Choose one of the refund reasons"),
        (None, "cheque", "Faulty", "Refund to cash or card"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    services: Services, lines: list[ReturnLine] | None, method: str, reason: str, message: str
) -> None:
    before = events(services)
    chosen = [item(services, PEN)] if lines is None else lines
    with pytest.raises(RefundFailed, match=message):
        services.returns.refund(chosen, method, reason)
    assert refunds(services) == []
    assert events(services) == before


def test_an_unknown_barcode_or_a_weighed_item_without_its_label(services: Services) -> None:
    unknown = services.returns.item("4000000000006")
    assert isinstance(unknown, Outcome)
    assert unknown.error
    assert "No product with barcode" in unknown.message
    bare = services.returns.item("2100001000004")  # the bananas' own code: no weight
    assert isinstance(bare, Outcome)
    assert "scan the label with its weight" in bare.message
    bananas = item(services, BANANAS_LABEL)
    assert (bananas.unit, bananas.qty, bananas.amount) == ("kg", 1250, 106)  # 0.85 x 1.25
    done = services.returns.refund([bananas], "card", "Damaged")
    assert done.amount == 106
    assert "Bananas loose x 1.250kg" in done.receipt_text


def test_the_daily_limit_per_till(services: Services, demo_db: Path) -> None:
    set_setting(demo_db, "max_unreceipted_refunds", "2.00")
    assert services.take_up_settings() == {"max_unreceipted_refunds"}  # live: no restart
    assert services.returns.left_today() == 200
    services.returns.refund([item(services, PEN)], "cash", "Faulty")
    assert services.returns.left_today() == 80
    with pytest.raises(RefundFailed, match=r"over this till's limit of 2\.00 \(0\.80 left\)"):
        services.returns.refund([item(services, PEN)], "cash", "Faulty")
    with pytest.raises(RefundFailed, match="a manager raises max_unreceipted_refunds"):
        services.returns.refund([item(services, PEN, 2)], "card", "Faulty")
    assert len(refunds(services)) == 1
    services.returns.refund([item(services, LEMON)], "cash", "Faulty")  # 0.50 fits
    # a refund of a sale is not counted against it
    sold = sell(services, PEN)
    line = (services.refunds.lines(sold.receipt_no) or [])[0].line_no
    services.refunds.refund(sold.receipt_no, {line: 1}, "cash", reason="Wrong size")
    assert services.returns.left_today() == 30
    set_setting(demo_db, "max_unreceipted_refunds", "0.00")  # none on this till
    services.take_up_settings()
    with pytest.raises(RefundFailed, match="limit of 0.00"):
        services.returns.refund([item(services, LEMON)], "cash", "Faulty")


def test_a_closed_day_takes_no_refund(services: Services) -> None:
    sell(services, PEN, cash=500)
    services.days.close_day(120)
    with pytest.raises(RefundFailed, match="closed by Z report 0001"):
        services.returns.refund([item(services, PEN)], "cash", "Faulty")
    assert len(refunds(services)) == 0


def test_a_cashier_or_supervisor_needs_a_manager_s_approval(services: Services) -> None:
    shell_admin(services).add(SUPERVISOR[0], "Sam Supervisor", "supervisor", SUPERVISOR[1])
    services.guard.logout()
    services.sessions.login(*SUPERVISOR)
    lines = [item(services, PEN)]
    with pytest.raises(RefundFailed, match="needs a manager's approval"):
        services.returns.refund(lines, "cash", "Faulty")
    services.guard.logout()
    services.sessions.login(*CASHIER)
    action = services.returns.action(lines, "cash", "Faulty")
    token = services.approvals.grant(
        *MANAGER, requester=CASHIER[0], scope="refund:unreceipted", action=action
    )
    for other in (
        ([item(services, PEN)], "card", "Faulty"),  # another method
        ([item(services, PEN)], "cash", "Damaged"),  # another reason
        ([item(services, PEN, 2)], "cash", "Faulty"),  # more of it
        ([item(services, PEN).priced(119)], "cash", "Faulty"),  # another price
    ):
        with pytest.raises(RefundFailed, match="another action"):
            services.returns.refund(*other, approval=token)
    done = services.returns.refund(lines, "cash", "Faulty", approval=token)
    assert "Approved by 9001" in done.receipt_text
    assert refunds(services) == [(1, None, "cash", 120, "Faulty", CASHIER[0], MANAGER[0])]
    assert events(services)[-2:] == ["override", "refund_unreceipted"]
    with pytest.raises(RefundFailed):  # used up
        services.returns.refund(lines, "cash", "Faulty", approval=token)


def test_every_refund_of_a_sale_has_a_listed_reason(services: Services) -> None:
    sold = sell(services, PEN, LEMON)
    pen, lemon = (line.line_no for line in services.refunds.lines(sold.receipt_no) or [])
    with pytest.raises(RefundFailed, match="needs a reason"):
        services.refunds.refund(sold.receipt_no, {pen: 1}, "cash", reason=" ")
    with pytest.raises(RefundFailed, match="Choose one of the refund reasons"):
        services.refunds.refund(sold.receipt_no, {pen: 1}, "cash", reason="Because")
    assert refunds(services) == []
    assert services.refunds.reason("2") == "Wrong size"
    done = services.refunds.refund(sold.receipt_no, {pen: 1}, "cash", reason="2")
    assert "For sale 0001\nReason: Wrong size\n" in done.receipt_text
    services.refunds.refund(sold.receipt_no, {lemon: 1}, "card", reason="Wrong size")
    figures = services.sales.x_report()[1]
    assert figures.refund_reasons == {"Wrong size": (2, 170)}
    assert figures.unreceipted == {}
    assert figures.as_json()["unreceipted_refunds"] == {
        "count": 0,
        "amount": "0.00",
        "cash": "0.00",
        "card": "0.00",
    }


def test_the_z_cash_up_counts_refunds_without_a_receipt(services: Services) -> None:
    services.days.open_day(1000)
    sell(services, PEN, cash=500)  # 1.20 in
    services.returns.refund([item(services, LEMON, 2)], "cash", "Changed mind")  # 1.00 out
    services.returns.refund([item(services, PEN)], "card", "Faulty")  # not from the drawer
    services.cash.record("paid_in", 200, "Float top-up")
    cash_up = services.days.close_day(1000 + 120 - 100 + 200)
    assert cash_up.day.expected == 1220
    assert cash_up.difference == 0
    assert "    no receipt            1.00" in cash_up.cash_up_lines()
    assert cash_up.cash_up_json()["unreceipted_cash_refunds"] == "1.00"
    assert cash_up.figures.unreceipted == {"cash": (1, 100), "card": (1, 120)}
    assert cash_up.figures.refund_reasons == {"Changed mind": (1, 100), "Faulty": (1, 120)}


def test_pos_report_json_has_the_new_figures(services: Services, demo_db: Path) -> None:
    services.returns.refund([item(services, PEN)], "card", "Faulty")
    services.close()
    result = CliRunner().invoke(
        cli, ["report", "--db", str(demo_db), "--date", "2026-03-14", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["unreceipted_refunds"] == {
        "count": 1,
        "amount": "1.20",
        "cash": "0.00",
        "card": "1.20",
    }
    assert data["refund_reasons"] == {"Faulty": {"count": 1, "amount": "1.20"}}


def test_bad_settings_are_refused() -> None:
    from pos.services.store import validate_setting

    assert validate_setting("max_unreceipted_refunds", "250") == "250.00"
    assert validate_setting("max_unreceipted_refunds", "0") == "0.00"
    for bad in ("-1", "abc", ""):
        with pytest.raises(ValueError, match="max_unreceipted_refunds"):
            validate_setting("max_unreceipted_refunds", bad)
    assert validate_setting("refund_reasons", "Faulty | Too small") == "Faulty|Too small"
    for bad in ("", "none", "A|" + "x" * 61, "|".join("abcdefghij")):
        with pytest.raises(ValueError, match="refund_reasons"):
            validate_setting("refund_reasons", bad)


VAT_ADDED_RECEIPT = """\
------------------------------------------
Highlighter pen yellow x 1           -1.20
------------------------------------------
VAT                                  -0.24
REFUNDED                             £1.44
Paid back by cash                    £1.44
------------------------------------------
VAT                        Net   VAT Gross
20%                      -1.20 -0.24 -1.44
"""
"""A refund without a receipt of a pen when prices exclude VAT, from its lines down."""


@pytest.fixture
def vat_added(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    """A till whose prices exclude VAT (``tax_inclusive`` no): VAT is added at the till."""
    set_setting(demo_db, "tax_inclusive", "no")
    set_setting(demo_db, "max_unreceipted_refunds", "2.00")
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def test_prices_without_vat_pay_back_the_vat_too(vat_added: Services) -> None:
    """A pen is 1.20 before VAT, 1.44 with it: a refund without a receipt pays back what a
    refund of a sold pen does, its receipt shows the VAT as the sale's does, and the report
    takes back exactly the sale's VAT."""
    services = vat_added
    sold = sell(services, PEN, cash=144)  # exactly the 1.44 due
    assert sold.change == 0
    pen = item(services, PEN)
    assert (pen.unit_price, pen.vat, pen.amount) == (120, 24, 144)
    done = services.returns.refund([pen], "cash", "Faulty")
    assert done.amount == 144
    assert refunds(services) == [(2, None, "cash", 144, "Faulty", MANAGER[0], None)]
    assert refund_lines(services) == [(1, 1, 144, PEN, "Highlighter pen yellow", "each", 120, 2000)]
    # as the sale's receipt: the price before VAT, the VAT added, the VAT table
    assert VAT_ADDED_RECEIPT in done.receipt_text
    # the day's limit counts what was paid back, VAT and all
    assert services.returns.left_today() == 56
    with pytest.raises(RefundFailed, match=r"1\.44 would take .* limit of 2\.00 \(0\.56 left\)"):
        services.returns.refund([item(services, PEN)], "cash", "Faulty")
    # the sale and its refund without a receipt net to nothing, at 20% too
    figures = services.sales.x_report()[1]
    assert figures.vat == [(2000, 0, 0, 0)]
    assert (figures.refunds, figures.unreceipted) == (144, {"cash": (1, 144)})
    assert figures.as_json()["vat"] == [
        {"rate": "20", "net": "0.00", "vat": "0.00", "gross": "0.00"}
    ]
    # a refund by receipt of a sold pen pays back the same, and takes back the same VAT
    again = sell(services, PEN, cash=144)
    line = (services.refunds.lines(again.receipt_no) or [])[0].line_no
    by_receipt = services.refunds.refund(again.receipt_no, {line: 1}, "cash", reason="Faulty")
    assert by_receipt.amount == done.amount
    assert services.sales.x_report()[1].vat == [(2000, 0, 0, 0)]


def test_prices_with_vat_are_paid_back_as_they_are(services: Services) -> None:
    """The default (``tax_inclusive`` yes): the price is all that is paid back, and the
    receipt has no VAT lines."""
    pen = item(services, PEN)
    assert (pen.vat, pen.amount) == (0, 120)
    done = services.returns.refund([pen], "cash", "Faulty")
    assert done.amount == 120
    assert "VAT" not in done.receipt_text

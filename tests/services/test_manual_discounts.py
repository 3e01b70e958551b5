"""Cashier discounts (issue 21, item 8) through the services: each role's cap, a
manager's approval above it, refusals that change nothing, the cart kept across a
restart, the sale's receipt, its refunds and the reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pos.auth.guard import LoginRequired
from pos.auth.roles import scopes_for
from pos.cli import cli
from pos.db import models as m
from pos.db.database import open_database
from pos.db.errors import bound
from pos.db.repositories import SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.manual_discounts import LINE, SALE
from pos.services.container import Services, build_services
from pos.services.manual_discounts import SCOPE, DiscountRefused
from pos.services.store import validate_setting
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin
from tests.sales import sell

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

MILK = "5010000123451"  # 1.45, no deal
PEN = "4006381333931"  # 1.20 at 20% VAT; 20p off two
BREAD = "5010222129514"  # 1.35
SUPERVISOR = ("2001", "4826")


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    """The demo shop (its deals too), a manager logged in."""
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def as_operator(services: Services, who: tuple[str, str], role: str | None = None) -> None:
    if role is not None:
        shell_admin(services).add(who[0], f"A {role}", role, who[1])
    services.guard.logout()
    services.sessions.login(*who)


def scan(services: Services, *codes: str) -> None:
    for code in codes:
        assert not services.checkout.submit(code).error


def saved(services: Services) -> list[tuple[Any, ...]]:
    with bound(services.db):
        d = m.CartDiscount
        query = d.select(d.line_no, d.kind, d.value, d.reason, d.operator, d.approver)
        ordered = query.order_by(d.line_no)
        return [tuple(row) for row in ordered.tuples()]


def events(services: Services) -> list[str]:
    return [entry.event for entry in services.audit.entries()]


def test_managers_approve_over_the_cap() -> None:
    assert SCOPE in scopes_for("manager")
    assert SCOPE not in scopes_for("supervisor") + scopes_for("cashier")


def test_a_manager_gives_a_line_and_a_sale_discount(services: Services) -> None:
    scan(services, MILK, PEN)
    give = services.manual_discounts.give
    done = give(1, "10%", "1")  # the reason by its number
    assert not done.error, done.message
    assert done.message == "Discount 10% (Damaged) on Semi-skimmed milk 2 pints: -0.15"
    assert not give(None, "5", "staff").error  # 5% off the sale, the reason in any case
    priced = services.checkout.priced
    assert [(d.kind, d.name, d.amount) for d in priced.discounts] == [
        (LINE, "Discount 10% (Damaged)", 15),
        (SALE, "Sale discount 5% (Staff)", 13),  # 5% of 2.50, half up
    ]
    assert priced.total == 265 - 28
    assert saved(services) == [
        (0, "percent", 500, "Staff", MANAGER[0], None),
        (1, "percent", 1000, "Damaged", MANAGER[0], None),
    ]
    assert events(services)[-2:] == ["manual_discount", "manual_discount"]


def test_the_cart_keeps_its_discounts_across_a_restart(
    services: Services, shop_db: Path, clock: FixedClock
) -> None:
    scan(services, MILK)
    assert not services.manual_discounts.give(1, "0.45", "Price match").error
    services.close()  # as a crash would leave it: the cart is in the database
    again = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        assert again.checkout.priced.total == 100
        assert again.checkout.priced.discounts[-1].name == "Discount (Price match)"
    finally:
        again.close()


def test_a_cashier_asks_a_manager_for_any_discount(services: Services) -> None:
    as_operator(services, CASHIER)
    scan(services, MILK)
    offer = services.manual_discounts.offer(1, "10%", "Damaged")
    assert offer.needs_approval  # a cashier's cap is 0%
    refused = services.manual_discounts.give(1, "10%", "Damaged")
    assert refused.error
    assert refused.message == "10% is over your limit of 0%: a manager must approve it"
    action = services.manual_discounts.action(offer)
    token = services.approvals.grant(*MANAGER, requester=CASHIER[0], scope=SCOPE, action=action)
    other = services.manual_discounts.give(1, "20%", "Damaged", token)  # bound to 10%
    assert other.error
    assert "another action" in other.message
    done = services.manual_discounts.give(1, "10%", "Damaged", token)
    assert not done.error, done.message
    assert saved(services) == [(1, "percent", 1000, "Damaged", CASHIER[0], MANAGER[0])]
    assert events(services)[-2:] == ["override", "manual_discount"]
    again = services.manual_discounts.give(1, "10%", "Damaged", token)
    assert again.error  # used up


def test_a_supervisor_gives_up_to_ten_percent(services: Services) -> None:
    as_operator(services, SUPERVISOR, "supervisor")
    scan(services, MILK)
    give = services.manual_discounts.give
    assert not give(1, "10%", "Damaged").error
    assert not give(1, "0.14", "Damaged").error  # 9.66% of 1.45: the line's new discount
    over = give(1, "0.15", "Damaged")  # 10.35%
    assert over.message == "10.35% is over your limit of 10%: a manager must approve it"
    assert saved(services) == [(1, "amount", 14, "Damaged", SUPERVISOR[0], None)]
    assert not services.checkout.void_cart().error  # settings change between sales
    assert saved(services) == []
    key = "max_discount_percent_supervisor"
    database = open_database(services.db_path)  # as pos settings set beside the till
    try:
        SettingsRepository(database).set(key, validate_setting(key, "12.5"))
    finally:
        database.close()
    assert services.take_up_settings() == {"discount_caps"}  # live: no restart
    scan(services, MILK)
    assert not give(1, "0.15", "Damaged").error


def test_a_discount_does_not_outgrow_what_was_checked_or_approved(services: Services) -> None:
    """A line's discount was checked (and perhaps approved) for what the line held then:
    a change of its quantity or price takes it off, in the same transaction, and says so;
    so does any change to the cart for a sale discount a manager approved."""
    as_operator(services, SUPERVISOR, "supervisor")  # a cap of 10%
    give = services.manual_discounts.give
    scan(services, "10*" + MILK)  # 10 x 1.45 = 14.50
    assert not give(1, "1.45", "Damaged").error  # 10% of the line, within the cap
    taken = services.checkout.error_correct(1, 9)  # down to one milk: 1.45 off would be 100%
    assert not taken.error, taken.message
    assert "its discount was taken off" in taken.message
    assert saved(services) == []
    assert services.checkout.priced.total == 145  # nothing off the one milk

    # a manager's approval of 50% off one milk does not cover the ten scanned after it
    assert not give(1, "10%", "Damaged").error
    action = services.manual_discounts.action(services.manual_discounts.offer(None, "50", "Staff"))
    token = services.approvals.grant(*MANAGER, requester=SUPERVISOR[0], scope=SCOPE, action=action)
    assert not give(None, "50", "Staff", token).error
    assert [row[0] for row in saved(services)] == [0, 1]
    more = services.checkout.submit("9*" + MILK)  # the same line: ten milks now
    assert "its discount was taken off" in more.message
    assert saved(services) == []  # the line's and the approved sale discount, both off
    assert services.checkout.priced.total == 1450
    assert not services.checkout.manual

    # within the cap, a sale discount stays as the cart grows (a percentage is within it)
    assert not give(None, "10", "Staff").error
    scan(services, BREAD)
    assert [row[0] for row in saved(services)] == [0]
    assert services.checkout.priced.total == round((1450 + 135) * 0.9)


@pytest.mark.parametrize(
    ("line_no", "typed", "reason", "says"),
    [
        (1, "150%", "Damaged", "over 100%: type a percentage of 100% or less"),
        (1, "1.46", "Damaged", "more than Semi-skimmed milk 2 pints costs after its deals (1.45)"),
        (1, "0", "Damaged", "takes nothing off"),
        (1, "-10%", "Damaged", "cannot be negative"),
        (1, "lots", "Damaged", "is not a discount"),
        (None, "2.00 off", "Staff", "is not a discount"),
        (None, "101", "Staff", "over 100%"),  # the sale's is a percentage
        (1, "10%", "", "Choose one of the reasons"),
        (1, "10%", "Because", "Choose one of the reasons"),
        (1, "10%", "9", "There is no reason 9"),
        (7, "10%", "Damaged", "Select an item line first"),
    ],
)
def test_bad_input_is_refused_and_nothing_changes(
    services: Services, line_no: int | None, typed: str, reason: str, says: str
) -> None:
    scan(services, MILK)
    with pytest.raises(DiscountRefused, match=says.replace("(", r"\(").replace(")", r"\)")):
        services.manual_discounts.offer(line_no, typed, reason)
    refused = services.manual_discounts.give(line_no, typed, reason)
    assert refused.error
    assert says in refused.message
    assert saved(services) == []
    assert services.checkout.priced.total == 145


def test_an_empty_cart_takes_no_discount(services: Services) -> None:
    assert "scan an item first" in services.manual_discounts.give(None, "10", "Staff").message


def test_a_deal_is_taken_off_first(services: Services) -> None:
    scan(services, PEN, PEN)  # 2.40 less 0.20
    offer = services.manual_discounts.offer(1, "2.20", "Damaged")
    assert (offer.amount, offer.percent) == (220, 10_000)
    with pytest.raises(DiscountRefused, match=r"costs after its deals \(2.20\)"):
        services.manual_discounts.offer(1, "2.21", "Damaged")


def test_a_voided_line_takes_its_discount_with_it(services: Services) -> None:
    scan(services, MILK, BREAD)
    give = services.manual_discounts.give
    assert not give(2, "10%", "Damaged").error
    assert not give(None, "10", "Staff").error
    assert not services.checkout.void_line(2).error
    assert saved(services) == [(0, "percent", 1000, "Staff", MANAGER[0], None)]
    assert not services.checkout.void_line(1).error  # the cart is empty: the sale's goes too
    assert saved(services) == []
    assert services.checkout.manual == {}
    scan(services, MILK)
    assert services.checkout.priced.total == 145


def test_the_session_ended_gives_nothing(services: Services) -> None:
    scan(services, MILK)
    services.guard.logout()
    with pytest.raises(LoginRequired):
        services.manual_discounts.give(1, "10%", "Damaged")
    assert saved(services) == []


def test_the_receipt_the_refund_and_the_reports(services: Services, shop_db: Path) -> None:
    scan(services, MILK, BREAD)
    assert not services.manual_discounts.give(1, "0.45", "Price match").error
    assert not services.manual_discounts.give(None, "10", "Staff").error
    done = sell(services)
    text = done.receipt_text
    start = text.index("Item ")
    assert text[start : text.index("VAT ")] == (
        "Item                       Qty Price Total\n"
        "Semi-skimmed milk 2 pints    1  1.45  1.45\n"
        "  Discount (Price match)             -0.45\n"
        "White sliced bread 800g      1  1.35  1.35\n"
        "------------------------------------------\n"
        "Items                                    2\n"
        "Subtotal                              2.80\n"
        "Sale discount 10% (Staff)            -0.24\n"  # 10% of 2.35, half up
        "TOTAL                                £2.11\n"
        "You saved                             0.69\n"
        "------------------------------------------\n"
    )
    assert saved(services) == []  # the cart is gone with the sale
    sold = services.refunds.lines(done.receipt_no) or []
    assert [(line.line_no, line.paid) for line in sold] == [(1, 90), (2, 121)]
    milk = services.refunds.refund(done.receipt_no, {1: 1}, "cash", reason="Faulty")
    assert milk.amount == 90  # what was paid for it, the discounts included
    bread = services.refunds.refund(done.receipt_no, {2: 1}, "cash", reason="Faulty")
    assert bread.amount == 121
    assert "no longer applies" not in milk.receipt_text
    figures = services.sales.x_report()[1]
    assert (figures.manual_discount_count, figures.manual_discounts) == (2, 69)
    assert figures.discounts == 0  # the promotions, apart
    assert "Manual discounts          0.69" in figures.lines()
    shown = CliRunner().invoke(
        cli, ["report", "--db", str(shop_db), "--date", "2026-03-14", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["manual_discounts"] == {"count": 2, "amount": "0.69"}
    assert report["discounts"] == "0.00"


def test_promotions_and_manual_discounts_are_counted_apart(services: Services) -> None:
    scan(services, PEN, PEN)
    assert not services.manual_discounts.give(1, "50%", "Damaged").error  # the two pens
    sell(services)
    figures = services.sales.x_report()[1]
    assert (figures.discounts, figures.manual_discounts) == (20, 110)  # 50% of 2.20
    assert figures.net == 240 - 20 - 110


def test_the_settings_are_checked() -> None:
    assert validate_setting("max_discount_percent_cashier", "5%") == "5"
    assert validate_setting("discount_reasons", "none") == "none"
    for bad in ("101", "-1", "ten", "1.234"):
        with pytest.raises(ValueError, match="percentage from 0 to 100"):
            validate_setting("max_discount_percent_manager", bad)

"""Refunds pay back what was paid (discounts included), never more, counting earlier ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.refunds import RefundFailed
from tests.conftest import CASHIER, FAST_HASHER, MANAGER

LEMON = "5000000000012"
PEN = "4006381333931"


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    who = built.guard.identity
    for code in (LEMON, LEMON, LEMON, PEN):  # 3 lemons for 1.30, a pen 1.20
        built.checkout.submit(code, actor=who)
    tender = built.sales.start()
    tender.cash(tender.due)
    built.sales.complete(tender)
    yield built
    built.close()


def test_refunds_share_the_discount_and_never_pay_back_more(services: Services) -> None:
    boss = services.guard.identity
    assert boss is not None
    lines = {line.name: line for line in services.refunds.lines(1) or []}
    lemons = lines["Lemons unwaxed"]
    assert (lemons.sold, lemons.paid) == (3, 130)
    first = services.refunds.refund(1, {lemons.line_no: 1}, "cash")
    assert (first.receipt_no, first.amount) == (2, 43)  # the next number in the sequence
    assert "Refund 0002" in first.receipt_text
    assert "For sale 0001" in first.receipt_text
    with pytest.raises(RefundFailed, match="at most 2"):
        services.refunds.refund(1, {lemons.line_no: 3}, "cash")
    rest = services.refunds.refund(1, {lemons.line_no: 2}, "card")
    assert rest.amount == 87  # 43 + 87 = 130: exactly what the lemons cost after the deal
    with pytest.raises(RefundFailed, match="at most 0"):
        services.refunds.refund(1, {lemons.line_no: 1}, "cash")
    figures = services.sales.x_report()[1]
    assert (figures.refunds, figures.cash_refunds, figures.net) == (130, 43, 250 - 130)


def test_a_cashier_needs_a_manager_for_a_refund(services: Services) -> None:
    services.guard.logout()
    services.sessions.login(*CASHIER)
    clerk = services.guard.identity
    assert clerk is not None
    pen = next(line for line in services.refunds.lines(1) or [] if line.name.startswith("High"))
    with pytest.raises(RefundFailed, match="needs a manager"):
        services.refunds.refund(1, {pen.line_no: 1}, "cash")
    action = services.refunds.action(1, {pen.line_no: 1}, "cash")
    token = services.approvals.grant(
        "9001", "7391", requester="1001", scope="refund", action=action
    )
    with pytest.raises(RefundFailed):  # bound to one line: not valid for another method
        services.refunds.refund(1, {pen.line_no: 1}, "card", approval=token)
    done = services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token)
    assert done.amount == 120
    events = [e.event for e in services.audit.entries()]
    assert events[-2:] == ["override", "refund"]
    with pytest.raises(RefundFailed):  # the approval is used up
        services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token)


def test_nothing_or_no_such_sale(services: Services) -> None:
    boss = services.guard.identity
    assert boss is not None
    with pytest.raises(RefundFailed, match="Choose what comes back"):
        services.refunds.refund(1, {}, "cash")
    with pytest.raises(RefundFailed, match="No sale 0009"):
        services.refunds.refund(9, {1: 1}, "cash")
    assert services.refunds.lines(9) is None


def test_a_refund_asks_the_guard_when_it_is_made(services: Services) -> None:
    """A refund that runs after a manager's approval, or after the session ended, is
    checked then: the service asks the guard, it takes no identity from the screen."""
    services.guard.logout()
    services.sessions.login(*CASHIER)
    pen = next(line for line in services.refunds.lines(1) or [] if line.name.startswith("High"))
    action = services.refunds.action(1, {pen.line_no: 1}, "cash")
    token = services.approvals.grant(
        "9001", "7391", requester="1001", scope="refund", action=action
    )
    services.operators.deactivate("1001", by="9001")  # while the manager was typing
    with pytest.raises(LoginRequired):
        services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token)
    assert services.guard.session is None
    assert [line.refunded for line in services.refunds.lines(1) or []] == [0, 0]
    events = [e.event for e in services.audit.entries()]
    assert "refund" not in events
    assert "override" not in events
    # another cashier logged in now cannot use 1001's approval either
    services.operators.add("1002", "Other Cashier", "cashier", "3690", by="9001")
    services.sessions.login("1002", "3690")
    with pytest.raises(RefundFailed, match="another action"):
        services.refunds.refund(1, {pen.line_no: 1}, "cash", approval=token)

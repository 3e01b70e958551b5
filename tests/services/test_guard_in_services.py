"""The guard lives in the services (issue 17, item 7; SECURITY.md S-07): every service
method that changes or reveals store data asks the guard itself. With no session it
refuses with LoginRequired; with a cashier's session, where the scope is missing, with
OverrideRequired; and nothing is changed either way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired, OverrideRequired
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.guarded import ShellAuthority
from pos.services.operators import OperatorError
from pos.services.outcomes import Change
from tests.conftest import CASHIER, FAST_HASHER, FIXED_NOW, MANAGER, shell_admin

PEN = "4006381333931"


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    yield built
    built.close()


def sell_one(services: Services) -> None:
    services.sessions.login(*MANAGER)
    services.checkout.submit(PEN)
    tender = services.sales.start()
    tender.cash(tender.due)
    services.sales.complete(tender)
    services.sessions.logout()


CALLS: dict[str, Callable[[Services], object]] = {
    "close_day": lambda s: s.days.close_day(100),
    "open_day": lambda s: s.days.open_day(5000),
    "x_report": lambda s: s.sales.x_report(),
    "history": lambda s: s.sales.history(""),
    "receipt": lambda s: s.sales.receipt(1),
    "search_audit": lambda s: s.search_audit(""),
    "park": lambda s: s.checkout.park(),
    "recall": lambda s: s.checkout.recall(1),
    "parked": lambda s: s.checkout.parked(),
    "submit": lambda s: s.checkout.submit(PEN),
    "find": lambda s: s.search.find("pen"),
    "refund_lines": lambda s: s.refunds.lines(1),
    "refund_quote": lambda s: s.refunds.quote(1, {1: 1}),
    "operators_add": lambda s: s.operators.add("42", "Alex", "manager", "4826"),
    "operators_set_pin": lambda s: s.operators.set_pin("1001", "4826"),
    "operators_deactivate": lambda s: s.operators.deactivate("9001"),
    "operators_unlock": lambda s: s.operators.unlock("1001"),
    "operators_list": lambda s: s.operators.all(),
    "discount_rows": lambda s: s.discount_admin.rows(),
}


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
def test_s07_with_no_session_every_service_refuses(services: Services, call: str) -> None:
    sell_one(services)
    before = services.audit.entries()
    with pytest.raises(LoginRequired):
        CALLS[call](services)
    assert [e.event for e in services.audit.entries()] == [e.event for e in before]
    assert [op.number for op in services.operators._operators.all()] == ["1001", "9001"]


MANAGERS_ONLY = (
    "close_day",
    "open_day",
    "search_audit",
    "operators_add",
    "operators_set_pin",
    "operators_deactivate",
    "operators_unlock",
    "operators_list",
)


@pytest.mark.parametrize("call", MANAGERS_ONLY)
def test_s07_a_cashier_is_refused_where_the_scope_is_missing(services: Services, call: str) -> None:
    sell_one(services)
    services.sessions.login(*CASHIER)
    with pytest.raises(OverrideRequired) as refused:
        CALLS[call](services)
    assert refused.value.identity.number == CASHIER[0]
    denied = [e for e in services.audit.entries() if e.event == "authz_denied"]
    assert len(denied) == 1  # the guard logged the refusal, once
    assert services.days.current() is not None
    assert services.days.current().open  # type: ignore[union-attr]
    assert [op.number for op in services.operators._operators.all()] == ["1001", "9001"]
    assert services.guard.session is not None  # a missing scope does not end the session


def test_s07_x_report_needs_the_reports_scope(services: Services) -> None:
    services.sessions.login(*CASHIER)
    with pytest.raises(OverrideRequired):
        services.sales.x_report()
    services.sessions.logout()
    services.sessions.login(*MANAGER)
    title, _figures, _hourly = services.sales.x_report()
    assert title.startswith("X report")


def test_s07_the_day_is_closed_by_whoever_the_guard_says(services: Services) -> None:
    sell_one(services)
    services.sessions.login(*MANAGER)
    cash_up = services.days.close_day(120)
    assert cash_up.day.z_no == 1
    z = [e for e in services.audit.entries() if e.event == "z_report"]
    assert [e.operator for e in z] == [MANAGER[0]]


def test_s07_a_cashier_scans_parks_and_recalls_as_themself(services: Services) -> None:
    services.sessions.login(*CASHIER)
    assert services.checkout.submit(PEN).change is Change.LINE
    assert services.checkout.cart.lines[0].operator == CASHIER[0]
    assert services.checkout.park().change is Change.RELOAD
    parked = services.checkout.parked()
    assert isinstance(parked, list)
    assert len(parked) == 1
    services.sessions.logout()
    with pytest.raises(LoginRequired):
        services.checkout.recall(parked[0].id)
    assert len(services.checkout.cart) == 0


def test_s07_operators_change_only_with_operators_edit_at_the_till(services: Services) -> None:
    services.sessions.login(*MANAGER)
    services.operators.add("42", "Alex", "cashier", "4826")
    added = [e for e in services.audit.entries() if e.event == "operator_added"]
    assert added[-1].operator == MANAGER[0]  # who the guard says, not who a caller says
    services.operators.deactivate("42")
    assert [e.operator for e in services.audit.entries() if e.event == "operator_deactivated"] == [
        MANAGER[0]
    ]


def test_s07_the_shell_path_needs_no_operator_login(services: Services) -> None:
    """``pos operators ...`` at a shell runs as the OS account (docs/security.md, Operators, login
    and approvals): a ShellAuthority, never the till's guard."""
    assert services.guard.session is None
    shell_admin(services, "os:shop").add("42", "Alex", "cashier", "4826")
    added = [e for e in services.audit.entries() if e.event == "operator_added"]
    assert added[-1].operator == "os:shop"
    assert ShellAuthority("os:shop").require("operators:edit").number == "os:shop"
    with pytest.raises(LoginRequired):  # the till's own admin still asks its guard
        services.operators.add("43", "Bo", "cashier", "4826")


def test_s07_the_first_manager_only_while_there_is_no_operator(empty_db: Path) -> None:
    built = build_services(
        empty_db, clock=FixedClock(FIXED_NOW), ids=SequentialIds(), hasher=FAST_HASHER
    )
    try:
        assert built.sessions.create_first_manager("9001", "Boss", "4826") is None
        again = built.sessions.create_first_manager("9002", "Other", "4826")
        assert again == "There is already an operator: log in instead"
        with pytest.raises(OperatorError, match="already an operator"):
            built.operators.add_first_manager("9003", "Third", "4826")
    finally:
        built.close()


def test_s07_a_void_after_the_session_ended_changes_nothing(services: Services) -> None:
    services.sessions.login(*MANAGER)
    services.checkout.submit(PEN)
    line_no = services.checkout.cart.lines[0].line_no
    services.sessions.logout()
    for act in (
        services.checkout.void_cart,
        lambda: services.checkout.void_line(line_no),
        lambda: services.checkout.set_price(line_no, 1),
        lambda: services.checkout.change_quantity(line_no, 1),
        lambda: services.checkout.set_quantity(line_no, "5"),
        lambda: services.checkout.error_correct(line_no, 1),
    ):
        with pytest.raises(LoginRequired):
            act()
    assert [(line.barcode, line.qty, line.unit_price) for line in services.checkout.cart] == [
        (PEN, 1, 120)
    ]

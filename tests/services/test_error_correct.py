"""Error correct: a cashier takes back the most recent scan without a manager."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.db.errors import StorageError
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.checkout import CheckoutService
from pos.services.container import Services, build_services
from pos.services.outcomes import Change
from tests.conftest import CASHIER, FAST_HASHER, MANAGER
from tests.services.test_checkout import BANANAS, LEMON, PEN, qtys

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*CASHIER)
    yield built
    built.close()


@pytest.fixture
def co(services: Services) -> CheckoutService:
    return services.checkout


def corrections(services: Services) -> list[dict[str, object]]:
    return [
        {"operator": e.operator, **json.loads(e.details)}
        for e in services.audit.entries()
        if e.event == "error_correct"
    ]


def line_no(co: CheckoutService, barcode: str) -> int:
    return next(line.line_no for line in co.cart if line.barcode == barcode)


def test_a_double_scan_is_taken_back_without_the_void_scope(
    co: CheckoutService, services: Services
) -> None:
    co.submit(PEN)
    co.submit(PEN)  # the double scan
    pen = line_no(co, PEN)
    assert co.can_error_correct(pen, 1, CASHIER[0])
    outcome = co.error_correct(pen, 1)
    assert not outcome.error
    assert outcome.change is Change.LINE
    assert outcome.message == "Error correct: 1 x Highlighter pen yellow taken back"
    assert qtys(co) == [(PEN, 1)]
    assert co.priced.total == 120
    [entry] = corrections(services)
    assert (entry["operator"], entry["line"], entry["qty"], entry["new_qty"]) == ("1001", 1, 2, 1)
    # the first scan is older: taking it back is a void, which needs the scope
    assert not co.can_error_correct(pen, 1, CASHIER[0])
    assert co.error_correct(pen, 1).error
    assert co.void_line(pen).error
    assert qtys(co) == [(PEN, 1)]


def test_del_takes_back_the_whole_scan_and_a_new_line_goes(co: CheckoutService) -> None:
    co.submit(LEMON)
    co.submit("3*" + PEN)
    pen = line_no(co, PEN)
    outcome = co.error_correct(pen, None)
    assert outcome.change is Change.REMOVED
    assert outcome.message == "Error correct: 3 x Highlighter pen yellow taken back"
    assert qtys(co) == [(LEMON, 1)]


def test_minus_takes_back_one_at_a_time_up_to_the_scan(co: CheckoutService) -> None:
    co.submit(PEN)
    co.submit("2*" + PEN)  # 1 + 2
    pen = line_no(co, PEN)
    assert not co.error_correct(pen, 1).error
    assert not co.error_correct(pen, 1).error
    assert qtys(co) == [(PEN, 1)]
    assert co.error_correct(pen, 1).error  # the first scan is not the last
    assert co.error_correct(pen, None).error


def test_a_quantity_typed_after_the_scan_is_part_of_it(co: CheckoutService) -> None:
    co.submit(PEN)
    co.submit(PEN)
    co.submit("6")  # this scan's 1 becomes 6: 1 + 6
    pen = line_no(co, PEN)
    assert qtys(co) == [(PEN, 7)]
    assert co.error_correct(pen, None).message.startswith("Error correct: 6 x")
    assert qtys(co) == [(PEN, 1)]


def test_a_weighed_scan_is_taken_back_whole(co: CheckoutService) -> None:
    co.submit(BANANAS)
    co.submit("0.85")
    bananas = line_no(co, BANANAS)
    outcome = co.error_correct(bananas, 1)  # `-` on a weighed line: all of it
    assert outcome.message == "Error correct: 0.850kg x Bananas loose taken back"
    assert qtys(co) == []


@pytest.mark.parametrize(
    "then",
    [
        "scan",  # another scan (even of another line)
        "plus",  # a quantity change
        "set",  # F4
        "void",  # a void of another line
        "price",  # a price change
        "park",  # park and recall
    ],
)
def test_anything_else_done_to_the_cart_ends_the_last_scan(
    co: CheckoutService, services: Services, then: str
) -> None:
    co.submit(LEMON)
    co.submit(PEN)
    co.submit(PEN)
    pen, lemon = line_no(co, PEN), line_no(co, LEMON)
    if then == "scan":
        co.submit(LEMON)
        assert co.can_error_correct(lemon, 1, CASHIER[0])  # that one is now the last
    elif then == "plus":
        co.change_quantity(pen, 1)
    elif then == "set":
        co.set_quantity(pen, "5")
    else:
        services.guard.logout()
        services.sessions.login(*MANAGER)
        if then == "void":
            assert not co.void_line(lemon).error
        elif then == "price":
            assert not co.set_price(pen, 100).error
        else:
            co.park()
            co.recall(co.parked()[0].id)
        services.guard.logout()
        services.sessions.login(*CASHIER)
    assert not co.can_error_correct(pen, 1, CASHIER[0])
    assert not co.can_error_correct(pen, None, CASHIER[0])
    refused = co.error_correct(pen, 1)
    assert refused.error
    assert (
        refused.message
        == "Highlighter pen yellow is not the last scan: voiding it needs the void scope"
    )


def test_esc_and_a_refused_scan_leave_it(co: CheckoutService) -> None:
    co.submit(PEN)
    co.cancel()
    assert co.submit("5012345678917").error  # unknown: the cart is unchanged
    assert co.can_error_correct(line_no(co, PEN), 1, CASHIER[0])


def test_it_does_not_survive_a_restart(demo_db: Path, clock: FixedClock) -> None:
    first = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    first.sessions.login(*CASHIER)
    first.checkout.submit(PEN)
    first.close()
    second = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        second.sessions.login(*CASHIER)
        pen = line_no(second.checkout, PEN)
        assert not second.checkout.can_error_correct(pen, 1, CASHIER[0])
        assert second.checkout.error_correct(pen, 1).error
    finally:
        second.close()


def test_only_the_operator_who_scanned_it(co: CheckoutService, services: Services) -> None:
    co.submit(PEN)
    services.guard.logout()
    services.sessions.login(*MANAGER)  # a manager takes the cart over
    pen = line_no(co, PEN)
    assert not co.can_error_correct(pen, 1, MANAGER[0])
    assert "another operator" in co.error_correct(pen, 1).message
    assert co.void_line(pen).change is Change.REMOVED  # a void, which they may


def test_the_guard_decides_who_acts(co: CheckoutService, services: Services) -> None:
    co.submit(PEN)
    services.guard.logout()
    services.sessions.login(*MANAGER)
    # the guard's operator now (the manager), not the cashier who scanned it, is acting
    refused = co.error_correct(line_no(co, PEN), 1)
    assert refused.error
    assert "scanned by another operator" in refused.message
    assert qtys(co) == [(PEN, 1)]
    services.guard.logout()
    with pytest.raises(LoginRequired):  # nobody at the till: nothing is taken back
        co.error_correct(line_no(co, PEN), 1)
    assert qtys(co) == [(PEN, 1)]


def test_not_saved_keeps_the_scan_to_take_back(
    co: CheckoutService, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    co.submit(PEN)
    co.submit(PEN)
    pen = line_no(co, PEN)

    def broken(*_args: object) -> None:
        raise StorageError("full", "database or disk is full")

    monkeypatch.setattr(type(services.checkout._carts), "save_line", broken)
    failed = co.error_correct(pen, 1)
    assert failed.message.startswith("NOT saved")
    assert qtys(co) == [(PEN, 2)]
    assert corrections(services) == []
    monkeypatch.undo()
    assert not co.error_correct(pen, 1).error
    assert qtys(co) == [(PEN, 1)]

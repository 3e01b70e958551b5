"""Age-restricted items (issue 20, item 3) without the screen: asked before the item is
added, once per sale and age, audited both ways, remembered with the cart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pos.db.repositories import ProductRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.checkout import CheckoutService
from pos.services.container import Services, build_services
from pos.services.outcomes import Change, Outcome
from tests.conftest import CASHIER, FAST_HASHER, MANAGER
from tests.services.test_checkout import BANANAS, PEN, qtys

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

WINE = "5011332159811"  # Red wine 75cl, 7.50, 18+
LAGER = "5011369160828"  # Lager 4 x 440ml, 5.25, 18+
QUESTION = "Customer 18 or over? Y / N\nRed wine 75cl is for 18 and over."


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*CASHIER)
    yield built
    built.close()


@pytest.fixture
def co(services: Services) -> CheckoutService:
    return services.checkout


def restrict(services: Services, barcode: str, age: int) -> None:
    """Give a demo product a minimum age."""
    repo = ProductRepository(services.db)
    product = repo.get(barcode)
    assert product is not None
    repo.upsert_many([replace(product, min_age=age)])


def answer(co: CheckoutService, text: str, *, yes: bool) -> Outcome:
    """Scan ``text``, which must ask the age, and answer as the screen does."""
    asked = co.submit(text)
    assert asked.age is not None, asked
    return co.answer(asked, lambda: co.submit(text), yes=yes)


def age_events(services: Services) -> list[tuple[str, str | None, dict[str, object]]]:
    return [
        (e.event, e.operator, json.loads(e.details))
        for e in services.audit.entries()
        if e.event.startswith("age_")
    ]


def saved_age_and_lines(services: Services) -> tuple[object, list[tuple[object, ...]]]:
    """The open cart as saved: its confirmed age and its lines."""
    db, cart_id = services.db, services.checkout.cart_id
    mark = db.param  # ? on SQLite, %s on PostgreSQL
    sql = f"SELECT age_checked FROM cart WHERE id = {mark}"
    (age,) = db.execute_sql(sql, (cart_id,)).fetchone()
    sql = f"SELECT barcode, qty FROM cart_line WHERE cart_id = {mark} ORDER BY line_no"
    return age, [tuple(row) for row in db.execute_sql(sql, (cart_id,)).fetchall()]


def test_a_restricted_item_asks_first_and_adds_nothing_meanwhile(
    co: CheckoutService, services: Services
) -> None:
    co.submit(PEN)
    asked = co.submit(WINE)
    assert asked.confirm == QUESTION
    assert asked.change is Change.NONE
    assert not asked.error
    assert asked.age is not None
    assert asked.age.age == 18
    # nothing unconfirmed in the saved cart (a crash now leaves only the pen)
    assert qtys(co) == [(PEN, 1)]
    assert saved_age_and_lines(services) == (None, [(PEN, 1)])
    assert age_events(services) == []


def test_yes_adds_the_item_is_audited_and_remembered(
    co: CheckoutService, services: Services
) -> None:
    done = answer(co, WINE, yes=True)
    assert done.change is Change.LINE
    assert done.message.startswith("Red wine 75cl")
    assert qtys(co) == [(WINE, 1)]
    assert co.age_checked == 18
    assert saved_age_and_lines(services) == (18, [(WINE, 1)])
    [(event, operator, details)] = age_events(services)
    assert (event, operator) == ("age_confirmed", CASHIER[0])
    assert details == {"age": 18, "barcode": WINE, "cart": co.cart_uuid, "name": "Red wine 75cl"}


def test_no_adds_nothing_says_why_and_is_audited(co: CheckoutService, services: Services) -> None:
    co.submit(PEN)
    refused = answer(co, WINE, yes=False)
    assert not refused.error
    assert refused.message == "Red wine 75cl not added: customer under 18"
    assert qtys(co) == [(PEN, 1)]
    assert co.age_checked is None
    assert saved_age_and_lines(services) == (None, [(PEN, 1)])
    [(event, operator, details)] = age_events(services)
    assert (event, operator) == ("age_refused", CASHIER[0])
    assert details == {"age": 18, "barcode": WINE, "cart": co.cart_uuid, "name": "Red wine 75cl"}
    # the wine was not added: a number typed now must not land on the pen's line
    assert co.submit("3").error
    assert qtys(co) == [(PEN, 1)]
    assert co.submit(WINE).age is not None  # asked again: nobody said yes


def test_a_yes_covers_the_same_and_lower_ages_not_higher(
    co: CheckoutService, services: Services
) -> None:
    restrict(services, PEN, 16)  # a knife, say
    restrict(services, BANANAS, 21)  # weighed, and for 21 and over
    answer(co, WINE, yes=True)
    assert not co.submit(WINE).confirm  # the same item again
    assert not co.submit(LAGER).confirm  # another of 18
    assert not co.submit(PEN).confirm  # a lower age
    asked = co.submit(BANANAS)  # a higher age: asked again, before the weight
    assert asked.age is not None
    assert asked.confirm.startswith("Customer 21 or over? Y / N")
    assert not co.awaiting_weight
    weigh = co.answer(asked, lambda: co.submit(BANANAS), yes=True)
    assert co.awaiting_weight  # now the weight
    assert "Type the weight of Bananas loose" in weigh.message
    assert not co.submit("0.5").error
    assert qtys(co) == [(WINE, 2), (LAGER, 1), (PEN, 1), (BANANAS, 500)]
    assert co.age_checked == 21
    assert [e[0] for e in age_events(services)] == ["age_confirmed", "age_confirmed"]


def test_a_lower_age_confirmed_later_never_lowers_the_one_kept(
    co: CheckoutService, services: Services
) -> None:
    restrict(services, PEN, 16)
    restrict(services, LAGER, 21)
    answer(co, PEN, yes=True)
    assert co.age_checked == 16
    answer(co, WINE, yes=False)  # under 18: the 16 stands
    assert co.age_checked == 16
    answer(co, LAGER, yes=True)  # 21
    assert co.age_checked == 21
    assert not co.submit(WINE).confirm
    assert saved_age_and_lines(services)[0] == 21


def test_a_multiplied_scan_asks_the_age_then_the_quantity(co: CheckoutService) -> None:
    text = "150*" + WINE
    asked = co.submit(text)
    assert asked.age is not None
    again = co.answer(asked, lambda: co.submit(text), yes=True)
    assert again.age is None
    assert again.confirm == "Sell 150 x Red wine 75cl on one line (more than 99)?"
    assert qtys(co) == []
    done = co.answer(again, lambda: co.submit(text), yes=True)
    assert done.change is Change.LINE
    assert qtys(co) == [(WINE, 150)]
    assert co.submit("3*" + WINE).age is None  # only the quantity is asked again


def test_the_age_is_kept_through_a_restart_and_a_park_and_recall(
    demo_db: Path, clock: FixedClock, services: Services
) -> None:
    answer(services.checkout, WINE, yes=True)
    services.close()
    again = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        again.sessions.login(*CASHIER)
        co = again.checkout
        assert co.age_checked == 18  # the same cart, after the restart
        assert not co.submit(LAGER).confirm
        assert not co.park().error
        assert co.age_checked is None  # a new cart starts with none
        assert co.submit(LAGER).age is not None
        co.cancel()
        parked = co.parked()
        assert not isinstance(parked, Outcome)
        assert not co.recall(parked[0].id).error
        assert co.age_checked == 18
        assert not co.submit(WINE).confirm
    finally:
        again.close()


def test_the_receipt_and_its_reprint_say_the_age_was_checked(services: Services) -> None:
    co = services.checkout
    answer(co, WINE, yes=True)
    tender = services.sales.start()
    tender.cash(tender.due)
    done = services.sales.complete(tender)
    assert "Age checked (18+)" in done.receipt_text.splitlines()
    assert "Age checked (18+)" in (services.sales.receipt(done.receipt_no) or "")
    assert co.age_checked is None  # the next sale starts with none
    assert co.submit(WINE).age is not None
    co.submit(PEN)
    tender = services.sales.start()
    tender.cash(tender.due)
    assert "Age checked" not in services.sales.complete(tender).receipt_text


def test_a_voided_cart_forgets_the_age_so_the_next_customer_is_asked(
    co: CheckoutService, services: Services
) -> None:
    services.sessions.login(*MANAGER)  # a manager voids without an approval
    answer(co, WINE, yes=True)
    assert co.void_cart().change is Change.RELOAD
    assert co.age_checked is None
    assert saved_age_and_lines(services) == (None, [])
    asked = co.submit(WINE).age  # asked again, nothing added meanwhile
    assert asked is not None
    assert asked.age == 18
    assert qtys(co) == []

"""A line above ``max_qty_without_confirm`` items is asked about first, however it is typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.db.database import open_database
from pos.db.repositories import SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.checkout import CheckoutService
from pos.services.container import Services, build_services
from pos.services.outcomes import Change, Outcome
from tests.conftest import CASHIER, FAST_HASHER
from tests.services.test_checkout import BANANAS, LEMON, PEN, qtys

QUESTION = "Sell 150 x Highlighter pen yellow on one line (more than 99)?"


@pytest.fixture
def services(services: Services) -> Services:
    """The demo till's services (tests/conftest.py), a cashier logged in."""
    services.sessions.login(*CASHIER)
    return services


@pytest.fixture
def co(services: Services) -> CheckoutService:
    return services.checkout


def pen(co: CheckoutService) -> int:
    return next(line.line_no for line in co.cart if line.barcode == PEN)


def asked(co: CheckoutService, outcome: Outcome, before: list[tuple[str, int]]) -> None:
    """The outcome is the question, and nothing was done."""
    assert outcome.confirm == QUESTION
    assert not outcome.error
    assert outcome.change is Change.NONE
    assert qtys(co) == before


def test_a_multiplied_scan(co: CheckoutService) -> None:
    outcome = co.submit("150*" + PEN)
    asked(co, outcome, [])
    done = co.confirmed(lambda: co.submit("150*" + PEN))
    assert done.change is Change.LINE
    assert qtys(co) == [(PEN, 150)]
    assert co.submit("2*" + PEN).confirm  # still above: asked again
    assert not co.submit(PEN).confirm  # a plain scan never is
    assert qtys(co) == [(PEN, 151)]


def test_a_number_after_the_scan(co: CheckoutService) -> None:
    co.submit(PEN)
    asked(co, co.submit("150"), [(PEN, 1)])
    assert not co.submit("5").error  # the scan can still be corrected
    assert qtys(co) == [(PEN, 5)]
    co.confirmed(lambda: co.submit("150"))
    assert qtys(co) == [(PEN, 150)]


def test_f4_and_plus(co: CheckoutService) -> None:
    co.submit(PEN)
    asked(co, co.set_quantity(pen(co), "150"), [(PEN, 1)])
    co.set_quantity(pen(co), "99")
    assert qtys(co) == [(PEN, 99)]
    plus = co.change_quantity(pen(co), 1)
    assert plus.confirm.startswith("Sell 100 x Highlighter pen yellow on one line")
    assert qtys(co) == [(PEN, 99)]
    co.confirmed(lambda: co.change_quantity(pen(co), 1))
    assert qtys(co) == [(PEN, 100)]
    assert not co.confirmed(lambda: co.set_quantity(pen(co), "10000")).confirm
    assert qtys(co) == [(PEN, 100)]  # more than a line holds is refused, not asked


def test_the_limit_is_a_setting_and_weights_are_not_counted(
    demo_db: Path, clock: FixedClock
) -> None:
    database = open_database(demo_db)
    SettingsRepository(database).set("max_qty_without_confirm", "5")
    database.close()
    services = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    services.sessions.login(*CASHIER)
    try:
        co = services.checkout
        assert co.submit("6*" + LEMON).confirm.startswith("Sell 6 x Lemons unwaxed")
        assert not co.submit("5*" + LEMON).confirm
        co.submit(BANANAS)
        assert not co.submit("12.5").confirm  # 12,500 grams: no count of items
        assert qtys(co) == [(LEMON, 5), (BANANAS, 12500)]
    finally:
        services.close()


def test_the_weight_prompt_waits_for_the_answer(co: CheckoutService) -> None:
    co.submit(BANANAS)
    assert co.submit("150*" + PEN).confirm
    assert co.awaiting_weight  # nothing was done, not even the weight skipped
    done = co.confirmed(lambda: co.submit("150*" + PEN))
    assert done.message.startswith("Bananas loose was not added (no weight typed).")

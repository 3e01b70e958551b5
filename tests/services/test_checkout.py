"""The scanning flow without the screen: every rule of the entry line and the cart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.auth.service import LoginFailed
from pos.db.errors import StorageError
from pos.db.repositories import DiscountRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.discounts import Rule
from pos.services.checkout import CheckoutService
from pos.services.container import Services, build_services
from pos.services.outcomes import Change, Outcome
from tests.conftest import CASHIER, FAST_HASHER, MANAGER

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50
BANANAS = "2100001000004"  # 0.85 per kg, weighed
CHEESE = "2010001000006"  # priced by its label
MILK = "5010000123451"  # 1.45
RICE = "5012345678900"  # 2.40, 10% off in the demo rules


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*CASHIER)  # the service asks the guard: someone is at the till
    yield built
    built.close()


@pytest.fixture
def co(services: Services) -> CheckoutService:
    return services.checkout


def reopen(demo_db: Path, clock: FixedClock) -> Services:
    return build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)


def qtys(co: CheckoutService) -> list[tuple[str, int]]:
    return [(line.barcode, line.qty) for line in co.cart]


def test_scan_adds_one_and_rescan_adds_to_the_same_line(co: CheckoutService) -> None:
    first = co.submit(PEN)
    assert first.change is Change.LINE
    assert first.is_new
    assert not first.error
    second = co.submit(PEN)
    assert second.change is Change.LINE
    assert not second.is_new
    assert qtys(co) == [(PEN, 2)]
    assert (co.cart.subtotal, co.cart.item_count) == (240, 2)


def test_unknown_and_invalid_codes_change_nothing(co: CheckoutService) -> None:
    co.submit(PEN)
    unknown = co.submit("5012345678917")
    assert unknown.error
    assert unknown.message == "No product with barcode 5012345678917"
    bad = co.submit("4006381333932")
    assert bad.error
    assert "bad check digit" in bad.message
    assert qtys(co) == [(PEN, 1)]
    assert not co.submit(PEN).error  # the next scan just works


def test_quantity_typed_after_a_scan_replaces_that_scans_one(co: CheckoutService) -> None:
    co.submit(PEN)
    co.submit(PEN)  # the line holds 2
    co.submit(PEN)  # ... now 3, this scan's 1 ...
    outcome = co.submit("6")  # ... becomes 6: 2 + 6
    assert not outcome.error
    assert qtys(co) == [(PEN, 8)]
    co.submit("5")  # a second correction of the same scan: 2 + 5
    assert qtys(co) == [(PEN, 7)]
    co.submit(LEMON)  # a full barcode next is a new scan
    assert qtys(co) == [(PEN, 7), (LEMON, 1)]


def test_quantity_without_a_scan_is_refused(co: CheckoutService) -> None:
    outcome = co.submit("6")
    assert outcome.error
    assert "straight after a scan" in outcome.message
    co.submit(PEN)
    co.cancel()  # Esc: the typed quantity no longer applies to the last scan
    assert co.submit("6").error
    assert co.submit("0").error is True  # zero is never a quantity


@pytest.mark.parametrize(
    "refused",
    [
        "5000000000098",  # no such product
        "5010000123452",  # bad check digit
        "3*2100001008505",  # a weighed item, weight on its label, multiplied
        "3*" + BANANAS,  # a weighed item multiplied
        "2999999012348",  # an unknown in-store code
        "9999*5010000123451",  # more than a line can hold
    ],
)
def test_a_number_after_a_refused_scan_changes_nothing(co: CheckoutService, refused: str) -> None:
    """A refused scan ends "straight after a scan": the number typed next must not land
    on the line of the scan before it."""
    co.submit(MILK)
    assert co.submit(refused).error
    outcome = co.submit("5")
    assert outcome.error
    assert outcome.message == (
        "The last scan was not added, so a number typed now changes nothing: "
        "to change a line, select it, type the quantity and press F4"
    )
    assert qtys(co) == [(MILK, 1)]
    co.submit(MILK)  # the next good scan opens the window again
    assert not co.submit("5").error
    assert qtys(co) == [(MILK, 6)]


def test_a_number_after_a_weight_label_says_the_weight_is_the_labels(
    co: CheckoutService,
) -> None:
    co.submit("2100001008505")  # bananas, 0.850 kg on the label
    outcome = co.submit("2")
    assert outcome.error
    assert outcome.message == ("Bananas loose: the weight comes from its label and cannot be typed")
    assert qtys(co) == [(BANANAS, 850)]
    co.submit(PEN)  # a later scan of a counted item takes a quantity again
    assert not co.submit("2").error
    assert qtys(co) == [(BANANAS, 850), (PEN, 2)]


def test_multiplier_first(co: CheckoutService) -> None:
    co.submit("3*" + PEN)
    co.submit("2*" + PEN)
    assert qtys(co) == [(PEN, 5)]
    outcome = co.submit("3*")
    assert outcome.error
    assert "needs a barcode" in outcome.message


def test_weighed_item_asks_for_its_weight(co: CheckoutService) -> None:
    outcome = co.submit(BANANAS)
    assert outcome.change is Change.NONE
    assert "weight of Bananas loose" in outcome.message
    assert co.awaiting_weight
    assert co.prompt == "Weight of Bananas loose in kg"
    assert co.submit("0").error  # zero weight
    assert co.submit("0.850").change is Change.LINE
    assert qtys(co) == [(BANANAS, 850)]
    assert co.cart.subtotal == 72  # 0.85 x 0.85 = 0.7225 -> 0.72
    assert not co.awaiting_weight
    assert co.submit("3*" + BANANAS).error  # a weighed item takes no multiplier


def test_scan_during_weight_prompt_skips_the_weighed_item(co: CheckoutService) -> None:
    co.submit(BANANAS)
    outcome = co.submit(PEN)
    assert "Bananas loose was not added" in outcome.message
    assert qtys(co) == [(PEN, 1)]
    assert not co.awaiting_weight


def test_embedded_weight_and_price(co: CheckoutService) -> None:
    co.submit("2100001012502")  # bananas, 1.250 kg on the label
    assert qtys(co) == [(BANANAS, 1250)]
    refused = co.submit("0.5")  # the scale's weight is not corrected by typing
    assert refused.error
    assert qtys(co) == [(BANANAS, 1250)]
    co.submit("2010001003458")  # cheese, 3.45 on the label
    co.submit("2010001001201")  # cheese, 1.20 on the label: its own line
    co.submit("2010001003458")  # the same price again joins the first
    cheese = [(line.unit_price, line.qty) for line in co.cart if line.barcode == CHEESE]
    assert cheese == [(345, 2), (120, 1)]
    refused = co.submit(CHEESE)
    assert refused.error
    assert "scan the price label" in refused.message


def test_line_edits(co: CheckoutService, services: Services) -> None:
    co.submit(PEN)
    line_no = co.cart.lines[0].line_no
    co.change_quantity(line_no, +1)
    assert qtys(co) == [(PEN, 2)]
    assert co.change_quantity(line_no, -2).error  # never below 1
    assert co.set_quantity(line_no, "12").change is Change.LINE
    assert qtys(co) == [(PEN, 12)]
    assert co.set_quantity(line_no, "").error
    assert co.set_quantity(line_no, "1.5").error  # items are whole
    assert co.set_quantity(line_no, "0").error
    too_many = co.set_quantity(line_no, "10000")  # five digits is no quantity
    assert too_many.error
    assert too_many.message == "'10000' is not a quantity"
    assert co.change_quantity(line_no, 9_999).error  # over the line limit
    assert qtys(co) == [(PEN, 12)]
    services.guard.logout()
    with pytest.raises(LoginRequired):  # nobody logged in: the guard refuses the void
        co.void_line(line_no)
    services.sessions.login(*CASHIER)
    assert co.void_line(line_no).error  # no operator with the void scope: refused
    assert co.set_quantity(line_no, "3").error  # fewer is a void of units
    services.guard.logout()
    services.sessions.login(*MANAGER)
    assert qtys(co) == [(PEN, 12)]
    assert co.set_quantity(line_no, "3").change is Change.LINE
    removed = co.void_line(line_no)
    assert removed.change is Change.REMOVED
    assert qtys(co) == []
    assert co.void_line(line_no).error


def test_weighed_line_edits(co: CheckoutService) -> None:
    co.submit("2100001012502")
    line_no = co.cart.lines[0].line_no
    assert co.change_quantity(line_no, 1).error  # +/- are for counted items
    co.set_quantity(line_no, "2.5")
    assert qtys(co) == [(BANANAS, 2500)]
    assert "more than 99.999 kg" in co.set_quantity(line_no, "850").message
    assert qtys(co) == [(BANANAS, 2500)]


def test_weight_prompt_takes_kg_and_refuses_absurd_weights(co: CheckoutService) -> None:
    co.submit(BANANAS)
    refused = co.submit("850")  # 850 kg of bananas is a slip for 0.850
    assert refused.error
    assert "type the weight in kg, e.g. 0.850" in refused.message
    assert co.awaiting_weight
    co.submit("2")  # a whole number is kilograms
    assert qtys(co) == [(BANANAS, 2000)]


def test_quantity_applies_only_while_the_scanned_line_is_selected(co: CheckoutService) -> None:
    co.submit(PEN)
    co.submit(LEMON)
    pen_line = co.cart.lines[0].line_no
    moved = co.submit("5", selected=pen_line)  # the cashier moved to the pen line
    assert moved.error
    assert "press F4" in moved.message
    assert qtys(co) == [(PEN, 1), (LEMON, 1)]
    co.submit(LEMON)
    lemon_line = co.cart.lines[1].line_no
    assert not co.submit("5", selected=lemon_line).error
    assert qtys(co) == [(PEN, 1), (LEMON, 6)]


def test_void_cart(co: CheckoutService, services: Services) -> None:
    co.submit(PEN)
    co.submit(LEMON)
    services.sessions.login(*CASHIER)
    assert co.void_cart().error  # a cashier may not
    assert len(co.cart) == 2
    services.guard.logout()
    services.sessions.login(*MANAGER)
    outcome = co.void_cart()
    assert outcome.change is Change.RELOAD
    assert len(co.cart) == 0
    assert co.void_cart().error


def test_open_cart_survives_a_restart(demo_db: Path, clock: FixedClock) -> None:
    first = reopen(demo_db, clock)
    first.sessions.login(*CASHIER)
    for code in (PEN, PEN, LEMON, BANANAS, "3.5"):  # bananas weighed at 3.5 kg ...
        first.checkout.submit(code)
    first.checkout.submit("4")  # ... corrected to 4 kg
    before = first.checkout.cart.lines
    uuid = first.checkout.cart_uuid
    first.close()
    second = reopen(demo_db, clock)
    assert second.checkout.cart.lines == before
    assert second.checkout.cart_uuid == uuid
    assert second.checkout.cart.subtotal == 240 + 50 + 340
    second.close()


def test_park_and_recall(demo_db: Path, clock: FixedClock) -> None:
    services = reopen(demo_db, clock)
    services.sessions.login(*CASHIER)
    co = services.checkout
    assert co.park().error  # nothing to park
    co.submit(PEN)
    co.submit(PEN)
    first_uuid = co.cart_uuid
    assert co.park().message == "Cart parked (1 line, 2.40)"
    assert len(co.cart) == 0
    assert co.cart_uuid != first_uuid
    co.submit(LEMON)
    clock.advance(minutes=5)
    co.park()
    services.close()

    services = reopen(demo_db, clock)  # parked carts survive a restart
    services.sessions.login(*MANAGER)
    co = services.checkout
    parked = co.parked()
    assert [(p.lines, p.items, p.total) for p in parked] == [(1, 2, 240), (1, 1, 50)]
    co.submit(LEMON)
    assert co.recall(parked[0].id).error  # the current cart is not empty
    co.void_line(co.cart.lines[0].line_no)
    outcome = co.recall(parked[0].id)
    assert outcome.change is Change.RELOAD
    assert qtys(co) == [(PEN, 2)]
    assert co.cart_uuid == first_uuid
    assert [p.total for p in co.parked()] == [50]
    assert co.recall(parked[0].id).error  # already recalled
    services.close()


READ_ONLY = {  # every write now fails inside the database, and then works again
    "sqlite": ("PRAGMA query_only = 1", "PRAGMA query_only = 0"),
    "postgresql": (
        "SET default_transaction_read_only = on",
        "SET default_transaction_read_only = off",
    ),
}


def test_storage_failure_keeps_the_cart_and_says_not_saved(
    co: CheckoutService, services: Services, backend: str
) -> None:
    services.sessions.login(*MANAGER)
    co.submit(PEN)
    fail, mend = READ_ONLY[backend]
    services.db.execute_sql(fail)
    outcome = co.submit(PEN)
    assert outcome.error
    assert outcome.message.startswith("NOT saved")
    assert qtys(co) == [(PEN, 1)]
    assert co.void_line(co.cart.lines[0].line_no).error
    assert qtys(co) == [(PEN, 1)]
    services.db.execute_sql(mend)  # the fault is gone: a retry works
    assert not co.submit(PEN).error
    assert qtys(co) == [(PEN, 2)]


def test_the_rules_are_read_at_the_first_login_not_at_start_up(
    shop_db: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The login screen needs no rules: start-up does not read them (however many there
    are); the first login does, once, and a cart restored after a restart keeps its deal."""
    first = reopen(shop_db, clock)
    first.sessions.login(*CASHIER)
    for _ in range(3):
        first.checkout.submit(LEMON)
    assert first.checkout.priced.total == 130  # Lemons 3 for 1.30
    first.close()

    reads: list[int] = []
    real = DiscountRepository.all

    def counted(self: DiscountRepository) -> list[Rule]:
        reads.append(1)
        return real(self)

    monkeypatch.setattr(DiscountRepository, "all", counted)
    second = reopen(shop_db, clock)
    assert reads == []
    second.sessions.login(*CASHIER)
    assert len(reads) == 1
    second.sessions.logout()
    second.sessions.login(*CASHIER)
    assert len(reads) == 1
    assert second.checkout.priced.total == 130
    assert [d.name for d in second.checkout.priced.discounts] == ["Lemons 3 for 1.30"]
    second.close()


def test_a_till_that_cannot_read_its_rules_does_not_open(
    shop_db: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = reopen(shop_db, clock)
    real = DiscountRepository.all

    def locked(self: DiscountRepository) -> list[Rule]:
        raise StorageError("locked", "database is locked")

    monkeypatch.setattr(DiscountRepository, "all", locked)
    with pytest.raises(LoginFailed, match="Cannot open the till: the database is busy"):
        services.sessions.login(*CASHIER)
    assert services.guard.session is None
    monkeypatch.setattr(DiscountRepository, "all", real)  # the fault is gone
    services.sessions.login(*CASHIER)
    for _ in range(3):
        services.checkout.submit(LEMON)
    assert services.checkout.priced.total == 130
    services.close()


def test_a_cart_recalled_or_opened_afterwards_is_priced_from_scratch(
    shop_db: Path, clock: FixedClock
) -> None:
    """Nothing the pricer kept about one cart is used for the next one."""
    services = reopen(shop_db, clock)
    services.sessions.login(*MANAGER)
    co = services.checkout
    for _ in range(3):
        co.submit(LEMON)
    assert co.priced.total == 130
    co.park()
    assert co.priced.total == 0
    co.submit(LEMON)
    assert co.priced.total == 50
    co.void_line(co.cart.lines[0].line_no)
    co.recall(co.parked()[0].id)
    assert co.priced.total == 130
    services.close()


def test_a_parked_cart_shows_the_total_due_after_discounts(
    shop_db: Path, clock: FixedClock
) -> None:
    """The park message, the recall list and the recall message show what the customer
    would pay (TOTAL, after the discounts), not the subtotal."""
    services = reopen(shop_db, clock)
    services.sessions.login(*CASHIER)
    try:
        co = services.checkout
        co.submit(RICE)  # 2.40, 10% off rice: 2.16 to pay
        co.submit(MILK)  # 1.45
        assert co.priced.total == 216 + 145
        assert co.park().message == "Cart parked (2 lines, 3.61)"
        parked = co.parked()
        assert not isinstance(parked, Outcome)
        assert [p.total for p in parked] == [361]
        assert co.recall(parked[0].id).message == "Recalled parked cart (2 lines, 3.61)"
    finally:
        services.close()

"""Price check (issue 20, item 4): an item read as a scan reads it, with the item deals
it is in at the till's local time now, and the cart untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.db.errors import StorageError
from pos.domain.catalog import Unit
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.outcomes import Outcome
from pos.services.price_check import PriceCheck
from tests.conftest import CASHIER, FAST_HASHER, MANAGER

LEMON = "5000000000012"
WINE = "5011332159811"
BANANAS = "2100001000004"


@pytest.fixture
def shop(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    """The demo shop with its rules, a cashier logged in (Saturday 14 March, 09:30 UTC)."""
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*CASHIER)
    yield built
    built.close()


def _check(services: Services, code: str) -> PriceCheck:
    found = services.price_check.look_up(code)
    assert isinstance(found, PriceCheck), found
    return found


def test_an_item_shows_its_price_and_its_deals_and_the_cart_stays_empty(shop: Services) -> None:
    found = _check(shop, LEMON)
    assert (found.product.name, found.product.price) == ("Lemons unwaxed", 50)
    assert found.deals == ("Lemons 3 for 1.30: 3 x Lemons unwaxed, set for 1.30",)
    assert (found.label_price, found.label_grams) == (None, None)
    assert len(shop.checkout.cart) == 0


def test_a_deal_shows_only_while_its_time_window_is_open(shop: Services, clock: FixedClock) -> None:
    """The weekend wine deal on Saturday and not on Monday; the bananas' happy hour
    (17:00-19:00 local) not at 09:30. Basket deals are not an item's."""
    assert [d.split(":")[0] for d in _check(shop, WINE).deals] == ["Weekend wine 3 for 20"]
    bananas = _check(shop, BANANAS)
    assert bananas.product.unit is Unit.KG
    assert bananas.product.price == 85  # per kg
    assert bananas.deals == ()
    clock.advance(days=2)  # Monday
    assert _check(shop, WINE).deals == ()


def test_a_label_with_a_price_shows_that_price(shop: Services) -> None:
    found = _check(shop, "2010001003458")  # the deli's cheese, 3.45 on its label
    assert found.label_price == 345


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("5000000000098", "No product with barcode 5000000000098"),
        ("5000000000013", "check digit"),
        ("12", "12 is not a barcode"),
    ],
)
def test_what_is_not_a_product_says_why(shop: Services, code: str, says: str) -> None:
    found = shop.price_check.look_up(code)
    assert isinstance(found, Outcome)
    assert found.error
    assert says in found.message


def test_a_rule_switched_off_meanwhile_is_gone_at_the_next_check(shop: Services) -> None:
    """The rules are read again when their version changes, as a scan reads them."""
    assert len(_check(shop, LEMON).deals) == 1
    shop.sessions.logout()
    shop.sessions.login(*MANAGER)
    shop.discount_admin.set_active("Lemons 3 for 1.30", False)
    assert _check(shop, LEMON).deals == ()


def test_nobody_logged_in_checks_no_price(shop: Services) -> None:
    shop.sessions.logout()
    with pytest.raises(LoginRequired):
        shop.price_check.look_up(LEMON)


def test_a_catalog_that_cannot_be_read_says_so(
    shop: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read that fails (the names of a deal's products) is a message, not a crash."""

    def fails(_codes: object) -> dict[str, str]:
        raise StorageError("locked", "database is locked")

    monkeypatch.setattr(shop.price_check.products, "names", fails)
    found = shop.price_check.look_up(LEMON)
    assert isinstance(found, Outcome)
    assert found.error
    assert found.message.startswith("The database could not be read")

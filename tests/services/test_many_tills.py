"""Several tills of one store on one database (issue 9): tokens issued on one till verify
on every till, revocations apply on all of them at once, a catalog or rule change made on
one till prices the next scan on the others, and receipt numbers stay sequential per till.
(The same on SQLite, where tills share a file on one machine, and on PostgreSQL.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pos.auth.guard import LoginRequired
from pos.auth.tokens import TokenCodec, TokenError, TokenKind, WrongIssuer
from pos.domain.catalog import Product, Unit
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.discount_admin import RuleForm
from tests.conftest import CASHIER, FAST_HASHER, MANAGER

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

LEMON = "5000000000012"
PEN = "4006381333931"
BUTTER = "0036000291452"  # 3.95 in the demo catalog


@pytest.fixture
def tills(shop_db: Path, clock: FixedClock) -> Iterator[Callable[[str], Services]]:
    """Opens the shop's database as the till of that name (each with its own lock)."""
    opened: list[Services] = []

    def open_till(name: str) -> Services:
        ids = SequentialIds()
        ids._n = 1_000 * len(opened)  # each till its own ids, as UUIDs would be
        services = build_services(shop_db, clock=clock, ids=ids, hasher=FAST_HASHER, till_name=name)
        opened.append(services)
        return services

    yield open_till
    for services in opened:
        services.close()


def _scan(till: Services, *codes: str) -> None:
    for code in codes:
        outcome = till.checkout.submit(code)
        assert not outcome.error, outcome.message


def _sell(till: Services, *codes: str) -> int:
    _scan(till, *codes)
    tender = till.sales.start()
    tender.cash(tender.due)
    return till.sales.complete(tender).receipt_no


def test_a_token_issued_on_one_till_verifies_on_every_till(
    tills: Callable[[str], Services],
) -> None:
    a, b = tills("Till A"), tills("Till B")
    session = a.sessions.login(*CASHIER)
    assert session.issuer == "pos:My Shop/Till A"
    assert b.auth.validate(session.access).number == CASHIER[0]
    # the same keys, but a till that never worked on this database, or another store
    for issuer in ("pos:My Shop/Till C", "pos:Other Shop/Till A", "pos:My Shop/Till A "):
        forged = TokenCodec(a.auth.codec.keyring, issuer, now=a.auth.codec.now)
        token, _ = forged.issue(TokenKind.ACCESS, CASHIER[0], "cashier", ())
        with pytest.raises(WrongIssuer):
            b.auth.validate(token)


def test_a_logout_or_a_deactivation_on_one_till_applies_on_every_till(
    tills: Callable[[str], Services],
) -> None:
    a, b = tills("Till A"), tills("Till B")
    first = a.sessions.login(*CASHIER)
    a.auth.logout(first)
    with pytest.raises(TokenError):
        b.auth.validate(first.access)  # logged out on A: refused on B at once

    a.sessions.login(*CASHIER)
    assert a.guard.identity is not None
    b.sessions.login(*MANAGER)
    b.operators.deactivate(CASHIER[0])  # the manager at till B (operators:edit)
    with pytest.raises(LoginRequired):  # A's next check sees B's change
        a.guard.current()


def test_a_change_made_on_one_till_prices_the_next_scan_on_the_others(
    tills: Callable[[str], Services],
) -> None:
    a, b = tills("Till A"), tills("Till B")
    a.sessions.login(*MANAGER)
    b.sessions.login(*CASHIER)
    _scan(b, PEN, LEMON, LEMON)  # B has read the catalog and the rules: no lemon deal yet
    assert not any(d.name == "Two lemons" for d in b.checkout.priced.discounts)
    # the manager on A changes the peanut butter's price and adds a deal on lemons
    a.catalog._products.upsert_many([Product(BUTTER, "Peanut butter", 999, 0, Unit.EACH)])
    a.discount_admin.save(
        RuleForm(name="Two lemons", kind="multibuy", products=[(LEMON, 2)], price="0.10")
    )
    _scan(b, BUTTER)
    prices = {line.barcode: line.unit_price for line in b.checkout.cart.lines}
    assert prices[BUTTER] == 999  # the next scan reads the new price
    assert any(d.name == "Two lemons" for d in b.checkout.priced.discounts)  # and the rule


def test_receipt_numbers_are_sequential_per_till(tills: Callable[[str], Services]) -> None:
    a, b = tills("Till A"), tills("Till B")
    a.sessions.login(*CASHIER)
    b.sessions.login(*MANAGER)
    numbers: dict[str, list[int]] = {"A": [], "B": []}
    for turn in range(6):
        till, key = (a, "A") if turn % 3 else (b, "B")
        numbers[key].append(_sell(till, PEN))
    assert numbers == {"A": [1, 2, 3, 4], "B": [1, 2]}
    rows = a.db.execute_sql("SELECT till, receipt_no FROM sale ORDER BY id").fetchall()
    assert sorted(rows) == sorted(
        [("Till A", n) for n in numbers["A"]] + [("Till B", n) for n in numbers["B"]]
    )

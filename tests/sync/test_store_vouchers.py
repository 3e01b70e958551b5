"""Gift vouchers on a store (issue 22, slice 7): the server holds them. A voucher sold on
one till reaches the server with its sale and pays on another; each redemption is claimed
on the server at payment (once, whatever is pushed after); a till that lost the race is
told and saves nothing; with the server down a till takes only vouchers it knows, up to
offline_voucher_limit each, and an overspend found at the push shows on the server's
report. Against a real PostgreSQL (skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.errors import bound
from pos.db.sync import vouchers as on_store
from pos.db.vouchers import VoucherTaken
from pos.domain.vouchers import VoucherError, make_code
from pos.services.container import Services
from pos.services.sales import SaleFailed
from pos.services.sync import StoreSync
from tests.conftest import MANAGER
from tests.sync.helpers import server

GIFT = "5012345678900"  # the demo rice (2.40), made a voucher product at the store
MILK = "5010000123451"  # 1.45
Tills = Callable[[str], tuple[Services, StoreSync]]
OFFLINE = "postgresql://nobody@127.0.0.1:1/none"  # a server that is not there


def _execute(store: str, sql: str, *args: object) -> None:
    with psycopg.connect(store) as conn:
        conn.execute(sql, args)


def _open(till: Tills, name: str) -> tuple[Services, StoreSync]:
    services, sync = till(name)
    services.sessions.login(*MANAGER)
    services.days.open_day(0)
    return services, sync


def _pay(services: Services, code: str, *items: str) -> int:
    """Sell ``items`` paid by the voucher ``code`` and cash for the rest."""
    assert services.vouchers is not None
    for item in items:
        assert not services.checkout.submit(item).error
    tender = services.sales.start()
    services.vouchers.pay(code, tender)
    if not tender.complete:
        tender.cash(tender.remaining)
    return services.sales.complete(tender).receipt_no


def _balance(store: str, code: str) -> int:
    return int(server(store, "SELECT balance FROM voucher WHERE code = %s", code)[0][0])


def test_sold_on_one_till_redeemed_on_another_claimed_once(store: str, till: Tills) -> None:
    _execute(store, "UPDATE product SET voucher = 1 WHERE barcode = %s", GIFT)
    a, sync_a = _open(till, "Till A")
    b, sync_b = _open(till, "Till B")
    sync_a.run_once()  # the voucher product
    assert a.vouchers is not None
    a.vouchers.draw = lambda: "000000000777"
    sell_done = a.checkout.submit(GIFT)
    assert not sell_done.error, sell_done.message
    tender = a.sales.start()
    tender.cash(tender.due)
    a.sales.complete(tender)
    code = make_code("001", "000000000777")
    sync_a.run_once()  # the sale and its voucher reach the server
    assert _balance(store, code) == 240
    _pay(b, code, MILK)  # till B never saw the voucher: the server has it
    assert _balance(store, code) == 95  # claimed at payment, before the sale's push
    uses = server(store, "SELECT amount, till, claimed FROM voucher_use")
    assert [tuple(u) for u in uses] == [(145, "Till B", 1)]
    sync_b.run_once()  # the sale's push takes nothing twice
    assert _balance(store, code) == 95
    assert len(server(store, "SELECT 1 FROM voucher_use")) == 1
    # till A scanned it for 0.95 before till B spends 0.50 of it: A is told, saves nothing
    assert a.vouchers is not None
    a.checkout.submit(MILK)
    tender_a = a.sales.start()
    a.vouchers.pay(code, tender_a)
    _pay(b, code, "5000000000012")  # lemons, 0.50
    tender_a.cash(tender_a.remaining)
    with pytest.raises(SaleFailed, match="just used on another till"):
        a.sales.complete(tender_a)
    assert [p.method.value for p in tender_a.payments] == ["cash"]
    assert _balance(store, code) == 45


def test_offline_only_known_vouchers_within_the_limit_and_the_overspend(
    store: str, till: Tills
) -> None:
    code = make_code("001", "000000000555")
    _execute(
        store,
        "INSERT INTO voucher (code, value, balance, expires, till, issued_at) "
        "VALUES (%s, 1000, 1000, '2027-01-01', 'card', '2026-03-14T09:00:00+00:00')",
        code,
    )
    a, sync_a = _open(till, "Till A")
    b, sync_b = _open(till, "Till B")
    assert a.vouchers is not None
    _pay(a, code, MILK)  # online: till A now knows the voucher (9.55 left)
    assert a.vouchers.store is not None
    a.vouchers.store = OFFLINE  # the server goes away
    a.checkout.submit(MILK)
    tender = a.sales.start()
    with pytest.raises(VoucherError, match="at most 0.00 while it is down"):
        a.vouchers.pay(code, tender)  # offline_voucher_limit is 0 by default
    with pytest.raises(VoucherError, match="not known"):  # one it never saw
        a.vouchers.pay(make_code("001", "000000000556"), tender)
    a.checkout.void_cart()
    _execute(
        store,
        "INSERT INTO setting (key, value) VALUES ('offline_voucher_limit', '5.00') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    sync_a.run_once()  # the setting (the sync's own connection still reaches the server)
    a.take_up_settings()
    assert a.settings.offline_voucher_limit == 500
    for _ in range(4):
        a.checkout.submit(MILK)  # 5.80
    tender = a.sales.start()
    payment, _voucher = a.vouchers.pay(code, tender)
    assert payment.amount == 500  # at most the limit
    tender.cash(tender.remaining)
    a.sales.complete(tender)
    _pay(b, code, *[MILK] * 5)  # meanwhile till B spends 7.25 of it online: 1.30 left
    assert _balance(store, code) == 1000 - 145 - 725
    sync_a.run_once()  # till A's offline 5.00 reaches the server: 1.30 covered, 3.70 not
    assert _balance(store, code) == 0
    over = server(store, "SELECT code, till, amount FROM voucher_overspend")
    assert [tuple(o) for o in over] == [(code, "Till A", 370)]
    sync_a.run_once()  # pushed again: nothing more
    assert len(server(store, "SELECT 1 FROM voucher_overspend")) == 1
    shown = CliRunner().invoke(
        cli, ["report", "--db", store, "--till", "Till A", "--date", "2026-03-14", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["vouchers"]["overspent"] == {"count": 1, "amount": "3.70"}


def _card(store: str, number: str) -> str:
    """A pre-printed 10.00 voucher card the server holds (no till has seen it)."""
    code = make_code("001", number)
    _execute(
        store,
        "INSERT INTO voucher (code, value, balance, expires, till, issued_at) "
        "VALUES (%s, 1000, 1000, '2027-01-01', 'card', '2026-03-14T09:00:00+00:00')",
        code,
    )
    return code


@contextmanager
def _file_busy(services: Services) -> Iterator[None]:
    """Another program holds the till's file for a moment: its sale's commit fails (the
    till waits 0.2 s for it instead of 5 s, as in tests/hardening/faults.py)."""
    with bound(services.db):
        services.db.execute_sql("PRAGMA busy_timeout = 200")
    blocker = sqlite3.connect(services.db_path, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()
        with bound(services.db):
            services.db.execute_sql("PRAGMA busy_timeout = 5000")


def test_a_claim_again_under_the_sale_with_another_amount_sets_it(store: str, till: Tills) -> None:
    code = _card(store, "000000000555")
    a, sync_a = _open(till, "Till A")
    assert a.vouchers is not None
    a.checkout.submit(MILK)
    a.checkout.submit(MILK)  # 2.90
    tender = a.sales.start()
    a.vouchers.pay(code, tender)
    with _file_busy(a), pytest.raises(SaleFailed):
        a.sales.complete(tender)  # claimed on the server, not saved on the till
    assert _balance(store, code) == 710
    a.checkout.change_quantity(1, -1)  # the cashier takes one milk off and pays again
    tender = a.sales.start()
    payment, voucher = a.vouchers.pay(code, tender)
    assert payment.amount == 145
    a.sales.complete(tender)  # the same sale's uuid, claimed again for 1.45
    assert _balance(store, code) == 855
    assert [tuple(u) for u in server(store, "SELECT amount FROM voucher_use")] == [(145,)]
    sync_a.run_once()  # the push agrees: nothing more taken
    assert _balance(store, code) == 855
    paid = server(store, "SELECT SUM(amount) FROM payment WHERE method = 'voucher'")[0][0]
    assert paid == 145


def test_a_claim_the_sale_then_left_is_given_back(store: str, till: Tills) -> None:
    code, other = _card(store, "000000000555"), _card(store, "000000000556")
    a, sync_a = _open(till, "Till A")
    assert a.vouchers is not None
    a.checkout.submit(MILK)
    tender = a.sales.start()
    a.vouchers.pay(code, tender)
    with _file_busy(a), pytest.raises(SaleFailed):
        a.sales.complete(tender)
    assert _balance(store, code) == 855
    tender = a.sales.start()  # paid again by the other card: the first one's claim back
    a.vouchers.pay(other, tender)
    a.sales.complete(tender)
    assert (_balance(store, code), _balance(store, other)) == (1000, 855)
    a.checkout.submit(MILK)
    tender = a.sales.start()
    a.vouchers.pay(code, tender)
    with _file_busy(a), pytest.raises(SaleFailed):
        a.sales.complete(tender)
    tender = a.sales.start()  # paid again in cash: the push gives the claim back
    tender.cash(tender.due)
    a.sales.complete(tender)
    assert _balance(store, code) == 855
    sync_a.run_once()
    assert (_balance(store, code), _balance(store, other)) == (1000, 855)
    assert len(server(store, "SELECT 1 FROM voucher_use")) == 1


def test_a_claim_for_more_is_conditional(store: str) -> None:
    code = _card(store, "000000000555")
    on_store.claim(store, "Till A", "sale-1", [(code, 400)], "2026-03-14T10:00:00+00:00")
    on_store.claim(store, "Till B", "sale-2", [(code, 500)], "2026-03-14T10:00:00+00:00")
    with pytest.raises(VoucherTaken, match="no longer holds 6.00"):  # 1.00 left, 2.00 more
        on_store.claim(store, "Till A", "sale-1", [(code, 600)], "2026-03-14T10:01:00+00:00")
    assert _balance(store, code) == 100  # nothing taken
    (after,) = on_store.claim(store, "Till A", "sale-1", [(code, 500)], "2026-03-14T10:01:00")
    assert after.balance == 0
    assert _balance(store, code) == 0
    (after,) = on_store.claim(store, "Till A", "sale-1", [(code, 100)], "2026-03-14T10:02:00")
    assert after.balance == 400
    uses = server(store, "SELECT ref, amount FROM voucher_use ORDER BY ref")
    assert [tuple(u) for u in uses] == [("sale-1", 100), ("sale-2", 500)]


def test_a_code_another_till_sold_is_recorded_for_the_report(store: str, till: Tills) -> None:
    _execute(store, "UPDATE product SET voucher = 1 WHERE barcode = %s", GIFT)
    code = make_code("001", "000000000777")
    for name in ("Till A", "Till B"):  # both draw the same digits (1 in 10^12 a pair)
        services, sync = _open(till, name)
        sync.run_once()  # the voucher product
        assert services.vouchers is not None
        services.vouchers.draw = lambda: "000000000777"
        assert not services.checkout.submit(GIFT).error
        tender = services.sales.start()
        tender.cash(tender.due)
        services.sales.complete(tender)
        sync.run_once()
        sync.run_once()  # pushed again: recorded once
    assert [tuple(v) for v in server(store, "SELECT code, till FROM voucher")] == [(code, "Till A")]
    clash = server(store, "SELECT code, till, value, held_by FROM voucher_collision")
    assert [tuple(c) for c in clash] == [(code, "Till B", 240, "Till A")]
    args = ["report", "--db", store, "--date", "2026-03-14", "--json", "--till"]
    shown = CliRunner().invoke(cli, [*args, "Till B"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)["vouchers"]
    assert data["code_clashes"] == {"count": 1, "amount": "2.40"}
    assert "code_clashes" not in json.loads(CliRunner().invoke(cli, [*args, "Till A"]).output)
    text = CliRunner().invoke(
        cli, ["report", "--db", store, "--date", "2026-03-14"] + ["--till", "Till B"]
    )
    assert "Code clash" in text.output
    assert "give each such customer a new voucher" in text.output

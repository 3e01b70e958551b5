"""A till of a store sells from its own file and syncs with the store's server (issue 19):
sales reach the server exactly once and in order, the store's changes reach the till by
version, and a till keeps selling while the server is away. Against a real PostgreSQL
(skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from pos.auth.keys import key_file_for
from pos.db.sync.enrol import make_till_file, public_url, store_of
from pos.domain.clock import FixedClock, SequentialIds
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.container import Services, build_services
from pos.services.store import init_database
from pos.services.sync import StoreSync
from tests.conftest import CASHIER, FAST_HASHER

PEN = "4006381333931"
BUTTER = "0036000291452"


@pytest.fixture
def store(pg_server: Callable[[], str], clock: FixedClock) -> str:
    url = pg_server()
    init_database(
        url,
        demo_catalog=DEMO_CATALOG,
        demo_discounts=DEMO_DISCOUNTS,
        demo_operators=True,
        hasher=FAST_HASHER,
        clock=clock,
    )
    return url


@pytest.fixture
def till(
    store: str, tmp_path: Path, clock: FixedClock
) -> Iterator[Callable[[str], tuple[Services, StoreSync]]]:
    made: list[tuple[Services, StoreSync]] = []

    def make(name: str) -> tuple[Services, StoreSync]:
        path = tmp_path / f"{name}.sqlite"
        make_till_file(path, store, name, key_file_for(store))
        sync = StoreSync(path, store, name, clock, poll_seconds=0)
        sync.run_once()
        ids = SequentialIds()
        ids._n = 1_000 * len(made)
        services = build_services(path, clock=clock, ids=ids, hasher=FAST_HASHER, till_name=name)
        made.append((services, sync))
        return services, sync

    yield make
    for services, sync in made:
        sync.stop()
        services.close()


def _sell(till: Services, *codes: str) -> int:
    for code in codes:
        outcome = till.checkout.submit(code)
        assert not outcome.error, outcome.message
    tender = till.sales.start()
    tender.cash(tender.due)
    return till.sales.complete(tender).receipt_no


def _local(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def _server(url: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql, args).fetchall())


def test_a_new_till_takes_the_store_and_its_sales_reach_the_server_once(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    products = _server(store, "SELECT count(*) FROM product")[0][0]
    assert _local(sync.path, "SELECT count(*) FROM product")[0][0] == products
    services.sessions.login(*CASHIER)  # an operator of the store logs in on the till
    first = _sell(services, PEN, BUTTER)
    second = _sell(services, PEN)
    assert (first, second) == (1, 2)
    assert _server(store, "SELECT count(*) FROM sale")[0][0] == 0  # not yet: still local
    sync.run_once()
    rows = _server(store, "SELECT till, receipt_no, total FROM sale ORDER BY receipt_no")
    assert [(r[0], r[1]) for r in rows] == [("Till A", 1), ("Till A", 2)]
    lines = _server(store, "SELECT count(*) FROM sale_line")[0][0]
    assert lines == 3
    # pushed again (a crash between the server's commit and the till's mark): no double
    sync.file.push_again_after(0)
    sync.run_once()
    assert _server(store, "SELECT count(*) FROM sale")[0][0] == 2
    assert _server(store, "SELECT count(*) FROM sale_line")[0][0] == 3
    chain = _server(store, "SELECT count(*) FROM till_audit WHERE chain = 'Till A'")[0][0]
    assert chain > 0
    assert store_of(sync.path) == (public_url(store), sync.file.state("store_id"), "Till A")


def test_a_price_change_on_the_server_reaches_the_till(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    _server(store, "UPDATE product SET price = 199 WHERE barcode = %s RETURNING 1", PEN)
    _server(store, "DELETE FROM product WHERE barcode = %s RETURNING 1", BUTTER)
    sync.run_once()
    services.sessions.login(*CASHIER)
    assert not services.checkout.submit(PEN).error
    assert services.checkout.cart.lines[0].unit_price == 199  # priced from the till's file
    assert services.checkout.submit(BUTTER).error  # gone from the store: unknown here

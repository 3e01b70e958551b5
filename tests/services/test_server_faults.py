"""A PostgreSQL server that drops the till's connection, or cannot be reached for a while:
the till says so, keeps the cart, and carries on when the server is back (issue 9)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import psycopg
import pytest

from pos.auth.guard import LoginRequired
from pos.domain.clock import FixedClock, SequentialIds
from pos.paths import DEMO_CATALOG
from pos.services.container import Services, build_services
from pos.services.store_setup import init_database
from tests.conftest import CASHIER, FAST_HASHER

PEN = "4006381333931"
LEMON = "5000000000012"


@pytest.fixture
def till(pg_server: Callable[[], str], clock: FixedClock) -> Iterator[Services]:
    url = pg_server()
    init_database(url, demo_catalog=DEMO_CATALOG, demo_operators=True, hasher=FAST_HASHER)
    services = build_services(url, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    services.sessions.login(*CASHIER)
    yield services
    services.close()


def _cut_off(services: Services) -> None:
    """The server ends the till's session, as a restart or a network cut does."""
    pid = services.db.connection().info.backend_pid
    params = services.db.connect_params
    with psycopg.connect(dbname=services.db.database, autocommit=True, **params) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _qtys(services: Services) -> list[tuple[str, int]]:
    return [(line.barcode, line.qty) for line in services.checkout.cart.lines]


def test_a_dropped_connection_is_opened_again_for_the_next_scan(till: Services) -> None:
    assert not till.checkout.submit(PEN).error
    _cut_off(till)
    outcome = till.checkout.submit(LEMON)
    assert not outcome.error, outcome.message
    assert _qtys(till) == [(PEN, 1), (LEMON, 1)]
    rows = till.db.execute_sql("SELECT barcode, qty FROM cart_line ORDER BY line_no").fetchall()
    assert rows == [(PEN, 1), (LEMON, 1)]


def test_a_server_out_of_reach_is_said_and_nothing_is_lost(
    till: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not till.checkout.submit(PEN).error
    real_connect = type(till.db)._connect

    def unreachable(self: object) -> object:
        raise psycopg.OperationalError(
            'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
        )

    monkeypatch.setattr(type(till.db), "_connect", unreachable)
    _cut_off(till)
    # the scan's first step is the guard's check of the token, which reads the server:
    # it cannot be checked, so it is refused (fail closed) and nothing is read or saved
    # (selling through an outage is issue 19's design: a till that sells from its file)
    with pytest.raises(LoginRequired):
        till.checkout.submit(LEMON)
    assert till.guard.session is None
    monkeypatch.setattr(type(till.db), "_connect", real_connect)  # the server is back
    assert _qtys(till) == [(PEN, 1)]  # the cart as it was saved
    till.sessions.login(*CASHIER)  # the till locked: the cashier logs in again
    outcome = till.checkout.submit(LEMON)
    assert not outcome.error, outcome.message
    assert _qtys(till) == [(PEN, 1), (LEMON, 1)]

"""A store's till pushes its cash movements (issue 21) through the outbox like its sales:
each reaches the server exactly once, and the server's report of the till counts them in
its cash-up. Against a real PostgreSQL (skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.sync.store import NotThisStore, StoreServer
from pos.services.container import Services
from pos.services.sync import StoreSync
from tests.conftest import MANAGER
from tests.sync.helpers import local as _local
from tests.sync.helpers import sell as _sell
from tests.sync.helpers import server as _server

PEN = "4006381333931"  # 1.20


def test_cash_movements_reach_the_server_once_and_its_report_counts_them(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*MANAGER)
    services.days.open_day(5000)
    _sell(services, PEN)  # paid in cash, exactly
    cash = services.cash
    cash.record("paid_in", 2000, "Float top-up")
    cash.record("paid_out", 550, "Window cleaner")
    cash.record("pickup", 3000, "Safe")
    cash.record("no_sale", 0, "Check a note")
    waiting = _local(sync.path, "SELECT count(*) FROM outbox WHERE kind = 'cash'")[0][0]
    assert waiting == 4  # in the outbox, with the rows, in their transactions
    shown = [(kind, what) for _, kind, what, _ in sync.file.waiting_entries(20) if kind == "cash"]
    assert shown == [  # as the store link screen lists them
        ("cash", "paid in 20.00"),
        ("cash", "paid out 5.50"),
        ("cash", "pickup 30.00"),
        ("cash", "no sale"),
    ]
    sync.run_once()
    query = "SELECT kind, amount, reason, operator FROM cash_movement ORDER BY id"
    pushed = _server(store, query)
    assert [tuple(row) for row in pushed] == [
        ("paid_in", 2000, "Float top-up", "9001"),
        ("paid_out", 550, "Window cleaner", "9001"),
        ("pickup", 3000, "Safe", "9001"),
        ("no_sale", 0, "Check a note", "9001"),
    ]
    sync.file.push_again_after(0)  # a crash before the till marked them sent: again
    sync.run_once()
    assert _server(store, "SELECT count(*) FROM cash_movement")[0][0] == 4
    expected = 5000 + 120 + 2000 - 550 - 3000
    services.days.close_day(expected)
    sync.run_once()
    runner = CliRunner()
    shown = runner.invoke(cli, ["report", "--db", store, "--till", "Till A", "--z", "1", "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["cash_movements"] == {
        "paid_in": "20.00",
        "paid_out": "5.50",
        "pickups": "30.00",
        "no_sales": 1,
    }
    assert report["cash_up"]["expected"] == "35.70"
    assert report["cash_up"]["difference"] == "0.00"
    assert [m["reason"] for m in report["movements"]] == [
        "Float top-up",
        "Window cleaner",
        "Safe",
        "Check a note",
    ]


def test_a_server_too_old_for_cash_movements_is_refused_at_the_connection(store: str) -> None:
    """A server of schema 15 has no table for the movements a till pushes: refused when
    the till connects, saying to upgrade it (not at the first movement)."""
    with psycopg.connect(store, autocommit=True) as conn:
        conn.execute("UPDATE pos_schema SET version = 15")
    server = StoreServer(store)
    with pytest.raises(NotThisStore, match="upgrade it first"):
        server.connect()
    assert not server.connected

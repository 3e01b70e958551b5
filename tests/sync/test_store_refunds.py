"""A store's till pushes its refunds without a receipt and its refunds' reasons (issue 21,
items 6 and 7) through the outbox: each reaches the server once, with the lines' own
items, and the server's Z report of the till counts them. Against a real PostgreSQL
(skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import json
from collections.abc import Callable

import psycopg
import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.sync.store import NotThisStore, StoreServer
from pos.domain.returns import ReturnLine
from pos.services.container import Services
from pos.services.sync import StoreSync
from tests.conftest import MANAGER
from tests.sync.helpers import sell as _sell
from tests.sync.helpers import server as _server

PEN = "4006381333931"  # 1.20, VAT 20%
LEMON = "5000000000012"  # 0.50


def test_refunds_with_reasons_reach_the_server_once(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*MANAGER)
    services.days.open_day(5000)
    sold = _sell(services, PEN)
    line = (services.refunds.lines(sold) or [])[0].line_no
    services.refunds.refund(sold, {line: 1}, "cash", reason="Faulty")
    lemons = services.returns.item(LEMON, 2)
    assert isinstance(lemons, ReturnLine)
    services.returns.refund([lemons.priced(40)], "cash", "Changed mind")
    sync.run_once()
    sync.file.push_again_after(0)  # a crash before the till marked them sent: again
    sync.run_once()
    pushed = _server(
        store,
        "SELECT r.receipt_no, r.sale_id IS NULL, r.total, r.reason, l.line_no, l.qty, "
        "l.amount, l.barcode, l.name, l.unit, l.unit_price, l.tax_rate FROM refund r "
        "JOIN refund_line l ON l.refund_id = r.id ORDER BY r.id, l.id",
    )
    assert [tuple(row) for row in pushed] == [
        (2, False, 120, "Faulty", 1, 1, 120, None, None, None, None, None),
        (3, True, 80, "Changed mind", 1, 2, 80, LEMON, "Lemons unwaxed", "each", 40, 0),
    ]
    services.days.close_day(5000 + 120 - 120 - 80)
    sync.run_once()
    shown = CliRunner().invoke(
        cli, ["report", "--db", store, "--till", "Till A", "--z", "1", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["unreceipted_refunds"] == {
        "count": 1,
        "amount": "0.80",
        "cash": "0.80",
        "card": "0.00",
    }
    assert report["refund_reasons"] == {
        "Changed mind": {"count": 1, "amount": "0.80"},
        "Faulty": {"count": 1, "amount": "1.20"},
    }
    assert report["cash_up"]["unreceipted_cash_refunds"] == "0.80"
    assert report["cash_up"]["difference"] == "0.00"


def test_a_server_without_refund_reasons_is_refused_at_the_connection(store: str) -> None:
    """A server of schema 16 has no column for a refund's reason: refused when the till
    connects, saying to upgrade it (not at the first refund pushed)."""
    with psycopg.connect(store, autocommit=True) as conn:
        conn.execute("UPDATE pos_schema SET version = 16")
    server = StoreServer(store)
    with pytest.raises(NotThisStore, match="upgrade it first"):
        server.connect()
    assert not server.connected

"""A store's till pushes the cashier's discounts of its sales (issue 21, item 8) with the
sales, through the outbox: the server keeps each with its reason and rate, and its report
of the till counts them apart from the promotions. Against a real PostgreSQL (skipped
without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import CliRunner

from pos.cli import cli
from pos.services.container import Services
from pos.services.sync import StoreSync
from tests.conftest import MANAGER
from tests.sync.helpers import server as _server

MILK, BREAD = "5010000123451", "5010222129514"  # 1.45, 1.35


def test_manual_discounts_reach_the_server_with_their_sale(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*MANAGER)
    services.days.open_day(0)
    for code in (MILK, BREAD):
        assert not services.checkout.submit(code).error
    assert not services.manual_discounts.give(1, "0.45", "Price match").error
    assert not services.manual_discounts.give(None, "10", "Staff").error
    tender = services.sales.start()
    tender.cash(tender.due)
    receipt = services.sales.complete(tender).receipt_no
    sync.run_once()
    pushed = _server(store, "SELECT kind, amount, reason, rate FROM sale_discount ORDER BY id")
    assert [tuple(row) for row in pushed] == [
        ("manual_line", 45, "Price match", None),
        ("manual_sale", 24, "Staff", 1000),
    ]
    services.refunds.refund(receipt, {1: 1}, "cash", reason="Faulty")  # what was paid for the milk
    services.days.close_day(211 - 90)
    sync.run_once()
    shown = CliRunner().invoke(
        cli, ["report", "--db", store, "--till", "Till A", "--z", "1", "--json"]
    )
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.output)
    assert report["manual_discounts"] == {"count": 2, "amount": "0.69"}
    assert report["discounts"] == "0.00"
    assert report["refunds"] == "0.90"

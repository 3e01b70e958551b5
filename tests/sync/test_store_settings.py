"""A setting changed on the store's server (``pos settings set --db URL``) reaches a
running till through its sync and is used from its next sale, without a restart; the
till's own name never comes from the store. Against a real PostgreSQL (skipped without
one: POS_TEST_PG_URL)."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import CliRunner

from pos.cli import cli
from pos.services.container import Services
from pos.services.sync import StoreSync
from tests.conftest import CASHIER

PEN = "4006381333931"


def _set_on_store(store: str, key: str, value: str) -> None:
    result = CliRunner().invoke(cli, ["settings", "set", "--db", store, key, value])
    assert result.exit_code == 0, result.output


def _pay(services: Services) -> str:
    tender = services.sales.start()
    tender.cash(tender.due)
    return services.sales.complete(tender).receipt_text


def test_a_setting_set_on_the_store_reaches_the_running_till_between_sales(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*CASHIER)
    _set_on_store(store, "store_name", "Corner Shop")
    _set_on_store(store, "receipt_header", "1 High St|VAT GB1")
    _set_on_store(store, "currency_symbol", "kr")
    _set_on_store(store, "till_name", "Front")  # the store's own: never a till's
    assert services.take_up_settings() == set()  # not pulled yet
    assert not services.checkout.submit(PEN).error  # a customer's sale begins
    sync.run_once()  # the worker pulls the store's settings into the till's file
    assert services.take_up_settings() == set()  # not in the middle of a sale
    text = _pay(services)
    assert "Corner Shop" not in text  # the sale as it began
    assert services.take_up_settings() == {"store_name", "receipt_header", "currency_symbol"}
    assert services.settings.till_name == "Till A"
    assert not services.checkout.submit(PEN).error
    lines = [line.strip() for line in _pay(services).splitlines()]
    assert lines[1:4] == ["Corner Shop", "1 High St", "VAT GB1"]
    assert any(line.startswith("TOTAL") and "kr" in line for line in lines)
    assert any(line.startswith("Till A") for line in lines)

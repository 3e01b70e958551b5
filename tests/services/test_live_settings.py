"""A settings change made while the till runs (``pos settings set`` in another process,
the store's sync writing the till's file) is taken up between sales without a restart,
never in the middle of one; the till's name (and demo, kiosk) wait for the next start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.database import open_database, till_lock
from pos.db.repositories import SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.store import validate_setting
from tests.conftest import FAST_HASHER, MANAGER
from tests.sales import sell as ring_up

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

PEN = "4006381333931"
CHEESE_LABEL = "2010001003458"  # cheese, 3.45 on its label (the default pattern)
WEIGHED_ONLY = (
    '[{"name": "Scales", "pattern": "29IIIIIVVVVVC", "measure": "weight", "decimals": 3}]'
)


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def _set_elsewhere(db: Path, **values: str) -> None:
    """Settings written on a connection of their own (as another process would)."""
    database = open_database(db)
    try:
        repo = SettingsRepository(database)
        for key, value in values.items():
            repo.set(key, validate_setting(key, value))
    finally:
        database.close()


def _set_raw(db: Path, **values: str) -> None:
    """Settings written as they are, past ``pos settings set``'s checks (by hand)."""
    database = open_database(db)
    try:
        for key, value in values.items():
            SettingsRepository(database).set(key, value)
    finally:
        database.close()


def _sell(services: Services, *codes: str) -> str:
    return ring_up(services, *codes).receipt_text


def test_a_setting_set_by_another_process_is_used_by_the_next_sale(
    services: Services, shop_db: Path
) -> None:
    assert "Corner Shop" not in _sell(services, PEN)
    result = CliRunner().invoke(
        cli, ["settings", "set", "--db", str(shop_db), "receipt_header", "1 High St|VAT GB1"]
    )
    assert result.exit_code == 0, result.output
    _set_elsewhere(shop_db, store_name="Corner Shop", currency_symbol="kr")
    assert services.take_up_settings() == {"store_name", "receipt_header", "currency_symbol"}
    assert services.settings.store_name == "Corner Shop"
    text = _sell(services, PEN)
    lines = [line.strip() for line in text.splitlines()]
    assert lines[1:4] == ["Corner Shop", "1 High St", "VAT GB1"]
    assert any(line.startswith("TOTAL") and "kr" in line for line in lines), text
    assert services.take_up_settings() == set()  # nothing changed since: nothing read


def test_idle_lock_patterns_and_entry_checks_follow_the_settings(
    services: Services, shop_db: Path
) -> None:
    assert services.checkout.parse_price("150") == 15_000
    assert not services.checkout.submit("6*" + PEN).confirm
    assert not services.checkout.submit(CHEESE_LABEL).error  # the in-store pattern (2...)
    services.checkout.void_cart()
    _set_elsewhere(
        shop_db,
        idle_lock_minutes="3",
        max_qty_without_confirm="5",
        implied_decimal="yes",
        barcode_patterns=WEIGHED_ONLY,
    )
    changed = services.take_up_settings()
    assert changed == {
        "idle_lock_seconds",
        "max_qty_without_confirm",
        "implied_decimal",
        "patterns",
    }
    assert services.settings.idle_lock_seconds == 180
    assert services.checkout.parse_price("150") == 150  # implied decimal: pence
    assert services.checkout.submit("6*" + PEN).confirm  # more than 5: asked first
    assert services.checkout.submit(CHEESE_LABEL).error  # 20... is no longer a label
    assert services.price_check.look_up(CHEESE_LABEL).error  # the price check reads the same


def test_a_change_waits_while_a_sale_is_open_and_its_receipt_is_as_it_began(
    services: Services, shop_db: Path
) -> None:
    assert not services.checkout.submit(PEN).error
    _set_elsewhere(shop_db, store_name="Corner Shop", receipt_width="32")
    assert services.take_up_settings() == set()  # an item in the cart: not now
    text = _sell(services)  # paid: the sale's settings are the ones it began with
    assert "Corner Shop" not in text
    assert max(len(line) for line in text.splitlines()) > 32
    assert services.take_up_settings() == {"store_name", "receipt_width"}
    text = _sell(services, PEN)
    assert "Corner Shop" in text
    assert max(len(line) for line in text.splitlines()) <= 32


def test_the_till_name_demo_and_kiosk_wait_for_the_next_start(
    services: Services, shop_db: Path
) -> None:
    _set_elsewhere(shop_db, till_name="Till 9", kiosk="yes", store_name="Corner Shop")
    _set_raw(shop_db, demo="no")
    assert services.take_up_settings() == {"store_name"}
    assert services.settings.till_name == "Till 1"
    assert services.settings.kiosk is False
    assert services.settings.demo is True
    assert "Till 1" in _sell(services, PEN)


def test_a_setting_that_cannot_be_used_leaves_the_till_as_it_is(
    services: Services, shop_db: Path
) -> None:
    _set_raw(shop_db, receipt_width="wide", store_name="Corner Shop")  # past the checks
    assert services.take_up_settings() == set()
    assert services.settings.store_name == "My Shop"
    assert services.settings.receipt_width == 42


@pytest.mark.sqlite_only  # SQLite's statement trace
def test_looking_for_a_change_reads_no_table_until_the_file_changed(
    services: Services, shop_db: Path
) -> None:
    services.take_up_settings()
    statements: list[str] = []
    connection = services.db.connection()
    connection.set_trace_callback(statements.append)
    try:
        services.checkout.submit(PEN)  # a scan asks nothing more than it did
        assert not [s for s in statements if "data_version" in s]
        settings = [s for s in statements if '"setting"' in s]
        assert all("rules_version" in s for s in settings), settings  # (the rules' own)
        statements.clear()
        services.live.take_up()
        assert statements == ["PRAGMA data_version"]
        _set_elsewhere(shop_db, store_name="Corner Shop")
        statements.clear()
        services.live.take_up()
        assert statements[0] == "PRAGMA data_version"
        assert any('FROM "setting"' in s for s in statements)
    finally:
        connection.set_trace_callback(None)
    assert services.settings.store_name == "Corner Shop"


def test_the_till_name_is_not_changed_while_that_till_is_open(
    shop_db: Path, clock: FixedClock
) -> None:
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    runner = CliRunner()
    args = ["settings", "set", "--db", str(shop_db), "till_name", "Till 9"]
    try:
        refused = runner.invoke(cli, args)
        assert refused.exit_code == 1
        assert "Till 1 is open on this database" in refused.output
        assert "Close the till (Ctrl+Q), then set till_name again" in refused.output
        # its own name again changes nothing: not refused
        same = runner.invoke(cli, [*args[:5], "Till 1"])
        assert same.exit_code == 0, same.output
        # another setting is fine meanwhile
        assert runner.invoke(cli, [*args[:4], "store_name", "Corner Shop"]).exit_code == 0
    finally:
        built.close()
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    lock = till_lock(shop_db, "Till 1")  # held for the change, and given back after it
    lock.acquire()
    lock.release()
    ids = SequentialIds()
    ids._n = 1_000  # another till's cart: ids of its own
    again = build_services(shop_db, clock=clock, ids=ids, hasher=FAST_HASHER)
    try:
        assert again.settings.till_name == "Till 9"  # at the next start
    finally:
        again.close()

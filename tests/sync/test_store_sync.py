"""A till of a store sells from its own file and syncs with the store's server (issue 19):
sales reach the server exactly once and in order, the store's changes reach the till by
version, and a till keeps selling while the server is away. Against a real PostgreSQL
(skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pos.auth.keys import key_file_for
from pos.auth.service import LoginFailed
from pos.cli import cli
from pos.db.errors import DatabaseOpenError
from pos.db.sync.enrol import make_till_file, public_url, store_of
from pos.db.sync.store import StoreServer, SyncConflict
from pos.db.sync.till_file import Cursor
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.store_till import open_store_till
from pos.services.sync import StoreSync
from tests.conftest import CASHIER, FAST_HASHER, MANAGER
from tests.sync.helpers import local as _local
from tests.sync.helpers import sell as _sell
from tests.sync.helpers import server as _server
from tests.sync.proxy import Relay

PEN = "4006381333931"
BUTTER = "0036000291452"


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


@pytest.fixture
def relay(store: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Relay]:
    """The store's server behind a relay the test can cut; the till finds the store's key
    file through POS_KEYS, as a till on another machine would."""
    monkeypatch.setenv("POS_KEYS", str(key_file_for(store)))
    relay = Relay(store)
    yield relay
    relay.cut()


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)


def test_the_till_sells_through_an_outage_and_every_sale_reaches_the_server_once(
    store: str, relay: Relay, clock: FixedClock
) -> None:
    target = open_store_till(relay.url, "Till A", clock)
    assert target.sync is not None
    services = build_services(
        target.path, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER, till_name=target.till
    )
    sync = target.sync
    sync.wait_seconds = 0.05
    try:
        sync.start()
        _wait_for(lambda: sync.status.online, "online")
        services.sessions.login(*CASHIER)
        assert _sell(services, PEN) == 1
        _wait_for(lambda: _server(store, "SELECT count(*) FROM sale")[0][0] == 1, "pushed")
        relay.cut()  # the server goes away: the till goes on selling from its file
        receipts = [_sell(services, PEN, BUTTER) for _ in range(3)]
        assert receipts == [2, 3, 4]
        _wait_for(lambda: not sync.status.online, "offline")
        _wait_for(lambda: sync.status.sales_waiting == 3, f"three sales waiting {sync.status}")
        assert sync.status.text().startswith("OFFLINE - 3 sales waiting, last contact ")
        assert _server(store, "SELECT count(*) FROM sale")[0][0] == 1
        relay.restore()
        _wait_for(lambda: _server(store, "SELECT count(*) FROM sale")[0][0] == 4, "all pushed")
        _wait_for(lambda: sync.status.text() == "Online", "online again, nothing waiting")
        rows = _server(store, "SELECT receipt_no FROM sale WHERE till = 'Till A' ORDER BY 1")
        assert [r[0] for r in rows] == [1, 2, 3, 4]
        assert _server(store, "SELECT last_receipt FROM till_counter WHERE till = 'Till A'") == [
            (4,)
        ]
    finally:
        services.attach_sync(sync)
        services.close()


def test_a_sale_s_commit_nudges_the_worker_to_send_it_at_once(
    store: str, clock: FixedClock
) -> None:
    """The worker looks at the outbox every ``wait_seconds`` (a second) and sleeps in
    between, which costs the till nothing; a sale's commit wakes it, so the sale does not
    wait for the next look (here a minute away)."""
    target = open_store_till(store, "Till A", clock)
    assert target.sync is not None
    services = build_services(
        target.path, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER, till_name=target.till
    )
    sync = target.sync
    sync.wait_seconds = 60
    services.attach_sync(sync)
    try:
        sync.start()
        _wait_for(lambda: sync.status.online, "online")
        services.sessions.login(*CASHIER)
        time.sleep(0.3)  # the worker is in its minute's wait
        assert _sell(services, PEN) == 1
        started = time.monotonic()
        _wait_for(lambda: _server(store, "SELECT count(*) FROM sale")[0][0] == 1, "pushed")
        assert time.monotonic() - started < 10
    finally:
        services.close()


def test_a_server_restored_from_an_older_backup_gets_the_missing_sales_again(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*CASHIER)
    for _ in range(3):
        _sell(services, PEN)
    sync.run_once()
    # the backup was taken after the first sale: the server has forgotten the last two,
    # and its record of how far this till had got went back with them
    with psycopg.connect(store) as conn:
        kept = conn.execute("SELECT id FROM sale WHERE receipt_no = 1").fetchone()[0]
        for table in ("sale_line", "payment", "sale_vat", "sale_discount"):
            conn.execute(f"DELETE FROM {table} WHERE sale_id <> %s", (kept,))
        conn.execute("DELETE FROM sale WHERE id <> %s", (kept,))
        first_seq = int(
            _local(sync.path, "SELECT seq FROM outbox WHERE kind = 'sale' ORDER BY seq")[0][0]
        )
        conn.execute("UPDATE till_sync SET pushed = %s", (first_seq,))
    sync.run_once()
    rows = _server(store, "SELECT receipt_no FROM sale ORDER BY 1")
    assert [r[0] for r in rows] == [1, 2, 3]


def test_a_till_name_is_one_file_until_a_manager_hands_it_over(
    store: str,
    till: Callable[[str], tuple[Services, StoreSync]],
    tmp_path: Path,
    clock: FixedClock,
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*CASHIER)
    _sell(services, PEN)
    # another machine set up under the same name: refused, nothing made
    again = tmp_path / "again.sqlite"
    with pytest.raises(DatabaseOpenError, match="Till A already sells from another till file"):
        make_till_file(again, store, "Till A", key_file_for(store))
    assert not again.exists()
    sync.run_once()
    assert _server(store, "SELECT count(*) FROM sale")[0][0] == 1
    # the till's disk was lost for good: the new file takes the name over, and goes on
    # from the receipts the server has; the old file's pushes are refused from now on
    make_till_file(again, store, "Till A", key_file_for(store), replace=True)
    _sell(services, PEN)
    with pytest.raises(SyncConflict, match="another till file now sells as Till A"):
        sync.run_once()
    assert _server(store, "SELECT count(*) FROM sale")[0][0] == 1
    assert _local(again, "SELECT last_receipt FROM till_counter") == [(1,)]


def test_operator_changes_on_the_server_reach_the_till_and_its_lockout_count_stays_its_own(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    services, sync = till("Till A")
    number, pin = CASHIER
    with pytest.raises(LoginFailed):
        services.sessions.login(number, "0000")  # one wrong PIN, counted on this till
    _server(store, "UPDATE operator SET name = 'Renamed' WHERE number = %s RETURNING 1", number)
    sync.run_once()  # the name changed on the server (sealed fields untouched): applied,
    assert _local(
        sync.path, "SELECT name, failed_attempts FROM operator WHERE number = '1001'"
    ) == [
        ("Renamed", 1)  # and this till's count of wrong PINs kept, sealed again
    ]
    assert services.sessions.login(number, pin).identity.number == number
    services.sessions.logout()
    # a manager sets a new PIN on the store: the till takes it at the next pull
    changed = CliRunner().invoke(
        cli, ["operators", "set-pin", "--db", store, "--number", number], input="4827\n"
    )
    assert changed.exit_code == 0, changed.output
    sync.run_once()
    with pytest.raises(LoginFailed):
        services.sessions.login(number, pin)
    assert services.sessions.login(number, "4827").identity.number == number


def test_a_rule_renamed_or_deleted_on_the_server_is_renamed_or_deleted_on_the_till(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    _, sync = till("Till A")
    first, second = (
        name for (name,) in _server(store, "SELECT name FROM discount_rule ORDER BY id LIMIT 2")
    )
    _server(store, "DELETE FROM discount_rule WHERE name = %s RETURNING 1", second)
    _server(
        store, "UPDATE discount_rule SET name = %s WHERE name = %s RETURNING 1", second, first
    )  # the first takes the deleted one's name
    sync.run_once()
    here = sorted(name for (name,) in _local(sync.path, "SELECT name FROM discount_rule"))
    there = sorted(name for (name,) in _server(store, "SELECT name FROM discount_rule"))
    assert here == there
    assert first not in here


def test_a_catalog_import_on_the_server_is_one_version_and_reaches_the_till(
    store: str, till: Callable[[str], tuple[Services, StoreSync]], tmp_path: Path
) -> None:
    _, sync = till("Till A")
    before = _server(store, "SELECT version FROM store_meta")[0][0]
    csv = tmp_path / "prices.csv"
    csv.write_text(
        f"barcode,name,price\n{PEN},Highlighter pen yellow,2.49\n5012345678900,A new product,1.00\n"
    )
    done = CliRunner().invoke(cli, ["products", "import", "--db", store, str(csv)])
    assert done.exit_code == 0, done.output
    versions = _server(
        store,
        "SELECT DISTINCT version FROM product WHERE barcode IN (%s, %s)",
        PEN,
        "5012345678900",
    )
    assert versions == [(before + 1,)]  # the whole import: one version, taken once
    sync.run_once()
    rows = _local(
        sync.path, f"SELECT price FROM product WHERE barcode IN ('{PEN}', '5012345678900')"
    )
    assert sorted(r[0] for r in rows) == [100, 249]


def test_a_pull_cut_off_goes_on_from_where_it_stopped(
    store: str, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server goes away in the middle of a new till's first pull: the start fails
    with what to do, and the next start goes on from the last batch applied (nothing
    pulled twice, nothing missed)."""
    path = tmp_path / "till.sqlite"
    make_till_file(path, store, "Till A", key_file_for(store))
    monkeypatch.setattr("pos.services.sync.PULL_BATCH", 10)
    real = StoreServer.changes
    calls = {"n": 0}

    def flaky(self: StoreServer, table: str, after: Cursor, limit: int) -> list[tuple[object, ...]]:
        calls["n"] += 1
        if table == "product" and calls["n"] == 8:  # after three batches of products
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real(self, table, after, limit)

    monkeypatch.setattr(StoreServer, "changes", flaky)
    with pytest.raises(DatabaseOpenError, match="Start it again when the server can be reached"):
        open_store_till(path, "Till A", clock)
    pulled = _local(path, "SELECT count(*) FROM product")[0][0]
    assert 0 < pulled < _server(store, "SELECT count(*) FROM product")[0][0]
    target = open_store_till(path, "Till A", clock)  # the next start
    assert target.sync is not None
    target.sync.stop()
    here = _local(path, "SELECT id, barcode, price FROM product ORDER BY id")
    there = _server(store, "SELECT id, barcode, price FROM product ORDER BY id")
    assert here == there


def test_a_server_gone_back_to_an_older_state_is_pulled_again_in_full(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    """The server restored from a backup from before changes the till has pulled: its
    version is behind the till's, so the till pulls everything again (a product changed
    after the backup is put back as the server has it)."""
    _, sync = till("Till A")
    _server(store, "UPDATE product SET price = 999 WHERE barcode = %s RETURNING 1", PEN)
    sync.run_once()
    assert _local(sync.path, f"SELECT price FROM product WHERE barcode = '{PEN}'") == [(999,)]
    with psycopg.connect(store) as conn:  # the restore: the old price, the old version
        conn.execute("ALTER TABLE product DISABLE TRIGGER product_version")
        conn.execute("UPDATE product SET price = 120 WHERE barcode = %s", (PEN,))
        conn.execute("ALTER TABLE product ENABLE TRIGGER product_version")
        conn.execute("UPDATE store_meta SET version = 1")
    sync.run_once()
    assert _local(sync.path, f"SELECT price FROM product WHERE barcode = '{PEN}'") == [(120,)]


def test_renamed_products_and_swapped_barcodes_reach_the_till_as_on_the_server(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    """A pull sets a product's indexed columns (barcode, name) by a statement of their own,
    only where they changed: a rename, two barcodes swapped and a price change in one pull
    leave the till's catalog the server's, row for row."""
    _, sync = till("Till A")
    (a, code_a), (b, code_b), (c, _) = _server(
        store, "SELECT id, barcode FROM product ORDER BY id LIMIT 3"
    )
    with psycopg.connect(store, autocommit=False) as conn:  # one transaction: one version
        conn.execute("UPDATE product SET barcode = '00000000' WHERE id = %s", (a,))
        conn.execute("UPDATE product SET barcode = %s WHERE id = %s", (code_a, b))
        conn.execute("UPDATE product SET barcode = %s WHERE id = %s", (code_b, a))
        conn.execute("UPDATE product SET name = 'Renamed', price = price + 7 WHERE id = %s", (c,))
    sync.run_once()
    sql = "SELECT id, barcode, name, price, tax_rate, unit FROM product ORDER BY id"
    assert _local(sync.path, sql) == _server(store, sql)
    renamed = _local(sync.path, f"SELECT name FROM product WHERE id = {c}")
    assert renamed == [("Renamed",)]


def test_plus_swapped_and_ages_set_on_the_server_reach_the_till(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    """PLUs are unique on the till too, at every row of a pull: two products that swap
    theirs on the server arrive as the server has them (the first row applied would take
    a PLU the second still has)."""
    _, sync = till("Till A")
    (a,), (b,) = _server(store, "SELECT id FROM product ORDER BY id LIMIT 2")
    with psycopg.connect(store, autocommit=False) as conn:
        conn.execute("UPDATE product SET plu = '3001', min_age = 18 WHERE id = %s", (a,))
        conn.execute("UPDATE product SET plu = '3002' WHERE id = %s", (b,))
    sync.run_once()
    with psycopg.connect(store, autocommit=False) as conn:  # one transaction: one version
        conn.execute("UPDATE product SET plu = NULL WHERE id = %s", (a,))
        conn.execute("UPDATE product SET plu = '3001' WHERE id = %s", (b,))
        conn.execute("UPDATE product SET plu = '3002' WHERE id = %s", (a,))
    sync.run_once()
    sql = f"SELECT id, plu, min_age FROM product WHERE id IN ({a}, {b}) ORDER BY id"
    assert _local(sync.path, sql) == [(a, "3002", 18), (b, "3001", None)]
    assert _local(sync.path, sql) == _server(store, sql)


def test_a_product_renamed_on_the_server_is_found_by_its_new_name_on_the_till(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    """The till's search index follows every pull (its triggers): a rename, a new product,
    a deletion and a barcode that moved to another product."""
    services, sync = till("Till A")
    services.sessions.login(*CASHIER)  # a search on the till asks the guard
    assert [f.barcode for f in services.search.find("pen")] == [PEN]
    _server(
        store, "UPDATE product SET name = 'Fountain pen blue' WHERE barcode = %s RETURNING 1", PEN
    )
    _server(
        store,
        "INSERT INTO product (barcode, name, price, tax_rate, unit) "
        "VALUES ('5000000000098', 'Crème brûlée', 250, 0, 'each') RETURNING 1",
    )
    _server(store, "DELETE FROM product WHERE barcode = %s RETURNING 1", BUTTER)
    sync.run_once()
    assert [f.name for f in services.search.find("fount blu")] == ["Fountain pen blue"]
    assert services.search.find("highlighter").found == ()  # the old name is gone
    assert [f.barcode for f in services.search.find("creme br")] == ["5000000000098"]
    assert [f.name for f in services.search.find("peanut")] == ["Salted peanuts 200g"]
    sql = "SELECT rowid FROM product_search WHERE product_search MATCH '\"fount\"*'"
    assert len(_local(sync.path, sql)) == 1
    conn = sqlite3.connect(sync.path)
    try:
        conn.execute("INSERT INTO product_search (product_search) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_a_new_till_indexes_the_store_s_catalog_once_after_its_first_pull(
    store: str, till: Callable[[str], tuple[Services, StoreSync]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pull into an empty catalog writes the rows without the search index's
    triggers and builds the index once at its end (row by row, a million names were most
    of a new till's first sync); the triggers are back after it, so later pulls follow."""
    from pos.db import product_search

    calls: list[str] = []
    suspend, restore = product_search.suspend, product_search.restore
    monkeypatch.setattr(product_search, "suspend", lambda c: (calls.append("off"), suspend(c)))
    monkeypatch.setattr(product_search, "restore", lambda c: calls.append("on") or restore(c))
    services, sync = till("Till A")
    assert calls == ["off", "on"]
    triggers = (
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'product_search%'"
    )
    assert _local(sync.path, triggers) == [(3,)]
    assert _local(
        sync.path, "SELECT count(*) FROM sync_state WHERE key = 'search_index_stale'"
    ) == [(0,)]
    services.sessions.login(*CASHIER)
    assert [f.barcode for f in services.search.find("pen")] == [PEN]
    sync.run_once()  # nothing new: the catalog is not empty any more, nothing suspended
    assert calls == ["off", "on"]


def test_the_server_s_report_of_a_till_counts_the_voids_the_till_pushed(
    store: str, till: Callable[[str], tuple[Services, StoreSync]]
) -> None:
    """The store's X/Z figures for a till count its voids and overrides from the audit
    chain the till pushed (till_audit), as the till's own report counts them from its
    file; before this they came out 0 on the server."""
    from pos.db.database import open_database
    from pos.db.reports import day_figures

    services, sync = till("Till A")
    services.sessions.login(*MANAGER)
    services.days.open_day(0)  # (the first day opens by itself at the first sale)
    for code in (PEN, BUTTER, PEN):
        assert not services.checkout.submit(code).error
    assert not services.checkout.void_line(2).error  # a manager's void: one "void" entry
    tender = services.sales.start()
    tender.cash(tender.due)
    services.sales.complete(tender)
    sync.run_once()
    (day,) = (int(d) for (d,) in _server(store, "SELECT id FROM till_day WHERE till = 'Till A'"))
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    figures = {}
    for where, target in (("till", sync.path), ("server", store)):
        db = open_database(target)
        try:
            by_time = day_figures(db, "Till A", start, end)
            by_day = day_figures(db, "Till A", start, end, day=day)
        finally:
            db.close()
        figures[where] = (by_time.voids, by_time.overrides, by_day.voids, by_day.overrides)
    assert figures["till"] == (1, 0, 1, 0)
    assert figures["server"] == figures["till"]


def test_a_row_changed_during_a_new_till_s_first_pull_arrives_whole(
    store: str, till: Callable[[str], tuple[Services, StoreSync]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first pull into an empty table takes its rows without looking for old ones; a row
    it has already taken and the store changes meanwhile comes again later in the same
    pull, and must then replace the one taken (its barcode and name too)."""
    _, sync = till("Till A")
    local = sqlite3.connect(sync.path)
    with local:  # the till's catalog empty and unpulled again, as a new till's
        local.execute("DELETE FROM product")
        local.execute("DELETE FROM sync_state WHERE key = 'pulled:product'")
    local.close()
    monkeypatch.setattr("pos.services.sync.PULL_BATCH", 5)
    ((first,),) = _server(store, "SELECT id FROM product ORDER BY version, id LIMIT 1")
    changed: list[str] = []

    def meanwhile(table: str, _rows: int) -> None:
        if table == "product" and not changed:  # after the first batch, which has it
            changed.append("yes")
            _server(
                store,
                "UPDATE product SET name = 'Renamed mid-pull', barcode = '00000000', "
                "price = price + 1 WHERE id = %s RETURNING 1",
                first,
            )

    sync.pull(meanwhile)
    assert changed
    sql = "SELECT id, barcode, name, price FROM product ORDER BY id"
    assert _local(sync.path, sql) == _server(store, sql)

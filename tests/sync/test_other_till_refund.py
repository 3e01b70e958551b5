"""A refund of another till's sale (issue 19): the sale is copied from the store's server
with the refunds made of it so far, the refund is this till's own (its receipt number, its
report, its outbox) and reaches the server once, linked to the sale; the copy is never
sent back nor counted in this till's report. Against a real PostgreSQL (skipped without
one: POS_TEST_PG_URL)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from pos.db.sync.store import SyncConflict
from pos.db.sync.till_file import SALE_CHILDREN
from pos.services.container import Services
from pos.services.refunds import RefundFailed
from pos.services.sync import StoreSync
from tests.conftest import CASHIER, MANAGER
from tests.sync.helpers import local, sell, server
from tests.sync.proxy import Relay

PEN = "4006381333931"  # 1.20
BUTTER = "0036000291452"

Tills = Callable[[str], tuple[Services, StoreSync]]


def _sold_on_a(till: Tills) -> tuple[Services, StoreSync, int]:
    a, sync_a = till("Till A")
    a.sessions.login(*CASHIER)
    number = sell(a, PEN, PEN, BUTTER)
    sync_a.run_once()  # the sale is on the server
    return a, sync_a, number


def test_another_till_s_sale_is_copied_and_refunded_here_once(store: str, till: Tills) -> None:
    _, _, sold = _sold_on_a(till)
    b, sync_b = till("Till B")
    b.sessions.login(*MANAGER)
    assert b.sales.history(f"Till A {sold}") == []  # not on this till yet
    assert b.other_tills.copy("Till A", sold) is None
    rows = b.sales.history(f"Till A {sold}")
    assert [(row.till, row.receipt_no) for row in rows] == [("Till A", sold)]
    assert "Receipt 0001" in (b.sales.receipt(sold, "Till A") or "")
    lines = b.refunds.lines(sold, "Till A")
    assert lines is not None
    assert [line.sold for line in lines] == [2, 1]

    done = b.refunds.refund(sold, {1: 1}, "cash", till="Till A", reason="Faulty")
    assert done.receipt_no == 1  # Till B's own first receipt
    assert "For sale 0001 of Till A" in done.receipt_text
    # the copy is not this till's: not in its outbox, its sales, or its report
    waiting = local(sync_b.path, "SELECT kind FROM outbox WHERE pushed_at IS NULL")
    assert ("sale",) not in waiting
    assert ("refund",) in waiting
    _, figures, _ = b.sales.x_report()
    assert figures.sales == 0
    assert figures.refunds > 0
    sync_b.run_once()
    refunds = server(
        store,
        "SELECT r.till, r.receipt_no, s.till, s.receipt_no FROM refund r "
        "JOIN sale s ON s.id = r.sale_id",
    )
    assert refunds == [("Till B", 1, "Till A", sold)]
    assert server(store, "SELECT count(*) FROM sale")[0][0] == 1  # the copy never went back
    # what came back is gone: one more of the same pen, but not a third
    with pytest.raises(RefundFailed, match="Line 1: at most 1"):
        b.refunds.quote(sold, {1: 2}, "Till A")


def test_a_sale_opened_again_brings_the_refunds_other_tills_made(store: str, till: Tills) -> None:
    a, sync_a, sold = _sold_on_a(till)
    b, sync_b = till("Till B")
    b.sessions.login(*MANAGER)
    assert b.other_tills.copy("Till A", sold) is None
    b.refunds.refund(
        sold, {1: 2}, "cash", till="Till A", reason="Faulty"
    )  # both pens came back at Till B
    sync_b.run_once()
    a.sessions.login(*MANAGER)
    assert [line.refunded for line in a.refunds.lines(sold) or []] == [0, 0]  # not yet
    assert a.other_tills.copy("Till A", sold) is None  # its own sale: B's refund comes
    assert [line.refunded for line in a.refunds.lines(sold) or []] == [2, 0]
    with pytest.raises(RefundFailed):
        a.refunds.refund(sold, {1: 1}, "cash", reason="Faulty")  # no third pen
    # Till B's refund is B's: not in A's outbox, report or receipt numbers
    _, figures, _ = a.sales.x_report()
    assert figures.refunds == 0
    sync_a.run_once()
    assert server(store, "SELECT count(*) FROM refund")[0][0] == 1
    assert a.other_tills.copy("Till A", sold) is None  # asked again: nothing doubles
    assert local(sync_a.path, "SELECT count(*) FROM refund") == [(1,)]


def test_after_a_restore_a_refund_waits_for_the_other_till_s_sale_and_the_rest_goes_on(
    store: str, till: Tills
) -> None:
    """The server restored from a backup older than Till A's sale: Till B's refund of it
    waits (the header says for what) until Till A sends the sale again; Till B's sale
    before the refund goes at once, the one after it follows the refund."""
    _, sync_a, sold = _sold_on_a(till)
    b, sync_b = till("Till B")
    b.sessions.login(*MANAGER)
    assert b.other_tills.copy("Till A", sold) is None
    before = sell(b, BUTTER)
    b.refunds.refund(sold, {1: 1}, "cash", till="Till A", reason="Faulty")
    after = sell(b, PEN)
    with psycopg.connect(store) as conn:  # the restore: Till A's sale is gone, and how far
        (sale_id,) = conn.execute("SELECT id FROM sale WHERE till = 'Till A'").fetchone()
        for _, model in SALE_CHILDREN:
            conn.execute(f"DELETE FROM {model._meta.table_name} WHERE sale_id = %s", (sale_id,))
        conn.execute("DELETE FROM sale WHERE id = %s", (sale_id,))
        conn.execute("UPDATE till_sync SET pushed = 0 WHERE till = 'Till A'")
    sync_b.run_once()
    sync_b.run_once()  # tried again: still waiting, nothing doubled
    assert server(store, "SELECT till, receipt_no FROM sale ORDER BY 1, 2") == [("Till B", before)]
    assert server(store, "SELECT count(*) FROM refund") == [(0,)]
    assert sync_b.status.problem is None
    assert sync_b.status.text() == f"Online - waiting for Till A's sale {sold:04d}"
    assert sync_b.status.sales_waiting == 1  # the sale after the refund, in order

    sync_a.run_once()  # Till A connects and sends its sale again
    sync_b.run_once()
    assert server(store, "SELECT till, receipt_no FROM sale ORDER BY 1, 2") == [
        ("Till A", sold),
        ("Till B", before),
        ("Till B", after),
    ]
    refunds = server(
        store,
        "SELECT r.till, s.till, s.receipt_no FROM refund r JOIN sale s ON s.id = r.sale_id",
    )
    assert refunds == [("Till B", "Till A", sold)]
    assert sync_b.status.text() == "Online"


def test_a_refund_of_this_till_s_own_sale_missing_on_the_server_is_still_a_conflict(
    store: str, till: Tills
) -> None:
    """Only another till's sale can be sent again by someone else: this till's own sale
    is always sent before its refund, so its absence is a conflict, reported as before."""
    a, sync_a, sold = _sold_on_a(till)
    a.sessions.login(*MANAGER)
    a.refunds.refund(sold, {1: 1}, "cash", reason="Faulty")
    with psycopg.connect(store) as conn:  # someone deleted the sale on the server by hand
        (sale_id,) = conn.execute("SELECT id FROM sale").fetchone()
        for _, model in SALE_CHILDREN:
            conn.execute(f"DELETE FROM {model._meta.table_name} WHERE sale_id = %s", (sale_id,))
        conn.execute("DELETE FROM sale WHERE id = %s", (sale_id,))
    with pytest.raises(SyncConflict, match="the sale refunded .* is not on the server"):
        sync_a.run_once()


def test_a_sale_the_server_does_not_have_or_cannot_tell_is_explained(
    store: str, till: Tills
) -> None:
    b, _ = till("Till B")
    b.sessions.login(*MANAGER)
    assert "No sale 0042 of Till A on the store's server" in (
        b.other_tills.copy("Till A", 42) or ""
    )
    assert b.refunds.lines(42, "Till A") is None
    with pytest.raises(RefundFailed, match="No sale 0042 of Till A on this till"):
        b.refunds.refund(42, {1: 1}, "cash", till="Till A", reason="Faulty")


def test_an_offline_till_says_so_and_a_copy_once_made_works_offline(
    store: str, till: Tills
) -> None:
    _, _, sold = _sold_on_a(till)
    relay = Relay(store)
    try:
        b, sync_b = till("Till B")
        b.sessions.login(*MANAGER)
        sync_b.server.url = relay.url  # the till talks to the server through the relay
        relay.cut()
        said = b.other_tills.copy("Till A", sold) or ""
        assert "cannot be reached" in said
        assert "try again when the till is online" in said
        relay.restore()
        assert b.other_tills.copy("Till A", sold) is None
        relay.cut()
        done = b.refunds.refund(
            sold, {2: 1}, "card", till="Till A", reason="Faulty"
        )  # offline, from the copy
        assert done.amount > 0
    finally:
        relay.cut()


def test_a_till_of_its_own_has_no_other_tills(services: Services) -> None:
    services.sessions.login(*MANAGER)
    assert services.other_tills.copy("Till A", 1) == "No sale 0001 of Till A on this till"
    assert services.sales.history("Till A 1") == []


def test_a_copy_never_takes_in_rows_under_this_till_s_own_name(store: str, till: Tills) -> None:
    """What the server has under this till's own name (a refund this till's lost file
    made) is never copied in as another till's: it would fall into its report by time."""
    _, _, sold = _sold_on_a(till)
    b, sync_b = till("Till B")
    b.sessions.login(*MANAGER)
    assert b.other_tills.copy("Till A", sold) is None
    b.refunds.refund(sold, {1: 1}, "cash", till="Till A", reason="Faulty")
    sync_b.run_once()
    c, sync_c = till("Till C")  # as if Till B's file were lost and made again as "Till C"
    server(store, "UPDATE refund SET till = 'Till C' RETURNING 1")
    c.sessions.login(*MANAGER)
    assert c.other_tills.copy("Till A", sold) is None
    assert local(sync_c.path, "SELECT count(*) FROM refund") == [(0,)]
    assert local(sync_c.path, "SELECT till FROM sale") == [("Till A",)]

"""A refund of another till's sale on screen (issue 19): typed into the history as the
receipt prints it (``Till A 1``), the sale is asked of the store in the background, then
opened and refunded like one of this till's. The store here is a stand-in that copies a
real sale of another till file (the server's side is tested against PostgreSQL in
tests/sync/test_other_till_refund.py)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable

from pos.app import PosApp
from pos.db.sync.till_file import TillFile
from pos.domain.clock import FixedClock, SequentialIds
from pos.screens.history import HistoryScreen, SaleReceiptModal
from pos.screens.refund import RefundScreen
from pos.services.container import build_services
from pos.services.sync import SyncStatus
from pos.widgets import MessageLine
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, copy_database
from tests.ui.helpers import burst, settle, until

SIZE = (100, 30)
AppFactory = Callable[..., PosApp]
PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50


class Store:
    """The store's server as the history asks it: another till's sale, copied here."""

    def __init__(self, other_till_file: Path | None, down: bool = False) -> None:
        self.other = other_till_file
        self.down = down
        self.status = SyncStatus(online=not down)
        self.asked: list[tuple[str, int]] = []
        self.gate = threading.Event()  # cleared: the server takes its time answering
        self.gate.set()

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def copy_sale(self, till: str, receipt_no: int) -> bool:
        from pos.services.sync import StoreUnreachable

        self.asked.append((till, receipt_no))
        self.gate.wait(10)
        if self.down:
            raise StoreUnreachable("connection refused")
        if self.other is None:
            return False
        source = TillFile(self.other)
        try:
            row = source.conn.execute(
                "SELECT uuid FROM sale WHERE till = ? AND receipt_no = ?", (till, receipt_no)
            ).fetchone()
            if row is None:
                return False
            copy = {**(source.sale(row[0]) or {}), "refunds": []}
        finally:
            source.close()
        here = TillFile(self.here)
        try:
            here.keep_copy(copy, self.own)
        finally:
            here.close()
        return True

    here: Path
    own: str


def _sold_on_till_a(template: Path, tmp_path: Path, clock: FixedClock) -> Path:
    """Till A's own file (a copy of the demo database) with sale 1: two pens and a lemon."""
    path = copy_database(template, tmp_path / "till-a.sqlite")
    a = build_services(
        path, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER, till_name="Till A"
    )
    try:
        a.sessions.login(*CASHIER)
        for code in (PEN, PEN, LEMON):
            assert not a.checkout.submit(code).error
        tender = a.sales.start()
        tender.cash(tender.due)
        assert a.sales.complete(tender).receipt_no == 1
    finally:
        a.close()
    return path


def _store_till(app_factory: AppFactory, demo_db: Path, store: Store) -> PosApp:
    app = app_factory(login=MANAGER)
    store.here = demo_db
    store.own = app.services.settings.till_name
    app.services.sync = store  # type: ignore[assignment]
    return app


@pytest.fixture
def selling(
    app_factory: AppFactory,
    demo_db: Path,
    tmp_path: Path,
    clock: FixedClock,
    sqlite_template: Callable[[str], Path],
) -> tuple[PosApp, Store]:
    """A store's till (the demo manager logged in) whose store has sale 1 of Till A."""
    store = Store(_sold_on_till_a(sqlite_template("demo"), tmp_path, clock))
    return _store_till(app_factory, demo_db, store), store


def _rows(history: HistoryScreen) -> list[list[str]]:
    table = history.query_one(DataTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_another_till_s_sale_is_found_and_refunded_here(
    selling: tuple[PosApp, Store], demo_db: Path
) -> None:
    app, store = selling
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        assert isinstance(history, HistoryScreen)
        burst(app, "Till A 1")
        await settle(pilot)
        assert store.asked == []  # typing asks nothing (not sale 1, then 12, then 123...)
        message = history.query_one(MessageLine)
        assert "Sale 0001 of Till A is not on this till: Enter asks" in str(message.render())
        await pilot.press("enter")
        await until(pilot, lambda: _rows(history) != [])
        assert store.asked == [("Till A", 1)]
        assert [(r[0], r[4]) for r in _rows(history)] == [("Till A 0001", "2.90")]
        store.gate.clear()  # opening it asks the server for refunds other tills made
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SaleReceiptModal))
        await pilot.press("f4")  # too soon: the refunds made elsewhere are not known yet
        await settle(pilot)
        receipt = app.screen
        assert isinstance(receipt, SaleReceiptModal)
        assert "Still asking the store's server" in str(receipt.query_one(MessageLine).render())
        store.gate.set()
        await until(pilot, lambda: not receipt.checking)
        assert store.asked == [("Till A", 1), ("Till A", 1)]
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, RefundScreen))
        refund = app.screen
        title = str(refund.query_one("#refund-title").render())
        assert title == "Refund from sale 0001 of Till A"
        burst(app, "1\n")
        await settle(pilot)
        await pilot.press("f2", "enter")  # cash, the first reason
        await until(pilot, lambda: isinstance(app.screen, SaleReceiptModal))
        assert "Refund 0001" in app.screen.text  # this till's own first receipt
        assert "For sale 0001 of Till A" in app.screen.text
    conn = sqlite3.connect(demo_db)
    try:
        assert conn.execute(
            "SELECT r.till, r.receipt_no, r.total, s.till FROM refund r JOIN sale s "
            "ON s.id = r.sale_id"
        ).fetchall() == [(app.services.settings.till_name, 1, 120, "Till A")]
        assert conn.execute("SELECT count(*) FROM outbox WHERE kind = 'sale'").fetchone() == (0,)
    finally:
        conn.close()


async def test_a_store_that_cannot_be_asked_or_has_no_such_sale_is_explained(
    app_factory: AppFactory, demo_db: Path
) -> None:
    store = Store(None, down=True)
    app = _store_till(app_factory, demo_db, store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        history = app.screen
        message = history.query_one(MessageLine)
        burst(app, "Till A 7\n")
        await until(pilot, lambda: "cannot be reached" in str(message.render()))
        assert "try again when the till is online" in str(message.render())
        assert _rows(history) == []  # type: ignore[arg-type]
        store.down = False
        await pilot.press("enter")  # asked again: the server answers, without that sale
        await until(
            pilot, lambda: "No sale 0007 of Till A on the store's server" in str(message.render())
        )
        assert store.asked == [("Till A", 7), ("Till A", 7)]


async def test_a_refund_of_another_till_s_sale_says_which_till_in_the_history(
    selling: tuple[PosApp, Store],
) -> None:
    app, _ = selling
    services = app.services
    assert services.other_tills.copy("Till A", 1) is None
    services.refunds.refund(1, {1: 1}, "cash", till="Till A", reason="Faulty")
    own = services.sales.history(f"{services.settings.till_name} 1")  # as its receipt says
    assert [(row.receipt_no, row.refund_of, row.refund_of_till) for row in own] == [
        (1, 1, "Till A")
    ]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await settle(pilot)
        assert [r[0] for r in _rows(app.screen)] == ["0001 refund of Till A 0001"]  # type: ignore[arg-type]


async def test_a_till_of_its_own_says_it_has_only_its_own_sales(app_factory: AppFactory) -> None:
    app = app_factory(login=MANAGER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        burst(app, "front 42\n")
        message = app.screen.query_one(MessageLine)
        await until(pilot, lambda: "No sale 0042 of front on this till" in str(message.render()))

"""Completing a sale is idempotent on its sale id, and a commit that reported an error but
had in fact committed is recognised instead of being charged again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos.auth.service import Identity
from pos.db.database import checkpoint_apart
from pos.db.errors import StorageError
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.tax import paid_per_line
from pos.services.container import Services, build_services
from pos.services.sales import SaleFailed
from tests.conftest import FAST_HASHER, MANAGER
from tests.dbtools import rows_in_main_file

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

LEMON = "5000000000012"
PEN = "4006381333931"


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


def _boss(services: Services) -> Identity:
    who = services.guard.identity
    assert who is not None
    return who


def _scan(services: Services, *codes: str) -> None:
    for code in codes:
        services.checkout.submit(code)


def _count(services: Services, table: str) -> int:
    return int(services.db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_completing_the_same_sale_twice_saves_it_once(services: Services) -> None:
    _scan(services, LEMON, LEMON, LEMON, PEN)
    co = services.checkout
    vat = services.sales.vat()
    due = sum(row.gross for row in vat)
    tender = services.sales.start()
    tender.cash(due)
    audited: list[int] = []
    args: dict[str, Any] = {
        "cart_id": co.cart_id,
        "uuid": co.cart_uuid,
        "at": services.clock.now(),
        "operator": "9001",
        "lines": co.cart.lines,
        "priced": co.priced,
        "total": due,
        "tax_inclusive": True,
        "payments": tender.payments,
        "vat": vat,
        "paid": paid_per_line(co.cart.lines, co.priced, due),
        "receipt_text": lambda number: f"receipt {number}",
        "also": audited.append,
        "rules": co.applied_rules(),
        "priced_at": co.priced_at,
    }
    repo = services.sales.sales
    first = repo.complete(**args)
    again = repo.complete(**args)  # a retry with the same sale id
    assert first == again == 1
    assert audited == [1]  # the second call wrote nothing, not even the audit entry
    counts = {t: _count(services, t) for t in ("sale", "sale_line", "payment", "sale_discount")}
    assert counts == {"sale": 1, "sale_line": 2, "payment": 1, "sale_discount": 1}
    assert _count(services, "cart_line") == 0
    # the receipt number was not used up: the next sale is 0002
    co.start_new_cart()
    _scan(services, PEN)
    tender = services.sales.start()
    tender.cash(tender.due)
    assert services.sales.complete(tender).receipt_no == 2


def test_an_error_after_the_commit_is_recognised(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = services.sales.sales
    real = repo.complete

    def committed_then_failed(**kwargs: Any) -> int:
        real(**kwargs)  # written and committed...
        raise StorageError("io", "disk I/O error")  # ...but the COMMIT reported an error

    monkeypatch.setattr(repo, "complete", committed_then_failed)
    _scan(services, PEN)
    first_cart = services.checkout.cart_uuid
    tender = services.sales.start()
    tender.cash(200)
    done = services.sales.complete(tender)
    assert done.receipt_no == 1  # found by its sale id: not "NOT saved"
    assert "Highlighter pen yellow" in done.receipt_text
    assert done.change == 80
    assert services.checkout.cart_uuid != first_cart  # a new cart began
    assert len(services.checkout.cart) == 0
    assert _count(services, "sale") == 1
    assert services.sales.last_sale() is not None


def test_an_error_before_the_commit_keeps_the_cart_and_a_retry_works(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = services.sales.sales
    real = repo.complete

    def failed(**kwargs: Any) -> int:
        raise StorageError("full", "database or disk is full")

    monkeypatch.setattr(repo, "complete", failed)
    _scan(services, PEN)
    cart = services.checkout.cart_uuid
    tender = services.sales.start()
    tender.cash(tender.due)
    with pytest.raises(SaleFailed, match="Sale NOT saved: the disk is full"):
        services.sales.complete(tender)
    assert services.checkout.cart_uuid == cart
    assert len(services.checkout.cart) == 1
    assert _count(services, "sale") == 0
    monkeypatch.setattr(repo, "complete", real)  # the fault is gone
    assert services.sales.complete(tender).receipt_no == 1
    assert _count(services, "sale") == 1


def _paid_sale(services: Services) -> Any:
    _scan(services, LEMON, LEMON, LEMON, PEN)
    tender = services.sales.start()
    tender.cash(tender.due)
    return tender


@pytest.mark.sqlite_only  # SQLite's statement trace (the same code path on a server)
def test_a_sale_is_one_write_transaction_with_its_next_cart(services: Services) -> None:
    """The sale, its rows, the audit entry, the removal of the cart and the next open cart
    are one BEGIN ... COMMIT (one sync of the log); nothing else is written around it.
    (The till's very first sale also opens its first trading day, once: sell one first.)"""
    services.sales.complete(_paid_sale(services))
    tender = _paid_sale(services)
    old_cart = services.checkout.cart_uuid
    statements: list[str] = []
    connection = services.db.connection()
    connection.set_trace_callback(statements.append)
    try:
        done = services.sales.complete(tender)
    finally:
        connection.set_trace_callback(None)
    verbs = [s.split()[0].upper() for s in statements]
    assert verbs.count("BEGIN") == 1
    assert verbs.count("COMMIT") == 1
    begin, commit = verbs.index("BEGIN"), verbs.index("COMMIT")
    writes = [i for i, verb in enumerate(verbs) if verb in ("INSERT", "UPDATE", "DELETE")]
    assert writes
    assert all(begin < i < commit for i in writes)
    assert "ROLLBACK" not in verbs
    # the cart the till carries on with is the open cart that transaction wrote
    co = services.checkout
    assert co.cart_uuid != old_cart
    assert len(co.cart) == 0
    assert co.priced.total == 0
    row = services.db.execute_sql(
        "SELECT uuid, status FROM cart WHERE id = ?", (co.cart_id,)
    ).fetchone()
    assert row == (co.cart_uuid, "open")
    assert done.receipt_no == 2
    assert [e.event for e in services.audit.entries()][-1] == "sale_completed"


def test_a_failure_inside_the_sale_transaction_writes_nothing(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    tender = _paid_sale(services)
    co = services.checkout
    cart, lines = co.cart_uuid, co.cart.lines
    events = len(list(services.audit.entries()))

    def cannot_open(*_: Any) -> Any:
        raise StorageError("io", "disk I/O error")

    monkeypatch.setattr(services.checkout, "open_next_cart", cannot_open)
    with pytest.raises(SaleFailed, match="Sale NOT saved"):
        services.sales.complete(tender)
    for table in ("sale", "sale_line", "payment", "sale_discount", "sale_vat"):
        assert _count(services, table) == 0, table
    assert len(list(services.audit.entries())) == events  # no sale_completed entry
    assert (co.cart_uuid, co.cart.lines) == (cart, lines)
    assert _count(services, "cart_line") == len(lines)
    monkeypatch.undo()  # the fault is gone: the same sale saves, once
    assert services.sales.complete(tender).receipt_no == 1
    assert _count(services, "sale") == 1


def test_the_next_cart_survives_a_restart(shop_db: Path, clock: FixedClock) -> None:
    first = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    first.sessions.login(*MANAGER)
    first.sales.complete(_paid_sale(first))
    next_cart = first.checkout.cart_uuid
    first.close()
    second = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    assert second.checkout.cart_uuid == next_cart
    assert len(second.checkout.cart) == 0
    assert int(second.db.execute_sql("SELECT COUNT(*) FROM cart").fetchone()[0]) == 1
    second.close()


@pytest.mark.sqlite_only  # SQLite's write-ahead log
def test_between_customers_the_log_is_checkpointed(
    services: Services, shop_db: Path, tmp_path: Path
) -> None:
    """After a sale the till copies the log into the main file while the receipt is up,
    so SQLite's own checkpoint does not land on the next scan or sale's commit."""
    services.sales.complete(_paid_sale(services))

    def sales_in_main_file() -> int:
        return rows_in_main_file(shop_db, "sale", tmp_path / "main-file-only.sqlite")

    assert sales_in_main_file() == 0  # synced in the log, not yet in the main file
    services.sales.between_customers()
    assert sales_in_main_file() == 1


@pytest.mark.sqlite_only  # SQLite's write-ahead log
def test_the_log_is_checkpointed_from_a_worker_thread(
    services: Services, shop_db: Path, tmp_path: Path
) -> None:
    """The till's background checkpoint (in a pause between items) runs on a worker
    thread's own connection: the log reaches the main file, and the till's connection
    stays open and usable."""
    services.sales.complete(_paid_sale(services))

    def sales_in_main_file() -> int:
        return rows_in_main_file(shop_db, "sale", tmp_path / "main-file-only.sqlite")

    assert sales_in_main_file() == 0
    worker = threading.Thread(target=services.sales.keep_log_short)
    worker.start()
    worker.join()
    assert sales_in_main_file() == 1
    db = services.sales.sales.db
    assert not db.is_closed()  # the main thread's connection: not the worker's
    assert int(db.execute_sql("SELECT COUNT(*) FROM sale").fetchone()[0]) == 1
    with pytest.raises(RuntimeError, match="worker thread"):
        checkpoint_apart(db)  # on the main thread it would close the till's connection
    # SQLite's own checkpoint is only a backstop, far past what a long cart writes
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000


def test_between_customers_never_fails(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    import pos.services.sales as sales_module

    def busy(_: object) -> None:
        raise StorageError("locked", "database is locked")

    monkeypatch.setattr(sales_module, "checkpoint", busy)
    services.sales.between_customers()  # SQLite checkpoints by itself later


HEADER = "1 High Street, Townsville TS1 2AB|VAT GB123456789"


def _header_receipts(shop_db: Path, clock: FixedClock, width: int) -> tuple[str, str]:
    """A sale's receipt and its refund's, with the receipt_header setting, at ``width``."""
    from pos.db.database import open_database
    from pos.db.repositories import SettingsRepository
    from pos.services.store import validate_setting

    database = open_database(shop_db)
    settings = SettingsRepository(database)
    settings.set("receipt_header", validate_setting("receipt_header", HEADER))
    settings.set("receipt_width", str(width))
    database.close()
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        built.sessions.login(*MANAGER)
        built.checkout.submit(PEN)
        tender = built.sales.start()
        tender.cash(tender.due)
        done = built.sales.complete(tender)
        pen = (built.refunds.lines(done.receipt_no) or [])[0]
        back = built.refunds.refund(done.receipt_no, {pen.line_no: 1}, "cash", reason="Faulty")
        return done.receipt_text, back.receipt_text
    finally:
        built.close()


@pytest.mark.parametrize(
    ("width", "header"),
    [
        (32, ["1 High Street, Townsville TS1", "2AB", "VAT GB123456789"]),  # wrapped at a space
        (42, ["1 High Street, Townsville TS1 2AB", "VAT GB123456789"]),
        (48, ["1 High Street, Townsville TS1 2AB", "VAT GB123456789"]),
    ],
)
def test_the_receipt_header_is_under_the_store_name_centred_and_wrapped(
    shop_db: Path, clock: FixedClock, width: int, header: list[str]
) -> None:
    sale, refund = _header_receipts(shop_db, clock, width)
    for text in (sale, refund):
        # the shop database is a demo: its receipts are marked above and below (issue 17)
        marked = text.splitlines()
        assert marked[0].strip() == marked[-1].strip() == "DEMO - NOT A RECEIPT"
        lines = marked[1:-1]
        assert [line.strip() for line in lines[: 1 + len(header)]] == ["My Shop", *header]
        for line, wanted in zip(lines[1 : 1 + len(header)], header, strict=True):
            gap = (width - len(wanted)) // 2
            assert line == " " * gap + wanted  # centred on the paper
        assert max(len(line) for line in marked) <= width
    assert sale.splitlines()[2 + len(header)].startswith("Till 1")
    assert "Refund 0002" in refund.splitlines()[2 + len(header)]


def test_the_receipt_header_setting() -> None:
    from pos.services.store import StoreSettings, header_lines, validate_setting

    assert validate_setting("receipt_header", " 1 High St | VAT GB1 ") == "1 High St|VAT GB1"
    assert validate_setting("receipt_header", "None") == "none"
    assert header_lines("none") == ()
    assert header_lines("1 High St|VAT GB1") == ("1 High St", "VAT GB1")
    assert StoreSettings("Shop", "Till 1", ()).receipt_header == ()  # none by default
    for bad, why in (
        ("a||b", "each receipt_header line"),
        ("x" * 49, "each receipt_header line"),
        ("|".join("abcdefg"), "at most 6 lines"),
        ("\x1b[2J", "each receipt_header line"),
        ("Tel ₹", "no code page"),
    ):
        with pytest.raises(ValueError, match=why):
            validate_setting("receipt_header", bad)

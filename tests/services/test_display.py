"""The customer display follows the till's open cart through its own read-only
connection: the till's total and savings, the paid amount and change after a sale, and
never a write to the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.errors import DatabaseOpenError
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.display import CustomerDisplay, DisplayState, Showing
from tests.conftest import FAST_HASHER, MANAGER

LEMON = "5000000000012"  # three for a price in the demo shop's rules
PEN = "4006381333931"


@pytest.fixture
def services(shop_db: Path, clock: FixedClock) -> Iterator[Services]:
    built = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    built.sessions.login(*MANAGER)
    yield built
    built.close()


@pytest.fixture
def display(shop_db: Path, clock: FixedClock) -> Iterator[CustomerDisplay]:
    shown = CustomerDisplay.open(shop_db, None, clock)
    yield shown
    shown.close()


def _after(display: CustomerDisplay) -> DisplayState:
    assert display.poll(), "the display did not notice the change"
    return display.state


def test_waiting_before_anything_is_scanned(services: Services, display: CustomerDisplay) -> None:
    display.poll()
    assert display.state.showing is Showing.WAITING
    assert display.state.till == services.settings.till_name
    assert display.state.store == services.settings.store_name
    assert not display.poll()  # nothing changed: nothing read


def test_waiting_on_a_till_that_never_ran(shop_db: Path, clock: FixedClock) -> None:
    display = CustomerDisplay.open(shop_db, "Till 9", clock)
    try:
        display.poll()
        assert display.state == DisplayState(display.state.store, "Till 9")
    finally:
        display.close()


def test_scans_show_the_till_s_total_and_savings(
    services: Services, display: CustomerDisplay
) -> None:
    display.poll()
    services.checkout.submit(PEN)
    state = _after(display)
    assert state.showing is Showing.CART
    assert (state.last_item, state.last_price) == ("Highlighter pen yellow", 120)
    for _ in range(3):
        services.checkout.submit(LEMON)
    state = _after(display)
    priced = services.checkout.priced
    assert priced.discount_total > 0
    assert (state.total, state.savings, state.subtotal) == (
        priced.total,
        priced.discount_total,
        priced.subtotal,
    )
    assert state.items == services.checkout.cart.item_count
    assert (state.last_item, state.last_count) == ("Lemons unwaxed", 3)


def test_a_void_takes_the_line_off(services: Services, display: CustomerDisplay) -> None:
    services.checkout.submit(LEMON)
    services.checkout.submit(PEN)
    display.poll()
    services.checkout.void_line(2)
    state = _after(display)
    assert state.total == services.checkout.priced.total
    assert state.last_item == "Lemons unwaxed"
    services.checkout.void_line(1)
    assert _after(display).showing is Showing.WAITING


def test_after_payment_the_change_and_thanks_until_the_next_scan(
    services: Services, display: CustomerDisplay
) -> None:
    display.poll()
    services.checkout.submit(PEN)
    display.poll()
    tender = services.sales.start()
    tender.cash(500)
    done = services.sales.complete(tender)
    state = _after(display)
    assert state.showing is Showing.PAID
    assert (state.total, state.paid, state.change) == (120, 500, 380)
    assert done.change == 380
    services.checkout.submit(LEMON)
    state = _after(display)
    assert state.showing is Showing.CART
    assert state.total == services.checkout.priced.total


def test_a_sale_paid_before_the_display_started_is_not_thanked_for(
    services: Services, shop_db: Path, clock: FixedClock
) -> None:
    services.checkout.submit(PEN)
    tender = services.sales.start()
    tender.cash(200)
    services.sales.complete(tender)
    display = CustomerDisplay.open(shop_db, None, clock)
    try:
        display.poll()
        assert display.state.showing is Showing.WAITING
    finally:
        display.close()


def test_the_display_never_writes(services: Services, shop_db: Path, clock: FixedClock) -> None:
    services.checkout.submit(PEN)
    services.close()  # the till stops: its file is all there is
    before = shop_db.stat().st_mtime_ns
    probe = sqlite3.connect(shop_db)
    version = probe.execute("PRAGMA data_version").fetchone()
    display = CustomerDisplay.open(shop_db, None, clock)
    try:
        for _ in range(3):
            display.poll()
            display.refresh()
        assert display.state.showing is Showing.CART
        with pytest.raises(Exception, match="readonly"):
            display._db.execute_sql("DELETE FROM cart_line")
    finally:
        display.close()
    assert probe.execute("PRAGMA data_version").fetchone() == version
    probe.close()
    assert shop_db.stat().st_mtime_ns == before


def test_a_store_s_till_file_shows_its_own_till(shop_db: Path, clock: FixedClock) -> None:
    with sqlite3.connect(shop_db) as made:  # what a file made for a store says (sync_state)
        made.execute("INSERT INTO sync_state VALUES ('till', 'Till 7')")
    made.close()
    display = CustomerDisplay.open(shop_db, "Till 2", clock)
    try:
        display.poll()
        assert display.state.till == "Till 7"  # as the till itself, whatever --till says
    finally:
        display.close()


def test_a_missing_file_is_refused(tmp_path: Path, clock: FixedClock) -> None:
    with pytest.raises(DatabaseOpenError, match="no such database file"):
        CustomerDisplay.open(tmp_path / "none.sqlite", None, clock)


# ------------------------------------------------------------------ the command's refusals


def test_the_command_refuses_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["display", "--db", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 1
    assert "no such database file" in result.output


def test_a_store_needs_the_till_named() -> None:
    result = CliRunner().invoke(cli, ["display", "--db", "postgresql://pos@server/shop"])
    assert result.exit_code == 2
    assert "give --till NAME" in result.output


def test_a_store_s_till_must_have_its_file_here() -> None:
    args = ["display", "--db", "postgresql://pos@server/shop", "--till", "Till 2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "till Till 2 of" in result.output
    assert "start the till first" in result.output

"""Pilot tests of the scanning screen: what a cashier and a scanner do."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Label

from pos.app import PosApp
from pos.db.database import open_database
from pos.db.repositories import ProductRepository
from pos.domain.catalog import Product
from pos.domain.money import format_money
from pos.paths import DEMO_CATALOG
from pos.screens import ConfirmModal, LoginScreen, RecallModal, ScanScreen
from pos.widgets import CartTable, EntryLine, KeyBar, MessageLine, TotalsPanel
from tests.conftest import CASHIER, MANAGER, shell_admin
from tests.ui.helpers import burst, scan, settle

PEN = "4006381333931"
LEMON = "5000000000012"
SIZE = (100, 30)

AppFactory = Callable[..., PosApp]


def _screen(app: PosApp) -> ScanScreen:
    assert isinstance(app.screen, ScanScreen)
    return app.screen


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def _rows(app: PosApp) -> list[list[str]]:
    table = app.screen.query_one(CartTable)
    return [[str(cell).strip() for cell in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_scan_shows_line_and_total(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        await scan(pilot, PEN)
        assert _rows(app) == [
            ["1", "Highlighter pen yellow", "2", "1.20", "2.40"],
            ["2", "Lemons unwaxed", "1", "0.50", "0.50"],
        ]
        totals = app.screen.query_one(TotalsPanel)
        assert (totals.items, totals.total) == (3, 290)
        # the rescanned line is highlighted (the cursor is on it)
        assert app.screen.query_one(CartTable).cursor_row == 0


async def test_unknown_barcode_rings_and_changes_nothing(app_factory: AppFactory) -> None:
    app = app_factory()
    bells: list[bool] = []
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, "5012345678917")
        assert _message(app) == "No product with barcode 5012345678917"
        assert bells == [True]
        assert len(_rows(app)) == 1
        await scan(pilot, LEMON)  # the next scan works without clearing anything
        assert len(_rows(app)) == 2


@pytest.mark.parametrize("code", ["4006381333932", "036000291453", "50000001"])
async def test_a_bad_check_digit_rings_and_changes_nothing(
    app_factory: AppFactory, code: str
) -> None:
    app = app_factory()
    bells: list[bool] = []
    app.bell = lambda: bells.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, code)
        assert _message(app) == f"{code} has a bad check digit"
        assert bells == [True]
        assert _rows(app) == [["1", "Highlighter pen yellow", "1", "1.20", "1.20"]]
        await scan(pilot, LEMON)  # the next scan works without clearing anything
        assert len(_rows(app)) == 2
        assert bells == [True]


async def test_quantity_after_scan_and_multiplier(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, PEN)
        await scan(pilot, "6")  # this scan's 1 becomes 6: 1 + 6
        await scan(pilot, "3*" + LEMON)
        assert [row[2] for row in _rows(app)] == ["7", "3"]


async def test_weighed_item_prompt(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, "2100001000004")
        assert app.screen.query_one(EntryLine).prompt == "Weight of Bananas loose in kg"
        await scan(pilot, "0.850")
        assert _rows(app)[0][2:] == ["0.850kg", "0.85", "0.72"]
        assert app.screen.query_one(EntryLine).prompt == "Scan or type"


async def test_keys_edit_the_selected_line(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        await pilot.press("up")  # select the pen
        await pilot.press("plus", "plus")
        assert _rows(app)[0][2] == "3"
        await pilot.press("minus")
        assert _rows(app)[0][2] == "2"
        await pilot.press("1", "2", "f4")
        assert _rows(app)[0][2] == "12"
        await pilot.press("delete")
        await pilot.pause()
        assert [row[1] for row in _rows(app)] == ["Lemons unwaxed"]
        assert app.screen.query_one(TotalsPanel).total == 50


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_void_cart_asks_first(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f8")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")  # Enter never confirms a destructive question
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        assert len(_rows(app)) == 1
        await pilot.press("f8", "y")
        await pilot.pause()
        assert _rows(app) == []
        assert app.screen.query_one(TotalsPanel).total == 0


@pytest.mark.parametrize("key", ["y", "Y"])
async def test_void_cart_takes_y_in_either_case(app_factory: AppFactory, key: str) -> None:
    """Caps Lock on: "Y = yes" must still mean yes."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f8")
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == "Void the whole cart? 1 line, 1 item, total 1.20."
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _rows(app) == []
        assert "Cart voided (1 line)" in _message(app)


@pytest.mark.parametrize("key", ["x", "N", "space", "q"])
async def test_void_cart_any_other_key_says_no(app_factory: AppFactory, key: str) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f8")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("1", "enter")  # a scanner's keys answer nothing
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert len(_rows(app)) == 1
        assert _message(app) == "Cart kept"


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_park_and_recall_from_the_list(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f6")
        await pilot.pause()
        assert _rows(app) == []
        assert "Cart parked" in _message(app)
        await scan(pilot, LEMON)
        await pilot.press("f7")  # refused: the cart is not empty
        assert isinstance(app.screen, ScanScreen)
        await pilot.press("delete", "f7")
        await pilot.pause()
        assert isinstance(app.screen, RecallModal)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ScanScreen)
        assert [row[1] for row in _rows(app)] == ["Highlighter pen yellow"]


async def test_scanner_keys_never_act_in_a_dialog(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f6")
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, RecallModal)
        burst(app, LEMON + "\n")  # a scan while the list is open must not recall anything
        await settle(pilot)
        assert isinstance(app.screen, RecallModal)
        await pilot.press("escape")
        assert _rows(app) == []


async def test_scan_survives_focus_changes_and_refreshes(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*PEN[:6])
        screen = _screen(app)
        screen.set_focus(None)  # focus lost in the middle of a scan
        screen.refresh(layout=True)
        screen.apply(screen.checkout.cancel())  # an unrelated screen update
        await pilot.press(*PEN[6:], "enter")
        await pilot.pause()
        assert _rows(app)[0][1] == "Highlighter pen yellow"
        table = app.screen.query_one(CartTable)
        table.focus()
        await pilot.press(*LEMON, "enter")  # Enter on the focused table is still a scan
        await pilot.pause()
        assert len(_rows(app)) == 2


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_200_scans_with_no_pauses(app_factory: AppFactory) -> None:
    """The scanner bug list of the big web tills: none lost, none merged, none doubled."""
    rows = [row.split(",") for row in DEMO_CATALOG.read_text().splitlines()[1:]]
    # counted items only, none that asks the customer's age
    codes = [row[0] for row in rows if not row[0].startswith("2") and not row[6]]
    rng = random.Random(7)
    scans = [rng.choice(codes) for _ in range(200)]
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "".join(code + "\n" for code in scans))
        for _ in range(50):
            await pilot.pause()
            if sum(line.qty for line in _screen(app).checkout.cart) == 200:
                break
        expected = Counter("0" + c if len(c) == 12 else c for c in scans)
        cart = _screen(app).checkout.cart
        assert Counter({line.barcode: line.qty for line in cart}) == expected
        # the screen shows the same: one row per product, right quantities and total
        table = app.screen.query_one(CartTable)
        assert table.row_count == len(expected)
        # in the order of each product's first scan: none reordered by the burst
        first_seen = list(dict.fromkeys("0" + c if len(c) == 12 else c for c in scans))
        assert [line.barcode for line in cart] == first_seen
        names = {line.barcode: line.name for line in cart}
        assert [row[1] for row in _rows(app)] == [names[code] for code in first_seen]
        shown = sum(int(str(row[2])) for row in _rows(app))
        assert shown == 200
        assert app.screen.query_one(TotalsPanel).total == cart.subtotal
        assert app.screen.query_one(EntryLine).buffer == ""


async def test_names_are_never_markup(app_factory: AppFactory, demo_db: Path) -> None:
    db = open_database(demo_db)
    ProductRepository(db).upsert_many(
        [
            Product("5010000000011", "[bold red]FREE[/]", 100),
            Product("5010000000028", "[/]", 100),
            Product("5010000000035", "[link=https://evil]x[/link] [0]", 100),
        ]
    )
    db.close()
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        for code in ("5010000000011", "5010000000028", "5010000000035"):
            await scan(pilot, code)
        assert [row[1] for row in _rows(app)] == [
            "[bold red]FREE[/]",
            "[/]",
            "[link=https://evil]x[/link] [0]",
        ]
        assert _message(app).startswith("[link=https://evil]x[/link] [0]")
        assert format_money(app.screen.query_one(TotalsPanel).total) == "3.00"


async def test_palette_offers_the_main_actions(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles == [
            "Park cart",
            "Recall parked cart",
            "Void cart",
            "Void line",
            "Pay",
            "Price check",
            "Find product",
            "Sales history",
            "X report",
            "Audit log",
            "Discount rules",
            "No sale",
            "Paid in",
            "Paid out",
            "Cash pickup",
            "Refund without receipt",
            "Voucher balance",
            "Line discount",
            "Sale discount",
            "Log out",
            "Quit",
        ]


async def test_a_scan_redraws_one_row_not_the_cart(
    app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first paint, scans update a row and the totals; the table is never reloaded."""
    loads: list[int] = []
    original = CartTable.load

    def counting_load(self: CartTable, lines: object) -> None:
        loads.append(1)
        original(self, lines)  # type: ignore[arg-type]

    monkeypatch.setattr(CartTable, "load", counting_load)
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        for code in (PEN, LEMON, PEN, "6", "3*" + LEMON):
            await scan(pilot, code)
        await pilot.press("plus", "delete")
        await pilot.pause()
        assert loads == [1]  # the mount, nothing since
        assert _rows(app) == [["1", "Highlighter pen yellow", "7", "1.20", "8.40"]]


@pytest.mark.backends  # on SQLite and on PostgreSQL
async def test_restarted_till_shows_the_open_cart(app_factory: AppFactory) -> None:
    first = app_factory()
    async with first.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, "2*" + LEMON)
        before = _rows(first)
    second = app_factory()
    async with second.run_test(size=SIZE):
        assert _rows(second) == before
        assert second.screen.query_one(TotalsPanel).total == 220


async def test_a_scan_into_the_command_palette_runs_nothing(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("ctrl+p")
        await settle(pilot)
        from pos.screens.modals import GuardedCommandPalette

        assert isinstance(app.screen, GuardedCommandPalette)  # the till's, not Textual's
        burst(app, LEMON + "\n")
        await settle(pilot)
        assert len(app.screen_stack) == 3  # the palette is still open, nothing ran
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _rows(app) == [["1", "Highlighter pen yellow", "1", "1.20", "1.20"]]


async def test_a_dialog_drops_a_half_typed_entry(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        burst(app, "50000")
        await settle(pilot)
        await pilot.press("f8")
        burst(app, "00000012\n")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one(EntryLine).buffer == ""
        await scan(pilot, LEMON)  # the next scan is whole, not merged with the leftovers
        assert [row[1] for row in _rows(app)] == ["Highlighter pen yellow", "Lemons unwaxed"]


@pytest.mark.parametrize("suffix", ["ctrl+j", "tab"])
async def test_scanners_ending_in_lf_or_tab(app_factory: AppFactory, suffix: str) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*PEN, suffix, *LEMON, suffix)
        await pilot.pause()
        assert [row[1] for row in _rows(app)] == ["Highlighter pen yellow", "Lemons unwaxed"]


async def test_quantity_after_moving_the_cursor_is_refused(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        await pilot.press("up")
        await scan(pilot, "5")
        assert [row[2] for row in _rows(app)] == ["1", "1"]
        assert "press F4" in _message(app)


async def test_a_stuck_key_is_refused_whole(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, "4" * 10_000)
        assert _rows(app) == []
        assert _message(app).startswith("Input of 10000 characters ignored")


async def test_a_new_price_shows_in_the_row(app_factory: AppFactory) -> None:
    """F5 changes the price: the Price cell and the Total cell both follow."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, PEN)
        await pilot.press("0", "full_stop", "9", "9", "f5")
        await settle(pilot)
        assert _rows(app) == [["1", "Highlighter pen yellow", "2", "0.99", "1.98"]]
        assert app.screen.query_one(TotalsPanel).total == 198


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 30)])
async def test_every_action_of_the_scan_screen_shows_in_the_footer(
    app_factory: AppFactory, size: tuple[int, int]
) -> None:
    """The guide: every action's key is at the bottom, the most used first, and none is
    cut off, whatever the width (the keys wrap onto a second row)."""
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        shown = [key.display for key in bar.keys]
        assert shown[:4] == ["+/-", "F4", "Del", "F10"]
        for key in ("Esc", "^L", "F3", "F9", "F11", "F12", "F5", "F6", "F7", "F8", "^Q"):
            assert key in shown, key
        assert len(shown) == len(set(shown))
        drawn = [line.rstrip() for line in str(bar.render()).splitlines()]
        assert len(drawn) == len(bar.rows) == bar.size.height
        assert all(len(line) <= size[0] for line in drawn)
        for key in bar.keys:  # each key whole on one row
            assert any(f"{key.display} {key.label}" in line for line in drawn), key


async def test_a_click_on_a_key_presses_it(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        row = next(i for i, keys in enumerate(bar.rows) if any(k.key == "f11" for k in keys))
        left = 0
        for key in bar.rows[row]:
            if key.key == "f11":
                break
            left += key.width + 1
        assert bar.key_at(left + 1, row) == next(k for k in bar.keys if k.key == "f11")
        assert bar.key_at(left - 1, row) != bar.key_at(left + 1, row)  # the gap, or the key before
        await pilot.click(KeyBar, offset=(left + 1, row))
        await settle(pilot)
        assert type(app.screen).__name__ == "HistoryScreen", app.screen


async def _log_in(pilot, number: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(pilot)


def _login_message(app: PosApp) -> str:
    return str(app.screen.query_one("#login-message", Label).render())


async def test_a_new_login_does_not_show_the_last_sessions_message(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("plus")  # 2 pens, neither of them the last scan now
        await pilot.press("delete")  # a cashier's void: a manager must approve
        await settle(pilot)
        await pilot.press("escape")  # ... nobody does
        await settle(pilot)
        assert _message(app) == "Not approved: nothing changed"
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await _log_in(pilot, *CASHIER)
        assert isinstance(app.screen, ScanScreen)
        assert _message(app) == ""
        assert len(_rows(app)) == 1  # the cart is still there


async def test_after_ctrl_l_another_cashier_is_refused_the_cart_and_a_manager_takes_it_over(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        shell_admin(app.services, "9001").add("1002", "Other Cashier", "cashier", "3690")
        await pilot.press("ctrl+l")
        await settle(pilot)
        await _log_in(pilot, "1002", "3690")
        assert isinstance(app.screen, LoginScreen)
        assert "This cart belongs to Demo Cashier" in _login_message(app)
        await pilot.press("escape")
        await _log_in(pilot, *MANAGER)
        assert isinstance(app.screen, ScanScreen)
        assert [row[1] for row in _rows(app)] == ["Highlighter pen yellow"]
        events = [
            (e.event, e.operator, json.loads(e.details)) for e in app.services.audit.entries()
        ]
        assert ("takeover_refused", "1002", {"cart_of": "1001"}) in events
        assert ("cart_takeover", "9001", {"cart_of": "1001"}) in events


RICE = "5012345678900"  # 10% off rice in the demo rules
MILK = "5010000123451"
LEMONS_AND_MILK = [LEMON, MILK, LEMON, LEMON]  # the third lemon completes "3 for 1.30"


@pytest.mark.parametrize(
    ("codes", "order"),
    [
        ([RICE, MILK], ["Basmati", "10% off rice", "Semi-skimmed milk"]),
        (LEMONS_AND_MILK, ["Lemons unwaxed", "Lemons 3 for 1.30", "Semi-skimmed milk"]),
    ],
    ids=["rice-then-milk", "lemons-rescanned-after-milk"],
)
async def test_discount_rows_sit_under_their_lines_live_after_a_recall_and_a_restart(
    app_factory: AppFactory, shop_db: Path, codes: list[str], order: list[str]
) -> None:
    def names(app: PosApp) -> list[str]:
        return [row[1] for row in _rows(app)]

    def matches(shown: list[str]) -> bool:
        return len(shown) == len(order) and all(
            row.startswith(want) for row, want in zip(shown, order, strict=True)
        )

    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        for code in codes:
            await scan(pilot, code)
        assert matches(names(app)), names(app)  # live
        await pilot.press("f6")
        await settle(pilot)
        assert _rows(app) == []
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, RecallModal)
        await pilot.press("enter")
        await settle(pilot)
        assert matches(names(app)), names(app)  # after a recall
    again = app_factory(shop_db)  # a restart
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert matches(names(again)), names(again)


async def test_pay_on_a_closed_day_is_refused_before_any_tender(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        days = app.services.days
        days.check_open()  # the till's first day opens by itself
        days.close_day(0)  # Z report 0001
        await scan(pilot, PEN)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)  # no payment screen, no cash taken
        assert _message(app) == (
            "The day was closed by Z report 0001: a manager opens a new day (F12) "
            "before the next sale"
        )
        assert len(_rows(app)) == 1  # the cart is kept for the new day

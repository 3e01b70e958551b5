"""Pilot tests for type-ahead (issue 16): keys queued in one go, ahead of a screen or a
dialog that has not settled, land where they would land typed one at a time; and every
dialog answers once, so no doubled key can close the screen under it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Input

from pos.app import PosApp
from pos.screens import LoginScreen, ScanScreen
from pos.screens.history import HistoryScreen
from pos.screens.modals import ConfirmModal, ManagerOverrideModal, RecallModal
from pos.screens.payment import PaymentScreen, ReceiptScreen
from pos.widgets import MessageLine, TillHeader
from tests.conftest import CASHIER, MANAGER
from tests.ui.helpers import at_once, scan, settle, until

SIZE = (100, 30)
PEN = "4006381333931"  # 1.20
LEMON = "5000000000012"  # 0.50
AppFactory = Callable[..., PosApp]


def _names(app: PosApp) -> list[str]:
    return [line.name for line in app.services.checkout.cart.lines]


def _message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def _receipts(app: PosApp) -> int:
    last = app.services.sales.last_sale()
    return 0 if last is None else last.receipt_no


async def _quiet(pilot) -> None:  # type: ignore[no-untyped-def]
    await until(pilot, lambda: not pilot.app.type_ahead.holding)
    await settle(pilot)


async def test_a_login_typed_in_one_go_logs_in(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        at_once(app, *CASHIER[0], "enter", *CASHIER[1], "enter", *PEN, "enter")
        await until(pilot, lambda: len(app.services.checkout.cart) == 1)
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert app.screen.query_one(TillHeader).operator == "Demo Cashier (1001)"
        assert _names(app) == ["Highlighter pen yellow"]  # the scan after the login too


async def test_a_login_with_tab_typed_in_one_go_logs_in(app_factory: AppFactory) -> None:
    app = app_factory(login=None)
    async with app.run_test(size=SIZE) as pilot:
        at_once(app, *MANAGER[0], "tab", *MANAGER[1], "enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        assert app.services.guard.identity is not None


async def test_an_approval_typed_in_one_go_is_granted(app_factory: AppFactory) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        # Up selects the pen, Del asks for a manager, who types number and PIN at once
        at_once(app, "up", "delete", *MANAGER[0], "enter", *MANAGER[1], "enter")
        await until(pilot, lambda: _names(app) == ["Lemons unwaxed"])
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)


async def test_enter_enter_after_a_card_payment_leaves_a_working_till(
    app_factory: AppFactory,
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        at_once(app, "f10", "f3", "enter", "enter")  # no reference, then the receipt
        await until(pilot, lambda: _receipts(app) == 1 and isinstance(app.screen, ScanScreen))
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        await scan(pilot, LEMON)  # the till still answers
        assert _names(app) == ["Lemons unwaxed"]
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)


async def test_a_scan_on_the_receipt_starts_the_next_sale(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10", "2", "f2")  # 2.00 cash for 1.20
        await until(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        at_once(app, *LEMON, "enter")  # scanned while the receipt is up
        await until(pilot, lambda: _names(app) == ["Lemons unwaxed"])
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert _receipts(app) == 1  # the finished sale stays as it was


async def test_a_quantity_typed_on_the_receipt_goes_with_the_next_scan(
    app_factory: AppFactory,
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10", "f5")
        await until(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        await pilot.press("3", "asterisk")  # one key at a time, at a cashier's speed
        await scan(pilot, LEMON)
        await _quiet(pilot)
        assert [line.qty for line in app.services.checkout.cart.lines] == [3]


async def test_the_change_stays_on_the_scanning_screen_until_the_next_scan(
    app_factory: AppFactory,
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10", "5", "full_stop", "0", "0", "f2", "enter")  # 5.00 for 1.20
        await until(pilot, lambda: isinstance(app.screen, ScanScreen))
        await settle(pilot)
        assert _message(app) == "Sale 0001 completed. Change £3.80"
        await scan(pilot, LEMON)
        assert "Change" not in _message(app)


async def test_a_card_sale_shows_no_change(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f10", "f3", "enter", "enter")
        await until(pilot, lambda: isinstance(app.screen, ScanScreen) and _receipts(app) == 1)
        await settle(pilot)
        assert _message(app) == "Sale 0001 completed. Next customer."


async def test_keys_after_a_key_that_asks_for_a_screen_land_on_that_screen(
    app_factory: AppFactory,
) -> None:
    """F11 asks the app for the sales history (a message up to the app): the digits
    typed in the same go wait for it and search there, not on the scanning screen."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        at_once(app, "f11", "4", "2")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await _quiet(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert app.screen.query_one(Input).value == "42"
        await pilot.press("escape")
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert app.screen.entry.buffer == ""


async def test_void_cart_then_a_scan_in_one_go(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        at_once(app, "f8", "y", *LEMON, "enter")
        await until(pilot, lambda: _names(app) == ["Lemons unwaxed"])
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)


async def test_recall_the_cart_under_the_cursor_in_one_go(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f6")
        await scan(pilot, LEMON)
        await pilot.press("f6")
        await settle(pilot)
        at_once(app, "f7", "down", "enter")
        await until(pilot, lambda: len(app.services.checkout.cart) == 1)
        await _quiet(pilot)
        assert _names(app) == ["Lemons unwaxed"]  # the second, not the first


async def test_a_confirmation_answers_once(app_factory: AppFactory) -> None:
    """``y y`` on the void-cart question: the first answers, the second goes to the
    scanning screen (where it is typed into the entry line, as it would be slowly)."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f8")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        modal.action_confirm()
        modal.action_confirm()  # a key and a click at once: one answer
        modal.action_cancel()
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert len(app.screen_stack) == 2  # the scanning screen is still there
        assert _names(app) == []


async def test_escape_twice_on_an_approval_closes_only_the_dialog(
    app_factory: AppFactory,
) -> None:
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await scan(pilot, LEMON)
        await pilot.press("up", "delete")  # an older line: a void, not an error correct
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        at_once(app, "escape", "escape", "escape")
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert len(app.screen_stack) == 2
        assert _names(app) == ["Highlighter pen yellow", "Lemons unwaxed"]


async def test_a_scan_while_the_parked_list_opens_is_not_lost_on_it(
    app_factory: AppFactory,
) -> None:
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        await pilot.press("f6")
        at_once(app, "f7", "escape", *LEMON, "enter")
        await until(pilot, lambda: _names(app) == ["Lemons unwaxed"])
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        assert not isinstance(app.screen, RecallModal | LoginScreen)


DOUBLED = [  # the type-ahead table of the till's screens and dialogs
    # (what opens it, from a cart holding a pen, as the manager; the answer, repeated)
    ("void cart: yes", ["f8"], "y"),
    ("void cart: no", ["f8"], "n"),
    ("void cart: Esc", ["f8"], "escape"),
    ("parked list: Enter", ["f6", "f7"], "enter"),
    ("parked list: Esc", ["f6", "f7"], "escape"),
    ("payment: Esc", ["f10"], "escape"),
    ("card reference: Enter", ["f10", "f3"], "enter"),
    ("card reference: Esc", ["f10", "f3"], "escape"),
    ("receipt: Enter", ["f10", "f5"], "enter"),
    ("history: Esc", ["f11"], "escape"),
    ("a past receipt: Esc", ["f10", "f5", "enter", "f11", "enter"], "escape"),
    ("refund: Esc", ["f10", "f5", "enter", "f11", "enter", "f4"], "escape"),
    (
        "refund reason: Esc",
        ["f10", "f5", "enter", "f11", "enter", "f4", "1", "enter", "f2"],
        "escape",
    ),
    (
        "refund reason: Enter",
        ["f10", "f5", "enter", "f11", "enter", "f4", "1", "enter", "f2"],
        "enter",
    ),
    ("refund without receipt: Esc", ["ctrl+o", "u"], "escape"),
    ("refund without receipt, reason: Esc", ["ctrl+o", "u", *PEN, "enter", "f2"], "escape"),
    ("refund without receipt, reason: Enter", ["ctrl+o", "u", *PEN, "enter", "f2"], "enter"),
    ("X report: Esc", ["f12"], "escape"),
    ("cash-up amount: Enter", ["f12", "f4", "1", "0"], "enter"),
    ("cash-up amount: Esc", ["f12", "f4"], "escape"),
    ("discount rules: Esc", ["f3"], "escape"),
    ("audit log: Esc", ["f9"], "escape"),
    ("line discount: Esc", ["ctrl+o", "l"], "escape"),
    ("sale discount: Esc", ["ctrl+o", "s"], "escape"),
    ("voucher balance: Esc", ["ctrl+o", "v"], "escape"),
]


@pytest.mark.parametrize("times", [2, 3])
@pytest.mark.parametrize(
    ("opened", "answer"), [d[1:] for d in DOUBLED], ids=[d[0] for d in DOUBLED]
)
async def test_a_doubled_answer_never_leaves_a_dead_screen(
    app_factory: AppFactory, opened: list[str], answer: str, times: int
) -> None:
    """Every dialog and screen answered two and three times in one go: the till always
    ends on a screen that answers keys, with the scanning screen under it."""
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        for key in opened:
            await pilot.press(key)
            await settle(pilot)
        opened_on = app.screen
        at_once(app, *[answer] * times)
        await _quiet(pilot)
        assert app.screen is not opened_on or answer == "n"  # it answered
        assert any(isinstance(s, ScanScreen) for s in app.screen_stack)
        assert app.screen.active_bindings  # keys still do something
        await pilot.press("escape", "escape", "escape", "escape")  # back to the till
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        await scan(pilot, LEMON)
        assert "Lemons unwaxed" in _names(app)


async def test_a_paid_out_typed_in_one_go_is_approved_and_the_scan_lands_in_the_cart(
    app_factory: AppFactory,
) -> None:
    """Ctrl+O, the movement, its amount and reason, a manager's number and PIN and a
    scan, typed ahead of every dialog: each key lands where it would one at a time."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        at_once(
            app,
            "ctrl+o",
            "o",
            *"5.50",
            "enter",
            *"2",
            "enter",
            *MANAGER[0],
            "enter",
            *MANAGER[1],
            "enter",
            *PEN,
            "enter",
        )
        await until(pilot, lambda: _names(app) == ["Highlighter pen yellow"])
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        moved = app.services.db.execute_sql(
            "SELECT kind, amount, reason, approver FROM cash_movement"
        ).fetchall()
        assert [tuple(row) for row in moved] == [("paid_out", 550, "Window cleaner", MANAGER[0])]


async def test_a_line_discount_typed_in_one_go_is_approved_and_the_scan_lands_in_the_cart(
    app_factory: AppFactory,
) -> None:
    """Ctrl+O L, the discount and reason, a manager's number and PIN and a scan, typed
    ahead of every dialog (issue 21, item 8): each key lands where it would one at a time."""
    app = app_factory(login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, PEN)
        at_once(
            app,
            "ctrl+o",
            "l",
            *"10%",
            "enter",
            "1",
            "enter",
            *MANAGER[0],
            "enter",
            *MANAGER[1],
            "enter",
            *LEMON,
            "enter",
        )
        await until(pilot, lambda: "Lemons unwaxed" in _names(app))
        await _quiet(pilot)
        assert isinstance(app.screen, ScanScreen)
        given = app.services.db.execute_sql(
            "SELECT line_no, value, reason, approver FROM cart_discount"
        ).fetchall()
        assert [tuple(row) for row in given] == [(1, 1000, "Damaged", MANAGER[0])]


def test_every_screen_and_dialog_of_the_till_answers_once() -> None:
    """A new screen or dialog that forgets :class:`AnswersOnce` fails here (Textual's own
    ``dismiss`` pops whatever is on top, so a doubled key could close the screen under it)."""
    import importlib
    import pkgutil

    from textual.command import CommandPalette
    from textual.screen import Screen

    import pos.screens
    from pos.widgets.type_ahead import AnswersOnce

    missing = []
    for info in pkgutil.iter_modules(pos.screens.__path__):
        module = importlib.import_module(f"pos.screens.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Screen)
                and value.__module__ == module.__name__
                and not issubclass(value, CommandPalette)  # Textual's own, keys dropped
                and value.__name__ not in ("PrintsReceipts",)  # a base: its subclasses are
                and not issubclass(value, AnswersOnce)
            ):
                missing.append(value.__name__)
    assert missing == []

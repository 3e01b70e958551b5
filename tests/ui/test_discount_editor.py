"""Pilot tests of the manager's discount editor: what a manager (and a cashier with a
manager beside them) does with the rules."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from pos.app import PosApp
from pos.auth.guard import LoginRequired
from pos.db import product_search
from pos.db.repositories import DiscountRepository
from pos.domain.rule_form import RuleForm
from pos.screens import ConfirmModal, ManagerOverrideModal, ScanScreen
from pos.screens.discount_editor import DiscountEditorScreen, DiscountFormScreen
from pos.services.errors import StorageError
from pos.widgets import MessageLine, TotalsPanel
from pos.widgets.rule_products import RuleProducts
from tests.conftest import CASHIER, MANAGER, shell_admin
from tests.ui.helpers import burst, scan, settle

SIZE = (120, 34)
LEMON = "5000000000012"
PEN = "4006381333931"
AppFactory = Callable[..., PosApp]

_KEYS = {" ": "space", ".": "full_stop", "*": "asterisk", ":": "colon", "-": "minus"}


async def type_text(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*(_KEYS.get(ch, ch) for ch in text))
    await settle(pilot)


async def log_in(pilot, number: str, pin: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*number, "enter", *pin, "enter")
    await settle(pilot)


def message(app: PosApp) -> str:
    return str(app.screen.query_one(MessageLine).render())


def table_names(app: PosApp) -> list[str]:
    table = app.screen.query_one("#rule-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


def audit_events(app: PosApp, event: str) -> list[dict[str, object]]:
    import json

    return [
        json.loads(e.details) if isinstance(e.details, str) else dict(e.details)
        for e in app.services.audit.entries()
        if e.event == event
    ]


async def open_editor(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DiscountEditorScreen)


async def new_form(pilot) -> DiscountFormScreen:  # type: ignore[no-untyped-def]
    """F2 on the editor: the form for a new rule."""
    await pilot.press("f2")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, DiscountFormScreen)
    return form


async def open_new_form(pilot) -> DiscountFormScreen:  # type: ignore[no-untyped-def]
    """The editor opened from the scanning screen, then its form for a new rule."""
    await open_editor(pilot)
    return await new_form(pilot)


async def fill_lemon_deal(pilot, price: str = "1.00") -> None:  # type: ignore[no-untyped-def]
    """A new multibuy: 2 lemons for ``price``, the lemons found by name."""
    await new_form(pilot)
    await type_text(pilot, "Two lemons")
    pilot.app.screen.query_one("#f-pick", Input).focus()
    await type_text(pilot, "2*lemons")
    await pilot.press("enter")
    await settle(pilot)
    pilot.app.screen.query_one("#f-price", Input).focus()
    await type_text(pilot, price)


async def test_a_rule_added_in_the_editor_prices_the_next_scan(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        before = len(table_names(app))
        await fill_lemon_deal(pilot, "0.80")
        form = app.screen
        assert isinstance(form, DiscountFormScreen)
        assert form.query_one(RuleProducts).items == [(LEMON, 2)]
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DiscountEditorScreen)
        assert "Saved 'Two lemons'" in message(app)
        assert len(table_names(app)) == before + 1
        saved = app.services.discount_admin.get("Two lemons")
        assert saved is not None
        assert (dict(saved.items), saved.price) == ({LEMON: 2}, 80)
        entry = audit_events(app, "discount_rule_saved")[-1]
        assert entry["before"] is None
        assert entry["after"] == {
            "name": "Two lemons",
            "kind": "multibuy",
            "items": {LEMON: 2},
            "price": "0.80",
        }
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)
        await scan(pilot, LEMON)
        await scan(pilot, LEMON)
        totals = app.screen.query_one(TotalsPanel)
        assert (totals.subtotal, totals.total) == (100, 80)  # 2 x 0.50, the new deal


async def test_on_a_store_till_the_editor_says_the_rules_are_the_stores(
    app_factory: AppFactory, store: str
) -> None:
    """A till of a store (issue 19: its own file, the rules pulled from the server) does
    not save a rule it would lose at the next pull: the editor says where rules are made.
    (A till of its own saves them: the tests above.)"""
    app = app_factory(store)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        before = len(app.services.discount_admin.rows())
        await fill_lemon_deal(pilot, "0.80")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DiscountFormScreen)  # the form stays, as typed
        assert "discount rules come from its store" in message(app)
        assert app.services.discount_admin.get("Two lemons") is None
        assert len(app.services.discount_admin.rows()) == before


async def test_editing_a_rule_keeps_its_history(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await type_text(pilot, "lemons 3")
        assert table_names(app) == ["Lemons 3 for 1.30"]
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DiscountFormScreen)
        assert form.query_one("#f-name", Input).value == "Lemons 3 for 1.30"
        price = form.query_one("#f-price", Input)
        assert price.value == "1.30"
        price.value = "1.20"
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DiscountEditorScreen)
        rule = app.services.discount_admin.get("Lemons 3 for 1.30")
        assert rule is not None
        assert rule.price == 120
        entry = audit_events(app, "discount_rule_saved")[-1]
        assert entry["before"]["price"] == "1.30"  # type: ignore[index]
        assert entry["after"]["price"] == "1.20"  # type: ignore[index]
        assert entry["name"] == "Lemons 3 for 1.30"


async def test_errors_show_next_to_their_fields_and_nothing_is_saved(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        count = len(app.services.discounts.all())
        await pilot.press("f2")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DiscountFormScreen)
        form.query_one("#f-price", Input).value = "0"
        form.query_one("#f-ends_at", Input).value = "24/12/2026"
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is form  # still on the form
        assert form.errors == {
            "name": "Every rule needs a name",
            "products": "Add a product: scan its barcode or type its name",
            "price": "Price must be more than 0",
            "ends_at": "End '24/12/2026' is not a date like 2026-12-24 17:00",
        }
        shown = str(form.query_one("#err-price").render())
        assert shown == "Price must be more than 0"
        assert "Not saved: 4 fields to put right" in message(app)
        assert len(app.services.discounts.all()) == count
        # put one right: its error goes as you type, the others stay
        form.query_one("#f-price", Input).value = "1.00"
        await settle(pilot)
        assert "price" not in form.errors
        assert "name" in form.errors


async def test_a_name_already_taken_is_refused(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await fill_lemon_deal(pilot)
        app.screen.query_one("#f-name", Input).value = "meal deal"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DiscountFormScreen)
        assert app.screen.errors["name"] == "Another rule is already called 'meal deal'"


async def test_the_preview_shows_the_savings_with_and_without_the_rule(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, LEMON)
        await scan(pilot, LEMON)
        await open_editor(pilot)
        await fill_lemon_deal(pilot, "0.80")
        preview = str(app.screen.query_one("#preview-text", Static).render())
        assert "On the current cart:" in preview
        assert "Without it" in preview
        assert "This rule takes off 0.20" in preview
        lines = {
            line.split()[0] + line.split()[1]: line.split()[-2:]
            for line in preview.replace("\u00a0", " ").splitlines()
            if line.startswith("With")
        }
        assert lines == {"Withoutit": ["1.00", "0.00"], "Withit": ["0.80", "0.20"]}
        await pilot.press("f6")  # a typed basket instead of the cart
        await type_text(pilot, f"{LEMON}:3 {PEN}")
        preview = str(app.screen.query_one("#preview-text", Static).render())
        assert "On the typed basket:" in preview
        assert "4 items, 2.70 before discounts" in preview
        assert "instead of: Lemons 3 for 1.30" not in preview  # 3 for 1.30 still wins here
        await type_text(pilot, " 123")
        preview = str(app.screen.query_one("#preview-text", Static).render())
        assert "123" in preview  # a bad item in the basket is named, not a crash


async def test_switching_a_rule_off_and_on(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await type_text(pilot, "meal deal")
        await pilot.press("f5")
        await settle(pilot)
        rule = app.services.discount_admin.get("Meal deal")
        assert rule is not None
        assert rule.active is False
        assert "'Meal deal' switched off" in message(app)
        await pilot.press("f5")
        await settle(pilot)
        rule = app.services.discount_admin.get("Meal deal")
        assert rule is not None
        assert rule.active is True
        changes = [e for e in audit_events(app, "discount_rule_saved") if e["name"] == "Meal deal"]
        assert [c["after"].get("active", True) for c in changes[-2:]] == [False, True]  # type: ignore[union-attr]


async def test_delete_asks_first_and_keeps_the_rule_in_the_audit_log(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await type_text(pilot, "toothbrush")
        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert app.services.discount_admin.get("Toothbrush 3 for 2") is not None
        await pilot.press("f8")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.services.discount_admin.get("Toothbrush 3 for 2") is None
        assert table_names(app) == []  # the filter still says toothbrush
        deleted = audit_events(app, "discount_rule_deleted")
        assert deleted[-1]["before"]["kind"] == "free_items"  # type: ignore[index]
        assert "Deleted 'Toothbrush 3 for 2'" in message(app)


async def test_duplicate_starts_a_new_rule_from_one(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await type_text(pilot, "lemons")
        await pilot.press("f4")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DiscountFormScreen)
        assert form.query_one("#f-name", Input).value == "Lemons 3 for 1.30 (copy)"
        await pilot.press("f2")
        await settle(pilot)
        assert app.services.discount_admin.get("Lemons 3 for 1.30") is not None
        copy = app.services.discount_admin.get("Lemons 3 for 1.30 (copy)")
        assert copy is not None
        assert copy.price == 130


async def test_a_scanned_barcode_adds_the_product(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_form(pilot)
        app.screen.query_one("#f-pick", Input).focus()
        burst(app, PEN + "\n")  # at scanner speed
        await settle(pilot)
        burst(app, "5012345678901\n")  # a bad check digit
        await settle(pilot)
        assert app.screen.query_one(RuleProducts).items == [(PEN, 1)]
        assert "check digit" in message(app)
        burst(app, "5000000000999\n")  # valid, but not in the catalog
        await settle(pilot)
        assert app.screen.query_one(RuleProducts).items == [(PEN, 1)]


async def test_the_picker_finds_as_find_does(app_factory: AppFactory, shop_db: Path) -> None:
    """Words of the name in any order (each the start of a word), or a PLU typed whole:
    the list is Find's; Enter adds the first one, a count typed first applies."""
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_form(pilot)
        app.screen.query_one("#f-pick", Input).focus()
        await type_text(pilot, "2*unw lem")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(RuleProducts).items == [(LEMON, 2)]
        await type_text(pilot, "4053")  # the lemons' PLU
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one(RuleProducts).items == [(LEMON, 3)]
        await type_text(pilot, "zzqx")
        await pilot.press("enter")
        await settle(pilot)
        assert "No product matches 'zzqx'" in message(app)


async def test_the_picker_says_when_the_products_cannot_be_read(
    app_factory: AppFactory, shop_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A storage fault while the picker searches is said on the form, which stays with
    what was typed (not the till's fault screen, which would close the editor)."""
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_form(pilot)
        await type_text(pilot, "Lemon deal")
        app.screen.query_one("#f-pick", Input).focus()

        def busy(text: str, limit: int = 8) -> list[object]:
            raise StorageError("locked", "database is locked")

        monkeypatch.setattr(app.services.discount_admin, "search_products", busy)
        await type_text(pilot, "lem")
        assert isinstance(app.screen, DiscountFormScreen)
        assert "busy" in message(app) or "locked" in message(app), message(app)
        assert app.screen.query_one("#f-name", Input).value == "Lemon deal"


async def test_the_picker_says_when_the_search_is_being_rebuilt(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    other = sqlite3.connect(shop_db, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        product_search.suspend(other.cursor())  # a large import's transaction, committed
        other.execute("COMMIT")
        other.execute("BEGIN IMMEDIATE")  # and its rebuild, still running
        async with app.run_test(size=SIZE) as pilot:
            await open_new_form(pilot)
            app.screen.query_one("#f-pick", Input).focus()
            await type_text(pilot, "lem")
            assert "The product search is being rebuilt after an import" in message(app)
            other.execute("ROLLBACK")
            await type_text(pilot, "o")  # the index is rebuilt beside the till
            for thread in threading.enumerate():
                if thread.name == "pos-search-repair":
                    thread.join(timeout=30)
            await type_text(pilot, "n")
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen.query_one(RuleProducts).items == [(LEMON, 1)]
    finally:
        other.close()


async def test_leaving_a_changed_form_asks_first(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_form(pilot)
        await type_text(pilot, "Half")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, DiscountFormScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DiscountEditorScreen)
        assert app.services.discount_admin.get("Half") is None


async def test_a_cashier_needs_a_manager_to_open_and_for_each_change(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db, login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await log_in(pilot, *MANAGER)
        assert isinstance(app.screen, DiscountEditorScreen)
        await type_text(pilot, "meal deal")
        await pilot.press("f5")  # a change needs its own approval
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await pilot.press("escape")
        await settle(pilot)
        rule = app.services.discount_admin.get("Meal deal")
        assert rule is not None
        assert rule.active
        assert "Not approved" in message(app)
        await pilot.press("f5")
        await settle(pilot)
        await log_in(pilot, *MANAGER)
        rule = app.services.discount_admin.get("Meal deal")
        assert rule is not None
        assert not rule.active
        overrides = audit_events(app, "override")
        assert [o["op"] for o in overrides[-2:]] == ["open", "disable"]
        saved = audit_events(app, "discount_rule_saved")[-1]
        assert saved["name"] == "Meal deal"


async def test_the_editor_checks_the_scope_itself(app_factory: AppFactory, shop_db: Path) -> None:
    """Pushed without a manager's approval for a cashier, the screen closes at once."""
    app = app_factory(shop_db, login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        services = app.services
        app.push_screen(
            DiscountEditorScreen(
                services.discount_admin, services.approvals, lambda: services.checkout.cart
            )
        )
        await settle(pilot)
        assert isinstance(app.screen, ScanScreen)


async def test_palette_offers_the_discount_rules(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ScanScreen)
        titles = [c.title for c in screen.palette_commands()]
        assert "Discount rules" in titles
        await open_editor(pilot)
        titles = [c.title for c in app.screen.palette_commands()]  # type: ignore[attr-defined]
        assert {"New rule", "Edit rule", "Duplicate rule", "Delete rule"} <= set(titles)


async def test_sort_and_filter_by_state(app_factory: AppFactory, shop_db: Path) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await type_text(pilot, "off now")
        off = table_names(app)
        assert off  # the demo rules include timed ones that are off at 09:30 on a Saturday
        assert "Lemons 3 for 1.30" not in off
        app.screen.query_one("#rule-filter", Input).value = ""
        await pilot.press("f6")  # by kind
        await settle(pilot)
        table = app.screen.query_one("#rule-table", DataTable)
        kinds = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert len(kinds) == len(app.services.discounts.all())
        assert kinds == sorted(kinds)
        assert kinds[0] != kinds[-1]
        assert "sorted by kind" in message(app)


async def test_a_rule_that_cannot_be_saved_stays_on_the_form(
    app_factory: AppFactory, shop_db: Path
) -> None:
    """A read-only database: the form says NOT saved and keeps what was typed."""
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await fill_lemon_deal(pilot)
        app.services.db.execute_sql("PRAGMA query_only = ON")
        try:
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, DiscountFormScreen)
            assert "NOT saved: the database is read-only" in message(app)
        finally:
            app.services.db.execute_sql("PRAGMA query_only = OFF")
        await pilot.press("f2")  # the fault is gone: the same form saves
        await settle(pilot)
        assert isinstance(app.screen, DiscountEditorScreen)
        assert app.services.discount_admin.get("Two lemons") is not None


async def test_a_session_that_ends_while_the_manager_approves_locks_the_till(
    app_factory: AppFactory, shop_db: Path
) -> None:
    """The approved change asks the guard again: nothing changes, no crash, the till locks."""
    from pos.screens import LoginScreen

    app = app_factory(shop_db, login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await settle(pilot)
        await log_in(pilot, *MANAGER)
        await type_text(pilot, "meal deal")
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        shell_admin(app.services, "9001").deactivate("1001")  # meanwhile
        await log_in(pilot, *MANAGER)
        assert isinstance(app.screen, LoginScreen)
        with pytest.raises(LoginRequired):  # nobody at the till: the rules are not shown
            app.services.discount_admin.get("Meal deal")
        rule = DiscountRepository(app.services.db).get("Meal deal")  # what is saved
        assert rule is not None
        assert rule.active


async def test_a_scan_into_another_field_adds_the_product(
    app_factory: AppFactory, shop_db: Path
) -> None:
    """The scanner types wherever the cursor is: the field keeps its text, the product
    goes into the list."""
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_form(pilot)
        await type_text(pilot, "Pens")  # the name field has the cursor
        burst(app, PEN + "\n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DiscountFormScreen)
        assert form.query_one("#f-name", Input).value == "Pens"
        assert form.query_one(RuleProducts).items == [(PEN, 1)]
        form.query_one("#f-price", Input).focus()
        await type_text(pilot, "1.50")
        burst(app, PEN + "\n")
        await settle(pilot)
        assert form.query_one("#f-price", Input).value == "1.50"
        assert form.query_one(RuleProducts).items == [(PEN, 2)]


async def test_a_copy_of_a_long_name_keeps_its_suffix(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        services = app.services
        long_name = "L" * 80
        services.discount_admin.save(
            RuleForm(name=long_name, kind="multibuy", products=[(LEMON, 2)], price="0.90")
        )
        await open_editor(pilot)
        await type_text(pilot, "LLLL")
        await pilot.press("f4")
        await settle(pilot)
        name = app.screen.query_one("#f-name", Input).value
        assert name.endswith(" (copy)")
        assert len(name) == 80
        await pilot.press("f2")
        await settle(pilot)
        assert services.discount_admin.get(name) is not None


async def test_a_strange_digit_in_the_picker_is_no_crash(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_form(pilot)
        picker = app.screen.query_one("#f-pick", Input)
        picker.focus()
        picker.value = "²*lemons"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DiscountFormScreen)
        picker.value = "٣"  # an Arabic-Indic digit: not a barcode
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DiscountFormScreen)


async def test_filter_by_kind_and_sort_by_state(app_factory: AppFactory, shop_db: Path) -> None:
    """The words of the Kind column filter; F6 twice sorts by state: on now, then
    switched on but off at this moment, then switched off (by name within each)."""
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        await type_text(pilot, "free items")
        assert table_names(app) == ["Toothbrush 3 for 2"]
        app.screen.query_one("#rule-filter", Input).value = "meal deal"
        await settle(pilot)
        await pilot.press("f5")  # switched off: the third state
        await settle(pilot)
        app.screen.query_one("#rule-filter", Input).value = ""
        await settle(pilot)
        await pilot.press("f6", "f6")  # name -> kind -> state
        await settle(pilot)
        assert "sorted by state" in message(app)
        table = app.screen.query_one("#rule-table", DataTable)
        rows = [
            (str(table.get_row_at(i)[0]), str(table.get_row_at(i)[8]), str(table.get_row_at(i)[10]))
            for i in range(table.row_count)
        ]
        assert rows == [  # Saturday 09:30
            ("10% off over 100", "yes", "on"),
            ("10% off rice", "yes", "on"),
            ("20p off two highlighters", "yes", "on"),
            ("5 off over 50", "yes", "on"),
            ("Lemons 3 for 1.30", "yes", "on"),
            ("Toothbrush 3 for 2", "yes", "on"),
            ("Weekend wine 3 for 20", "yes", "on"),
            ("Christmas Eve 20% off everything", "yes", "off"),  # on 24 December only
            ("Happy hour bananas 20% off", "yes", "off"),  # 17:00-19:00
            ("Meal deal", "no", "off"),
        ]


async def test_the_mouse_opens_a_rule_and_clicks_footer_keys(
    app_factory: AppFactory, shop_db: Path
) -> None:
    """A click highlights a row, a second click on it opens the rule; a click on a key
    in the footer does what the key does."""
    from textual.widgets._footer import FooterKey

    def footer_key(key: str) -> FooterKey:
        return next(k for k in app.screen.query(FooterKey) if k.key == key)

    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot)
        names = table_names(app)
        table = app.screen.query_one("#rule-table", DataTable)
        assert table.cursor_row == 0
        await pilot.click("#rule-table", offset=(2, 3))  # the header is line 0: the 3rd rule
        await settle(pilot)
        assert isinstance(app.screen, DiscountEditorScreen)
        assert table.cursor_row == 2
        await pilot.click("#rule-table", offset=(2, 3))
        await settle(pilot)
        form = app.screen
        assert isinstance(form, DiscountFormScreen)
        assert form.editing == names[2]
        assert form.query_one("#f-name", Input).value == names[2]
        assert await pilot.click(footer_key("escape"))  # "Esc Cancel": nothing changed
        await settle(pilot)
        assert isinstance(app.screen, DiscountEditorScreen)
        assert await pilot.click(footer_key("f2"))  # "F2 New"
        await settle(pilot)
        assert isinstance(app.screen, DiscountFormScreen)
        assert app.screen.editing is None
        assert str(app.screen.query_one("#form-title").render()) == "New rule"


async def test_a_failed_save_puts_the_cursor_on_the_top_faulty_field(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        form = await open_new_form(pilot)
        form.query_one("#f-price", Input).focus()
        await pilot.press("f2")  # an empty form: the name is the top faulty field
        await settle(pilot)
        assert {"name", "products", "price"} <= set(form.errors)
        assert app.focused is form.query_one("#f-name", Input)
        await type_text(pilot, "Pens")
        await pilot.press("f2")  # now the products: the cursor goes to the picker
        await settle(pilot)
        assert app.focused is form.query_one("#f-pick", Input)
        await type_text(pilot, PEN)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert list(form.errors) == ["price"]
        assert app.focused is form.query_one("#f-price", Input)


async def test_a_cashier_s_f3_is_one_refusal_in_the_audit_log(
    app_factory: AppFactory, shop_db: Path
) -> None:
    """The scan screen's refusal asks for the manager; the editor checks again with the
    approval but does not log the same refusal twice. The same for each change."""
    app = app_factory(shop_db, login=CASHIER)
    async with app.run_test(size=SIZE) as pilot:
        before = len(audit_events(app, "authz_denied"))
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ManagerOverrideModal)
        await log_in(pilot, *MANAGER)
        assert isinstance(app.screen, DiscountEditorScreen)
        denied = audit_events(app, "authz_denied")
        assert len(denied) == before + 1
        assert denied[-1] == {"scope": "discounts:edit"}
        await type_text(pilot, "meal deal")
        await pilot.press("f5")
        await settle(pilot)
        await log_in(pilot, *MANAGER)
        rule = app.services.discount_admin.get("Meal deal")
        assert rule is not None
        assert not rule.active
        assert len(audit_events(app, "authz_denied")) == before + 2  # one per refusal
        assert [o["op"] for o in audit_events(app, "override")[-2:]] == ["open", "disable"]


@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_the_filter_s_hint_fits_and_names_every_state(
    app_factory: AppFactory, shop_db: Path, size: tuple[int, int]
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=size) as pilot:
        await open_editor(pilot)
        box = app.screen.query_one("#rule-filter", Input)
        hint = str(box.placeholder)
        for state in ("active", "inactive", "on now", "off now"):
            assert state in hint
        assert len(hint) < box.content_region.width  # not cut, even on 80 columns


async def test_the_preview_says_why_a_dearer_multibuy_never_applies(
    app_factory: AppFactory, shop_db: Path
) -> None:
    app = app_factory(shop_db)
    async with app.run_test(size=SIZE) as pilot:
        await scan(pilot, LEMON)
        await scan(pilot, LEMON)
        await open_editor(pilot)
        await fill_lemon_deal(pilot, "5.00")  # two lemons cost 1.00 without it
        preview = str(app.screen.query_one("#preview-text", Static).render())
        assert "This rule does not apply" not in preview
        assert "The set costs 1.00 at normal prices;" in preview
        assert "this deal would cost more," in preview
        assert "so it is never applied." in preview

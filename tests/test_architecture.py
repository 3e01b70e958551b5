"""The layers point one way, and the pure core loads without Textual or peewee."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_domain_imports_no_framework() -> None:
    code = (
        "import sys, pos.domain.money, pos.domain.barcodes, pos.domain.cart, "
        "pos.domain.receipt, pos.domain.entry, pos.domain.catalog_csv; "
        "bad = [m for m in ('textual', 'rich', 'peewee', 'click') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_import_no_textual() -> None:
    code = (
        "import sys, pos.services.checkout, pos.services.catalog, pos.services.container; "
        "sys.exit(1 if 'textual' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_till_starts_without_the_printer_library() -> None:
    """python-escpos (its printer profiles, PIL, qrcode) costs about half a second to
    import: the till's start-up path leaves it until a receipt is printed."""
    code = (
        "import sys, pos.cli, pos.factory; "
        "bad = [m for m in ('escpos', 'PIL', 'qrcode', 'usb') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_login_screen_does_not_load_what_only_a_logged_in_till_needs(
    tmp_path: Path,
) -> None:
    """Building the till for its login screen imports no other screen, no DataTable and
    no PyJWT (each is imported when first used), and on SQLite no PostgreSQL driver (peewee
    would import it: see pos.db): start-up pays for the login only."""
    db = tmp_path / "shop.sqlite"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pos.auth.pins import fast_test_hasher\n"
        "from pos.services.store_setup import init_database\n"
        f"init_database(Path({str(db)!r}), demo_operators=True, hasher=fast_test_hasher())\n"
        "from pos.factory import make_app\n"
        f"app = make_app(Path({str(db)!r}))\n"
        "app.services.close()\n"
        "later = ['pos.screens.' + name for name in ('scan', 'payment', 'history', 'refund',"
        " 'report', 'audit', 'discount_editor', 'modals')]\n"
        "later += ['textual.widgets._data_table', 'jwt', 'escpos', 'psycopg', 'pos.db.server']\n"
        "bad = [m for m in later if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# ------------------------------------------------------------------ the guard in the services
# SECURITY.md S-07 (authorisation on the service layer); issue 17, item 7.

SERVICE_CLASS = re.compile(r"(Service|Services|Admin|Approvals)$")
ASKS_THE_GUARD = re.compile(r"self\.(?:authority|_authority|_guard|guard)\.(?:require|current)\(")

NO_GUARD: dict[str, str] = {
    # who is at the till: nobody is yet
    "SessionService.login": "the login itself: it starts the session the guard checks",
    "SessionService.needs_first_manager": "asked before anyone can log in; reveals a yes/no",
    "SessionService.create_first_manager": "the first manager, before anyone can log in; "
    "refused once there is an operator (OperatorAdmin.add_first_manager)",
    "SessionService.logout": "ends the session: needs none",
    "SessionService.cart_owner": "whose cart is open, for the login's takeover rule",
    "SessionService.close_till_approved": "at the login: a manager's number and PIN are "
    "checked instead (one approval, audited)",
    "OperatorAdmin.add_first_manager": "the first manager: refused once there is an operator",
    "OperatorAdmin.none_yet": "asked before anyone can log in; reveals a yes/no",
    # approvals are checked by the service that takes them
    "Approvals.grant": "checks the manager's own number and PIN (the approval dialog)",
    "Approvals.authorise": "called by a guarded command with the operator it got from the guard",
    "Approvals.check": "called by a guarded command, after it asked the guard",
    "Approvals.consume": "called by a guarded command, inside its transaction",
    "Approvals.record": "called by a guarded command, inside its transaction",
    # the command line: the OS account, no operator login (docs/security.md, Operators, login and
    # approvals); the till never calls these
    "CatalogService.import_csv": "pos products import (command line only)",
    "CatalogService.export_csv": "pos products export (command line only)",
    "DiscountService.import_json": "pos discounts import (command line only)",
    "DiscountService.export_json": "pos discounts export (command line only)",
    "DiscountService.all": "pos discounts list (command line only)",
    "CouponService.issue": "pos coupons issue (command line only; audited)",
    "CouponService.listed": "pos coupons list (command line only)",
    "CouponService.show": "pos coupons show (command line only)",
    "CouponService.void": "pos coupons void (command line only; audited)",
    "CouponService.coupon_rule": "pos coupons issue's check of its --rule (command line only)",
    "CouponService.usable": "pos basket --coupon (command line only); at the till a coupon is "
    "scanned through the guarded checkout",
    "CouponService.today": "the shop's date; reveals nothing",
    # the wiring and upkeep
    "Services.reload_keys_if_changed": "re-reads the key file; reveals nothing",
    "Services.take_up_settings": "re-reads the settings between sales (the app, every second);"
    " reveals nothing a screen does not already show",
    "Services.close": "closes the database",
    "Services.attach_sync": "links a store till's sync worker at start (pos.factory); reveals"
    " nothing and changes no data",
    "Services.store_state": "the store link's state the header shows to anyone at the till",
    "SaleService.between_customers": "a database checkpoint; changes no data",
    "SaleService.keep_log_short": "a database checkpoint; changes no data",
    "SaleService.receipt_job": "wraps a text the guarded sale or refund made for the printer",
    "SaleService.vat": "prices the open cart in memory (the cart is the session's own)",
    "SaleService.start": "a tender for the open cart in memory; nothing is written",
    "VoucherService.for_sale": "draws codes for the open cart's voucher lines in memory; "
    "only SaleService.complete (which asks the guard) writes them",
    "VoucherService.write_sold": "inside SaleService.complete's transaction, which asked "
    "the guard for the sale",
    "VoucherService.redeem": "inside SaleService.complete's transaction, which asked the "
    "guard for the sale (VoucherService.pay, which made the payments, asked it too)",
    "VoucherService.claim": "called by SaleService.complete after it asked the guard for "
    "the sale (VoucherService.pay, which made the payments, asked it too)",
    "SaleService.last_sale": "asks the guard itself, and shows nothing without a session",
    "DayService.check_open": "called by the guarded sale and refund; reveals open or closed",
    "DayService.current": "called by the guarded X report",
    "RefundService.action": "a pure description of a refund (what an approval is bound to)",
    "ReturnService.action": "a pure description of a refund without a receipt (what an "
    "approval is bound to)",
    # the open cart in memory, and pure computations on it
    "CheckoutService.load_rules": "reads the rules at the login (before the session starts)",
    "CheckoutService.used_coupons": "the open cart's coupons in memory, for the guarded sale",
    "CheckoutService.claim": "called inside the guarded sale's transaction",
    "CheckoutService.claim_on_store": "called by the guarded sale and its guarded recheck",
    "CheckoutService.lost": "called by the guarded sale after its transaction was undone",
    "CheckoutService.recheck": "called by the guarded SaleService.recheck_coupons",
    "CheckoutService.reprice": "prices the open cart in memory",
    "CheckoutService.applied_rules": "the open cart's rules, for the guarded sale",
    "CheckoutService.local_now": "the clock",
    "CheckoutService.start_new_cart": "called by the guarded sale once it is saved",
    "CheckoutService.open_next_cart": "called inside the guarded sale's transaction",
    "CheckoutService.continue_with": "called by the guarded sale once it is saved",
    "CheckoutService.day_closed": "before a tender: says only whether a sale can be taken",
    "CheckoutService.quantity_from": "parses a typed quantity; nothing is read or written",
    "CheckoutService.confirmed": "runs a guarded command again after its question",
    "CheckoutService.action_for": "a pure description of a command (what an approval binds)",
    "CheckoutService.can_error_correct": "a yes/no on the open cart in memory",
    "CheckoutService.parse_price": "parses a typed price; nothing is read or written",
    "CheckoutService.cancel": "drops a weight prompt in memory; nothing is written",
    "DiscountAdmin.local_now": "the clock",
    "DiscountAdmin.action_for": "a pure description of an edit (what an approval binds)",
}


def service_methods() -> dict[str, object]:
    """Every public method of every service class in ``pos/services``, with those it
    takes from a mixin there."""
    import importlib
    import inspect
    import pkgutil

    import pos.services

    found: dict[str, object] = {}
    for module_info in pkgutil.iter_modules(pos.services.__path__):
        module = importlib.import_module(f"pos.services.{module_info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__ or not SERVICE_CLASS.search(name):
                continue
            # its own methods and those it takes from a mixin of pos/services (CartCoupons)
            bases = [b for b in cls.__mro__ if b.__module__.startswith("pos.services.")]
            for base in reversed(bases):
                for attr, value in vars(base).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, staticmethod | classmethod):
                        value = value.__func__
                    if inspect.isfunction(value):
                        found[f"{name}.{attr}"] = value
    return found


def asks_the_guard(method: object) -> bool:
    """``@guarded(scope)`` on it, or its own code asks the guard (``require``/``current``),
    or a private helper of its class whose own code does (one level: ``_change``)."""
    import inspect

    from pos.services.guarded import guard_scope

    if guard_scope(method):
        return True
    source = inspect.getsource(method)  # type: ignore[arg-type]
    if ASKS_THE_GUARD.search(source):
        return True
    class_name = method.__qualname__.split(".")[-2]  # type: ignore[attr-defined]
    owner = getattr(inspect.getmodule(method), class_name, None)
    for helper in re.findall(r"self\.(_[a-z]\w*)\(", source):
        code = vars(owner).get(helper) if owner is not None else None
        if inspect.isfunction(code) and ASKS_THE_GUARD.search(inspect.getsource(code)):
            return True
    return False


def unguarded(methods: dict[str, object]) -> list[str]:
    return sorted(
        name for name, m in methods.items() if name not in NO_GUARD and not asks_the_guard(m)
    )


def test_every_service_method_asks_the_guard_or_says_why_not() -> None:
    methods = service_methods()
    assert "DayService.close_day" in methods  # the listing finds the services
    assert len(methods) > 60
    assert unguarded(methods) == [], (
        "these service methods change or reveal store data without asking the guard: "
        "decorate them @guarded(scope), ask self.authority.require(scope), or put them on "
        "NO_GUARD with the reason"
    )
    stale = sorted(set(NO_GUARD) - set(methods))
    assert stale == [], f"NO_GUARD names methods that no longer exist: {stale}"


def test_the_guard_check_fails_for_a_method_that_lost_its_guard() -> None:
    """The check can fail: the same methods with their guard taken away are named."""
    import inspect

    from pos.services.days import DayService
    from pos.services.sales import SaleService

    class Stripped:
        def close_day(self, counted: int) -> None:  # as DayService.close_day, no guard
            return None

    bare_x_report = inspect.unwrap(SaleService.x_report)  # without its @guarded
    methods = {"DayService.close_day": Stripped.close_day, "SaleService.x_report": bare_x_report}
    assert unguarded(methods) == ["DayService.close_day", "SaleService.x_report"]
    real = {
        "DayService.close_day": DayService.close_day,
        "SaleService.x_report": SaleService.x_report,
    }
    assert unguarded(real) == []


def test_every_module_stays_under_600_lines() -> None:
    """The developers' rule (split a module along a seam before it grows past it)."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "pos"
    long = {
        str(path.relative_to(root)): count
        for path in root.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) >= 600
    }
    assert long == {}

"""The layers point one way, and the pure core loads without Textual or peewee."""

from __future__ import annotations

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
        "from pos.services.store import init_database\n"
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

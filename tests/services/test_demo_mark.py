"""Issue 17, item 3: a demo is a demo (SECURITY.md S-11, no default accounts): a database
made with the demo data is marked, the services say so (``is_demo``, for the header of
every screen), and every receipt it prints says ``DEMO - NOT A RECEIPT``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.db.database import open_database
from pos.db.repositories import ProductRepository, SettingsRepository
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.receipt import DEMO_RECEIPT, mark_demo
from pos.paths import DEMO_CATALOG
from pos.services.catalog import CatalogService
from pos.services.container import Services, build_services
from pos.services.store import DEMO_BANNER, StoreSettings, validate_setting
from pos.services.store_setup import init_database
from tests.conftest import FAST_HASHER, MANAGER

pytestmark = pytest.mark.backends

PEN = "4006381333931"


def _is_demo(db: Path) -> bool:
    database = open_database(db)
    try:
        return StoreSettings.load(SettingsRepository(database)).demo
    finally:
        database.close()


def _sell_and_refund(services: Services, number: str, pin: str) -> tuple[str, str]:
    services.sessions.login(number, pin)
    who = services.guard.identity
    assert who is not None
    services.checkout.submit(PEN)
    tender = services.sales.start()
    tender.cash(tender.due)
    done = services.sales.complete(tender)
    line = (services.refunds.lines(done.receipt_no) or [])[0]
    back = services.refunds.refund(done.receipt_no, {line.line_no: 1}, "cash", reason="Faulty")
    return done.receipt_text, back.receipt_text


def test_s11_a_demo_database_is_marked_and_its_receipts_say_so(
    shop_db: Path, clock: FixedClock
) -> None:
    assert _is_demo(shop_db)
    services = build_services(shop_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        assert services.is_demo is True
        sale, refund = _sell_and_refund(services, *MANAGER)
    finally:
        services.close()
    for text in (sale, refund):
        lines = text.splitlines()
        assert lines[0].strip() == DEMO_RECEIPT == "DEMO - NOT A RECEIPT"
        assert lines[-1].strip() == DEMO_RECEIPT
        assert "My Shop" in lines[1]


def test_s11_a_real_database_is_not_marked_and_its_receipts_are_plain(
    new_db: Callable[[str], Path], clock: FixedClock
) -> None:
    db = new_db("real")
    init_database(db, hasher=FAST_HASHER, clock=clock)
    assert not _is_demo(db)
    database = open_database(db)
    try:  # products imported into a real shop do not make it a demo
        assert CatalogService(ProductRepository(database)).import_csv(DEMO_CATALOG).ok
    finally:
        database.close()
    assert not _is_demo(db)
    services = build_services(db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        assert services.is_demo is False
        assert services.sessions.create_first_manager("7", "Ann", "4826") is None
        sale, refund = _sell_and_refund(services, "7", "4826")
    finally:
        services.close()
    for text in (sale, refund):
        assert DEMO_RECEIPT not in text
        assert text.splitlines()[0].strip() == "My Shop"


def test_s11_pos_init_demo_and_the_first_run_make_marked_databases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pos.factory
    from pos.config import default_db_path

    runner = CliRunner()
    demo, real = tmp_path / "demo.sqlite", tmp_path / "real.sqlite"
    assert runner.invoke(cli, ["init", "--db", str(demo), "--demo"]).exit_code == 0
    assert runner.invoke(cli, ["init", "--db", str(real)]).exit_code == 0
    assert _is_demo(demo)
    assert not _is_demo(real)

    class FakeApp:
        def run(self) -> None:
            pass

    monkeypatch.setattr(pos.factory, "make_app", lambda db, **_: FakeApp())
    assert runner.invoke(cli, []).exit_code == 0  # the bare `pos` of the Quick start
    assert _is_demo(default_db_path())
    result = runner.invoke(cli, ["settings", "show", "--db", str(demo)])
    assert "demo = yes" in result.output


def test_s11_the_mark_cannot_be_changed_with_pos_settings(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", str(db), "--demo"]).exit_code == 0
    result = runner.invoke(cli, ["settings", "set", "--db", str(db), "demo", "no"])
    assert result.exit_code == 1
    assert "cannot be changed" in result.output
    assert "pos init --db PATH" in result.output
    assert _is_demo(db)
    with pytest.raises(ValueError, match="cannot be changed"):
        validate_setting("demo", "no")


def test_s11_the_demo_marks() -> None:
    assert DEMO_BANNER == "DEMO"
    text = mark_demo("My Shop\nThank you\n", 32)
    assert text.splitlines() == ["      DEMO - NOT A RECEIPT", "My Shop", "Thank you"] + [
        "      DEMO - NOT A RECEIPT"
    ]

"""The commands of a store with tills of their own files (issue 19): ``pos init --store``
makes a till's file, ``pos audit verify --db URL`` checks every till's chain. Against a
real PostgreSQL (skipped without one)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from pos.services.discount_admin import EditRefused
from pos.services.sync import StoreSync
from tests.conftest import CASHIER, FAST_HASHER, MANAGER
from tests.sync.test_store_sync import PEN, _sell


def test_init_store_makes_a_till_file_that_sells_and_the_server_checks_its_chain(
    store: str, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "till-b.sqlite"
    runner = CliRunner()
    made = runner.invoke(cli, ["init", "--db", str(path), "--store", store, "--till", "Till B"])
    assert made.exit_code == 0, made.output
    assert f"Created {path}: Till B of the store" in made.output
    assert "product rows" in made.output
    again = runner.invoke(cli, ["init", "--db", str(path), "--store", store, "--till", "Till B"])
    assert again.exit_code == 1
    assert "already exists" in again.output
    services = build_services(path, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    sync = StoreSync(path, store, "Till B", clock)
    try:
        assert services.settings.till_name == "Till B"
        services.sessions.login(*CASHIER)
        _sell(services, PEN)
        sync.run_once()
    finally:
        sync.stop()
        services.close()
    verified = runner.invoke(cli, ["audit", "verify", "--db", store])
    assert verified.exit_code == 0, verified.output
    assert "1 till chain intact" in verified.output
    # an entry of the till's chain changed on the server: named, with its till
    with psycopg.connect(store) as conn:
        conn.execute("UPDATE till_audit SET operator = 'someone' WHERE seq = 2")
    broken = runner.invoke(cli, ["audit", "verify", "--db", store])
    assert broken.exit_code == 1
    assert "till Till B: " in broken.output


def test_init_store_refuses_a_file_url_and_a_non_server_store(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["init", "--db", str(tmp_path / "a.sqlite"), "--store", "x.sqlite"])
    assert bad.exit_code == 2
    assert "postgresql:// URL" in bad.output
    lone = runner.invoke(cli, ["init", "--db", str(tmp_path / "a.sqlite"), "--replace"])
    assert lone.exit_code == 2
    assert "--replace goes with --store" in lone.output


def test_a_store_till_file_refuses_changes_that_belong_to_the_store(
    store: str, tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "till-c.sqlite"
    runner = CliRunner()
    made = runner.invoke(cli, ["init", "--db", str(path), "--store", store, "--till", "Till C"])
    assert made.exit_code == 0, made.output
    csv = tmp_path / "catalog.csv"
    csv.write_text("barcode,name,price\n4006381333931,Pen,9.99\n")
    for command in (
        ["products", "import", "--db", str(path), str(csv)],
        ["settings", "set", "--db", str(path), "store_name", "Elsewhere"],
        ["operators", "deactivate", "--db", str(path), "--number", "1001"],
    ):
        refused = runner.invoke(cli, command)
        assert refused.exit_code == 1, command
        assert "come from its store" in refused.output, command
    # an operator's lockout is the till's own: unlocking it here is fine
    unlocked = runner.invoke(cli, ["operators", "unlock", "--db", str(path), "--number", "1001"])
    assert unlocked.exit_code == 0, unlocked.output
    services = build_services(path, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        services.sessions.login(*MANAGER)
        rules = services.discount_admin.rows()  # the store's rules are there, to read
        with pytest.raises(EditRefused, match="discount rules come from its store"):
            services.discount_admin.delete(rules[0].rule.name)  # the editor says so
    finally:
        services.close()


def test_a_store_till_file_reports_only_its_own_till(store: str, tmp_path: Path) -> None:
    """A till's file holds copies of other tills' sales it refunded, never all of them:
    its report of another till is refused, with where to ask instead."""
    path = tmp_path / "till-d.sqlite"
    runner = CliRunner()
    made = runner.invoke(cli, ["init", "--db", str(path), "--store", store, "--till", "Till D"])
    assert made.exit_code == 0, made.output
    for named in ([], ["--till", "Till D"]):  # its own name is the file's till name
        own = runner.invoke(cli, ["report", "--db", str(path), *named, "--json"])
        assert own.exit_code == 0, own.output
    other = runner.invoke(cli, ["report", "--db", str(path), "--till", "Till A"])
    assert other.exit_code == 1
    assert "This file is Till D's" in other.output
    assert "pos report --db URL --till 'Till A'" in other.output

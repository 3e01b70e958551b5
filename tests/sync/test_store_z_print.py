"""A store's server prints a copy of one of its tills' Z reports (issue 21, item 5):
``pos report --db URL --till NAME --z N --print``, through the server's ``printer``
setting, audited on the server. Against a real PostgreSQL (skipped without one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from pos.cli import cli
from pos.services.container import Services
from pos.services.sync import StoreSync
from tests.conftest import MANAGER
from tests.sync.helpers import sell as _sell
from tests.sync.helpers import server as _server

PEN = "4006381333931"  # 1.20


def test_the_server_prints_a_copy_of_a_till_s_z_report(
    store: str, till: Callable[[str], tuple[Services, StoreSync]], tmp_path: Path
) -> None:
    services, sync = till("Till A")
    services.sessions.login(*MANAGER)
    services.days.open_day(5000)
    _sell(services, PEN)
    services.days.close_day(5120)
    sync.run_once()
    runner = CliRunner()
    paper = tmp_path / "office-printer.bin"
    assert (
        runner.invoke(cli, ["settings", "set", "--db", store, "printer", str(paper)]).exit_code == 0
    )
    base = ["report", "--db", store, "--till", "Till A", "--z"]
    done = runner.invoke(cli, [*base, "1", "--print"])
    assert done.exit_code == 0, done.output
    assert "Copy of Z report 0001 of Till A printed" in done.output
    text = paper.read_bytes().decode("cp437")
    assert "*** COPY ***" in text
    assert "Till A" in text
    assert "Z REPORT 0001" in text
    assert "Expected" in text
    audited = _server(store, "SELECT event, details FROM audit_log ORDER BY seq DESC LIMIT 1")
    assert tuple(audited[0]) == ("z_copy", '{"z":1}')
    missing = runner.invoke(cli, [*base, "2", "--print"])
    assert missing.exit_code == 1
    assert "Till A has no Z report 0002" in missing.output

"""Issue 17, item 4: the till's files are private (SECURITY.md J-19 and section 8, item 50:
a key file, and the database holding the PIN hashes, readable by nobody else)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.auth.keys import key_file_for
from pos.cli import cli
from pos.db.database import open_database, till_lock
from pos.db.files import open_to_others
from pos.logs import LOG_NAME


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _umask_back() -> Iterator[None]:
    """The command sets the process's umask: give the test process its own back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def test_j19_a_real_pos_init_makes_private_files_under_an_open_umask(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite"
    logs = tmp_path / "logs"
    done = subprocess.run(
        [sys.executable, "-m", "pos", "--log-dir", str(logs), "init", "--db", str(db), "--demo"],
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,  # the shell's usual umask: files 0644, folders 0755
    )
    assert done.returncode == 0, done.stderr
    assert mode(db) == 0o600
    assert mode(key_file_for(db)) == 0o600
    assert mode(logs) == 0o700
    assert mode(logs / LOG_NAME) == 0o600
    assert not list(tmp_path.glob(".shop.sqlite.new*"))
    done = subprocess.run(
        [sys.executable, "-m", "pos", "--log-dir", str(logs), "db", "check", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        umask=0o022,
    )
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr


def test_j19_every_command_runs_with_umask_077_so_wal_shm_and_locks_are_private(
    tmp_path: Path,
) -> None:
    db = tmp_path / "shop.sqlite"
    os.umask(0o022)
    result = CliRunner().invoke(cli, ["--log-dir", str(tmp_path / "logs"), "init", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert os.umask(0o077) == 0o077  # the command left the process private
    os.umask(0o077)
    database = open_database(db)
    lock = till_lock(db, "Till 1")
    lock.acquire()
    try:
        database.execute_sql("CREATE TABLE scratch (x INTEGER)")
        for suffix in ("", "-wal", "-shm"):
            assert mode(Path(f"{db}{suffix}")) == 0o600, suffix
        assert mode(lock.file) == 0o600  # type: ignore[union-attr]
    finally:
        lock.release()
        database.close()


def test_j19_the_first_run_makes_its_folder_0700_and_its_files_0600(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pos.factory
    from pos.config import default_db_path

    class FakeApp:
        def run(self) -> None:
            pass

    monkeypatch.setattr(pos.factory, "make_app", lambda db, **_: FakeApp())
    os.umask(0o022)
    path = default_db_path()
    assert not path.parent.exists()
    result = CliRunner().invoke(cli, [], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(key_file_for(path)) == 0o600


def test_item50_db_check_warns_about_a_database_or_key_file_others_can_read(
    tmp_path: Path,
) -> None:
    db = tmp_path / "shop.sqlite"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", str(db)]).exit_code == 0
    result = runner.invoke(cli, ["db", "check", "--db", str(db)])
    assert result.exit_code == 0
    assert "warning" not in result.output
    os.chmod(db, 0o644)
    os.chmod(key_file_for(db), 0o640)
    result = runner.invoke(cli, ["db", "check", "--db", str(db)])
    assert result.exit_code == 0, result.output  # a warning: the check itself passed
    assert f"{db} is open to other users (mode 644" in result.output
    assert f"run: chmod 600 {db}\n" in result.output
    assert f"run: chmod 600 {key_file_for(db)}\n" in result.output
    named = [found.path for found in open_to_others(db)]
    assert named[0] == db
    assert named[-1] == key_file_for(db)
    assert set(named) <= {db, Path(f"{db}-wal"), Path(f"{db}-shm"), key_file_for(db)}

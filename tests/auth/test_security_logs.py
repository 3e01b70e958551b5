"""Issue 17, item 2: the till's log file (SECURITY.md S-12, S-13): one line per event
worth knowing, never a PIN, a token or a key."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

import peewee
import pytest
from click.testing import CliRunner

from pos.auth.keys import key_file_for
from pos.auth.service import LoginFailed
from pos.cli import cli
from pos.db.errors import StorageError, writing
from pos.logs import LOG_ENV, LOG_NAME, configure_logging, scrub
from pos.services.approvals import ApprovalRefused
from pos.services.container import Services
from pos.services.printing import PrinterError, ReceiptPrinter
from tests.conftest import CASHIER, MANAGER

WRONG_PIN = "4826"


@pytest.fixture
def log_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "logs"
    configure_logging(folder)
    yield folder
    for handler in _file_handlers():
        logging.getLogger("pos").removeHandler(handler)
        handler.close()


def _file_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger("pos").handlers if isinstance(h, RotatingFileHandler)]


def _log_text(folder: Path) -> str:
    for handler in logging.getLogger("pos").handlers:
        handler.flush()
    return (folder / LOG_NAME).read_text(encoding="utf-8")


def _secrets_of(db: Path) -> list[str]:
    """Every key of the key file, as stored and as raw bytes in hex."""
    data = json.loads(key_file_for(db).read_text())
    stored = [entry["key"] for entry in data["keys"]] + [data["audit_key"]]
    return stored + [base64.b64decode(k).hex() for k in stored]


def test_s12_login_failures_approvals_storage_and_printer_faults_are_logged_without_secrets(
    services: Services, demo_db: Path, log_dir: Path
) -> None:
    session = services.auth.login(*CASHIER)
    with pytest.raises(LoginFailed):
        services.auth.login("1001", WRONG_PIN)
    with pytest.raises(LoginFailed):
        services.auth.login(WRONG_PIN, "2580")  # a PIN typed in the number field
    token = services.approvals.grant(*MANAGER, requester="1001", scope="void", action={"line": 1})
    with pytest.raises(ApprovalRefused):
        services.approvals.grant(
            "9001", WRONG_PIN, requester="1001", scope="void", action={"line": 1}
        )
    services.auth.refresh(session)
    with pytest.raises(StorageError), writing(services.db):
        raise peewee.OperationalError("database or disk is full")
    with pytest.raises(PrinterError):
        ReceiptPrinter("/no/such/folder/lp0").print("x", open_drawer=False)

    text = _log_text(log_dir)
    lines = text.splitlines()
    assert any("login refused: operator 1001, wrong PIN" in line for line in lines)
    assert any("login refused: unknown operator" in line for line in lines)
    assert any("approval refused" in line for line in lines)
    assert any("storage error: the disk is full" in line for line in lines)
    assert any("printer fault" in line for line in lines)
    for secret in (
        "2580",
        "7391",
        WRONG_PIN,
        "eyJ",
        session.access,
        session.refresh,
        token,
        "$argon2",
        *_secrets_of(demo_db),
    ):
        assert secret not in text, secret


def test_s12_the_log_is_private_and_rotates(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "logs"
    old = os.umask(0o077)
    try:
        path = configure_logging(folder)
        logging.getLogger("pos.test").warning("x" * 2000)
    finally:
        os.umask(old)
    assert path == folder / LOG_NAME
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (handler,) = _file_handlers()
    assert isinstance(handler, RotatingFileHandler)
    assert handler.maxBytes > 0
    assert handler.backupCount > 0
    assert configure_logging(folder) == path  # again: the same handler, not a second
    assert _file_handlers() == [handler]
    logging.getLogger("pos").removeHandler(handler)
    handler.close()


def test_s13_a_message_is_one_line_and_holds_no_token_or_key() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    assert scrub(f"bob\n2026-01-01 LOGIN admin {token}") == "bob\\n2026-01-01 LOGIN admin [token]"
    assert "\x1b" not in scrub("\x1b[2J")
    assert scrub("key " + "ab" * 32) == "key [hex]"
    assert "[base64]" in scrub("key " + base64.b64encode(b"k" * 32).decode())


def test_s12_every_command_logs_to_the_log_folder_given(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    db = tmp_path / "shop.sqlite"
    result = CliRunner().invoke(cli, ["--log-dir", str(folder), "init", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "pos 0.1.0 init" in _log_text(folder)
    missing = str(tmp_path / "none.sqlite")
    result = CliRunner().invoke(cli, ["--log-dir", str(folder), "db", "check", "--db", missing])
    assert result.exit_code != 0
    assert "command failed: No database at" in _log_text(folder)


def test_s12_the_log_folder_comes_from_the_environment(tmp_path: Path) -> None:
    folder = tmp_path / "env-logs"
    db = tmp_path / "shop.sqlite"
    env = {**os.environ, LOG_ENV: str(folder)}
    done = subprocess.run(
        [sys.executable, "-m", "pos", "init", "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "pos 0.1.0 init" in (folder / LOG_NAME).read_text()
    assert "init" not in done.stderr  # nothing of the log on the terminal

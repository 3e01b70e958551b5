"""psycopg is an extra (``pos-till[postgresql]``): without it a till on SQLite works, and a
``postgresql://`` URL says what to install instead of a traceback.

Each command runs in a process where ``import psycopg`` fails (``sys.modules['psycopg']``
set to None before pos is imported), as on an install without the extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pos.db.database import NO_SERVER_DRIVER

pytestmark = pytest.mark.slow

URL = "postgresql://pos:secret@127.0.0.1:1/shop"


def pos_without_psycopg(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pos ARGS`` with no PostgreSQL driver to import."""
    code = (
        "import sys\n"
        "sys.modules['psycopg'] = None\n"
        "from pos.cli import main\n"
        "sys.argv[0] = 'pos'\n"
        "main()\n"
    )
    env = {**os.environ, "POS_KEYS": str(tmp_path / "shop.keys")}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_sqlite_till_needs_no_psycopg(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite"
    result = pos_without_psycopg(tmp_path, "init", "--demo", "--db", str(db))
    assert result.returncode == 0, result.stderr
    result = pos_without_psycopg(tmp_path, "basket", "--db", str(db), "--json", "0036000291452")
    assert result.returncode == 0, result.stderr
    assert '"total"' in result.stdout
    result = pos_without_psycopg(tmp_path, "db", "check", "--db", str(db))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("db", "check", "--db", URL),
        ("init", "--db", URL),
        ("--db", URL),  # the till itself
    ],
    ids=["db-check", "init", "till"],
)
def test_a_server_url_says_what_to_install(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = pos_without_psycopg(tmp_path, *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert NO_SERVER_DRIVER in result.stderr
    assert "Traceback" not in result.stderr
    assert "secret" not in result.stderr  # the password never shows
    assert not (tmp_path / "shop.keys").exists()  # pos init rotated no key file for nothing

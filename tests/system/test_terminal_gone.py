"""A till whose terminal goes away (an SSH connection dropped, a tmux session killed)
closes by itself within seconds, keeping its open cart, instead of reading the dead
terminal at full speed for ever while holding its till lock. Real processes on a pty."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.pty_till import Till, cart_in_db, wait_for_count

pytestmark = pytest.mark.slow

PEN = "4006381333931"


def _hang_up(process: Till, seconds: float = 10) -> int | None:
    """Close the terminal's master end (the terminal goes away; the process on it gets
    no SIGHUP) and wait up to ``seconds`` for the process to end: its exit code, or None."""
    process.hang_up()
    deadline = time.monotonic() + seconds
    while process.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    return process.proc.returncode


def test_a_till_whose_terminal_hangs_up_closes_and_keeps_its_cart(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_LOG_DIR", str(tmp_path / "logs"))
    till = Till(demo_db)
    try:
        till.log_in()
        till.type(PEN + "\r")
        wait_for_count(demo_db, 1)
        assert _hang_up(till) == 0, "the till did not close when its terminal went"
    finally:
        if till.proc.poll() is None:
            till.proc.kill()
    assert cart_in_db(demo_db) == Counter({PEN: 1})
    log = (tmp_path / "logs" / "pos.log").read_text(encoding="utf-8")
    assert "the terminal has gone away: closing" in log
    again = Till(demo_db)  # its till lock is free: the same till starts again
    try:
        again.log_in()
        again.wait_for_text("Highlighter pen yellow")
    finally:
        again.kill()


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_till_sent_sighup_or_sigterm_closes_in_order_and_says_why(
    signum: signal.Signals, demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The terminal's hang-up (the till as its controlling process) or a service manager's
    stop: the till closes as on Ctrl+Q (exit status 0, its lock free, its cart kept) and
    the log says why, where the default action would kill it without a word."""
    monkeypatch.setenv("POS_LOG_DIR", str(tmp_path / "logs"))
    till = Till(demo_db)
    try:
        till.log_in()
        till.type(PEN + "\r")
        wait_for_count(demo_db, 1)
        till.proc.send_signal(signum)
        assert till.proc.wait(timeout=10) == 0, f"the till did not close in order on {signum.name}"
    finally:
        till.kill()
    assert cart_in_db(demo_db) == Counter({PEN: 1})
    log = (tmp_path / "logs" / "pos.log").read_text(encoding="utf-8")
    assert f"closing on {signum.name} (the open cart is kept)" in log
    again = Till(demo_db)  # its till lock is free: the same till starts again
    try:
        again.log_in()
        again.wait_for_text("Highlighter pen yellow")
    finally:
        again.kill()


def test_a_customer_display_whose_terminal_hangs_up_closes(demo_db: Path) -> None:
    display = Till(demo_db, command=("display",), rows=20, cols=60)
    try:
        display.wait_for_text("Waiting for Till 1", timeout=30)
        assert _hang_up(display) == 0, "the display did not close when its terminal went"
    finally:
        if display.proc.poll() is None:
            display.proc.kill()

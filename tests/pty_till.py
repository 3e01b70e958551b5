"""Starting the real ``pos`` command on a pseudo-terminal (crash tests, start-up benchmark)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path


def start_on_pty(db: Path, rows: int = 30, cols: int = 100) -> tuple[subprocess.Popen[bytes], int]:
    """``python -m pos --db DB`` on a new pty of ``rows`` x ``cols``, in its own session;
    returns the process and the pty's master end (to read what it draws, and type)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("POS_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos", "--db", str(db)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    return proc, master

"""Whether the terminal the till draws on is still there.

When the terminal goes away (an SSH connection dropped, a tmux session killed) a till that
is not the terminal's controlling process gets no SIGHUP: its reads of the terminal return
nothing at once, and Textual's input thread reads again, at full speed, for ever. The till
would go on holding its till lock and a core. The app (and the customer display's) asks
:meth:`TerminalWatch.gone` every second and closes: every scan is saved as it is made, so
nothing is lost.

A till that is the terminal's controlling process gets SIGHUP when it hangs up, and a
service manager or ``kill`` sends SIGTERM: :func:`close_on_signals` turns either into the
same orderly close (a line in the log, the till lock released), instead of the default
death that leaves the log silent about why the till stopped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import termios
from collections.abc import Callable

log = logging.getLogger(__name__)


class TerminalWatch:
    """Watches the terminal on file descriptor ``fd``, if it was a terminal at the start
    (under Pilot, or with input from a pipe, there is none to watch)."""

    def __init__(self, fd: int | None) -> None:
        self.fd = fd if fd is not None and _is_terminal(fd) else None

    def gone(self) -> bool:
        """The terminal has hung up: its settings can no longer be read (EIO)."""
        if self.fd is None:
            return False
        try:
            termios.tcgetattr(self.fd)
        except (OSError, termios.error):
            log.warning("the terminal has gone away: closing (the open cart is kept)")
            return True
        return False


def _is_terminal(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


CLOSING_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


def close_on_signals(close: Callable[[], None]) -> Callable[[], None]:
    """From now on SIGHUP and SIGTERM log which came and call ``close`` on the running
    event loop; returns what puts the default handling back (call it as the app ends).
    Only for a till on a real terminal: under Pilot the process is the test runner's."""
    loop = asyncio.get_running_loop()

    def closing(signum: int) -> None:
        log.warning("closing on %s (the open cart is kept)", signal.Signals(signum).name)
        close()

    for signum in CLOSING_SIGNALS:
        loop.add_signal_handler(signum, closing, signum)

    def restore() -> None:
        for signum in CLOSING_SIGNALS:
            loop.remove_signal_handler(signum)

    return restore

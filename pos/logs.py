"""The till's own log: stdlib ``logging`` to a rotating file in the user's log folder.

One line per event worth knowing (the till starting, a refused login, a lockout, a
storage error, a printer fault), never a PIN, a token or a key: the code that logs
passes only operator numbers of real operators, kinds of failure and the database's
own words. As a second line of defence every message is scrubbed before it is
written: anything shaped like a JWT, a long run of hex or base64 (a key, a hash) is
replaced, and control characters (a newline in an operator number or a product name)
are escaped, so one event is always one line (SECURITY.md section 8, item 26).

The folder is ``platformdirs.user_log_path("pos-till")``, or ``$POS_LOG_DIR`` (tests,
kiosk installs). It is made 0700 and the files 0600 (the command sets umask 077).
"""

from __future__ import annotations

import logging
import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TypeAlias

from platformdirs import user_log_path

from pos.config import APP_NAME

LOG_ENV = "POS_LOG_DIR"
"""A folder for the log instead of the user's log folder."""
LOG_NAME = "pos.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
"""Files kept: pos.log and pos.log.1 to pos.log.5 (about 6 MB in all)."""
LOGGER = "pos"
"""Every module logs under it (``logging.getLogger(__name__)``)."""

_ExcInfo: TypeAlias = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
)
"""What ``sys.exc_info()`` returns (and logging passes to formatException)."""

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){1,2}")
_HEX = re.compile(r"\b[0-9a-fA-F]{32,}\b")
_B64 = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
_ARGON = re.compile(r"\$argon2[a-z]*\$[^\s'\"]*")


def scrub(text: str) -> str:
    """``text`` as it may go into the log: no token, key or hash, and on one line."""
    text = _JWT.sub("[token]", text)
    text = _ARGON.sub("[hash]", text)
    text = _HEX.sub("[hex]", text)
    text = _B64.sub("[base64]", text)
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


class ScrubbingFormatter(logging.Formatter):
    """Formats a record, then scrubs the whole line (message and any traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))

    def formatException(self, ei: _ExcInfo) -> str:  # noqa: N802 - logging's name
        """Only the exception's type and the place it came from: a traceback's text never
        includes local variables, but its message might quote what was typed."""
        _, exc, tb = ei
        where = ""
        while tb is not None:
            frame = tb.tb_frame.f_code
            where = f" at {Path(frame.co_filename).name}:{tb.tb_lineno} in {frame.co_name}"
            tb = tb.tb_next
        return f"{type(exc).__name__}{where}"


def default_log_dir() -> Path:
    """``$POS_LOG_DIR``, else the user's log folder for the till."""
    if value := os.environ.get(LOG_ENV):
        return Path(value)
    return user_log_path(APP_NAME, appauthor=False)


def configure_logging(folder: Path | None = None, level: int = logging.INFO) -> Path | None:
    """Send the ``pos`` loggers to ``<folder>/pos.log`` (rotated at 1 MB, 5 kept).

    Called once where the command starts; calling it again with the same folder changes
    nothing, with another folder moves the log there. A folder that cannot be made or
    written leaves the till without a log file (it runs on; nothing is printed over the
    screen): returns None then, else the log file.
    """
    folder = folder or default_log_dir()
    path = folder / LOG_NAME
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    logger.propagate = False  # never onto the terminal through the root logger
    for handler in list(logger.handlers):
        if isinstance(handler, RotatingFileHandler):
            if Path(handler.baseFilename) == path.absolute():
                return path
            logger.removeHandler(handler)
            handler.close()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=False
        )
    except OSError:
        logger.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    return path


def log_file() -> Path | None:
    """Where the log is being written now, or None (no log file)."""
    for handler in logging.getLogger(LOGGER).handlers:
        if isinstance(handler, RotatingFileHandler):
            return Path(handler.baseFilename)
    return None


def stopped_message(error: BaseException) -> str:
    """What the terminal says when the till stops on an unexpected error: its type and
    where the log is, never its text (it could hold anything)."""
    where = log_file()
    return (
        f"The till stopped: an unexpected error ({type(error).__name__}). The open cart "
        "is kept: start the till again." + (f" Details are in {where}." if where else "")
    )

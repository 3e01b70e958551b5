"""Keys as a terminal delivers them: raw bytes through Textual's own input parser.

The real driver reads the terminal, feeds what it read to ``XTermParser`` and posts the
events it yields; this does the same with a string, so escape sequences, control
characters, bracketed pastes and F-keys reach the app exactly as they would from a
keyboard, a scanner or a paste.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from textual._xterm_parser import XTermParser
from textual.app import App

F = {
    1: "\x1bOP",
    2: "\x1bOQ",
    3: "\x1bOR",
    4: "\x1bOS",
    5: "\x1b[15~",
    6: "\x1b[17~",
    7: "\x1b[18~",
    8: "\x1b[19~",
    9: "\x1b[20~",
    10: "\x1b[21~",
    11: "\x1b[23~",
    12: "\x1b[24~",
}
UP, DOWN, RIGHT, LEFT = "\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D"
DELETE = "\x1b[3~"
BACKSPACE = "\x7f"
ENTER = "\r"
ESCAPE = "\x1b"


def events_for(data: str) -> list[object]:
    """The events a terminal's ``data`` becomes (a lone Esc after the parser's timeout)."""
    parser = XTermParser()
    events = list(parser.feed(data))
    if data.endswith(ESCAPE) or parser._timeout_time is not None:  # noqa: SLF001
        time.sleep(0.12)
        events += list(parser.tick())
    return events


def terminal(app: App[object], data: str) -> None:
    """Queue ``data`` as the terminal would deliver it, all at once (no pauses)."""
    driver = app._driver
    assert driver is not None
    for event in events_for(data):
        event.set_sender(app)  # type: ignore[attr-defined]
        driver.send_message(event)  # type: ignore[arg-type]


def db_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to compare a database before and after."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}
    finally:
        con.close()

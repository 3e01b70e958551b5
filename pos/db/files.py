"""The till's files are private: no access for group or others (issue 17, item 4).

The command sets the process's umask to 077 before it makes anything (:func:`private`),
so the database, SQLite's ``-wal``/``-shm`` beside it (SQLite gives them the database's
own mode), the till locks, the key file and the log are made 0600 and any folder 0700.
A file made before (or copied in with another mode) is named by :func:`open_to_others`,
which ``pos db check`` reports with the ``chmod`` to run.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pos.auth.keys import key_file_for
from pos.config import DbTarget, is_server

PRIVATE_UMASK = 0o077


def private() -> int:
    """Make every file this process creates from now on private; returns the old umask."""
    return os.umask(PRIVATE_UMASK)


@dataclass(frozen=True, slots=True)
class OpenFile:
    """A file of the till that other users may read or write."""

    path: Path
    mode: int

    def warning(self) -> str:
        return (
            f"warning: {self.path} is open to other users (mode {self.mode:03o}: they can "
            f"read or change it); run: chmod 600 {self.path}"
        )


def till_files(target: DbTarget) -> list[Path]:
    """The database's files that exist: the database, its ``-wal``/``-shm``, the till
    locks beside it, and the key file (a server database has only its key file here)."""
    keys = key_file_for(target)
    if is_server(target):
        return [keys] if keys.exists() else []
    path = Path(target)
    found = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")]
    found += sorted(path.parent.glob(f"{path.name}.*.lock"))
    found.append(keys)
    return [p for p in found if p.exists()]


def open_to_others(target: DbTarget) -> list[OpenFile]:
    """The files of ``target`` that group or others can read or write."""
    found = []
    for path in till_files(target):
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue  # gone since (a -wal at the last close): nothing to say
        if mode & 0o077:
            found.append(OpenFile(path, mode))
    return found

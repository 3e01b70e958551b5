"""The signing key file, kept beside the database and readable only by its owner.

``pos init`` makes it with 256 random bits and a key id. ``pos keys rotate`` adds a
new current key; the old one stays only as long as a token it signed can live
(one refresh-token lifetime), then it is dropped at the next rotation or start.
The file is never inside the database, so a copy of the database alone cannot
mint tokens.

It also holds the PIN peppers (:mod:`pos.auth.pins`): ``pepper`` names the current
one, ``peppers`` lists every one. Each rotation makes a new current pepper; an old one
is kept while any PIN hash still names it, since that operator could not log in
without it. ``pos keys rotate`` tells which ones the database still uses, and only a
pepper no hash names that has not been current for :data:`KEEP_OLD_KEYS` (every till
re-reads the file long before: none can still be making hashes with it) is dropped;
without that list (``pos init`` rotating before its new database exists) none is.
A key file from before peppers has one implicit pepper, ``p0``, derived from its audit
key (which never rotates), so it needs no write, and no two tills can race to add one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import Required, TypedDict, cast

from pos.auth.pins import Peppers
from pos.auth.seal import seal_key
from pos.auth.tokens import LIFETIME, Keyring, TokenKind, WeakKey, new_key
from pos.config import DbTarget, is_server, server_key_file

KEEP_OLD_KEYS = timedelta(seconds=LIFETIME[TokenKind.REFRESH])
IMPLICIT_PEPPER = "p0"
"""The pepper of a key file from before peppers: derived from its audit key."""
MIN_DISTINCT_BYTES = 16
"""32 random bytes hold about 30 different values; fewer than 16 is no random key (the
chance of it is below 10^-20): an all-zero key, one byte repeated, a short pattern."""


class _KeyEntry(TypedDict):
    """A signing key in the key file (``key`` in base64)."""

    kid: str
    key: str
    created: str
    retire_after: str | None


class _PepperEntry(TypedDict):
    """A PIN pepper in the key file (``key`` in base64)."""

    pid: str
    key: str
    created: str
    retired: str | None


class _KeyFile(TypedDict, total=False):
    """The key file's JSON (files from before the peppers have no ``pepper(s)``)."""

    current: Required[str]
    keys: Required[list[_KeyEntry]]
    audit_key: str
    pepper: str
    peppers: list[_PepperEntry]


class KeyFileError(Exception):
    """The key file is missing, unreadable, too open or damaged; the message says which."""


def key_file_for(target: DbTarget) -> Path:
    """Beside a SQLite file; for a server database, the file every till of the store
    shares (:func:`pos.config.server_key_file`)."""
    if is_server(target):
        return server_key_file(str(target))
    path = Path(target)
    return path.with_name(path.name + ".keys")


def low_entropy(key: bytes) -> str | None:
    """Why ``key`` is too predictable to sign or chain with (SECURITY.md J-04), or None."""
    distinct = len(set(key))
    if distinct < MIN_DISTINCT_BYTES:
        return (
            f"it has only {distinct} different byte value(s) in {len(key)} bytes "
            "(not random: all zero, one byte repeated or a short pattern)"
        )
    return None


def _strong(path: Path, what: str, key: bytes) -> bytes:
    """``key``, unless it is too short or predictable.

    Raises:
        KeyFileError: with what to do.
    """
    problem = (
        f"it is {len(key)} bytes; at least 32 are needed" if len(key) < 32 else low_entropy(key)
    )
    if problem is not None:
        raise KeyFileError(
            f"{path} holds a weak {what} ({problem}); make a new key file with "
            "pos keys rotate --retire-now (everyone logs in again)"
        )
    return key


def _new_random_key(path: Path) -> bytes:
    return _strong(path, "new key", new_key())  # a broken random source is refused too


def _new_kid(now: datetime, prefix: str = "k") -> str:
    return f"{prefix}{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _new_pepper(path: Path, now: datetime) -> tuple[str, _PepperEntry]:
    pid = _new_kid(now, "p")
    return pid, {
        "pid": pid,
        "key": base64.b64encode(_new_random_key(path)).decode(),
        "created": now.isoformat(),
        "retired": None,
    }


def _write(path: Path, data: _KeyFile) -> None:
    """Write atomically with mode 0600 from the start (never briefly world-readable)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a server's: config folder
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def create_key_file(path: Path, now: datetime) -> str:
    """Make a new key file with one key; returns its key id. Refuses to overwrite."""
    if path.exists():
        raise KeyFileError(f"{path} already exists")
    kid = _new_kid(now)
    pid, pepper = _new_pepper(path, now)
    _write(
        path,
        {
            "current": kid,
            "keys": [_entry(kid, _new_random_key(path), now)],
            "audit_key": base64.b64encode(_new_random_key(path)).decode(),
            "pepper": pid,
            "peppers": [pepper],
        },
    )
    return kid


def _entry(kid: str, key: bytes, now: datetime, retire: datetime | None = None) -> _KeyEntry:
    return {
        "kid": kid,
        "key": base64.b64encode(key).decode(),
        "created": now.isoformat(),
        "retire_after": retire.isoformat() if retire else None,
    }


def _read(path: Path) -> _KeyFile:
    if not path.exists():
        raise KeyFileError(
            f"The signing key file {path} is missing; tokens cannot be issued. "
            "Restore it from a backup (it also holds the audit log's key and the PIN "
            "pepper), or run pos keys rotate to make a new one: everyone must log in "
            "again, every operator's PIN must be set again (pos operators set-pin), and "
            "the audit entries made before cannot be verified any more."
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"{path} can be read by other users (mode {mode:o}); run: chmod 600 {path}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"{path} cannot be read ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise KeyFileError(f"{path} is not a key file")
    # the rest of the shape is checked where it is read: a missing or mistyped part is
    # a KeyError or TypeError there, reported as a damaged file
    return cast(_KeyFile, data)


def load_keyring(path: Path, now: datetime) -> Keyring:
    """The keys that may still verify tokens at ``now``.

    Raises:
        KeyFileError: missing, too open, damaged, or a key is too short.
    """
    data = _read(path)
    keys: dict[str, bytes] = {}
    try:
        for entry in data["keys"]:
            retire = entry.get("retire_after")
            if retire and datetime.fromisoformat(retire) < now:
                continue
            key = base64.b64decode(entry["key"], validate=True)
            if len(key) >= 32:  # a short one is refused by the Keyring, as before
                _strong(path, f"signing key ({entry['kid']})", key)
            keys[entry["kid"]] = key
        return Keyring(str(data["current"]), keys)
    except (KeyError, TypeError, ValueError, WeakKey) as exc:
        raise KeyFileError(f"{path} is damaged or holds a weak key ({exc})") from exc


def rotate(
    path: Path,
    now: datetime,
    *,
    retire_now: bool = False,
    peppers_in_use: set[str] | None = None,
) -> str:
    """Make a new current key; keep the others only while their tokens can live, or,
    with ``retire_now`` (after a compromise), not at all: every token they signed is
    refused from the next check on, on every till that reads the file.

    A new current pepper is made too; the old ones stay (see the module docstring):
    ``peppers_in_use`` (the ids the database's PIN hashes name) lets one go that no hash
    names and that stopped being current :data:`KEEP_OLD_KEYS` ago or more.

    A missing file is created (all earlier tokens then stop verifying).
    """
    if not path.exists():
        return create_key_file(path, now)
    data = _read(path)
    kept: list[_KeyEntry] = []
    for entry in data["keys"]:
        retire = entry.get("retire_after")
        if retire_now or (retire and datetime.fromisoformat(retire) < now):
            continue
        if entry["kid"] == data["current"]:
            entry = {**entry, "retire_after": (now + KEEP_OLD_KEYS).isoformat()}
        kept.append(entry)
    kid = _new_kid(now)
    kept.append(_entry(kid, _new_random_key(path), now))
    # the audit key never rotates: the whole chain is verified with it
    audit_key = data.get("audit_key") or base64.b64encode(_new_random_key(path)).decode()
    pid, pepper = _new_pepper(path, now)
    _write(
        path,
        {
            "current": kid,
            "keys": kept,
            "audit_key": audit_key,
            "pepper": pid,
            "peppers": [*_kept_peppers(data, now, peppers_in_use), pepper],
        },
    )
    return kid


def _kept_peppers(data: _KeyFile, now: datetime, in_use: set[str] | None) -> list[_PepperEntry]:
    """The old peppers that stay at a rotation, the current one marked retired now."""
    kept: list[_PepperEntry] = []
    for entry in data.get("peppers") or []:
        retired = entry.get("retired")
        if entry["pid"] == data.get("pepper"):
            entry = {**entry, "retired": now.isoformat()}
        elif (
            in_use is not None
            and entry["pid"] not in in_use
            and retired
            and datetime.fromisoformat(retired) <= now - KEEP_OLD_KEYS
        ):
            continue  # no hash names it, and no till can still be making hashes with it
        kept.append(entry)
    return kept


def load_peppers(path: Path) -> Peppers:
    """The PIN peppers of the key file: the current one makes new hashes, every one
    verifies the hashes that name it.

    Raises:
        KeyFileError: missing, too open, damaged, or a pepper is weak.
    """
    data = _read(path)
    audit_key = load_audit_key(path)
    keys = {IMPLICIT_PEPPER: hmac.new(audit_key, b"pos pin pepper", hashlib.sha256).digest()}
    try:
        for entry in data.get("peppers") or []:
            key = base64.b64decode(str(entry["key"]), validate=True)
            keys[str(entry["pid"])] = _strong(path, f"PIN pepper ({entry['pid']})", key)
        current = str(data.get("pepper") or IMPLICIT_PEPPER)
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyFileError(f"{path} is damaged ({exc})") from exc
    if current not in keys:
        raise KeyFileError(f"{path} is damaged (its current pepper {current} is missing)")
    return Peppers(current, keys)


def load_audit_key(path: Path) -> bytes:
    """The key of the audit log's hash chain (kept in the key file, never rotated).

    Raises:
        KeyFileError: missing, too open, damaged, or without an audit key.
    """
    data = _read(path)
    try:
        key = base64.b64decode(str(data["audit_key"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise KeyFileError(f"{path} has no audit key; run pos keys rotate") from exc
    if len(key) < 32:
        raise KeyFileError(f"{path} holds a weak audit key")
    problem = low_entropy(key)
    if problem is not None:
        raise KeyFileError(
            f"{path} holds a weak audit key ({problem}); restore the key file from a backup"
        )
    return key


def load_seal_key(path: Path) -> bytes:
    """The key of the operator rows' seals (:mod:`pos.auth.seal`), from the audit key.

    Raises:
        KeyFileError: as :func:`load_audit_key`.
    """
    return seal_key(load_audit_key(path))

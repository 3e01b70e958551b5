"""The seal on each operator row (issue 17 item 6c).

An operator's number, role, status, PIN hash, revocation counter and lockout fields are
sealed with an HMAC keyed from the key file (derived from its audit key, which never
rotates). Every write the till makes seals the row again in the same transaction; a row
changed any other way (``UPDATE operator SET role='manager'`` in a database shell) no
longer matches its seal, and that operator cannot log in or use a token until the row is
put right: the till says so, and ``pos db check`` and ``pos audit verify`` name it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SEALED = (
    "number",
    "role",
    "active",
    "pin_hash",
    "token_generation",
    "failed_attempts",
    "locked_until",
)
"""The columns the seal covers (the name and the kept revocation time are not rights)."""


def seal_key(audit_key: bytes) -> bytes:
    """The sealing key, derived from the key file's audit key for this one purpose."""
    return hmac.new(audit_key, b"pos operator row seal", hashlib.sha256).digest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, bool):
        return int(value)
    return value


def operator_seal(key: bytes, row: Mapping[str, Any]) -> str:
    """The seal of an operator row (its :data:`SEALED` columns, as read back)."""
    body = json.dumps([_canonical(row[name]) for name in SEALED], separators=(",", ":"))
    return hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()


def seal_matches(key: bytes, row: Mapping[str, Any], stored: str | None) -> bool:
    return stored is not None and hmac.compare_digest(operator_seal(key, row), stored)


def tampered_message(number: str) -> str:
    """What the till says for an operator whose row does not match its seal."""
    return (
        f"operator {number}'s record was changed outside the till: its role, status, PIN or "
        "lockout is not what the till wrote. A manager must check it (pos operators list) "
        "and set it right with pos operators (set-pin, deactivate, reactivate), which seals "
        "it again"
    )

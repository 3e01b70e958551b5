"""Sealing operator rows (:mod:`pos.auth.seal`) in the database: the check, the reseal
every write of the till makes, the first seal of rows from before seals, and the list of
rows that no longer match (for ``pos db check`` and ``pos audit verify``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee

from pos.auth.seal import SEALED, operator_seal, seal_matches
from pos.db import models as m
from pos.db.fields import UtcTextDateTimeField
from pos.db.rows import dicts

SEAL_VERSION = 11
"""The schema version that added ``operator.row_mac``."""


class NoSealKey(RuntimeError):
    """An operator row was to be written without the key file's seal key (wiring)."""


def _fields() -> list[peewee.Field]:
    return [getattr(m.Operator, name) for name in SEALED]


def read_sealed(number: str) -> dict[str, Any] | None:
    """The sealed columns and the seal of one row (models bound), or None."""
    row: dict[str, Any] | None = (
        m.Operator.select(*_fields(), m.Operator.row_mac)
        .where(m.Operator.number == number)
        .dicts()
        .first()
    )
    return row


def row_is_sealed(key: bytes, row: Mapping[str, Any]) -> bool:
    return seal_matches(key, row, row.get("row_mac"))


def reseal(key: bytes | None, number: str, *, before: bool | None, repair: bool = False) -> None:
    """Seal ``number``'s row as it now is, inside the write's own transaction; but only if
    it matched its seal ``before`` the write, or the write is a manager's repair
    (``repair``: a PIN set, a (re)activation): an attempt at a row changed outside the
    till must not seal the change in."""
    if key is None:
        raise NoSealKey("operator rows are written with the key file's seal key")
    if not (before or repair):
        return
    row = read_sealed(number)
    if row is not None:
        m.Operator.update(row_mac=operator_seal(key, row)).where(
            m.Operator.number == number
        ).execute()


def sealed_before(key: bytes | None, number: str) -> bool | None:
    """Whether the row matches its seal now (None: no such row)."""
    if key is None:
        raise NoSealKey("operator rows are written with the key file's seal key")
    row = read_sealed(number)
    return None if row is None else row_is_sealed(key, row)


def seal_unsealed(db: peewee.Database, key: bytes) -> int:
    """Seal the rows that have no seal yet (the upgrade to :data:`SEAL_VERSION`: it runs
    inside the upgrade's transaction, with the models unbound, so in plain SQL)."""
    when = UtcTextDateTimeField()
    names = ", ".join(f'"{name}"' for name in SEALED)
    rows = db.execute_sql(f'SELECT {names} FROM "operator" WHERE "row_mac" IS NULL').fetchall()
    for values in rows:
        row = dict(zip(SEALED, values, strict=True))
        row["locked_until"] = when.python_value(row["locked_until"])
        db.execute_sql(
            f'UPDATE "operator" SET "row_mac" = {db.param} WHERE "number" = {db.param}',
            (operator_seal(key, row), row["number"]),
        )
    return len(rows)


def changed_operators(key: bytes) -> list[str]:
    """The numbers of the operators whose rows do not match their seals (models bound)."""
    query = m.Operator.select(*_fields(), m.Operator.row_mac).order_by(m.Operator.number)
    return [str(row["number"]) for row in dicts(query) if not row_is_sealed(key, row)]

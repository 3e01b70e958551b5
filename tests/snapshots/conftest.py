"""Snapshots show what the screen shows: the Z report prints the audit log's chain head,
a MAC made with the key file's audit key, so the key files made here are fixed (and
still pass the strength checks) instead of random."""

from __future__ import annotations

import hashlib
import itertools

import pytest


@pytest.fixture(autouse=True)
def fixed_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    counter = itertools.count()
    monkeypatch.setattr(
        "pos.auth.keys.new_key",
        lambda: hashlib.sha256(f"snapshot key {next(counter)}".encode()).digest(),
    )

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pos.auth.keys import KeyFileError, create_key_file, load_keyring, rotate

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def test_new_key_file_is_private_and_strong(tmp_path: Path) -> None:
    path = tmp_path / "db.keys"
    kid = create_key_file(path, NOW)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    ring = load_keyring(path, NOW)
    assert ring.current == kid
    assert len(ring.keys[kid]) == 32
    with pytest.raises(KeyFileError, match="already exists"):
        create_key_file(path, NOW)


def test_missing_open_or_damaged_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.keys"
    with pytest.raises(KeyFileError, match="missing"):
        load_keyring(path, NOW)
    create_key_file(path, NOW)
    os.chmod(path, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_keyring(path, NOW)
    os.chmod(path, 0o600)
    path.write_text('{"current": "k1", "keys": [{"kid": "k1", "key": "c2hvcnQ="}]}')
    os.chmod(path, 0o600)
    with pytest.raises(KeyFileError, match="weak key"):
        load_keyring(path, NOW)
    path.write_text("not json")
    with pytest.raises(KeyFileError, match="cannot be read"):
        load_keyring(path, NOW)


def test_rotation_keeps_the_old_key_for_one_shift(tmp_path: Path) -> None:
    path = tmp_path / "db.keys"
    first = create_key_file(path, NOW)
    second = rotate(path, NOW)
    ring = load_keyring(path, NOW + timedelta(hours=7))
    assert ring.current == second
    assert set(ring.keys) == {first, second}
    later = load_keyring(path, NOW + timedelta(hours=8, seconds=1))
    assert set(later.keys) == {second}
    third = rotate(path, NOW + timedelta(hours=9))
    assert first not in path.read_text()  # pruned from the file at the next rotation
    assert set(load_keyring(path, NOW + timedelta(hours=9)).keys) == {second, third}

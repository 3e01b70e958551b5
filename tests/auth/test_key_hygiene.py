"""Issue 17, item 9: keys (SECURITY.md J-04, J-19): ``pos keys rotate --retire-now`` ends
every token the old key signed at once; low-entropy keys are refused when a key file is
loaded or made; an access token without ``fam`` is refused."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.auth import keys as key_module
from pos.auth import tokens as t
from pos.auth.keys import (
    KeyFileError,
    create_key_file,
    key_file_for,
    load_audit_key,
    load_keyring,
    low_entropy,
    rotate,
)
from pos.cli import cli
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from tests.conftest import CASHIER, FAST_HASHER

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def _set_keys(path: Path, signing: bytes, audit: bytes | None = None) -> None:
    data = json.loads(path.read_text())
    data["keys"] = [{**data["keys"][-1], "key": base64.b64encode(signing).decode()}]
    data["current"] = data["keys"][0]["kid"]
    if audit is not None:
        data["audit_key"] = base64.b64encode(audit).decode()
    path.write_text(json.dumps(data))
    os.chmod(path, 0o600)


# ------------------------------------------------------------------ --retire-now


def test_j19_retire_now_ends_every_token_of_the_old_key_at_once(
    services: Services, demo_db: Path
) -> None:
    session = services.auth.login(*CASHIER)
    runner = CliRunner()
    result = runner.invoke(cli, ["keys", "rotate", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    services.reload_keys_if_changed()
    assert services.auth.validate(session.access).number == "1001"  # plain: kept 8 h
    result = runner.invoke(cli, ["keys", "rotate", "--retire-now", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    assert "older keys retired" in result.output
    services.reload_keys_if_changed()
    with pytest.raises(t.UnknownKey):
        services.auth.validate(session.access)
    with pytest.raises(t.UnknownKey):
        services.auth.refresh(session)
    ring = load_keyring(key_file_for(demo_db), datetime.now(UTC))
    assert list(ring.keys) == [ring.current]  # the new key only
    # a new login works with the new key, and the rotation is in the audit log
    assert services.auth.login(*CASHIER).identity.number == "1001"
    last = list(services.audit.entries())[-2]
    assert last.event == "key_rotation"
    assert "retired" in last.details


def test_j19_retire_now_keeps_the_audit_key(tmp_path: Path) -> None:
    path = tmp_path / "db.keys"
    create_key_file(path, NOW)
    audit = load_audit_key(path)
    rotate(path, NOW, retire_now=True)
    assert load_audit_key(path) == audit


# ------------------------------------------------------------------ low entropy


@pytest.mark.parametrize(
    "key",
    [
        bytes(32),  # all zero
        b"\xff" * 32,
        b"k" * 64,
        b"ab" * 16,
        bytes(range(8)) * 4,  # 8 different values
    ],
)
def test_j04_a_low_entropy_signing_key_is_refused_when_loaded(tmp_path: Path, key: bytes) -> None:
    path = tmp_path / "db.keys"
    create_key_file(path, NOW)
    _set_keys(path, key)
    with pytest.raises(KeyFileError, match="weak signing key"):
        load_keyring(path, NOW)


def test_j04_a_low_entropy_audit_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.keys"
    create_key_file(path, NOW)
    _set_keys(path, os.urandom(32), audit=bytes(32))
    with pytest.raises(KeyFileError, match="weak audit key"):
        load_audit_key(path)


def test_j04_a_random_key_passes() -> None:
    for _ in range(200):
        assert low_entropy(os.urandom(32)) is None


def test_j04_a_broken_random_source_makes_no_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_module, "new_key", lambda: bytes(32))
    with pytest.raises(KeyFileError, match="weak new key"):
        create_key_file(tmp_path / "db.keys", NOW)
    assert not (tmp_path / "db.keys").exists()


def test_j04_the_till_refuses_to_start_with_an_all_zero_key(
    demo_db: Path, clock: FixedClock
) -> None:
    from pos.db.errors import DatabaseOpenError

    _set_keys(key_file_for(demo_db), bytes(32))
    with pytest.raises(DatabaseOpenError, match="weak signing key"):
        build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    result = CliRunner().invoke(cli, ["keys", "rotate", "--db", str(demo_db)])
    assert result.exit_code == 0  # a plain rotation keeps the weak key for its tokens...
    with pytest.raises(DatabaseOpenError, match="weak signing key"):
        build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    # ...the remedy the message names drops it
    result = CliRunner().invoke(cli, ["keys", "rotate", "--retire-now", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER).close()


# ------------------------------------------------------------------ fam


def test_j12_an_access_token_without_fam_is_refused(services: Services) -> None:
    """Signed with the till's own key, right kind, right operator and generation: only
    the session family is missing, and with it the family check (logout, reuse)."""
    codec = services.auth.codec
    now = codec.now()
    for extra in ({"sat": now, "gen": 0}, {"fam": "", "sat": now, "gen": 0}, {"fam": 7, "gen": 0}):
        token, _ = codec.issue(t.TokenKind.ACCESS, "1001", "cashier", ("sale",), extra)
        with pytest.raises(t.MissingClaim):
            services.auth.validate(token)
    session = services.auth.login(*CASHIER)  # the till's own tokens carry it
    assert services.auth.validate(session.access).number == "1001"

"""Issue 17, item 5 (SECURITY.md H-05): a copy of the database alone is useless for
guessing PINs. PIN hashes are Argon2id over HMAC-SHA256(pepper, PIN), the pepper kept in
the key file; the stored hash names its pepper, hashes from before peppering still log
in and are peppered at that login, and ``pos keys rotate`` keeps every pepper a hash
still names."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from click.testing import CliRunner

from pos.auth.keys import (
    IMPLICIT_PEPPER,
    KEEP_OLD_KEYS,
    create_key_file,
    key_file_for,
    load_peppers,
    rotate,
)
from pos.auth.pins import NoPepper, PinHasher, fast_test_hasher, pepper_of, split_pepper
from pos.auth.service import LOGIN_FAILED, LoginFailed
from pos.cli import cli
from pos.db.auth_repositories import OperatorRepository
from pos.db.database import open_database
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import build_services
from tests.conftest import CASHIER, FAST_HASHER, FIXED_NOW, MANAGER, reseal_operator


def _hash_of(db: Path, number: str) -> str:
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT pin_hash FROM operator WHERE number = ?", (number,)).fetchone()
    finally:
        con.close()
    return str(row[0])


def _set_hash(db: Path, number: str, digest: str) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE operator SET pin_hash = ? WHERE number = ?", (digest, number))
    con.commit()
    con.close()
    reseal_operator(db, number)  # as the till wrote it before peppering


def _logs_in(db: Path, clock: FixedClock, who: tuple[str, str]) -> bool:
    """Whether ``who`` logs in; refused, it is with the usual words."""
    services = build_services(db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    said = ""
    try:
        services.auth.login(*who)
    except LoginFailed as exc:
        said = str(exc)
        if said != LOGIN_FAILED:
            raise
    finally:
        services.close()
    return not said


def test_h05_a_hash_from_the_database_cannot_be_checked_without_the_key_files_pepper(
    demo_db: Path,
) -> None:
    """The attacker's view: the stored hash and the right PIN, and argon2-cffi."""
    stored = _hash_of(demo_db, CASHIER[0])
    attacker = PasswordHasher()
    with pytest.raises((VerifyMismatchError, InvalidHashError)):
        attacker.verify(stored, CASHIER[1])
    pepper, encoded = split_pepper(stored)
    assert pepper == load_peppers(key_file_for(demo_db)).current  # it names its pepper
    with pytest.raises(VerifyMismatchError):  # the Argon2 part alone: the PIN does not match
        attacker.verify(encoded, CASHIER[1])
    # with the key file's pepper it does
    with_pepper = FAST_HASHER.with_peppers(load_peppers(key_file_for(demo_db)))
    assert with_pepper.verify(stored, CASHIER[1])
    assert not with_pepper.verify(stored, "8264")


def test_h05_a_database_copied_without_its_key_file_lets_nobody_log_in(
    demo_db: Path, tmp_path: Path, clock: FixedClock
) -> None:
    """Copied elsewhere with a key file of its own (the thief's): every right PIN fails."""
    elsewhere = tmp_path / "stolen" / "pos.db"
    elsewhere.parent.mkdir(mode=0o700)
    shutil.copy(demo_db, elsewhere)
    create_key_file(key_file_for(elsewhere), FIXED_NOW)
    for number in (CASHIER[0], MANAGER[0]):  # past the rows' seals too (item 6c): the pepper
        reseal_operator(elsewhere, number)  # alone still keeps every PIN from matching
    assert not _logs_in(elsewhere, clock, CASHIER)
    assert not _logs_in(elsewhere, clock, MANAGER)
    assert _logs_in(demo_db, clock, CASHIER)  # the till's own key file: as ever


def test_h05_a_hash_from_before_peppering_logs_in_and_is_peppered_at_that_login(
    demo_db: Path, clock: FixedClock
) -> None:
    plain = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1).hash(CASHIER[1])
    _set_hash(demo_db, CASHIER[0], plain)
    manager_before = _hash_of(demo_db, MANAGER[0])
    assert _logs_in(demo_db, clock, CASHIER)
    upgraded = _hash_of(demo_db, CASHIER[0])
    assert pepper_of(upgraded) == load_peppers(key_file_for(demo_db)).current
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(split_pepper(upgraded)[1], CASHIER[1])
    assert _hash_of(demo_db, MANAGER[0]) == manager_before  # only who logged in
    assert _logs_in(demo_db, clock, CASHIER)  # and the new hash logs in
    assert _hash_of(demo_db, CASHIER[0]) == upgraded  # up to date: left alone


def test_h05_rotation_keeps_every_pepper_a_hash_names_and_logins_keep_working(
    demo_db: Path, clock: FixedClock
) -> None:
    keys = key_file_for(demo_db)
    first = load_peppers(keys).current
    result = CliRunner().invoke(cli, ["keys", "rotate", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    second = load_peppers(keys).current
    assert second != first
    assert first in load_peppers(keys).keys
    assert _logs_in(demo_db, clock, CASHIER)  # made with the first: still logs in
    assert pepper_of(_hash_of(demo_db, CASHIER[0])) == second  # and is moved to the new one
    assert pepper_of(_hash_of(demo_db, MANAGER[0])) == first

    def in_use() -> set[str]:
        db = open_database(demo_db)
        try:
            return OperatorRepository(db).pepper_ids()
        finally:
            db.close()

    later = datetime.now(UTC) + KEEP_OLD_KEYS + timedelta(hours=1)  # the CLI's clock
    rotate(keys, later, peppers_in_use=in_use())  # the manager's hash still names the first
    assert first in load_peppers(keys).keys
    assert _logs_in(demo_db, clock, MANAGER)
    rotate(keys, later + KEEP_OLD_KEYS * 2, peppers_in_use=in_use())
    kept = load_peppers(keys).keys
    assert first not in kept  # no hash names it any more: gone
    assert second in kept  # not current for long enough yet (a till may still use it)
    assert _logs_in(demo_db, clock, CASHIER)
    assert _logs_in(demo_db, clock, MANAGER)


def test_h05_after_a_lost_key_file_pins_are_set_again_and_log_in(
    demo_db: Path, clock: FixedClock
) -> None:
    """The pepper went with the key file: no PIN logs in until it is set again, and the
    new key file's message says so."""
    key_file_for(demo_db).unlink()
    result = CliRunner().invoke(cli, ["keys", "rotate", "--db", str(demo_db)])
    assert result.exit_code == 0, result.output
    assert "pos operators set-pin" in result.output
    assert not _logs_in(demo_db, clock, CASHIER)  # the pepper went with the old key file
    result = CliRunner().invoke(
        cli,
        ["operators", "set-pin", "--db", str(demo_db), "--number", CASHIER[0]],
        input="5173\n",
    )
    assert result.exit_code == 0, result.output
    assert _logs_in(demo_db, clock, (CASHIER[0], "5173"))


def test_h05_a_key_file_from_before_peppers_has_one_derived_from_its_audit_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.keys"
    create_key_file(path, FIXED_NOW)
    data = json.loads(path.read_text())
    del data["pepper"], data["peppers"]
    path.write_text(json.dumps(data))
    old = load_peppers(path)
    assert old.current == IMPLICIT_PEPPER
    assert old == load_peppers(path)
    digest = FAST_HASHER.with_peppers(old).hash("8264")
    rotate(path, FIXED_NOW)  # a real pepper now; the derived one still verifies
    new = load_peppers(path)
    assert new.current != IMPLICIT_PEPPER
    assert FAST_HASHER.with_peppers(new).verify(digest, "8264")


def test_h05_the_operators_command_makes_peppered_hashes(demo_db: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["operators", "add", "--db", str(demo_db), "--number", "42", "--name", "Alex"]
        + ["--role", "cashier"],
        input="8264\n",
    )
    assert result.exit_code == 0, result.output
    assert pepper_of(_hash_of(demo_db, "42")) == load_peppers(key_file_for(demo_db)).current
    result = CliRunner().invoke(
        cli, ["operators", "set-pin", "--db", str(demo_db), "--number", "42"], input="5173\n"
    )
    assert result.exit_code == 0, result.output
    stored = _hash_of(demo_db, "42")
    with pytest.raises((VerifyMismatchError, InvalidHashError)):
        PasswordHasher().verify(split_pepper(stored)[1], "5173")


def test_h05_no_hash_without_a_pepper_and_an_unknown_pepper_matches_nothing() -> None:
    bare = PinHasher(PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1))
    with pytest.raises(NoPepper):
        bare.hash("8264")
    digest = fast_test_hasher().hash("8264")  # another pepper than FAST_HASHER's
    assert not FAST_HASHER.verify(digest, "8264")
    assert not bare.verify(digest, "8264")


def test_h05_the_fast_test_hasher_stays_fast_and_peppered() -> None:
    """Tests keep OWASP's minimum parameters (the till's own are slower); peppering adds
    one HMAC, not another Argon2 run."""
    digest = FAST_HASHER.hash("8264")
    pepper, encoded = split_pepper(digest)
    assert pepper is not None
    assert "m=19456,t=2,p=1" in encoded
    assert not FAST_HASHER.needs_rehash(digest)

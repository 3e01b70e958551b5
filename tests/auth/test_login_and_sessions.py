"""Logins, lockout, refresh rotation, logout, revocation, overrides and the audit chain,
against a real database (the demo operators: cashier 1001/2580, manager 9001/7391)."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import VerifyMismatchError

from pos.auth import tokens as t
from pos.auth.audit import verify_chain
from pos.auth.guard import Guard, LoginRequired, OverrideRequired
from pos.auth.pins import DUMMY_PIN, PinHasher, PinPolicyError, check_new_pin, dummy_hash
from pos.auth.service import LOGIN_FAILED, LoginFailed, OverrideRefused
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from tests.conftest import CASHIER, FAST_HASHER, MANAGER, shell_admin


def events(services: Services) -> list[str]:
    return [e.event for e in services.audit.entries()]


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("2580", False),  # issue 17 item 11: a keypad column (the demo cashier's only)
        ("04071958", True),
        ("123", False),
        ("123456789", False),
        ("1234", False),
        ("9876", False),
        # runs round the dial (9 then 0, 0 then 9) are runs too
        ("7890", False),
        ("8901", False),
        ("9012", False),
        ("0987", False),
        ("1098", False),
        ("34567890", False),
        ("7391", False),  # issue 17 item 11: the corners (the demo manager's only)
        ("1357", False),  # issue 17 item 11: odd digits, a keypad pattern
        ("9080", True),
        ("0909", False),  # issue 17 item 11: a repeated pair
        ("7777", False),
        ("12a4", False),
        ("１２３４", False),
        ("", False),
    ],
)
def test_pin_policy(pin: str, ok: bool) -> None:
    if ok:
        assert check_new_pin(pin) == pin
    else:
        with pytest.raises(PinPolicyError):
            check_new_pin(pin)


def test_login_issues_tokens_that_never_reach_the_database(
    services: Services, demo_db: Path
) -> None:
    session = services.auth.login(*CASHIER)
    identity = services.auth.validate(session.access)
    assert (identity.number, identity.role, identity.scopes) == ("1001", "cashier", ("sale",))
    assert session.access != session.refresh
    raw = demo_db.read_bytes() + Path(f"{demo_db}-wal").read_bytes()
    assert b"eyJ" not in raw  # no token, only the refresh token's hash
    assert b"2580" not in raw
    assert events(services)[-1] == "login"


def test_wrong_pin_and_unknown_operator_look_the_same(services: Services) -> None:
    for number, pin in (("1001", "9999"), ("5555", "2580"), ("1001", "9" * 5000)):
        with pytest.raises(LoginFailed) as info:
            services.auth.login(number, pin)
        assert str(info.value) == LOGIN_FAILED
    assert events(services).count("login_failed") == 3


def test_ten_failures_lock_the_operator_for_thirty_minutes(
    demo_db: Path, clock: FixedClock
) -> None:
    services = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    for _ in range(9):
        with pytest.raises(LoginFailed):
            services.auth.login("1001", "1111")
    services.close()
    # the count is in the database: a restart does not reset it
    services = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    with pytest.raises(LoginFailed):
        services.auth.login("1001", "1111")
    with pytest.raises(LoginFailed, match="locked until"):
        services.auth.login(*CASHIER)  # the right PIN, but locked
    clock.advance(minutes=29, seconds=59)
    with pytest.raises(LoginFailed, match="locked until"):
        services.auth.login(*CASHIER)
    clock.advance(seconds=1)
    assert services.auth.login(*CASHIER).identity.number == "1001"
    assert "lockout" in events(services)
    assert "login_locked" in events(services)
    services.close()


def test_refresh_rotates_and_reuse_revokes_the_family(services: Services) -> None:
    first = services.auth.login(*CASHIER)
    second = services.auth.refresh(first)
    assert second.refresh != first.refresh
    assert services.auth.validate(second.access).number == "1001"
    with pytest.raises(t.ReuseDetected):
        services.auth.refresh(first)  # the old refresh token again: theft assumed
    with pytest.raises(t.Revoked):
        services.auth.refresh(second)  # the whole family is dead
    assert "refresh_reuse" in events(services)


def test_logout_denies_the_access_token_at_once(services: Services) -> None:
    session = services.auth.login(*CASHIER)
    services.auth.logout(session)
    with pytest.raises(t.Revoked):
        services.auth.validate(session.access)
    with pytest.raises(t.Revoked):
        services.auth.refresh(session)


def test_deactivation_and_new_pin_end_every_token(services: Services, clock: FixedClock) -> None:
    session = services.auth.login(*CASHIER)
    clock.advance(seconds=5)
    shell_admin(services, "9001").set_pin("1001", "3691")
    with pytest.raises(t.Revoked):
        services.auth.validate(session.access)
    with pytest.raises(t.Revoked):
        services.auth.refresh(session)
    manager = services.auth.login(*MANAGER)
    shell_admin(services, "9001").deactivate("9001")
    with pytest.raises(t.InactiveOperator):
        services.auth.validate(manager.access)
    with pytest.raises(LoginFailed, match=LOGIN_FAILED):
        services.auth.login(*MANAGER)


def test_a_login_straight_after_a_pin_change_works(services: Services) -> None:
    """The cut-off is the second after the change; a token issued in that same second
    is dated at the cut-off, so the new PIN works at once and the old token does not."""
    frozen = services.auth.codec.now()
    services.auth.codec._now = lambda: frozen  # type: ignore[method-assign]
    before = services.auth.login(*CASHIER)
    shell_admin(services, "9001").set_pin("1001", "3691")  # all in one second
    with pytest.raises(t.Revoked):
        services.auth.validate(before.access)
    after = services.auth.login("1001", "3691")
    assert services.auth.validate(after.access).number == "1001"
    assert services.auth.refresh(after).identity.number == "1001"


@pytest.mark.parametrize("generation", [None, "0", 0.0, True, 1, -1])
def test_a_token_without_the_operators_current_counter_is_refused(
    services: Services, generation: object
) -> None:
    """Revocation compares the token's ``gen`` with the operator's counter (0 for a new
    operator) for equality, as exactly an int: missing, another type or another value
    is refused, even correctly signed (J-18: a per-user cut-off, without a clock)."""
    good = services.auth.login(*CASHIER)
    claims = services.auth.codec.decode(good.access, t.TokenKind.ACCESS)
    extra = {k: v for k, v in claims.extra.items() if k != "gen"}
    if generation is not None:
        extra["gen"] = generation
    token, _ = services.auth.codec.issue(t.TokenKind.ACCESS, "1001", "cashier", claims.scope, extra)
    with pytest.raises(t.Revoked):
        services.auth.validate(token)
    assert services.auth.validate(good.access).number == "1001"


def test_guard(services: Services) -> None:
    guard = Guard(services.auth)
    with pytest.raises(LoginRequired):
        guard.require("sale")
    guard.start(services.auth.login(*CASHIER))
    assert guard.require("sale").number == "1001"
    with pytest.raises(OverrideRequired) as info:
        guard.require("void")
    assert info.value.scope == "void"


def test_guard_refreshes_an_expired_access_token_silently(services: Services) -> None:
    codec = services.auth.codec
    codec._now = lambda: time.time() - 400  # tokens minted 400 s ago: access expired
    session = services.auth.login(*CASHIER)
    codec._now = time.time
    guard = Guard(services.auth)
    guard.start(session)
    assert guard.require("sale").number == "1001"
    assert guard.session is not None
    assert guard.session.access != session.access


def test_guard_fails_closed(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    guard = Guard(services.auth)
    guard.start(services.auth.login(*CASHIER))

    def broken(_token: str) -> None:
        raise RuntimeError("bug in the verifier")

    monkeypatch.setattr(services.auth, "validate", broken)
    with pytest.raises(LoginRequired):
        guard.require("sale")
    assert guard.session is None
    assert events(services)[-1] == "token_refused"


def test_overrides_are_bound_single_use_and_not_self_approved(services: Services) -> None:
    action = {"scope": "void", "cart": "c-1", "line": 3, "total": 120}
    with pytest.raises(OverrideRefused, match="cannot approve yourself"):
        services.auth.grant_override("9001", "7391", requester="9001", scope="void", action=action)
    with pytest.raises(OverrideRefused, match="may not approve"):
        services.auth.grant_override("1001", "2580", requester="5", scope="void", action=action)
    with pytest.raises(OverrideRefused, match=LOGIN_FAILED):
        services.auth.grant_override("9001", "0000", requester="1001", scope="void", action=action)
    token = services.auth.grant_override(
        "9001", "7391", requester="1001", scope="void", action=action
    )
    with pytest.raises(t.Revoked):
        services.auth.check_override(token, "void", {**action, "line": 4}, "1001")
    with pytest.raises(t.Revoked):
        services.auth.check_override(token, "refund", action, "1001")
    with pytest.raises(t.Revoked):  # another cashier cannot use 1001's approval
        services.auth.check_override(token, "void", action, "1002")
    with pytest.raises(t.Revoked):
        services.auth.check_override(token, "void", action, None)
    with pytest.raises(t.WrongKind):
        services.auth.validate(token)  # never an access token
    claims = services.auth.check_override(token, "void", action, "1001")
    assert claims.exp - claims.iat == 60
    services.auth.consume_override(claims)
    with pytest.raises(t.Revoked):
        services.auth.consume_override(claims)


def test_audit_chain_shows_edits_and_deletions(services: Services, demo_db: Path) -> None:
    services.auth.login(*CASHIER)
    with pytest.raises(LoginFailed):
        services.auth.login("1001", "0000")
    services.auth.login(*MANAGER)
    entries = list(services.audit.entries())
    key = services.audit.key
    assert verify_chain(entries, key) is None
    services.db.close()
    con = sqlite3.connect(demo_db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit_log SET details = '{}' WHERE seq = 2")
    # someone who drops the guards can edit, but the chain shows it
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute("UPDATE audit_log SET operator = '9001' WHERE seq = 2")
    con.commit()
    rows = con.execute(
        "SELECT seq, at, till, operator, event, details, prev_hash, hash FROM audit_log"
    ).fetchall()
    from pos.auth.audit import AuditEntry

    assert verify_chain([AuditEntry(*r) for r in rows], key) == 2
    con.execute("DELETE FROM audit_log WHERE seq = 1")
    con.commit()
    rows = con.execute(
        "SELECT seq, at, till, operator, event, details, prev_hash, hash FROM audit_log"
    ).fetchall()
    # the removed first entry is named now (it was not: the check began at entry 2),
    # and the edited entry 2 is still listed after it (the check goes on)
    from pos.auth.audit import check_chain

    report = check_chain([AuditEntry(*r) for r in rows], key)
    assert verify_chain([AuditEntry(*r) for r in rows], key) == 1
    assert [seq for seq, _ in report.problems] == [1, 2]
    con.close()


def test_log_injection_is_escaped(services: Services) -> None:
    with pytest.raises(LoginFailed):
        services.auth.login("bob\n2026-01-01 LOGIN_SUCCESS admin", "1234")
    last = list(services.audit.entries())[-1]
    assert "\n" not in last.details


def test_no_default_account(empty_db: Path, clock: FixedClock) -> None:
    services = build_services(empty_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        assert services.sessions.needs_first_manager()
        for number, pin in (("0000", "0000"), ("1", "1234"), ("admin", "admin")):
            with pytest.raises(LoginFailed):
                services.auth.login(number, pin)
        assert services.sessions.create_first_manager("7", "Ann", "1234") is not None  # a run
        assert services.sessions.create_first_manager("7", "Ann", "4826") is None
        assert services.sessions.create_first_manager("8", "Bob", "4826") is not None
        assert services.auth.login("7", "4826").identity.role == "manager"
    finally:
        services.close()


def test_lockout_time_uses_the_injected_clock(services: Services, clock: FixedClock) -> None:
    for _ in range(10):
        with pytest.raises(LoginFailed):
            services.auth.login("1001", "1111")
    record = services.auth.operators.get("1001")
    assert record is not None
    assert record.locked_until == clock.now() + timedelta(minutes=30)


def test_keep_alive_refreshes_before_expiry(services: Services) -> None:
    now = [time.time()]
    guard = Guard(services.auth, now=lambda: now[0])
    guard.start(services.auth.login(*CASHIER))
    first = guard.session
    assert first is not None
    guard.keep_alive()
    assert guard.session is first  # plenty of time left: nothing to do
    now[0] = first.access_expires - 30
    guard.keep_alive()
    assert guard.session is not None
    assert guard.session.refresh != first.refresh


def test_rule_imports_are_audited(services: Services, tmp_path: Path) -> None:
    import json

    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {
                "discounts": [
                    {
                        "name": "Pens",
                        "kind": "percent_off",
                        "items": {"4006381333931": 1},
                        "percent": "5",
                    }
                ]
            }
        )
    )
    assert services.discounts.import_json(path).ok
    entry = list(services.audit.entries())[-1]
    assert entry.event == "discount_rule_saved"
    assert '"before":null' in entry.details
    assert '"percent":"5"' in entry.details


def test_importing_a_changed_rule_audits_what_it_was_and_what_it_is(
    services: Services, tmp_path: Path
) -> None:
    import json

    def rule_file(name: str, percent: str) -> Path:
        path = tmp_path / f"{name}-{percent}.json"
        rule = {"name": name, "kind": "percent_off", "items": {"4006381333931": 1}}
        path.write_text(json.dumps({"discounts": [{**rule, "percent": percent}]}))
        return path

    def last_saved() -> dict[str, object]:
        entry = list(services.audit.entries())[-1]
        assert entry.event == "discount_rule_saved"
        return json.loads(entry.details)

    assert services.discounts.import_json(rule_file("Pens 5% off", "5")).ok
    assert last_saved()["before"] is None
    assert services.discounts.import_json(rule_file("Pens 5% off", "10")).ok
    saved = last_saved()
    assert saved["name"] == "Pens 5% off"
    assert saved["before"] == {
        "name": "Pens 5% off",
        "kind": "percent_off",
        "items": {"4006381333931": 1},
        "percent": "5",
    }
    assert saved["after"] == {**saved["before"], "percent": "10"}  # type: ignore[dict-item]
    # names match whatever their case, and so does what the audit says it replaced
    assert services.discounts.import_json(rule_file("PENS 5% OFF", "12")).ok
    saved = last_saved()
    assert saved["before"]["name"] == "Pens 5% off"  # type: ignore[index]
    assert saved["before"]["percent"] == "10"  # type: ignore[index]
    assert saved["after"]["name"] == "PENS 5% OFF"  # type: ignore[index]


def test_a_failed_login_never_logs_what_was_typed_as_a_number(
    services: Services, demo_db: Path
) -> None:
    for typed in ("2580", "10012580", "7391"):  # PINs typed into the number field
        with pytest.raises(LoginFailed):
            services.auth.login(typed, "0000")
    log = "".join(e.details for e in services.audit.entries())
    assert "2580" not in log
    assert "7391" not in log


def test_refresh_never_reaches_past_one_shift(services: Services) -> None:
    codec = services.auth.codec
    real = codec._now
    codec._now = lambda: real() - 8 * 3600 + 100  # logged in 7 h 58 min ago
    session = services.auth.login(*CASHIER)
    codec._now = real
    renewed = services.auth.refresh(session)
    claims = codec.decode(renewed.refresh, t.TokenKind.REFRESH)
    assert claims.exp <= real() + 100  # still ends when the shift that logged in ends


def test_reuse_ends_the_access_tokens_of_the_family(services: Services) -> None:
    first = services.auth.login(*CASHIER)
    second = services.auth.refresh(first)
    with pytest.raises(t.ReuseDetected):
        services.auth.refresh(first)
    for access in (first.access, second.access):
        with pytest.raises(t.Revoked):
            services.auth.validate(access)


def test_padded_tokens_are_refused(services: Services) -> None:
    session = services.auth.login(*CASHIER)
    head, body, sig = session.access.split(".")
    with pytest.raises(t.Malformed):
        services.auth.validate(f"{head}.{body}=.{sig}")


def test_a_rewritten_chain_does_not_verify_without_the_key(
    services: Services, demo_db: Path
) -> None:
    import hashlib

    from pos.auth.audit import GENESIS, AuditEntry

    services.auth.login(*CASHIER)
    services.auth.login(*MANAGER)
    entries = list(services.audit.entries())
    # someone with the database but not the key file edits entry 1 and recomputes the
    # chain with a key of their own: it no longer verifies
    forged, prev = [], GENESIS
    for e in entries:
        operator = "0000" if e.seq == 1 else e.operator
        body = "\x1f".join([prev, str(e.seq), e.at, e.till, operator or "", e.event, e.details])
        digest = hashlib.sha256(body.encode()).hexdigest()
        forged.append(AuditEntry(e.seq, e.at, e.till, operator, e.event, e.details, prev, digest))
        prev = digest
    assert verify_chain(forged, services.audit.key) == 1
    assert verify_chain(entries, services.audit.key) is None
    assert verify_chain(entries, b"x" * 32) == 1  # and the real key is needed to verify


def test_unknown_and_known_operators_cost_one_verification_each(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work whatever is wrong (timing itself is a benchmark matter, not a test)."""
    real = services.auth.hasher._hasher
    calls: list[str] = []

    class Counting:
        def verify(self, stored: str, pin: str) -> bool:
            calls.append(stored[:9])
            return real.verify(stored, pin)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    monkeypatch.setattr(services.auth.hasher, "_hasher", Counting())
    for number, pin in (("1001", "9999"), ("4242", "9999")):
        with pytest.raises(LoginFailed):
            services.auth.login(number, pin)
    assert len(calls) == 2  # one Argon2 verification each, even for an unknown number
    assert all(c.startswith("$argon2id") for c in calls)
    with pytest.raises(LoginFailed):
        services.auth.login("9001", "9" * 40)
    assert len(calls) == 2  # an over-long PIN is refused before any hashing


@pytest.mark.parametrize(
    "hasher",
    [PasswordHasher(), PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)],
    ids=["default", "owasp-minimum"],
)
def test_the_dummy_hash_costs_a_full_verification_and_matches_nothing(
    hasher: PasswordHasher,
) -> None:
    """The hash verified for an unknown operator is made without hashing (no half-second
    at start-up), with the hasher's own parameters, so verifying it costs the same."""
    dummy = dummy_hash(hasher)
    assert extract_parameters(dummy) == extract_parameters(hasher.hash("2580"))
    assert not hasher.check_needs_rehash(dummy)
    with pytest.raises(VerifyMismatchError):  # a full verification that fails, not a bad hash
        hasher.verify(dummy, DUMMY_PIN)
    assert dummy_hash(hasher) != dummy  # a fresh salt and digest each time
    pins = PinHasher(hasher)
    assert not pins.verify(None, DUMMY_PIN)
    assert not pins.verify(None, "2580")

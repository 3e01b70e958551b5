"""Logging in, staying logged in, logging out, and manager overrides.

Works on small ports (:class:`OperatorStore`, :class:`TokenStore`,
:class:`AuditSink`) that :mod:`pos.db` implements, so the rules here are tested
without a database and never touch a token outside this package.

The rules:

* A wrong number or PIN gets one message and takes the same time (an unknown
  number is checked against a dummy hash). An over-long PIN is refused before
  hashing.
* 10 failures lock the operator for 30 minutes (PCI DSS 8.3.4); the count lives in
  the database, so a restart does not reset it. Each attempt is counted before its PIN
  is checked, in one statement, so tills guessing in parallel get 10 checks between
  them, no more. The locked message names nobody, and an unknown number guessed at 10
  times gets it too.
* A login issues an access token (5 min) and a refresh token (8 h). Refresh tokens
  rotate on every use; presenting a used one revokes the whole family.
* Logout puts the access token's ``jti`` on the deny-list until it expires and
  revokes the refresh family. Deactivating or reactivating an operator or changing
  their PIN ends every token they hold: each token carries the operator's revocation
  counter (``gen``) from when it was issued, and is good only while the operator's
  counter in the database is still equal. No time is compared, so a clock that went
  back after the change locks nobody out, and every till on the database sees the
  change at the next check.
* A manager override is a 60-second token carrying one scope and the one action it
  approves; the approver must not be the requester; it is consumed once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from pos.auth.pins import MAX_INPUT, PinHasher
from pos.auth.roles import scopes_for
from pos.auth.seal import tampered_message
from pos.auth.tokens import (
    LIFETIME,
    Claims,
    Expired,
    InactiveOperator,
    MissingClaim,
    ReuseDetected,
    Revoked,
    TokenCodec,
    TokenError,
    TokenKind,
    token_hash,
)
from pos.domain.clock import Clock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
LOCKOUT = timedelta(minutes=30)
LOGIN_FAILED = "Unknown operator or wrong PIN"


def locked_message(until: datetime) -> str:
    """What a locked operator is told (the time in the till's local time). It names no
    operator: an unknown number that is guessed at as often gets the same words."""
    return f"Too many wrong PINs: locked until {until.astimezone():%H:%M}; a manager can unlock it"


@dataclass(frozen=True, slots=True)
class Attempt:
    """A login attempt counted before its PIN is checked (:meth:`OperatorStore.begin_attempt`).

    ``admitted``: the PIN may be checked (the operator was not locked); the attempt is
    already counted as a failure, which a success then clears. ``locks``: this attempt
    was the last one allowed and has started the lockout (it is still checked: the right
    PIN clears it). ``locked_until``: the lock now in force, if any.
    """

    admitted: bool
    locks: bool = False
    locked_until: datetime | None = None


class _UnknownNumbers:
    """Failures at numbers that are no operator's, counted in memory only (what was typed
    may be a PIN: it is kept as a hash and never written), so that guessing at an unknown
    number ends in the same lockout message as guessing at a real one."""

    LIMIT = 1024

    def __init__(self) -> None:
        self._seen: dict[str, tuple[int, datetime | None]] = {}

    @staticmethod
    def _key(number: str) -> str:
        return hashlib.sha256(number.encode()).hexdigest()

    def locked_until(self, number: str, now: datetime) -> datetime | None:
        _, until = self._seen.get(self._key(number), (0, None))
        return until if until is not None and until > now else None

    def failed(self, number: str, now: datetime) -> datetime | None:
        """Count one failure; the lock it starts, if it is the last one allowed."""
        key = self._key(number)
        count, until = self._seen.pop(key, (0, None))
        if until is not None and until <= now:
            count = 0
        count += 1
        lock = now + LOCKOUT if count >= MAX_ATTEMPTS else None
        self._seen[key] = (0, lock) if lock else (count, None)
        while len(self._seen) > self.LIMIT:
            del self._seen[next(iter(self._seen))]  # the oldest first
        return lock


@dataclass(frozen=True, slots=True)
class OperatorRecord:
    number: str
    name: str
    role: str
    active: bool
    pin_hash: str
    failed_attempts: int = 0
    locked_until: datetime | None = None
    tokens_valid_after: int = 0  # the last revocation's time: kept, no longer compared
    token_generation: int = 0  # the revocation counter every live token carries (``gen``)
    sealed: bool = True  # the row matches its seal (pos.auth.seal): not changed outside the till


class OperatorStore(Protocol):
    def get(self, number: str) -> OperatorRecord | None: ...

    def record_failure(self, number: str, locked_until: datetime | None) -> int: ...

    def begin_attempt(
        self, number: str, now: datetime, lock_until: datetime, limit: int
    ) -> Attempt | None:
        """Count one attempt at ``number``'s PIN before it is checked, in one transaction:
        refused while the operator is locked at ``now``; the ``limit``-th attempt in a
        row locks until ``lock_until`` (and starts a new count). None: no such operator."""
        ...

    def record_success(self, number: str, new_hash: str | None) -> None: ...


class TokenStore(Protocol):
    def add_refresh(self, digest: str, family: str, operator: str, expires_at: int) -> None: ...

    def use_refresh(self, digest: str, now: int) -> tuple[str, str | None]:
        """Mark a refresh token used: ``("ok" | "used" | "unknown" | "revoked", family)``."""
        ...

    def revoke_family(self, family: str) -> None: ...

    def family_revoked(self, family: str) -> bool: ...

    def revoke_jti(self, jti: str, iss: str, expires_at: int) -> None: ...

    def is_revoked(self, jti: str, iss: str) -> bool: ...

    def consume_override(self, jti: str, now: int) -> bool:
        """Record an override as used; False if it already was."""
        ...


class AuditSink(Protocol):
    def append(self, event: str, operator: str | None, details: Mapping[str, Any]) -> object:
        """Add an entry (the database's log returns its number and hash)."""


def anchor_audit(audit: AuditSink) -> None:
    """Write the audit log's newest committed entry to its anchor, if the sink keeps one
    (:meth:`pos.db.auth_repositories.AuditRepository.anchor_now`): called after a
    transaction that appended entries inside it has committed."""
    anchor_now = getattr(audit, "anchor_now", None)
    if anchor_now is not None:
        anchor_now()


class LoginFailed(Exception):
    """The login was refused; ``str()`` is what the operator is told."""


class OverrideRefused(Exception):
    """A manager override was refused; ``str()`` is what the screen shows."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who is acting: what business code receives instead of a token."""

    number: str
    name: str
    role: str
    scopes: tuple[str, ...]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(slots=True)
class Session:
    """The logged-in operator's tokens, in memory only."""

    identity: Identity
    access: str = field(repr=False)
    refresh: str = field(repr=False)
    access_expires: int
    access_jti: str
    issuer: str


class Authenticator:
    """Every credential and token decision of the till."""

    def __init__(
        self,
        operators: OperatorStore,
        tokens: TokenStore,
        audit: AuditSink,
        codec: TokenCodec,
        hasher: PinHasher,
        clock: Clock,
    ) -> None:
        self.operators = operators
        self.tokens = tokens
        self.audit = audit
        self.codec = codec
        self.hasher = hasher
        self.clock = clock
        self._unknown = _UnknownNumbers()

    # ------------------------------------------------------------------ login

    def _check_pin(self, number: str, pin: str) -> OperatorRecord:
        """The operator, if ``pin`` is right and they may log in; LoginFailed otherwise.

        The attempt is counted (and a lockout started) in one statement before the PIN
        is checked, so tills guessing at one operator in parallel get no more checks
        between them than :data:`MAX_ATTEMPTS` (SECURITY.md S-09)."""
        now = self.clock.now()
        if len(pin) > MAX_INPUT or len(number) > 12:
            self.audit.append("login_failed", None, {"why": "input too long"})
            log.info("login refused: input too long")
            raise LoginFailed(LOGIN_FAILED)
        operator = self.operators.get(number)
        if operator is not None and not operator.sealed:
            # changed outside the till (a role, a PIN hash, a lockout): nobody logs in as
            # them until a manager has looked at it; nothing is written to the row
            self.hasher.verify(None, pin)  # same time as any other attempt
            self.audit.append("operator_tampered", number, {})
            log.warning("login refused: operator %s's row does not match its seal", number)
            raise LoginFailed(tampered_message(number))
        if operator is not None and operator.locked_until and operator.locked_until > now + LOCKOUT:
            # The clock went back since the lock (or forward, then back): the lock would
            # run for longer than a lockout. It ends LOCKOUT from now instead, kept so
            # that it does not move again: never shorter than 30 minutes from the lock,
            # never a day because the clock was wrong for a while.
            self.operators.record_failure(number, now + LOCKOUT)
        attempt = (
            None
            if operator is None
            else self.operators.begin_attempt(number, now, now + LOCKOUT, MAX_ATTEMPTS)
        )
        if operator is None or attempt is None:
            return self._unknown_number(number, pin, now)
        if not attempt.admitted:
            self.hasher.verify(None, pin)  # same time as any other attempt
            self.audit.append("login_locked", number, {})
            log.info("login refused: operator %s is locked", number)
            raise LoginFailed(locked_message(attempt.locked_until or now + LOCKOUT))
        good = self.hasher.verify(operator.pin_hash, pin)
        if good and operator.active:
            stale = self.hasher.needs_rehash(operator.pin_hash)
            self.operators.record_success(number, self.hasher.rehash(pin) if stale else None)
            return operator
        if attempt.locks and not good:
            self.audit.append("lockout", number, {"attempts": MAX_ATTEMPTS})
            log.warning("lockout: operator %s after %d wrong PINs", number, MAX_ATTEMPTS)
        why = "inactive" if good else "wrong PIN"
        self.audit.append("login_failed", number, {"why": why})
        log.info("login refused: operator %s, %s", number, why)
        if attempt.locks and attempt.locked_until is not None:
            # said at once, on the attempt that locks: the next attempt says the same
            raise LoginFailed(locked_message(attempt.locked_until))
        raise LoginFailed(LOGIN_FAILED)

    def _unknown_number(self, number: str, pin: str, now: datetime) -> OperatorRecord:
        """A number that is no operator's: one Argon2 verification (the time of any
        attempt), then the same words a real operator's attempt would get, lockout
        included. What was typed is logged only for a real operator: an unknown
        "number" may be a PIN typed in the wrong field."""
        self.hasher.verify(None, pin)
        until = self._unknown.locked_until(number, now)
        if until is not None:
            self.audit.append("login_locked", None, {"why": "unknown operator"})
            raise LoginFailed(locked_message(until))
        self.audit.append("login_failed", None, {"why": "unknown operator"})
        log.info("login refused: unknown operator")
        lock = self._unknown.failed(number, now)
        if lock is not None:
            raise LoginFailed(locked_message(lock))
        raise LoginFailed(LOGIN_FAILED)

    def login(self, number: str, pin: str) -> Session:
        """Check the number and PIN and start a session.

        Raises:
            LoginFailed: with the message to show.
        """
        operator = self._check_pin(number, pin)
        session = self._start(operator, family=secrets.token_hex(16), started=self.codec.now())
        self.audit.append("login", operator.number, {"role": operator.role})
        return session

    def _start(self, operator: OperatorRecord, family: str, started: int) -> Session:
        """Issue a token pair. ``started`` is when the operator logged in: no refresh
        reaches past one shift from then, however often it is rotated (S-02)."""
        scopes = scopes_for(operator.role)
        ends = started + LIFETIME[TokenKind.REFRESH]
        now = self.codec.now()
        if now >= ends:
            raise Expired("the shift's session is over: log in again")
        context = {"fam": family, "sat": started, "gen": operator.token_generation}
        access, claims = self.codec.issue(
            TokenKind.ACCESS,
            operator.number,
            operator.role,
            scopes,
            context,
            expires=min(now + LIFETIME[TokenKind.ACCESS], ends),
        )
        refresh, refresh_claims = self.codec.issue(
            TokenKind.REFRESH,
            operator.number,
            operator.role,
            scopes,
            context,
            expires=ends,
        )
        self.tokens.add_refresh(token_hash(refresh), family, operator.number, refresh_claims.exp)
        identity = Identity(operator.number, operator.name, operator.role, scopes)
        return Session(identity, access, refresh, claims.exp, claims.jti, claims.iss)

    # ------------------------------------------------------------------ using tokens

    def _live_operator(self, claims: Claims) -> OperatorRecord:
        operator = self.operators.get(claims.sub)
        if operator is None or not operator.active:
            raise InactiveOperator(claims.sub)
        if not operator.sealed:
            raise Revoked("the operator's record was changed outside the till")
        generation = claims.extra.get("gen")
        if type(generation) is not int or generation != operator.token_generation:
            raise Revoked("generation")  # a PIN change, a (re)activation since it was issued
        return operator

    def validate(self, access: str) -> Identity:
        """The identity behind an access token, after every check.

        Raises:
            TokenError: the token is not (or no longer) good.
        """
        claims = self.codec.decode(access, TokenKind.ACCESS)
        if self.tokens.is_revoked(claims.jti, claims.iss):
            raise Revoked("jti")
        family = claims.extra.get("fam")
        if not isinstance(family, str) or not family:
            # every access token the till issues names its session's refresh family:
            # one without is not ours (or was made to skip the family check)
            raise MissingClaim("fam")
        operator = self._live_operator(claims)
        if self.tokens.family_revoked(family):
            raise Revoked("family")  # the refresh family was ended (reuse, logout)
        return Identity(operator.number, operator.name, operator.role, scopes_for(operator.role))

    def refresh(self, session: Session) -> Session:
        """Swap the refresh token for a new pair (rotation with reuse detection).

        Raises:
            TokenError: ReuseDetected if it was used before (the family is revoked).
        """
        claims = self.codec.decode(session.refresh, TokenKind.REFRESH)
        family = claims.extra.get("fam")
        if not isinstance(family, str) or not family:
            raise MissingClaim("fam")
        operator = self._live_operator(claims)
        started = claims.extra.get("sat")
        if type(started) is not int:
            raise Revoked("no session start")
        # The new pair is stored before the old refresh token is marked used: if the
        # database fails in between (full, locked), the old one is still unused and a
        # retry works, instead of looking like a replay that ends the whole family. A
        # pair that is stored but never handed out is never presented.
        renewed = self._start(operator, family, started)
        status, stored_family = self.tokens.use_refresh(
            token_hash(session.refresh), int(self.clock.now().timestamp())
        )
        if status == "used":
            self.tokens.revoke_family(stored_family or family)
            self.audit.append("refresh_reuse", claims.sub, {"family": family[:8]})
            log.warning("refresh token reused: operator %s, session ended", claims.sub)
            raise ReuseDetected("refresh token used twice")
        if status != "ok":
            raise Revoked(status)
        return renewed

    def logout(self, session: Session) -> None:
        """End the session: deny-list the access token, revoke the refresh family."""
        try:
            claims = self.codec.decode(session.refresh, TokenKind.REFRESH)
            self.tokens.revoke_family(str(claims.extra.get("fam", "")))
        except TokenError:
            pass  # an expired refresh token cannot be used anyway
        self.tokens.revoke_jti(session.access_jti, session.issuer, session.access_expires)
        self.audit.append("logout", session.identity.number, {})

    # ------------------------------------------------------------------ overrides

    def grant_override(
        self, number: str, pin: str, *, requester: str, scope: str, action: Mapping[str, Any]
    ) -> str:
        """A manager approves one action: returns a 60-second single-use token.

        Raises:
            OverrideRefused: wrong credentials, no such scope, or self-approval.
        """
        if number == requester:
            self.audit.append("override_refused", requester, {"why": "self", "scope": scope})
            log.info("approval refused: operator %s cannot approve themselves", requester)
            raise OverrideRefused("Another operator must approve: you cannot approve yourself")
        try:
            approver = self._check_pin(number, pin)
        except LoginFailed as exc:
            log.info("approval refused (%s): the approver's login failed", scope)
            raise OverrideRefused(str(exc)) from None
        if scope not in scopes_for(approver.role):
            self.audit.append(
                "override_refused",
                approver.number,
                {"why": "scope", "scope": scope, "requester": requester},
            )
            raise OverrideRefused(f"Operator {number} may not approve this ({scope})")
        token, _ = self.codec.issue(
            TokenKind.OVERRIDE,
            approver.number,
            approver.role,
            (scope,),
            {"act": dict(action), "req": requester, "gen": approver.token_generation},
        )
        return token

    def check_override(
        self, token: str, scope: str, action: Mapping[str, Any], requester: str | None
    ) -> Claims:
        """Validate an override for exactly this scope, action and requester (not yet
        consumed); the approver must still be active and still hold the scope.

        Raises:
            TokenError: expired, forged, for another action or person, or already used.
        """
        claims = self.codec.decode(token, TokenKind.OVERRIDE)
        if claims.scope != (scope,) or claims.extra.get("act") != dict(action):
            raise Revoked("override for another action")
        if requester is None or claims.extra.get("req") != requester:
            raise Revoked("override for another operator")
        approver = self._live_operator(claims)
        if scope not in scopes_for(approver.role):
            raise Revoked("the approver no longer holds the scope")
        return claims

    def consume_override(self, claims: Claims) -> None:
        """Use the override up: call inside the action's own transaction."""
        if not self.tokens.consume_override(claims.jti, self.codec.now()):
            raise Revoked("override already used")

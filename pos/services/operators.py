"""Adding and changing operators (``pos operators`` and the first-manager set-up)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pos.auth.pins import PinHasher, PinPolicyError
from pos.auth.roles import ROLES
from pos.auth.service import AuditSink, OperatorRecord
from pos.db.auth_repositories import OperatorRepository, TokenStateRepository
from pos.domain.text import TextError, clean_name

NUMBER = re.compile(r"^[0-9]{1,12}$")


class OperatorError(ValueError):
    """An operator change that cannot be made; the message says why."""


class OperatorAdmin:
    """Operator changes, each audited; deactivation and PIN changes end the operator's
    tokens at once."""

    def __init__(
        self,
        operators: OperatorRepository,
        tokens: TokenStateRepository,
        audit: AuditSink,
        hasher: PinHasher,
        token_now: Callable[[], int],
    ) -> None:
        self._operators = operators
        self._tokens = tokens
        self._audit = audit
        self._hasher = hasher
        self._token_now = token_now

    def add(self, number: str, name: str, role: str, pin: str, *, by: str | None) -> OperatorRecord:
        """Create an operator.

        Raises:
            OperatorError: bad number, name, role or PIN, or the number is taken.
        """
        if not NUMBER.match(number):
            raise OperatorError("the operator number is 1 to 12 digits")
        try:
            clean = clean_name(name, what="name")
        except TextError as exc:
            raise OperatorError(str(exc)) from None
        if role not in ROLES:
            raise OperatorError(f"role must be one of {', '.join(ROLES)}")
        if self._operators.get(number) is not None:
            raise OperatorError(f"operator {number} already exists")
        try:
            digest = self._hasher.hash(pin)
        except PinPolicyError as exc:
            raise OperatorError(str(exc)) from None
        record = OperatorRecord(number, clean, role, True, digest)
        self._operators.add(record)
        self._audit.append("operator_added", by, {"number": number, "role": role})
        return record

    def _end_tokens(self, number: str) -> int:
        """End the operator's refresh families; the caller's change moves their token
        counter on (which ends every token, on every till). Returns the time of the
        change, kept for the record only: a clock that goes back must not make the
        tokens issued after it look older."""
        self._tokens.revoke_operator(number)
        return self._token_now()

    def set_pin(self, number: str, pin: str, *, by: str | None) -> None:
        try:
            digest = self._hasher.hash(pin)
        except PinPolicyError as exc:
            raise OperatorError(str(exc)) from None
        if not self._operators.set_pin(number, digest, self._end_tokens(number)):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_pin_changed", by, {"number": number})

    def deactivate(self, number: str, *, by: str | None) -> None:
        if not self._operators.set_active(number, False, self._end_tokens(number)):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_deactivated", by, {"number": number})

    def reactivate(self, number: str, *, by: str | None) -> None:
        """Let a deactivated operator log in again (with their PIN); any token they
        still held from before stays dead."""
        if not self._operators.set_active(number, True, self._end_tokens(number)):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_reactivated", by, {"number": number})

    def unlock(self, number: str, *, by: str | None) -> None:
        if not self._operators.unlock(number):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_unlocked", by, {"number": number})

    def all(self) -> list[OperatorRecord]:
        return self._operators.all()

    def none_yet(self) -> bool:
        return self._operators.count() == 0

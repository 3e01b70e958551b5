"""Adding and changing operators (``pos operators`` and the first-manager set-up)."""

from __future__ import annotations

import re
from collections.abc import Callable

from pos.auth.guard import Authority
from pos.auth.pins import PinHasher, PinPolicyError
from pos.auth.roles import ROLES
from pos.auth.service import AuditSink, OperatorRecord
from pos.db.auth_repositories import OperatorRepository, TokenStateRepository
from pos.domain.text import TextError, clean_name
from pos.services.guarded import guarded

NUMBER = re.compile(r"^[0-9]{1,12}$")


class OperatorError(ValueError):
    """An operator change that cannot be made; the message says why."""


SCOPE = "operators:edit"


class OperatorAdmin:
    """Operator changes, each audited; deactivation and PIN changes end the operator's
    tokens at once.

    Who makes a change is asked of ``authority`` when it is made, with the
    ``operators:edit`` scope: the till's guard (a manager logged in), or, for ``pos
    operators ...`` at a shell, a :class:`~pos.services.guarded.ShellAuthority` (the OS
    account, no operator login). The first manager, made before anyone can log in, has
    its own door: :meth:`add_first_manager`, which refuses once there is an operator."""

    def __init__(
        self,
        operators: OperatorRepository,
        tokens: TokenStateRepository,
        audit: AuditSink,
        hasher: PinHasher,
        token_now: Callable[[], int],
        *,
        authority: Authority,
    ) -> None:
        self.authority = authority
        self._operators = operators
        self._tokens = tokens
        self._audit = audit
        self._hasher = hasher
        self._token_now = token_now

    def add(self, number: str, name: str, role: str, pin: str) -> OperatorRecord:
        """Create an operator (``operators:edit``).

        Raises:
            LoginRequired, OverrideRequired: not allowed; nothing was made.
            OperatorError: bad number, name, role or PIN, or the number is taken.
        """
        by = self.authority.require(SCOPE).number
        return self._add(number, name, role, pin, by)

    def add_first_manager(self, number: str, name: str, pin: str) -> OperatorRecord:
        """The first manager, who sets the till up: nobody can be logged in yet, so no
        scope is asked; refused once any operator exists. Audited as added by itself.

        Raises:
            OperatorError: there is already an operator, or a bad number, name or PIN.
        """
        if not self.none_yet():
            raise OperatorError("there is already an operator: log in instead")
        return self._add(number, name, "manager", pin, number)

    def _add(self, number: str, name: str, role: str, pin: str, by: str) -> OperatorRecord:
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

    def set_pin(self, number: str, pin: str) -> None:
        by = self.authority.require(SCOPE).number
        try:
            digest = self._hasher.hash(pin)
        except PinPolicyError as exc:
            raise OperatorError(str(exc)) from None
        if not self._operators.set_pin(number, digest, self._end_tokens(number)):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_pin_changed", by, {"number": number})

    def deactivate(self, number: str) -> None:
        by = self.authority.require(SCOPE).number
        if not self._operators.set_active(number, False, self._end_tokens(number)):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_deactivated", by, {"number": number})

    def reactivate(self, number: str) -> None:
        """Let a deactivated operator log in again (with their PIN); any token they
        still held from before stays dead."""
        by = self.authority.require(SCOPE).number
        if not self._operators.set_active(number, True, self._end_tokens(number)):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_reactivated", by, {"number": number})

    def unlock(self, number: str) -> None:
        by = self.authority.require(SCOPE).number
        if not self._operators.unlock(number):
            raise OperatorError(f"no operator {number}")
        self._audit.append("operator_unlocked", by, {"number": number})

    @guarded(SCOPE)
    def all(self) -> list[OperatorRecord]:
        return self._operators.all()

    def none_yet(self) -> bool:
        return self._operators.count() == 0

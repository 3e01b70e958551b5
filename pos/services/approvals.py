"""Manager approvals (overrides) for actions an operator's role does not allow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pos.auth.service import Authenticator, Identity, OverrideRefused
from pos.auth.tokens import Claims, TokenError
from pos.db.errors import StorageError


class ApprovalRefused(Exception):
    """No approval; ``str()`` is what the screen shows."""


class Approvals:
    """Grant, check and use up single-use approvals bound to one action."""

    def __init__(self, auth: Authenticator) -> None:
        self._auth = auth

    def grant(
        self, number: str, pin: str, *, requester: str, scope: str, action: Mapping[str, Any]
    ) -> str:
        try:
            return self._auth.grant_override(
                number, pin, requester=requester, scope=scope, action=action
            )
        except OverrideRefused as exc:
            raise ApprovalRefused(str(exc)) from None
        except StorageError as exc:
            # the PIN was not checked (nothing could be read or recorded): the dialog
            # says so and stays open; the till goes on (SECURITY.md: nothing shown)
            raise ApprovalRefused(f"NOT approved: {exc.reason}; {exc.advice}") from None

    def authorise(
        self,
        actor: Identity,
        scope: str,
        action: Mapping[str, Any],
        token: str | None,
        *,
        missing: str,
    ) -> Approval:
        """Whether ``actor`` may do ``action``: they hold ``scope``, or ``token`` is a
        manager's approval of exactly it. Use the result inside the action's transaction
        (:meth:`Approval.use`).

        Raises:
            ApprovalRefused: no token (``missing`` says so), or not an approval of this.
        """
        if actor.may(scope):
            return Approval(self, None, scope, actor.number)
        if token is None:
            raise ApprovalRefused(missing)
        return Approval(self, self.check(token, scope, action, actor.number), scope, actor.number)

    def check(
        self, token: str, scope: str, action: Mapping[str, Any], requester: str | None
    ) -> Claims:
        try:
            return self._auth.check_override(token, scope, action, requester)
        except TokenError as exc:
            self._auth.audit.append("override_rejected", None, {"error": type(exc).__name__})
            raise ApprovalRefused(
                "The approval has expired or was for another action: ask again"
            ) from None

    def consume(self, claims: Claims) -> None:
        """Use the approval up; call inside the action's transaction."""
        try:
            self._auth.consume_override(claims)
        except TokenError:
            raise ApprovalRefused("That approval was already used") from None

    def record(self, event: str, actor: str, details: Mapping[str, Any]) -> None:
        self._auth.audit.append(event, actor, details)


@dataclass(frozen=True)
class Approval:
    """Leave to do one action: the operator's own scope (``claims`` None), or a
    manager's checked approval, to be used up with the action."""

    approvals: Approvals | None
    claims: Claims | None
    scope: str
    requester: str

    @property
    def approver(self) -> str | None:
        """The manager who approved, or None if none had to."""
        return self.claims.sub if self.claims is not None else None

    def use(self, **details: Any) -> None:
        """Use the approval up and audit the override (``details`` added to the entry);
        call inside the action's transaction. Nothing if no approval was needed.

        Raises:
            ApprovalRefused: the approval was already used.
        """
        if self.claims is None or self.approvals is None:
            return
        self.approvals.consume(self.claims)
        self.approvals.record(
            "override",
            self.claims.sub,
            {"scope": self.scope, "requester": self.requester, **details},
        )

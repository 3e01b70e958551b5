"""Manager approvals (overrides) for actions an operator's role does not allow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pos.auth.service import Authenticator, OverrideRefused
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

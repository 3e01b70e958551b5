"""Ask a manager, then run the action: the one approval flow of every screen (issue 18,
item 1).

The guard (or the service, which asks it too) says whether the operator may; if not,
:class:`~pos.screens.modals.ManagerOverrideModal` asks a manager to approve exactly the
bound action, and the action runs with that single-use token. The service checks, uses
up and audits the approval (:meth:`pos.services.approvals.Approvals.authorise`). A
session that has ended, before or while the manager was typing, goes to ``ended``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from textual.app import App

from pos.auth.guard import Guard, LoginRequired, OverrideRequired
from pos.auth.service import Identity
from pos.screens.modals import ManagerOverrideModal
from pos.services.approvals import Approvals

Act = Callable[[str | None], None]
"""The action, given the manager's approval token (None when none was needed)."""


class ApprovalFlow:
    """Run actions that may need a manager's approval, on one app.

    Args:
        app: Where the approval dialog opens.
        approvals: Grants the manager's approval.
        ended: The session ended (``LoginRequired``); the bool says whether a manager
            had approved the action. Nothing was done.
        declined: The manager's dialog was cancelled; nothing was done.
    """

    def __init__(
        self,
        app: App[Any],
        approvals: Approvals,
        *,
        ended: Callable[[LoginRequired, bool], None],
        declined: Callable[[], None],
    ) -> None:
        self.app = app
        self.approvals = approvals
        self.ended = ended
        self.declined = declined

    def run(
        self,
        guard: Guard,
        scope: str,
        action: Mapping[str, Any] | None,
        what: str,
        act: Act,
        refused: Callable[[OverrideRequired], None] | None = None,
    ) -> None:
        """Ask ``guard`` for ``scope`` (the service asks it again when ``act`` runs): run
        ``act`` at once if the operator may, after a manager approves ``action`` (shown as
        ``what``, or the refusal) if not. An action no approval can allow
        (``action`` None) goes to ``refused``."""
        try:
            guard.require(scope)
        except LoginRequired as exc:
            self.ended(exc, False)
            return
        except OverrideRequired as exc:
            if action is None:
                if refused is not None:
                    refused(exc)
                return
            self.ask(exc.identity, scope, action, what or str(exc), act)
            return
        self.attempt(act)

    def attempt(self, act: Act, token: str | None = None) -> None:
        """Run ``act`` (it may ask the guard itself, and :meth:`ask` on a refusal)."""
        try:
            act(token)
        except LoginRequired as exc:
            self.ended(exc, token is not None)

    def ask(
        self, requester: Identity, scope: str, action: Mapping[str, Any], what: str, act: Act
    ) -> None:
        """Ask a manager to approve ``action`` for ``requester``; then run ``act`` with the
        approval, or tell ``declined``."""

        def approve(number: str, pin: str) -> str:
            return self.approvals.grant(
                number, pin, requester=requester.number, scope=scope, action=action
            )

        def approved(token: str | None) -> None:
            if token is None:
                self.declined()
            else:
                self.attempt(act, token)

        self.app.push_screen(ManagerOverrideModal(approve, what), approved)

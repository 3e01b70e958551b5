"""The guard: the one place every screen and privileged action passes through.

An action declares the scope it needs and asks :meth:`Guard.require`. The guard
validates the current access token (refreshing it silently when it has run out and
the refresh token is still good) and either returns the operator's
:class:`Identity`, raises :class:`LoginRequired` (no valid session: show the login
screen), or raises :class:`OverrideRequired` (valid session, missing scope: ask a
manager). Business code receives the identity and never sees a token.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Protocol

from pos.auth.service import Authenticator, Identity, Session
from pos.auth.tokens import USER_MESSAGE, Expired, TokenError

REFRESH_MARGIN = 60
"""Refresh the access token when it has less than this many seconds left."""


class LoginRequired(Exception):
    """No valid session; ``str()`` is what to tell the operator."""


class OverrideRequired(Exception):
    """The operator lacks ``scope``: a manager must approve the action."""

    def __init__(self, scope: str, identity: Identity) -> None:
        super().__init__(f"{identity.name} may not do this ({scope}): a manager must approve")
        self.scope = scope
        self.identity = identity


class Authority(Protocol):
    """What services ask at the moment a privileged action runs (the :class:`Guard`).

    Services take this rather than an :class:`Identity` captured earlier, so an action
    that runs after the session ended (a payment finished after the operator was
    deactivated, a callback after a manager's approval) is refused, not done under a
    stale identity.
    """

    def require(self, scope: str) -> Identity:
        """The current operator, who holds ``scope``; LoginRequired or OverrideRequired."""
        ...

    def current(self) -> Identity:
        """The current operator, whatever they may do; LoginRequired if there is none."""
        ...


class Guard:
    """Holds the session (in memory only) and decides every access."""

    def __init__(self, auth: Authenticator, now: Callable[[], float] = time.time) -> None:
        self.auth = auth
        self._now = now
        self.session: Session | None = None
        self.last_identity: Identity | None = None
        """Who held the last session, kept after it ends (the idle lock's owner)."""

    @property
    def identity(self) -> Identity | None:
        return self.session.identity if self.session else None

    def start(self, session: Session) -> None:
        self.session = session
        self.last_identity = session.identity

    def require(self, scope: str) -> Identity:
        """The current operator, if they may act with ``scope``.

        Raises:
            LoginRequired: there is no valid session (fails closed on any error).
            OverrideRequired: the operator lacks the scope.
        """
        identity = self.current()
        if scope not in identity.scopes:
            with contextlib.suppress(Exception):  # the refusal stands even if unlogged
                self.auth.audit.append("authz_denied", identity.number, {"scope": scope})
            raise OverrideRequired(scope, identity)
        return identity

    def current(self) -> Identity:
        """The operator of the current session, after validating its token now (for an
        action a manager approved, where the approval is checked instead of the scope).

        Raises:
            LoginRequired: there is no valid session (fails closed on any error).
        """
        session = self.session
        if session is None:
            raise LoginRequired("Please log in")
        try:
            try:
                identity = self.auth.validate(session.access)
            except Expired:
                self.session = session = self.auth.refresh(session)
                identity = self.auth.validate(session.access)
        except TokenError as exc:
            self._refuse(session, exc)
            raise LoginRequired(USER_MESSAGE) from None
        except Exception as exc:  # fail closed: an error in checking is a refusal
            self._refuse(session, exc)
            raise LoginRequired(USER_MESSAGE) from None
        session.identity = identity
        return identity

    def _refuse(self, session: Session, exc: Exception) -> None:
        self.session = None
        with contextlib.suppress(Exception):  # the refusal stands even if it cannot be logged
            self.auth.audit.append(
                "token_refused", session.identity.number, {"error": type(exc).__name__}
            )

    def keep_alive(self) -> None:
        """Refresh the access token shortly before it expires (called on a timer while
        the operator is active).

        A refused token ends the session. A failure that is not the token's (the
        database is locked, full or read-only, so the rotation cannot be recorded)
        leaves the session as it is: its access token is still good until it expires,
        the next tick tries again, and once the token has expired every action is
        refused (fail closed) until a refresh succeeds."""
        session = self.session
        if session is None or session.access_expires - self._now() > REFRESH_MARGIN:
            return
        try:
            self.session = self.auth.refresh(session)
        except TokenError as exc:  # fail closed: a refused token ends the session
            self._refuse(session, exc)
        except Exception:  # noqa: BLE001 - storage: the token still stands; retry later
            return

    def logout(self) -> None:
        """End the session. It ends in memory even when the database cannot record
        the logout (full, read-only, locked): the tokens are dropped with it, and the
        access token dies within its five minutes anyway."""
        if self.session is not None:
            session, self.session = self.session, None
            with contextlib.suppress(Exception):
                self.auth.logout(session)

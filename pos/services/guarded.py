"""The guard, asked by the services themselves (issue 17, item 7).

Every public service method that changes or reveals store data asks the guard when it
runs, never trusting an :class:`~pos.auth.service.Identity` a caller built: a method
that needs no identity is decorated ``@guarded("scope")``; one that needs the operator
(to record them, or to accept a manager's approval instead of the scope) asks
``self.authority.require(scope)`` or ``self.authority.current()`` itself.
``tests/test_architecture.py`` fails for a public method that does neither and is not
on its allow-list.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from pos.auth.guard import Authority
from pos.auth.roles import SCOPES
from pos.auth.service import Identity

P = ParamSpec("P")
R = TypeVar("R")

GUARD_SCOPE = "__guard_scope__"
"""The attribute ``@guarded`` leaves on a method: the scope it asks for."""


class HasAuthority(Protocol):
    """A service that asks the guard: only read here, so a service may hold a
    :class:`~pos.auth.guard.Guard` (or a property giving one) and still fit."""

    @property
    def authority(self) -> Authority: ...


S = TypeVar("S", bound=HasAuthority)


SIGNED_IN = "signed-in"
"""``@guarded(SIGNED_IN)``: any operator with a valid session (for what a screen opened
by a manager's approval reads: the editor's rules for a cashier a manager let in)."""


def guarded(
    scope: str,
) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Ask the service's ``authority`` (the guard) for ``scope`` before the method runs
    (:data:`SIGNED_IN`: only for a valid session).

    Raises (from the wrapped method):
        LoginRequired: no valid session; the method did not run.
        OverrideRequired: the operator lacks ``scope``; the method did not run.
    """
    if scope not in SCOPES and scope != SIGNED_IN:
        raise ValueError(f"unknown scope {scope!r}")

    def decorate(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        @functools.wraps(method)
        def checked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if scope == SIGNED_IN:
                self.authority.current()
            else:
                self.authority.require(scope)
            return method(self, *args, **kwargs)

        setattr(checked, GUARD_SCOPE, scope)
        return checked

    return decorate


class ShellAuthority:
    """The authority of ``pos`` commands run at a shell (``pos operators ...``): the OS
    account that runs them is the administrator, with every scope, and no operator
    logs in (docs/security.md, "Operators, login and approvals"). Its number is ``cli_actor``'s
    text, so the audit entries read as before. Never given to the till."""

    def __init__(self, who: str) -> None:
        self._identity = Identity(who, "shell", "manager", SCOPES)

    def require(self, scope: str) -> Identity:
        return self._identity

    def current(self) -> Identity:
        return self._identity


def guard_scope(method: Any) -> str | None:
    """The scope ``@guarded`` asks for on ``method``, or None."""
    return getattr(method, GUARD_SCOPE, None)

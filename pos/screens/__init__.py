"""The till's screens, one per module.

Each module is imported when one of its names is first asked for (PEP 562), so the
login screen does not pay, at start-up, for the scanning, payment and manager screens
and the widgets they use; ``from pos.screens import ScanScreen`` works as it always did.

Attributes down, messages up: the app hands each screen the services it needs; a screen
never calls the app, it posts a request of :mod:`pos.screens.requests` (open a screen,
take payment, lock the till).

Outcomes and failures, one way for every screen:

- The screen calls its service and catches the refusals it raises (``RefundFailed``,
  ``DayClosed``, ``OverrideRequired``, ``StorageError`` from :mod:`pos.services.errors`;
  the checkout returns an ``Outcome`` saying the same); no callback hands an error string
  back for someone else to show.
- It says what happened on its own message line (``MessageLine.show``; the login and
  the dialogs have a label for it), a failure with ``error=True``, and a refused key
  rings the bell.
- ``LoginRequired`` (the session has ended) is said the same way, then the screen posts
  ``LockTill``: the app locks, the cart is kept.
- A toast (``notify``) only for news that outlives its screen: a refund made as the
  refund screen closes, a receipt that failed to print after the cashier moved on.
- Anything unexpected is not caught: the app logs it and locks the till.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pos.widgets.lazy import lazy_attributes

if TYPE_CHECKING:
    from pos.screens.audit import AuditScreen
    from pos.screens.login import LoginScreen, SetupScreen
    from pos.screens.modals import (
        ConfirmModal,
        GuardedCommandPalette,
        GuardedModal,
        ManagerOverrideModal,
        RecallModal,
    )
    from pos.screens.scan import ScanScreen

_MODULES = {
    "AuditScreen": "pos.screens.audit",
    "ConfirmModal": "pos.screens.modals",
    "GuardedCommandPalette": "pos.screens.modals",
    "GuardedModal": "pos.screens.modals",
    "LoginScreen": "pos.screens.login",
    "ManagerOverrideModal": "pos.screens.modals",
    "RecallModal": "pos.screens.modals",
    "ScanScreen": "pos.screens.scan",
    "SetupScreen": "pos.screens.login",
}

__all__ = [
    "AuditScreen",
    "ConfirmModal",
    "GuardedCommandPalette",
    "GuardedModal",
    "LoginScreen",
    "ManagerOverrideModal",
    "RecallModal",
    "ScanScreen",
    "SetupScreen",
]


__getattr__ = lazy_attributes(__name__, _MODULES, globals())

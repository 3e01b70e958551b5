"""The till's screens, one per module.

Each module is imported when one of its names is first asked for (PEP 562), so the
login screen does not pay, at start-up, for the scanning, payment and manager screens
and the widgets they use; ``from pos.screens import ScanScreen`` works as it always did.
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

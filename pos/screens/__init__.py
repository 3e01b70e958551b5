"""The till's screens, one per module."""

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

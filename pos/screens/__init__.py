"""The till's screens, one per module."""

from pos.screens.modals import ConfirmModal, GuardedCommandPalette, GuardedModal, RecallModal
from pos.screens.scan import ScanScreen

__all__ = ["ConfirmModal", "GuardedCommandPalette", "GuardedModal", "RecallModal", "ScanScreen"]

"""The till's screens, one per module."""

from pos.screens.modals import ConfirmModal, GuardedModal, RecallModal
from pos.screens.scan import ScanScreen

__all__ = ["ConfirmModal", "GuardedModal", "RecallModal", "ScanScreen"]

"""Which of the till's screens are on the stack, asked without importing their modules:
until a module is imported (the first time such a screen opens) none of its screens can
be there, and the login does not pay for importing the others (see ``pos.screens``)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from pos.screens.modals import GuardedCommandPalette
    from pos.screens.scan import ScanScreen


def scan_screens(stack: Iterable[Screen[object]]) -> list[ScanScreen]:
    if "pos.screens.scan" not in sys.modules:
        return []
    from pos.screens.scan import ScanScreen

    return [screen for screen in stack if isinstance(screen, ScanScreen)]


def is_payment(screen: Screen[object]) -> bool:
    if "pos.screens.payment" not in sys.modules:
        return False
    from pos.screens.payment import PaymentScreen

    return isinstance(screen, PaymentScreen)


def palette_of(screen: Screen[object]) -> GuardedCommandPalette | None:
    if "pos.screens.modals" not in sys.modules:
        return None
    from pos.screens.modals import GuardedCommandPalette

    return screen if isinstance(screen, GuardedCommandPalette) else None

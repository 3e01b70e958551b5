"""Error correct: taking back the most recent scan of the open sale.

A cashier who scans an item twice by mistake may take the second scan back at once
without a manager: it is the scan just made, not a void of something already rung up.
Only the last addition qualifies, and only while nothing else has happened to the cart
since (the checkout forgets it on any other change, and it does not survive a restart).
"""

from __future__ import annotations

from dataclasses import dataclass

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.receipt import format_qty


@dataclass(frozen=True, slots=True)
class LastAddition:
    """What the most recent scan added to the open cart.

    Attributes:
        line_no: The line it went to.
        added: How much it added (items, or grams for a weighed line).
        qty_after: The line's quantity just after it (a line that no longer holds that
            was changed since, so the addition cannot be taken back).
        operator: Who scanned it: only they may take it back without the void scope.
    """

    line_no: int
    added: int
    qty_after: int
    operator: str | None = None

    def after_taking(self, taken: int) -> LastAddition | None:
        """What is left to take back after ``taken`` of it were (None: nothing)."""
        left = self.added - taken
        if left <= 0:
            return None
        return LastAddition(self.line_no, left, self.qty_after - taken, self.operator)


def take_back(
    line: CartLine | None, last: LastAddition | None, units: int | None, operator: str | None
) -> int | str:
    """The line's quantity after taking back the most recent scan, or why it cannot be.

    Args:
        line: The selected line.
        last: The most recent scan of the cart, if it can still be taken back.
        units: How many items to take back (``-``: one), or None for all of the scan
            (``Del``). A weighed line's scan is always taken back whole.
        operator: Who asks.

    Returns:
        The new quantity (0: the line goes), or a message saying what to do instead.
    """
    if line is None:
        return "Select a line first"
    if last is None or last.line_no != line.line_no or line.qty != last.qty_after:
        return f"{line.name} is not the last scan: voiding it needs the void scope"
    if last.operator is not None and operator is not None and last.operator != operator:
        return f"{line.name} was scanned by another operator: voiding it needs the void scope"
    taken = last.added if units is None or line.unit is Unit.KG else units
    if taken <= 0 or taken > last.added:
        return (
            f"The last scan added {format_qty(line.unit, last.added)} of {line.name}: "
            "only that can be taken back without the void scope"
        )
    return line.qty - taken

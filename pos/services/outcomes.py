"""What a scan or a cart command returns to the screen: an :class:`Outcome`.

The checkout service never raises for something the cashier should read: it returns an
Outcome saying what changed (for the screen to redraw), the message to show, and whether
it is an error or a question to ask first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pos.db.errors import StorageError
from pos.domain.cart import CartLine
from pos.domain.money import format_money
from pos.domain.receipt import format_qty


class Change(StrEnum):
    """What the screen has to redraw after an action."""

    NONE = "none"  # only the message
    LINE = "line"  # one line added or changed (``Outcome.line``)
    REMOVED = "removed"  # one line gone (``Outcome.line`` is the removed line)
    RELOAD = "reload"  # the whole cart changed (void cart, park, recall)


@dataclass(frozen=True, slots=True)
class AgeQuestion:
    """ "Customer 18 or over?", asked before ``name`` (``barcode``) is added: the answer, Y
    or N, goes back to the service to be audited (see :attr:`Outcome.age`)."""

    barcode: str
    name: str
    age: int


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one action, for the screen to show."""

    change: Change
    message: str = ""
    line: CartLine | None = None
    is_new: bool = False
    error: bool = False
    confirm: str = ""
    """A question to ask first (nothing was done): on Y, run the action again through
    :meth:`~pos.services.checkout.CheckoutService.confirmed`."""
    age: AgeQuestion | None = None
    """The question in :attr:`confirm` is the customer's age: either answer goes to
    :meth:`~pos.services.checkout.CheckoutService.answer` (Y and N are both audited)."""

    @classmethod
    def fail(cls, message: str) -> Outcome:
        return cls(Change.NONE, message, error=True)

    @classmethod
    def info(cls, message: str) -> Outcome:
        return cls(Change.NONE, message)


def describe(line: CartLine) -> str:
    """A line as the message after it was added or changed: name, quantity x price."""
    return f"{line.name}  {format_qty(line.unit, line.qty)} x {format_money(line.unit_price)}"


def unreadable(exc: StorageError) -> Outcome:
    """The database could not be read: nothing was changed."""
    return Outcome.fail(
        f"The database could not be read: {exc.reason}. Nothing was changed; {exc.advice}."
    )


def not_saved(exc: StorageError) -> Outcome:
    """A change could not be saved: the cart is as it was."""
    return Outcome.fail(f"NOT saved: {exc.reason}. The cart is unchanged; {exc.advice}.")

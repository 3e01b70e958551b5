"""What a screen asks the app to do: open another screen, take payment, lock the till.

Attributes go down, messages go up (Textual's rule): the app hands each screen the
services it needs, and a screen never calls the app. It posts one of these to itself
(``self.post_message(OpenHistory())``); the message bubbles up to
:class:`pos.app.PosApp`, whose ``on_...`` handler does it. A request posted by a key
counts as that key's work in flight for type-ahead, like a screen that opened
(:meth:`pos.widgets.type_ahead.TypeAhead.routed`): the keys typed after it land on the
screen it opens.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message


class Request(Message):
    """A screen asks the app for something (the base of the requests below)."""


class TakePayment(Request):
    """The payment screen for the open cart, then the receipt."""


class OpenHistory(Request):
    """The till's past sales and refunds."""


class OpenReport(Request):
    """Today's X report (the screen that asks has checked the scope)."""


class OpenAudit(Request):
    """The audit log (it checks the scope again itself)."""


class OpenPriceCheck(Request):
    """The price check: an item's price and deals, the cart untouched."""


class OpenFind(Request):
    """Find a product by name, PLU or barcode, starting from ``text``; ``answer`` gets the
    barcode to go on with (None: Esc, nothing chosen)."""

    def __init__(self, text: str, answer: Callable[[str | None], None]) -> None:
        super().__init__()
        self.text = text
        self.answer = answer


class OpenCashOffice(Request):
    """The cash office: a movement of cash that is no sale (``kind``: "no_sale",
    "paid_in", "paid_out" or "pickup"; None: the menu of them, Ctrl+O)."""

    def __init__(self, kind: str | None = None) -> None:
        super().__init__()
        self.kind = kind


class OpenManualDiscount(Request):
    """A cashier's discount (issue 21): ``kind`` "manual_line" (on ``line_no``, the
    selected line) or "manual_sale"."""

    def __init__(self, kind: str, line_no: int | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.line_no = line_no


class OpenStoreLink(Request):
    """The store link: the sync's state and what waits to be sent (a store's till)."""


class OpenDiscountEditor(Request):
    """The discount rules, with a manager's approval to open them if one was needed."""

    def __init__(self, approval: str | None = None) -> None:
        super().__init__()
        self.approval = approval


class LockTill(Request):
    """Lock to the login screen, keeping the cart (``message`` says why, on the login)."""

    def __init__(self, message: str = "") -> None:
        super().__init__()
        self.message = message

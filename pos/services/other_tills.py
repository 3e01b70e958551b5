"""Sales of the store's other tills, for a refund on this one (issue 19).

A till sells from its own file and knows only its own sales. A customer may bring back
what was bought at another till: the receipt names that till and its number
(``front 0042``), and the sale is copied here from the store's server, with every refund
of it made so far on any till, so that this till refunds only what is left. Once copied
it stays (a second refund of it works offline). A copy is never this till's sale: no
report of this till counts it and it is never sent back to the server; the refund made
here is this till's and is sent like any other.

While a till is offline, the server cannot know of refunds it has made: a sale refunded
at its own till offline and at another till online could be refunded twice. The server's
figures show both refunds; the docs say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pos.auth.guard import Authority
from pos.db.errors import StorageError
from pos.domain.history import other_till_receipt
from pos.domain.receipt import format_receipt_no
from pos.services.guarded import guarded

if TYPE_CHECKING:
    from pos.services.sync import StoreSync


class OtherTillSales:
    """Finds another till's sale on the store's server and keeps a copy of it here."""

    def __init__(self, till: str, store: StoreSync | None, *, authority: Authority) -> None:
        self.till = till
        self.store = store
        self.authority = authority

    @property
    def has_store(self) -> bool:
        """This till belongs to a store (it has a server to ask)."""
        return self.store is not None

    def receipt_of(self, text: str) -> tuple[str, int] | None:
        """``(till, number)`` when a history search names another till's receipt."""
        return other_till_receipt(text, self.till)

    @guarded("sale")
    def copy(self, till: str, receipt_no: int) -> str | None:
        """Copy sale ``receipt_no`` of ``till`` here from the store's server with every
        refund of it made so far (for this till's own sale: the refunds other tills made
        of it): None once it is here, or why it is not (for the screen's message line)."""
        from pos.services.sync import StoreUnreachable

        number = format_receipt_no(receipt_no)
        if self.store is None:
            return f"No sale {number} of {till}: this till has no store, only its own sales"
        try:
            found = self.store.copy_sale(till, receipt_no)
        except StoreUnreachable as exc:
            return (
                f"Sale {number} of {till} is not on this till and the store's server "
                f"cannot be reached ({exc}): try again when the till is online"
            )
        except StorageError as exc:
            return f"Sale {number} of {till} not copied: {exc.reason}; {exc.advice}"
        if not found:
            return (
                f"No sale {number} of {till} on the store's server: check the till's name "
                f"and the number on the receipt (a sale {till} has not sent yet comes when "
                "it is online)"
            )
        return None

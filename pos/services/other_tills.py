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

import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from pos.auth.guard import Authority
from pos.db.errors import StorageError
from pos.domain.history import other_till_receipt
from pos.domain.receipt import format_receipt_no
from pos.domain.text import sentence
from pos.services.guarded import guarded

if TYPE_CHECKING:
    from pos.services.sync import StoreSync

log = logging.getLogger(__name__)


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
    def copier(self, till: str, receipt_no: int) -> Callable[[], str | None]:
        """The copy of sale ``receipt_no`` of ``till`` from the store's server, with every
        refund of it made so far (for this till's own sale: the refunds other tills made
        of it), checked with the guard now, on the caller's thread, and run later on a
        worker thread (the network may take seconds). Running it gives None once the
        sale is here, or why it is not (for the screen's message line); it never raises.
        """
        return partial(self._copy, till, receipt_no)

    def copy(self, till: str, receipt_no: int) -> str | None:
        """:meth:`copier`, run at once (for the commands and the tests)."""
        return self.copier(till, receipt_no)()

    def _copy(self, till: str, receipt_no: int) -> str | None:
        from pos.db.sync.store import NotThisStore
        from pos.services.sync import StoreUnreachable

        sale = f"sale {format_receipt_no(receipt_no)} of {till}"
        if self.store is None:
            return f"No {sale} on this till"
        try:
            found = self.store.copy_sale(till, receipt_no)
        except StoreUnreachable as exc:
            return (
                f"{sentence(sale)} is not on this till and the store's server cannot be "
                f"reached ({exc}): try again when the till is online"
            )
        except NotThisStore as exc:
            return f"{sentence(sale)} not copied: {exc}"
        except StorageError as exc:
            return f"{sentence(sale)} not copied: {exc.reason}; {exc.advice}"
        except Exception as exc:  # a fault must not leave the screen waiting for ever
            log.exception("copying %s from the store failed", sale)
            return f"{sentence(sale)} not copied: unexpected error ({type(exc).__name__})"
        if not found:
            return (
                f"No {sale} on the store's server: check the till's name and the number on "
                f"the receipt (a sale {till} has not sent yet comes when it is online)"
            )
        return None

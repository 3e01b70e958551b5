"""Finding products as a cashier types (the Find screen, ``pos products search``).

:class:`CatalogSearch` is cheap enough to call on every keystroke: one lookup of the PLU
or barcode typed (by unique index) and one query of the search index for at most
:data:`CANDIDATES` products, ranked here; a million products cost no more than a
thousand (``make bench``: ``20_search_keystroke_p99``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from pos.auth.guard import Authority
from pos.db.errors import StorageError
from pos.db.product_search import ProductSearch
from pos.db.repositories import ProductRepository
from pos.domain.barcodes import BarcodeError, normalise
from pos.domain.search import (
    Found,
    SearchError,
    SearchRebuilding,
    name_order,
    plu_typed,
    search_words,
)

CANDIDATES = 200
"""Products a search takes from the index, at most, to rank. A search that matches more
(``s``, ``milk`` in a large catalog) says so (:attr:`Results.more`): its results are the
best of the first ones found, and another letter narrows them."""
MAX_LIMIT = CANDIDATES
"""The most results one search returns."""
BARCODE_LENGTHS = (8, 12, 13)


log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Results:
    """What a search found, best first: a product whose PLU or barcode was typed, then
    products by the words of their names.

    Attributes:
        found: At most the search's ``limit``.
        more: More products match than are in ``found`` (type more to narrow them).
    """

    found: tuple[Found, ...]
    more: bool = False

    def __iter__(self) -> Iterator[Found]:
        return iter(self.found)

    def __len__(self) -> int:
        return len(self.found)

    def __getitem__(self, index: int) -> Found:
        return self.found[index]


class CatalogSearch:
    """Finds products by words of their names in any order, any case, accents aside,
    each word the start of a word of the name (``sem sk`` finds "Semi-skimmed milk 2
    pt", ``creme`` "Crème fraîche"), and by a PLU or barcode typed whole (first)."""

    def __init__(
        self,
        products: ProductRepository,
        index: ProductSearch,
        candidates: int = CANDIDATES,
        *,
        authority: Authority | None = None,
        repair_aside: bool = False,
    ) -> None:
        self._products = products
        self._index = index
        self._candidates = candidates
        self.authority = authority
        """The till's guard: a search there needs the ``sale`` scope (the CLI has none)."""
        self._repair_aside = repair_aside
        """On the till: an index left stale is rebuilt in a thread of its own, never on
        the screen's (seconds at a million products); a search meanwhile is refused."""
        self._repairing: threading.Thread | None = None

    def find(self, text: str, limit: int = 20) -> Results:
        """The products ``text`` finds, best first, at most ``limit``.

        Args:
            text: What was typed: words, a PLU (4 or 5 digits) or a barcode.
            limit: How many results at most (1 to :data:`MAX_LIMIT`).

        Raises:
            SearchError: ``text`` has no word (blank, punctuation), is too long, holds a
                control character or too many words, or ``limit`` is out of range; the
                message says what to do. :class:`SearchRebuilding`: a large import is
                rebuilding the till file's index (try again in a moment). An index an
                import left stale is rebuilt here first when nothing else is writing
                (seconds at a million products, once).
            StorageError: the database cannot be read.
            LoginRequired, OverrideRequired: on the till, no session or no ``sale`` scope.
        """
        if self.authority is not None:
            self.authority.require("sale")
        if not 1 <= limit <= MAX_LIMIT:
            raise SearchError(f"the limit must be from 1 to {MAX_LIMIT}, not {limit}")
        words = search_words(text)
        exact = self._exact(text)
        taken = {found.barcode for found in exact}
        cap = self._candidates
        try:
            candidates = self._index.by_words(words, cap + 1)
        except SearchRebuilding:
            # an import left the index stale: rebuilt unless another connection is writing
            # (the import, rebuilding it); a PLU or barcode typed is still found
            repaired = False if self._repair_aside else self._index.repair()
            if self._repair_aside:
                self._repair_in_a_thread()
            if not repaired:
                if exact:
                    return Results(tuple(exact[:limit]))
                raise
            candidates = self._index.by_words(words, cap + 1)
        more = len(candidates) > cap
        named = sorted(
            (p for p in candidates[:cap] if p.barcode not in taken),
            key=lambda p: name_order(words, p.name, p.barcode),
        )
        found = [*exact, *(Found(p, "name") for p in named)]
        return Results(tuple(found[:limit]), more or len(found) > limit)

    def _repair_in_a_thread(self) -> None:
        """Rebuild the stale index beside the till, one rebuild at a time, on a connection
        of the thread's own; a fault is logged and the next search tries again."""
        if self._repairing is not None and self._repairing.is_alive():
            return

        def repair() -> None:
            try:
                self._index.repair()
            except StorageError as exc:
                log.warning("the product search is left to rebuild: %s", exc)
            finally:
                self._index.db.close()  # this thread's connection

        self._repairing = threading.Thread(target=repair, name="pos-search-repair", daemon=True)
        self._repairing.start()

    def _exact(self, text: str) -> list[Found]:
        """The product whose PLU, or whose barcode, is ``text`` (digits only)."""
        code = text.strip()
        plu = plu_typed(code)
        if plu is not None:
            product = self._index.by_plu(plu)
            return [] if product is None else [Found(product, "plu")]
        if len(code) in BARCODE_LENGTHS and code.isascii() and code.isdigit():
            try:
                product = self._products.get(normalise(code))
            except BarcodeError:
                return []
            return [] if product is None else [Found(product, "barcode")]
        return []


__all__ = [
    "CANDIDATES",
    "MAX_LIMIT",
    "CatalogSearch",
    "Found",
    "Results",
    "SearchError",
    "SearchRebuilding",
]

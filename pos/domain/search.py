"""Finding products by what a cashier types: the words of a search, folded as the catalog's
search index folds names, the index queries built from them, and the order of the results.

Pure: the index itself is :mod:`pos.db.product_search` (SQLite FTS5 on a till's file, a
full-text index on a store's server) and the service :mod:`pos.services.search`.

A name and a search are folded alike (:func:`fold`): accents off (``Crème`` is ``creme``),
lower case, and split into words at anything that is not a letter or a digit
(``Semi-skimmed`` is ``semi`` and ``skimmed``), as FTS5's ``unicode61`` tokenizer with
``remove_diacritics 2`` splits and folds them. Every word of a search must begin a word of
the name, in any order: ``sem sk`` finds "Semi-skimmed milk 2 pt".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from pos.domain.catalog import PLU_LENGTHS, Product, Unit

MAX_SEARCH_LENGTH = 120
"""Longer searches are refused (a name is at most this long: pos.domain.text)."""
MAX_WORDS = 8
"""Searches of more words are refused (a name seldom has more; each word is a term to
look up)."""

_WORD = re.compile(r"[^\W_]+")
"""A run of letters and digits (``\\w`` less the underscore, which FTS5 splits at)."""


class SearchError(ValueError):
    """A search that cannot be run; the message says what to type instead."""


REBUILDING = "the product search is being rebuilt after an import: try again in a moment, or scan"
"""What a search by name says while the index is stale (the scanner is unaffected)."""


class SearchRebuilding(SearchError):
    """The search index is out of step with the catalog (a large import has committed
    its rows and is rebuilding the index, or was stopped before it could): a search by
    name would show wrong products, so it is refused until the index is rebuilt."""

    def __init__(self, message: str = REBUILDING) -> None:
        super().__init__(message)


def fold(text: str) -> str:
    """``text`` with its accents off and in lower case (the index's own folding): the
    marks Unicode decomposes a letter into go (``è`` is ``e``); letters it does not
    decompose stay (``ø``, ``ł``, ``ß``), as they do in FTS5's ``remove_diacritics 2``."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare).lower()


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return _WORD.findall(fold(text))


def search_words(text: str) -> list[str]:
    """The words of a search, distinct, in the order typed.

    Raises:
        SearchError: nothing to search for, too long, a control character, or too many
            words; the message says what to do.
    """
    if len(text) > MAX_SEARCH_LENGTH:
        raise SearchError(
            f"the search is {len(text)} characters long; type at most {MAX_SEARCH_LENGTH} "
            "(a few letters of each word are enough)"
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise SearchError("the search holds a control character; type letters and digits only")
    found = list(dict.fromkeys(words(text)))
    if not found:
        raise SearchError("type a few letters of the product's name, its PLU or its barcode")
    if len(found) > MAX_WORDS:
        raise SearchError(f"the search has {len(found)} words; type at most {MAX_WORDS}")
    return found


def plu_typed(text: str) -> str | None:
    """The PLU ``text`` is, if it is one (4 or 5 ASCII digits and nothing else)."""
    code = text.strip()
    return code if code.isascii() and code.isdigit() and len(code) in PLU_LENGTHS else None


def fts5_query(search: list[str], terms: dict[str, list[str]] | None = None) -> str:
    """The FTS5 ``MATCH`` expression for ``search`` (from :func:`search_words`): every word
    a quoted prefix (``"sem"* AND "sk"*``), or, where ``terms`` lists the index's words
    it begins, those words (``("chicken" OR "chickpea")``: an exact word is read a page
    at a time, a prefix longer than the index's prefix indexes all at once). Nothing typed
    is ever FTS5 syntax: ``AND``, ``NEAR``, ``-``, ``:`` and quotes are words, or nothing,
    here, and every quote is doubled anyway."""
    known = terms or {}
    parts = []
    for word in search:
        if word in known:
            parts.append("(" + " OR ".join(_quoted(term) for term in known[word]) + ")")
        else:
            parts.append(_quoted(word) + "*")
    return " AND ".join(parts)


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def tsquery(search: list[str]) -> str:
    """The PostgreSQL ``to_tsquery`` text for ``search``: every word a quoted prefix
    (``'sem':* & 'sk':*``), every quote doubled, so that nothing typed is syntax."""
    return " & ".join(
        "'" + word.replace("'", "''").replace("\\", "\\\\") + "':*" for word in search
    )


Match = Literal["plu", "barcode", "name"]


@dataclass(frozen=True, slots=True)
class Found:
    """A product a search found, and how: its ``plu`` or its ``barcode`` typed exactly
    (these come first), or words of its ``name``."""

    product: Product
    match: Match

    @property
    def barcode(self) -> str:
        return self.product.barcode

    @property
    def name(self) -> str:
        return self.product.name

    @property
    def price(self) -> int:
        return self.product.price

    @property
    def unit(self) -> Unit:
        return self.product.unit

    @property
    def plu(self) -> str | None:
        return self.product.plu


def name_order(search: list[str], name: str, barcode: str) -> tuple[int, int, str, str]:
    """How a product found by its name ranks (smallest first): names that begin with the
    first word typed, then those with more of the words typed whole (``milk`` before
    ``milkshake``), then alphabetically (accents and case aside), then by barcode."""
    found = _WORD.findall(name.lower()) if name.isascii() else words(name)
    starts = 0 if found and found[0].startswith(search[0]) else 1
    whole = -sum(word in found for word in search)
    return (starts, whole, " ".join(found), barcode)

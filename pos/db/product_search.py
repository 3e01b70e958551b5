"""The catalog's search index (schema version 14, :mod:`pos.db.migrations.v14_product_search`):
the queries a search runs on it, and how a large import suspends and rebuilds it.

A search asks the index for the products whose name has every word typed as the start of
one of its words, at most ``cap`` of them, in the index's own order (no ranking inside
the database: ranking every match of ``s`` in a million names costs 300 ms, taking the
first few hundred costs a fraction of one); the caller ranks those
(:mod:`pos.services.search`).
"""

from __future__ import annotations

from typing import Any

import peewee

from pos.db.errors import is_sqlite, reading
from pos.domain.catalog import Product, Unit
from pos.domain.search import fts5_query, tsquery

_COLUMNS = 'p."barcode", p."name", p."price", p."tax_rate", p."unit", p."plu", p."min_age"'
TRIGGERS = ("product_search_insert", "product_search_delete", "product_search_update")
"""The triggers that keep a till file's index right through every write of ``product``."""


def _product(row: tuple[Any, ...]) -> Product:
    code, name, price, tax_rate, unit, plu, min_age = row
    return Product(code, name, price, tax_rate, Unit(unit), plu, min_age)


class ProductSearch:
    """Reads of the search index (and of the PLU index) of one database."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        if is_sqlite(db):
            self._by_words = (
                f"SELECT {_COLUMNS} FROM product_search s JOIN product p ON p.id = s.rowid "
                "WHERE product_search MATCH ? LIMIT ?"
            )
        else:
            self._by_words = (
                f"SELECT {_COLUMNS} FROM product p WHERE to_tsvector('simple', pos_fold(p.name))"
                " @@ to_tsquery('simple', %s) LIMIT %s"
            )
        self._by_plu = f'SELECT {_COLUMNS} FROM product p WHERE p."plu" = {db.param}'

    @reading
    def by_words(self, words: list[str], cap: int) -> list[Product]:
        """At most ``cap`` products whose name has each of ``words`` (folded, from
        :func:`pos.domain.search.search_words`) as the start of a word, in no particular
        order; every word becomes a quoted prefix term, never the index's syntax."""
        query = fts5_query(words) if is_sqlite(self.db) else tsquery(words)
        rows = self.db.execute_sql(self._by_words, (query, cap)).fetchall()
        return [_product(row) for row in rows]

    @reading
    def by_plu(self, plu: str) -> Product | None:
        """The product with this PLU (by its unique index), if any."""
        row = self.db.execute_sql(self._by_plu, (plu,)).fetchone()
        return None if row is None else _product(row)


def suspend_triggers(cursor: Any) -> list[str]:
    """Drop the index's triggers on a till's file (SQLite), inside the caller's
    transaction; returns the statements that make them again. For a large import, which
    then rebuilds the whole index once (:func:`rebuild`): a million rows indexed one by
    one by the triggers cost more than the import itself."""
    marks = ", ".join("?" * len(TRIGGERS))
    found = cursor.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        TRIGGERS,
    ).fetchall()
    for name, _ in found:
        cursor.execute(f'DROP TRIGGER "{name}"')
    return [str(sql) for _, sql in found]


def rebuild(cursor: Any) -> None:
    """Index every product's name again (FTS5's ``rebuild``: one pass over the table)."""
    cursor.execute("INSERT INTO product_search (product_search) VALUES ('rebuild')")

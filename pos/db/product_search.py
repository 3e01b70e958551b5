"""The catalog's search index (schema version 14, :mod:`pos.db.migrations.v14_product_search`):
the queries a search runs on it, and how a large import suspends and rebuilds it.

A search asks the index for the products whose name has every word typed as the start of
one of its words, at most ``cap`` of them, in the index's own order (no ranking inside
the database: ranking every match of ``s`` in a million names costs 300 ms, taking the
first few hundred costs a fraction of one); the caller ranks those
(:mod:`pos.services.search`).

A large import builds the index after its commit on both databases, so that its rows are
everyone's (a store's tills pull them, the scanner finds them) without waiting for it: on
the server ``CREATE INDEX CONCURRENTLY`` (:func:`build_concurrently`); on a till's file,
where FTS5's index of an external-content table cannot be built beside its writers, the
import's transaction drops the index's triggers and marks the index stale
(:func:`suspend`), and a second transaction right after it rebuilds the index, makes the
triggers again and clears the mark (:func:`restore`). While the mark is there a search by
name is refused (:class:`pos.domain.search.SearchRebuilding`), never answered from an
index out of step; an import stopped between the two leaves the mark, and the next
search, start of the till or import rebuilds the index (:func:`ensure_search_index`).
"""

from __future__ import annotations

import json
from typing import Any

import peewee

from pos.db.errors import StorageError, is_sqlite, reading, storage_errors, writing
from pos.domain.catalog import Product, Unit
from pos.domain.search import SearchRebuilding, fts5_query, tsquery

_COLUMNS = (
    'p."barcode", p."name", p."price", p."tax_rate", p."unit", p."plu", p."min_age", p."voucher"'
)
TRIGGERS = ("product_search_insert", "product_search_delete", "product_search_update")
"""The triggers that keep a till file's index right through every write of ``product``."""


def _product(row: tuple[Any, ...]) -> Product:
    code, name, price, tax_rate, unit, plu, min_age, voucher = row
    return Product(code, name, price, tax_rate, Unit(unit), plu, min_age, bool(voucher))


PREFIX_INDEXED = 4
"""The longest prefix the FTS5 index keeps an index of (``prefix='1 2 3 4'``)."""
EXPAND = 16
"""A longer prefix that begins at most this many words of the index is looked up as those
words (read lazily, a page at a time); one that begins more, as a prefix (read whole)."""
KEPT_TERMS = 256
"""Prefixes whose words are kept between searches (typing repeats them at each key)."""


class ProductSearch:
    """Reads of the search index (and of the PLU index) of one database."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self._sqlite = is_sqlite(db)
        if self._sqlite:
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
        self._terms_of: dict[str, list[str]] = {}
        self._terms_as_of: tuple[int, int, int] | None = None

    @reading
    def by_words(self, words: list[str], cap: int) -> list[Product]:
        """At most ``cap`` products whose name has each of ``words`` (folded, from
        :func:`pos.domain.search.search_words`) as the start of a word, in no particular
        order; every word becomes a quoted prefix term, never the index's syntax.

        On a till's file (FTS5), a word longer than the prefix indexes becomes the index's
        words it begins when they are few (``chick``: ``chicken``, ``chickpea``): FTS5
        reads a prefix without a prefix index whole (every product with ``chicken``) but an
        exact word only as far as the query needs. Those words are kept for the next
        keystroke's search while the file is unchanged.

        Raises:
            SearchRebuilding: the till file's index is marked stale (:func:`suspend`).
        """
        if not self._sqlite:
            return self._run(tsquery(words), cap)
        with self.db.atomic():  # one snapshot: the stale mark and the index read together
            if marked(self.db):
                raise SearchRebuilding()
            self._forget_terms_if_changed()
            terms: dict[str, list[str]] = {}
            for word in words:
                if len(word) > PREFIX_INDEXED:
                    begun = self._terms(word)
                    if not begun:
                        return []  # no name has a word that begins so
                    if len(begun) <= EXPAND:
                        terms[word] = begun
            return self._run(fts5_query(words, terms), cap)

    def repair(self) -> bool:
        """Rebuild the index now if it is marked stale and no other connection is writing
        (:func:`ensure_search_index` without waiting); False if one is (an import
        rebuilding it, most likely: try again later)."""
        return ensure_search_index(self.db, wait=False)

    def _run(self, query: str, limit: int) -> list[Product]:
        rows = self.db.execute_sql(self._by_words, (query, limit)).fetchall()
        return [_product(row) for row in rows]

    def _forget_terms_if_changed(self) -> None:
        """Drop the kept words if the file changed since they were read: by another
        connection (``PRAGMA data_version``) or by this one (its change count)."""
        conn = self.db.connection()
        (version,) = conn.execute("PRAGMA data_version").fetchone()
        now = (id(conn), int(version), int(conn.total_changes))
        if now != self._terms_as_of or len(self._terms_of) > KEPT_TERMS:
            self._terms_of.clear()
            self._terms_as_of = now

    def _terms(self, prefix: str) -> list[str]:
        """The index's words that begin with ``prefix``, up to one more than :data:`EXPAND`."""
        kept = self._terms_of.get(prefix)
        if kept is None:
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            rows = self.db.execute_sql(
                "SELECT term FROM product_search_terms WHERE term >= ? AND term < ? LIMIT ?",
                (prefix, upper, EXPAND + 1),
            ).fetchall()
            kept = self._terms_of[prefix] = [str(term) for (term,) in rows]
        return kept

    @reading
    def by_plu(self, plu: str) -> Product | None:
        """The product with this PLU (by its unique index), if any."""
        row = self.db.execute_sql(self._by_plu, (plu,)).fetchone()
        return None if row is None else _product(row)


SERVER_INDEX = "product_search"
"""The server's GIN index of the folded names (schema 14)."""
SERVER_INDEX_SQL = (
    f'CREATE INDEX "{SERVER_INDEX}" ON "product" '
    "USING gin (to_tsvector('simple', pos_fold(name)))"
)
"""How schema 14 made it (:mod:`pos.db.migrations.v14_product_search`), to make it again."""


def split_search_index(statements: list[str]) -> tuple[list[str], list[str]]:
    """The index statements a large import on the server builds in its transaction, and
    the search index's, which it builds after the commit (:func:`build_concurrently`)."""
    later = [
        s for s in statements if f'INDEX "{SERVER_INDEX}"' in s or f"INDEX {SERVER_INDEX} " in s
    ]
    return [s for s in statements if s not in later], later


def build_concurrently(db: peewee.Database, statement: str) -> None:
    """Build the server's search index (``statement``, as ``pg_get_indexdef`` gave it)
    without locking the catalog against writers, outside any transaction: the import has
    committed, and the rows are there for everyone; searches are slower until it is done.
    A build a crash left invalid is dropped and made again. Inside a caller's transaction
    (an import that is part of a larger one, as ``pos init --demo``) it is built in it."""
    concurrently = "" if db.in_transaction() else " CONCURRENTLY"
    valid = db.execute_sql(
        "SELECT x.indisvalid FROM pg_index x WHERE x.indexrelid = to_regclass(%s)",
        (f'"{SERVER_INDEX}"',),
    ).fetchone()
    if valid is not None and valid[0]:
        return
    if valid is not None:
        db.execute_sql(f'DROP INDEX{concurrently} IF EXISTS "{SERVER_INDEX}"')
    db.execute_sql(statement.replace("CREATE INDEX ", f"CREATE INDEX{concurrently} ", 1))


def ensure_search_index(db: peewee.Database, *, wait: bool = True) -> bool:
    """The search index, built again if a large import was stopped before it could: on the
    server, missing or invalid (:func:`build_concurrently`); on a till's file, marked
    stale (:func:`restore`, in a transaction of its own). One query when it is right.

    Args:
        wait: On a till's file, wait for another connection's write (the busy timeout)
            rather than give up at once; a search does not wait, an import does.

    Returns:
        False when the till file's index is still stale: another connection is writing
        (without ``wait``), most likely the import that is rebuilding it.
    """
    if not is_sqlite(db):
        build_concurrently(db, SERVER_INDEX_SQL)
        return True
    with storage_errors():
        stale = marked(db)
    if not stale:
        return True
    if db.in_transaction():  # a caller's own transaction: rebuilt in it
        restore(db.cursor())
        return True
    previous = None
    if not wait:
        (previous,) = db.execute_sql("PRAGMA busy_timeout").fetchone()
        db.execute_sql("PRAGMA busy_timeout = 0")
    try:
        with writing(db):
            restore(db.cursor())
    except StorageError as exc:
        if wait or exc.kind != "locked":
            raise
        return False
    finally:
        if previous is not None:
            db.execute_sql(f"PRAGMA busy_timeout = {int(previous)}")
    return True


STALE = "search_index_stale"
"""The key in a till file's ``sync_state`` (the file's own state, never the store's) that
marks its search index out of step with the catalog. Its value is the index's triggers
that :func:`suspend` dropped (a JSON list of their ``CREATE TRIGGER`` statements), for
:func:`restore` to make again."""


def marked(db: peewee.Database) -> bool:
    """Whether the till file's search index is marked stale (one lookup by key)."""
    found = db.execute_sql("SELECT 1 FROM sync_state WHERE key = ?", (STALE,)).fetchone()
    return found is not None


def suspend(cursor: Any) -> None:
    """Drop the index's triggers on a till's file and mark the index stale, inside the
    caller's transaction (a large import's): its rows are then written unindexed, and the
    index is rebuilt once after the commit (:func:`restore`). A million rows indexed one
    by one by the triggers cost more than the import itself, and the rebuild inside the
    import's transaction held the rows back from everyone for its seconds.

    The triggers stay dropped until :func:`restore`: a trigger's ``delete`` of a row the
    stale index does not hold as the table does (a row the import added or renamed) is
    FTS5 misuse, with no defined outcome; on an index the import found empty (a new
    till's first catalog) it fails with "database disk image is malformed", which would
    fail that write. Another writer in between (a sale, a small import, a store's pull)
    writes unindexed instead, and the rebuild indexes its rows with the rest."""
    row = cursor.execute("SELECT value FROM sync_state WHERE key = ?", (STALE,)).fetchone()
    marks = ", ".join("?" * len(TRIGGERS))
    found = cursor.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks})",
        TRIGGERS,
    ).fetchall()
    for name, _ in found:
        cursor.execute(f'DROP TRIGGER "{name}"')
    # marked already (an import stopped before its rebuild): its triggers are in the mark
    statements = [str(sql) for _, sql in found] or (json.loads(row[0]) if row else [])
    cursor.execute(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (STALE, json.dumps(statements)),
    )


def restore(cursor: Any) -> bool:
    """If the index is marked stale: index every product's name again (FTS5's
    ``rebuild``: one pass over the table, in C), make its triggers again and clear the
    mark, all in the caller's transaction. Returns whether it was marked."""
    row = cursor.execute("SELECT value FROM sync_state WHERE key = ?", (STALE,)).fetchone()
    if row is None:
        return False
    cursor.execute("INSERT INTO product_search (product_search) VALUES ('rebuild')")
    for statement in json.loads(row[0]):
        cursor.execute(statement)
    cursor.execute("DELETE FROM sync_state WHERE key = ?", (STALE,))
    return True

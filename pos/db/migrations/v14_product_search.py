"""Schema version 14: an index of product names by their words, for the Find screen and
``pos products search`` (issue 20): every word of a search begins a word of the name, in
any order, any case, accents aside.

On a till's file (SQLite): ``product_search``, an FTS5 table over ``product.name``
(external content: it holds only the index, the names stay in ``product``), tokenized by
``unicode61 remove_diacritics 2`` (accents off), with prefix indexes of 1 to 4 characters
(what a cashier has typed after a keystroke or four is looked up, not scanned for),
``detail=none`` and ``columnsize=0`` (a search asks only which products have the words:
no positions, no sizes; half the index to build), and ``product_search_terms``, its words
(FTS5's ``fts5vocab``: a prefix longer than 4 is looked up as the words it begins).
Triggers keep the index right through every write (a pull from the store, a small
import); a large import drops them and rebuilds the index once at its end
(:mod:`pos.db.product_import`).

On a store's server (PostgreSQL): ``pos_fold(text)``, the same folding (accents of Latin
letters off by a frozen ``translate`` table, the dots, underscores and slashes that the
``simple`` parser keeps inside a word made spaces, lower case), and a GIN index of
``to_tsvector('simple', pos_fold(name))``; a search is one ``@@`` of prefix terms on it.
(No extension: ``unaccent`` needs rights a store's account may not have.)
"""

from __future__ import annotations

import peewee

ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģ"
    "ĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕ"
    "ǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
)
PLAIN = (
    "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGg"
    "HhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoU"
    "uUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy"
)
"""Letters of Latin-1 and Latin Extended-A/B and the letter each is without its marks
(those Unicode decomposes into one letter and marks, as :func:`pos.domain.search.fold`
takes them off), frozen here."""


def step(db: peewee.Database) -> None:
    """Take a database from version 13 to version 14."""
    if not isinstance(db, peewee.SqliteDatabase):
        _server(db)
        return
    db.execute_sql(
        'CREATE VIRTUAL TABLE "product_search" USING fts5(name, content="product", '
        'content_rowid="id", tokenize="unicode61 remove_diacritics 2", prefix=\'1 2 3 4\', '
        "detail=none, columnsize=0)"
    )
    db.execute_sql(
        'CREATE TRIGGER "product_search_insert" AFTER INSERT ON "product" BEGIN '
        "INSERT INTO product_search (rowid, name) VALUES (NEW.id, NEW.name); END"
    )
    db.execute_sql(
        'CREATE TRIGGER "product_search_delete" AFTER DELETE ON "product" BEGIN '
        "INSERT INTO product_search (product_search, rowid, name) "
        "VALUES ('delete', OLD.id, OLD.name); END"
    )
    # only when the name (or the id) changed: an import's upsert sets every column
    db.execute_sql(
        'CREATE TRIGGER "product_search_update" AFTER UPDATE OF name, id ON "product" '
        "WHEN OLD.name IS NOT NEW.name OR OLD.id IS NOT NEW.id BEGIN "
        "INSERT INTO product_search (product_search, rowid, name) "
        "VALUES ('delete', OLD.id, OLD.name); "
        "INSERT INTO product_search (rowid, name) VALUES (NEW.id, NEW.name); END"
    )
    db.execute_sql("INSERT INTO product_search (product_search) VALUES ('rebuild')")
    # the index's words, in order: a long prefix is looked up as the few words it begins
    db.execute_sql(
        'CREATE VIRTUAL TABLE "product_search_terms" USING fts5vocab(product_search, row)'
    )


def _server(db: peewee.Database) -> None:
    assert len(ACCENTED) == len(PLAIN)
    # a name of ASCII alone (most) skips the accents' table: 1.2 s a million names, not 13;
    # the dots, underscores and slashes the 'simple' parser would keep inside a word
    # ("1.5l", "www.x.com", "1/2") become spaces, as FTS5's tokenizer splits there
    db.execute_sql(
        "CREATE FUNCTION pos_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
        "PARALLEL SAFE AS $$ SELECT lower(translate(CASE WHEN octet_length($1) = length($1) "
        f"THEN $1 ELSE translate($1, '{ACCENTED}', '{PLAIN}') END, '._/', '   ')) $$"
    )
    db.execute_sql(
        'CREATE INDEX "product_search" ON "product" '
        "USING gin (to_tsvector('simple', pos_fold(name)))"
    )

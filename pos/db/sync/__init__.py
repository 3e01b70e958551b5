"""A till of a store: its own SQLite file kept in step with the store's server (issue 19).

:mod:`pos.db.sync.till_file` reads the till's outbox and writes what it pulled, on a
connection of its own (the sync worker's thread, never the till's); :mod:`pos.db.sync.store`
talks to the server; :mod:`pos.db.sync.enrol` makes a new till's file. Neither uses the
peewee models: models are bound to one database at a time per process, and the till's own
thread is using them. The design and its rules are in docs/architecture.md ("Many tills").
"""

"""Schema version 22: gift voucher codes that clash on a store's server (issue 22).

A till draws a voucher's code itself (the store's number and 12 random digits), so two tills
of a store may, very rarely, sell two vouchers with the same code. The server keeps the
first by its code; the second till's sale still arrives, and the voucher it sold is recorded
in ``voucher_collision`` (server only): its code, the uuid of the sale that sold it, its
till, when it was issued, its value, and the till whose voucher holds the code. The
server's report shows it for that till (``Code clash``, ``vouchers.code_clashes`` in the
JSON), saying what to do: give that customer a new voucher for its value.

A till's SQLite file has nothing new (the server alone receives the tills' vouchers).
"""

from __future__ import annotations

import peewee

NUMBER = 22
"""The version this step makes (see the module docstring)."""


def step(db: peewee.Database) -> None:
    """Take a database to version :data:`NUMBER` from the one before."""
    if isinstance(db, peewee.SqliteDatabase):
        return
    db.execute_sql(
        'CREATE TABLE voucher_collision (code TEXT COLLATE "C" NOT NULL, '
        'sale TEXT COLLATE "C" NOT NULL, till TEXT NOT NULL, at TEXT NOT NULL, '
        "value BIGINT NOT NULL CHECK (value > 0), held_by TEXT NOT NULL, "
        "PRIMARY KEY (code, sale))"
    )
    db.execute_sql("CREATE INDEX voucher_collision_report ON voucher_collision (till, at)")

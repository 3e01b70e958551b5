"""Schema version 20: coupons on a store's tills (issue 22, part 2).

Both kinds of database: ``sale_coupon`` gains ``offline`` (1: the till used the code
without the store's server claiming it first, because the server could not be reached;
the server takes the use when the sale is pushed, and records an overuse if it was gone).

On a store's server (PostgreSQL):

* ``coupon_code`` is stamped with the version of the transaction that writes it, like the
  rules (:mod:`pos.db.migrations.v12_store_sync`), so that codes issued and voided on the
  server, and the uses the tills take there, reach every till by the pull; no deletion
  (codes are voided, never deleted), so no tombstone;
* ``coupon_claim``: the uses the tills claim on the server at payment, one row per sale
  (the till's uuid of it) and code, unique, so that a claim made again under the same
  sale takes nothing twice. ``status``: ``held`` (claimed, the sale not pushed yet),
  ``sold`` (the sale arrived), ``released`` (no sale came: given back), ``offline`` (the
  sale came without a claim and the use was still there), ``over`` (it came without a
  claim and the use was gone: an overuse, on the server's report, ``note`` says why).

Written as version 20 after the coupons' 19: :data:`NUMBER` is the one place that says
which step this is (the gift vouchers' step may land first and take 20).
"""

from __future__ import annotations

import peewee

NUMBER = 20
"""The version this step makes (see the module docstring)."""


def step(db: peewee.Database) -> None:
    """Take a database to version :data:`NUMBER` from the one before."""
    db.execute_sql(
        'ALTER TABLE "sale_coupon" ADD COLUMN "offline" INTEGER NOT NULL DEFAULT 0 '
        "CONSTRAINT sale_coupon_offline_flag CHECK (offline IN (0, 1))"
    )
    if isinstance(db, peewee.SqliteDatabase):
        return
    db.execute_sql(
        'CREATE TABLE coupon_claim (sale_uuid TEXT COLLATE "C" NOT NULL, '
        'code TEXT COLLATE "C" NOT NULL, till TEXT NOT NULL, session TEXT NOT NULL, '
        "at TIMESTAMPTZ NOT NULL DEFAULT now(), status TEXT NOT NULL CHECK (status IN "
        "('held', 'sold', 'released', 'offline', 'over')), note TEXT, "
        "PRIMARY KEY (sale_uuid, code))"
    )
    db.execute_sql("CREATE INDEX coupon_claim_held ON coupon_claim (status, at)")
    db.execute_sql(
        "CREATE TRIGGER coupon_code_version BEFORE INSERT OR UPDATE ON coupon_code FOR EACH ROW "
        "WHEN (NEW.version::text IS DISTINCT FROM current_setting('pos.change_version', true)) "
        "EXECUTE FUNCTION pos_stamp_version()"
    )
    db.execute_sql('CREATE INDEX "coupon_code_changes" ON "coupon_code" (version, id)')

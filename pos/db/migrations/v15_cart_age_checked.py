"""Schema version 15: a cart remembers the age its customer was confirmed to be
(``age_checked``, 1 to 99; NULL until an age-restricted item asked and the cashier
answered Y), so that a restart, a park and recall or a crash keeps it (issue 20).

Standard SQL, the same on SQLite and PostgreSQL; the check repeats the range of a
product's ``min_age`` (v13), the only ages that can be confirmed.
"""

from __future__ import annotations

import peewee


def step(db: peewee.Database) -> None:
    """Take a database from version 14 to version 15."""
    db.execute_sql(
        'ALTER TABLE "cart" ADD COLUMN "age_checked" INTEGER '
        "CONSTRAINT cart_age_checked_range CHECK (age_checked BETWEEN 1 AND 99)"
    )

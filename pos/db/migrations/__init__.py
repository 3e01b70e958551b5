"""Schema migrations, one module per version, each with frozen copies of its models.

Every database, new or old, reaches the current schema through the same steps:
``pos init`` runs them all on an empty file, and opening an older database runs
the ones it lacks. All the steps of one upgrade run in one transaction, so a
crash or failure leaves the database at its old version, untouched.

Step ``vNN_...`` takes a database from version NN - 1 to NN (its docstring says what
changed). Never edit a released step: add a new module, put its ``step`` on
:data:`MIGRATIONS` and so bump :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from pos.db.migrations import (
    v01_initial,
    v02_parking,
    v03_discounts,
    v04_operators,
    v05_line_operator,
    v06_sales,
    v07_refund_pricing,
    v08_product_names,
    v09_report_indexes,
    v10_day_ids_and_token_generation,
    v11_operator_seal,
    v12_store_sync,
    v13_plu_and_min_age,
    v14_product_search,
    v15_cart_age_checked,
    v16_cash_movements,
    v17_refund_reasons,
    v18_manual_discounts,
    v19_coupons,
    v20_coupon_store,
    v21_vouchers,
    v22_voucher_collisions,
)

MIGRATIONS: tuple[Callable[[peewee.Database], None], ...] = (
    v01_initial.step,
    v02_parking.step,
    v03_discounts.step,
    v04_operators.step,
    v05_line_operator.step,
    v06_sales.step,
    v07_refund_pricing.step,
    v08_product_names.step,
    v09_report_indexes.step,
    v10_day_ids_and_token_generation.step,
    v11_operator_seal.step,
    v12_store_sync.step,
    v13_plu_and_min_age.step,
    v14_product_search.step,
    v15_cart_age_checked.step,
    v16_cash_movements.step,
    v17_refund_reasons.step,
    v18_manual_discounts.step,
    v19_coupons.step,
    v20_coupon_store.step,
    v21_vouchers.step,
    v22_voucher_collisions.step,
)
"""Step ``i`` takes a database from version ``i`` to ``i + 1``."""

SCHEMA_VERSION = len(MIGRATIONS)
"""The schema version this code reads and writes."""


def upgrade(db: peewee.Database, from_version: int) -> None:
    """Run the steps after ``from_version``. The caller holds the transaction."""
    for step in MIGRATIONS[from_version:]:
        step(db)

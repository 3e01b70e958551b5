"""Two till processes on one database complete sales with the same single-use coupon at the
same moment (issue 22): exactly one sale gets it, the other till is told and re-priced,
and the code ends used once. On one SQLite file and on PostgreSQL."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from pos.db.coupons import CouponRepository, Issue
from pos.db.database import open_database
from pos.db.repositories import DiscountRepository
from pos.domain.clock import SystemClock, UuidIds
from pos.domain.coupons import make_code
from pos.domain.rule_format import parse_rule
from tests.conftest import FAST_HASHER, MANAGER

pytestmark = [pytest.mark.slow, pytest.mark.backends, pytest.mark.xdist_group("tills")]

PEN = "4006381333931"
ROUNDS = 6


def till(db: str, name: str, codes: list[str], barrier: Any, out: Any) -> None:
    """One till: for each code, scan a pen and the coupon, go to payment, wait for the
    other till, complete; on a lost coupon, pay the re-priced amount."""
    from pos.services.container import build_services
    from pos.services.sales import Repriced

    services = build_services(
        db, clock=SystemClock(), ids=UuidIds(), hasher=FAST_HASHER, till_name=name
    )
    try:
        services.sessions.login(*MANAGER)
        for code in codes:
            services.checkout.submit(PEN)
            scanned = services.checkout.submit(code)
            assert not scanned.error, scanned.message
            tender = services.sales.start()
            tender.cash(tender.due)
            barrier.wait(timeout=60)
            try:
                services.sales.complete(tender)
                out.put((name, code, "won", tender.due))
            except Repriced:
                again = services.sales.start()
                again.cash(again.due)
                services.sales.complete(again)
                out.put((name, code, "lost", again.due))
    finally:
        services.close()


def test_one_single_use_coupon_goes_to_exactly_one_of_two_tills(shop_db: Path) -> None:
    db = str(shop_db)
    database = open_database(db)
    try:
        DiscountRepository(database).upsert_many(
            [
                parse_rule(
                    {"name": "Pound off", "kind": "basket_amount_off", "amount": "1.00",
                     "coupon": True}
                )
            ]
        )  # fmt: skip
        codes = [make_code("001", f"{n:07d}") for n in range(1, ROUNDS + 1)]
        issued = iter(codes)
        CouponRepository(database).issue(
            Issue("Pound off", ROUNDS, 1, None, SystemClock().now(), None), lambda: next(issued)
        )
    finally:
        database.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    out = context.Queue()
    processes = [
        context.Process(target=till, args=(db, name, codes, barrier, out))
        for name in ("Till A", "Till B")
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in range(2 * ROUNDS)]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    for code in codes:
        outcomes = sorted((r[2], r[3]) for r in results if r[1] == code)
        # one till had the coupon (1.20 - 1.00), the other paid the pen in full
        assert outcomes == [("lost", 120), ("won", 20)], (code, outcomes)
    database = open_database(db)
    try:
        repo = CouponRepository(database)
        for code in codes:
            coupon = repo.get(code)
            assert coupon is not None
            assert coupon.uses_left == 0
            assert len(repo.used_in(code)) == 1
    finally:
        database.close()

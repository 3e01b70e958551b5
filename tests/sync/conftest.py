"""A store on the test's PostgreSQL (skipped without one: POS_TEST_PG_URL)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pos.domain.clock import FixedClock
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.store import init_database
from tests.conftest import FAST_HASHER


@pytest.fixture
def store(pg_server: Callable[[], str], clock: FixedClock) -> str:
    url = pg_server()
    init_database(
        url,
        demo_catalog=DEMO_CATALOG,
        demo_discounts=DEMO_DISCOUNTS,
        demo_operators=True,
        hasher=FAST_HASHER,
        clock=clock,
    )
    return url

"""A store's tills for the sync tests: each a till file of the test store, with its
sync worker (run a round with ``sync.run_once()``) and its services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pos.auth.keys import key_file_for
from pos.db.sync.enrol import make_till_file
from pos.domain.clock import FixedClock, SequentialIds
from pos.services.container import Services, build_services
from pos.services.sync import StoreSync
from tests.conftest import FAST_HASHER


@pytest.fixture
def till(
    store: str, tmp_path: Path, clock: FixedClock
) -> Iterator[Callable[[str], tuple[Services, StoreSync]]]:
    made: list[tuple[Services, StoreSync]] = []

    def make(name: str) -> tuple[Services, StoreSync]:
        path = tmp_path / f"{name}.sqlite"
        make_till_file(path, store, name, key_file_for(store))
        sync = StoreSync(path, store, name, clock, poll_seconds=0)
        sync.run_once()
        ids = SequentialIds()
        ids._n = 1_000 * len(made)
        services = build_services(path, clock=clock, ids=ids, hasher=FAST_HASHER, till_name=name)
        services.attach_sync(sync)  # as pos.factory links them (the worker is not started)
        made.append((services, sync))
        return services, sync

    yield make
    for services, sync in made:
        sync.stop()
        services.close()

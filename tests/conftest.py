"""Shared fixtures: a fresh demo database per test, a fixed clock and fixed ids."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Input

from pos.auth.pins import fast_test_hasher
from pos.domain.clock import FixedClock, SequentialIds
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.store import init_database

FIXED_NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's own database and theme out of the tests."""
    monkeypatch.delenv("POS_DB", raising=False)
    monkeypatch.delenv("POS_TILL", raising=False)
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")  # times on screen are local: make local UTC
    time.tzset()
    # An Input's cursor blinks on a half-second timer: on a loaded machine a test can take
    # longer than that between a focus and its snapshot, which then shows the cursor off.
    # The cursor stays on in tests, as every other timer-driven thing on screen does.
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


FAST_HASHER = fast_test_hasher()
"""OWASP-minimum Argon2id: the production parameters make every login test slow."""

MANAGER = ("9001", "7391")
CASHIER = ("1001", "2580")


@pytest.fixture
def empty_db(tmp_path: Path) -> Path:
    """A new database with the current schema and nothing in it."""
    path = tmp_path / "empty.sqlite"
    init_database(path)
    return path


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    """A new database with the demo catalog and the demo operators."""
    path = tmp_path / "demo.sqlite"
    init_database(path, demo_catalog=DEMO_CATALOG, demo_operators=True, hasher=FAST_HASHER)
    return path


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    """The full demo shop: the catalog, the demo discount rules and operators."""
    path = tmp_path / "shop.sqlite"
    init_database(
        path,
        demo_catalog=DEMO_CATALOG,
        demo_discounts=DEMO_DISCOUNTS,
        demo_operators=True,
        hasher=FAST_HASHER,
    )
    return path


@pytest.fixture
def app_factory(demo_db: Path, clock: FixedClock) -> Iterator[Callable[..., object]]:
    """Build the till exactly as the CLI does, with a fixed clock and ids, logged in
    (as the demo manager unless told otherwise; ``login=None`` starts at the login)."""
    from pos.factory import make_app

    built = []

    def factory(
        db: Path | None = None,
        login: tuple[str, str] | None = MANAGER,
        **options: object,
    ) -> object:
        app = make_app(
            db or demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER, **options
        )
        if login is not None:
            app.services.sessions.login(*login)
        built.append(app)
        return app

    yield factory
    for app in built:
        app.services.close()  # type: ignore[attr-defined]

"""Shared fixtures: a fresh demo database per test, a fixed clock and fixed ids.

Tests marked ``backends`` (a module's ``pytestmark``, or one test) run twice: on a
SQLite file and on PostgreSQL. The PostgreSQL run needs a server: ``POS_TEST_PG_URL``
(``.ci/run`` starts a throwaway one; docs/architecture.md says how to by hand). Without it those
runs are skipped, saying so. Each PostgreSQL test gets a schema of its own in that
database, dropped afterwards. ``sqlite_only`` on a test of such a module keeps it to
SQLite (it is about the file itself: damaged, read-only, locked).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

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
    monkeypatch.delenv("POS_KEYS", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))  # server key files
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


PG_ENV = "POS_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "backends: run on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file; not on a server")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    terminalreporter.write_line(_backends_line())


def _backends_line() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        return (
            f"PostgreSQL: none ({PG_ENV} is not set): the PostgreSQL half of the database "
            "tests is skipped (make test-pg runs it with a throwaway server)"
        )
    from pos.config import describe

    return f"PostgreSQL: {describe(url)} (the database tests run on SQLite and on it)"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker("backends") is not None
    only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    if marked and not only and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test's databases are made on (SQLite unless the test is
    marked ``backends``, which runs it on each)."""
    return getattr(request, "param", "sqlite")


def _with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return parts._replace(query=urlencode(query)).geturl()


@pytest.fixture
def pg_server() -> Iterator[Callable[[], str]]:
    """Makes URLs of new, empty PostgreSQL schemas (each a blank "database" for the
    till), dropped after the test; skips the test when no server is configured."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"no PostgreSQL server: set {PG_ENV} (see docs/architecture.md)")
    import psycopg

    made: list[str] = []

    def new_schema() -> str:
        schema = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        made.append(schema)
        return _with_schema(base, schema)

    yield new_schema
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        for schema in made:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def new_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Where to make a new database called ``name``: a SQLite file in the test's folder,
    or (on PostgreSQL) the URL of a new, empty schema. Typed as a Path for the tests'
    sake; on PostgreSQL it is the URL text, which every ``--db`` and ``open_database``
    take."""

    if backend == "sqlite":
        return lambda name: tmp_path / f"{name}.sqlite"
    server = request.getfixturevalue("pg_server")
    return lambda name: server()  # type: ignore[return-value]


@pytest.fixture
def empty_db(new_db: Callable[[str], Path]) -> Path:
    """A new database with the current schema and nothing in it."""
    path = new_db("empty")
    init_database(path)
    return path


@pytest.fixture
def demo_db(new_db: Callable[[str], Path]) -> Path:
    """A new database with the demo catalog and the demo operators."""
    path = new_db("demo")
    init_database(
        path,
        demo_catalog=DEMO_CATALOG,
        demo_operators=True,
        hasher=FAST_HASHER,
        clock=FixedClock(FIXED_NOW),
    )
    return path


@pytest.fixture
def shop_db(new_db: Callable[[str], Path]) -> Path:
    """The full demo shop: the catalog, the demo discount rules and operators."""
    path = new_db("shop")
    init_database(
        path,
        demo_catalog=DEMO_CATALOG,
        demo_discounts=DEMO_DISCOUNTS,
        demo_operators=True,
        hasher=FAST_HASHER,
        clock=FixedClock(FIXED_NOW),
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
    for app in built:
        # the till carries on after an unexpected error (it logs it and locks): a test
        # that meets one fails, unless it expected it and cleared the list
        assert not getattr(app, "recovered", []), app.recovered  # type: ignore[attr-defined]


def reseal_operator(db_path: Path, number: str) -> None:
    """Seal an operator row a test has set up with SQL (as the till would have written
    it: an older hash, a state from before), so its change does not count as tampering."""
    from pos.auth.keys import key_file_for, load_seal_key
    from pos.db.database import open_database
    from pos.db.operator_seals import reseal

    database = open_database(db_path)
    try:
        with database.atomic():
            reseal(load_seal_key(key_file_for(db_path)), number, before=None, repair=True)
    finally:
        database.close()


def shell_admin(services: Any, who: str = MANAGER[0]) -> Any:
    """The till's operator admin as ``pos operators ...`` runs it at a shell beside the
    till (the OS account, no operator login): a change made elsewhere meanwhile."""
    import copy

    from pos.services.guarded import ShellAuthority

    admin = copy.copy(services.operators)
    admin.authority = ShellAuthority(who)
    return admin


@pytest.fixture
def store(pg_server: Callable[[], str], clock: FixedClock) -> str:
    """A store's server (issue 19): a new schema with the demo shop, whose tills sell from
    their own files; skipped without a PostgreSQL server."""
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

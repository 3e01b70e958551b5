"""Shared fixtures: a fresh demo database per test, a fixed clock and fixed ids.

A test's database (``empty_db``, ``demo_db``, ``shop_db``) is a copy of a template made
once per test process: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on
PostgreSQL, each with its key files. Building one (migrations, catalog, Argon2 hashes)
costs a second or more; a copy takes milliseconds on SQLite, and on a server a third of the
time of building one.

Tests marked ``backends`` (a module's ``pytestmark``, or one test) run twice: on a
SQLite file and on PostgreSQL. The PostgreSQL run needs a server: ``POS_TEST_PG_URL``
(``.ci/run`` starts a throwaway one; docs/architecture.md says how to by hand). Without it those
runs are skipped, saying so. Each PostgreSQL test gets a database (a template's copy) or
a blank schema (``pg_server``) of its own on that server, dropped afterwards.
``sqlite_only`` on a test of such a module keeps it to SQLite (it is about the file
itself: damaged, read-only, locked).
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import textual._wait as textual_wait
from textual.widgets import Input

from pos.auth.pins import fast_test_hasher
from pos.domain.clock import FixedClock, SequentialIds
from pos.paths import DEMO_CATALOG, DEMO_DISCOUNTS
from pos.services.store_setup import init_database

FIXED_NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)


# Textual's Pilot waits for the app to go idle after every key it presses and in every
# pause: it sleeps 20 ms at a time until a sleep passes with (almost) no CPU used. That
# sleep, not the till's work, was half of the Pilot tests' time (each key at least
# 40 ms). A 5 ms step waits for the same thing, idle, in smaller steps; the tests that
# need a state wait for it with ``until`` (tests/ui/helpers.py), never for a time.
assert hasattr(textual_wait, "SLEEP_GRANULARITY")
assert hasattr(textual_wait, "SLEEP_IDLE")
textual_wait.SLEEP_GRANULARITY = 1 / 200
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20


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


@pytest.fixture(autouse=True)
def _no_full_collections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The till's full garbage collection between customers (``pos.app.collect_garbage``)
    walks every object of the process: in a test worker, with every test module and
    Textual loaded, 80 ms each time, 9% of a Pilot test file's CPU. Nothing a test checks
    depends on it; ``test_garbage_is_collected_between_customers_not_during_a_scan`` runs
    the real one."""
    monkeypatch.setattr("pos.app.collect_garbage", lambda: None)


@pytest.fixture
def paint_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app paints once, as the test leaves ``run_test`` (:mod:`tests.painting`): for
    a test of what the till does, not of what it draws (every test of tests/ui)."""
    from tests.painting import paint_at_the_end

    paint_at_the_end(monkeypatch)


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


TEMPLATES: dict[str, dict[str, Any]] = {
    "empty": {},
    "demo": {"demo_catalog": DEMO_CATALOG, "demo_operators": True},
    "shop": {
        "demo_catalog": DEMO_CATALOG,
        "demo_discounts": DEMO_DISCOUNTS,
        "demo_operators": True,
    },
}
"""What each kind of test database holds (the arguments of ``init_database`` besides the
hasher and the clock, which are always the tests' own)."""

DATABASE_FILES = ("", ".keys", ".keys.anchor")
"""A SQLite database as ``init_database`` leaves it: the file, its key file beside it and
the key file's audit anchor (no WAL: the new file is checkpointed before it is swapped in)."""


def _init(path: Path | str, kind: str) -> None:
    options = TEMPLATES[kind]
    if options:
        options = {**options, "hasher": FAST_HASHER, "clock": FixedClock(FIXED_NOW)}
    init_database(path, **options)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The SQLite database of each kind, made once per test process (each xdist worker)
    the first time a test asks for it: making one (the migrations, the demo catalog, the
    operators' Argon2 hashes) takes a second, copying it a millisecond."""
    made: dict[str, Path] = {}

    def template(kind: str) -> Path:
        if kind not in made:
            path = tmp_path_factory.mktemp(f"template-{kind}") / f"{kind}.sqlite"
            _init(path, kind)
            made[kind] = path
        return made[kind]

    return template


def copy_database(source: Path, target: Path) -> Path:
    """A copy of the SQLite database at ``source`` (closed, checkpointed) and its key
    files at ``target``, each with its mode, as if ``init_database`` had made it there."""
    for suffix in DATABASE_FILES:
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copy(part, f"{target}{suffix}")
    return target


def _database_url(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Any]]:
    """The PostgreSQL database of each kind, made once per test process (each xdist
    worker) on the test server the first time a test asks for it, with its key file; the
    tests get ``CREATE DATABASE ... TEMPLATE`` copies of it (a third of the time of
    making one, mostly the server's own). Dropped at the end."""
    import psycopg

    base = os.environ[PG_ENV]
    folder = tmp_path_factory.mktemp("pg-templates")
    made: dict[str, tuple[str, Path]] = {}

    def template(kind: str) -> tuple[str, Path]:
        if kind not in made:
            name = f"pos_template_{kind}_{secrets.token_hex(4)}"
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            keys = folder / f"{name}.keys"
            with pytest.MonkeyPatch.context() as env:
                env.setenv("POS_KEYS", str(keys))  # where a server database's key file is
                _init(_database_url(base, name), kind)
            made[kind] = (name, keys)
        return made[kind]

    yield template
    with psycopg.connect(base, autocommit=True) as conn:
        for name, _ in made.values():
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_copies(pg_template: Callable[[str], Any]) -> Iterator[Callable[[str], str]]:
    """Makes the URL of a new copy of the template database of a kind, with its key file
    where the till looks for it (in this test's config folder), as if ``init_database``
    had made it there; dropped after the test."""
    import psycopg

    from pos.auth.keys import key_file_for

    base = os.environ[PG_ENV]
    made: list[str] = []

    def copy(kind: str) -> str:
        template, keys = pg_template(kind)
        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        made.append(name)
        url = _database_url(base, name)
        target = key_file_for(url)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        copy_key_files(keys, target)
        return url

    yield copy
    with psycopg.connect(base, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_key_files(source: Path, target: Path) -> None:
    """A key file and its audit anchor, each with its mode."""
    for suffix in ("", ".anchor"):
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copy(part, f"{target}{suffix}")


def _database(kind: str, backend: str, new_db: Callable[[str], Path], request: Any) -> Path:
    """A new database of ``kind``, copied from the template of its backend."""
    if backend == "sqlite":
        return copy_database(request.getfixturevalue("sqlite_template")(kind), new_db(kind))
    request.getfixturevalue("pg_server")  # skips the test when there is no server
    return request.getfixturevalue("pg_copies")(kind)  # type: ignore[no-any-return]


@pytest.fixture
def empty_db(backend: str, new_db: Callable[[str], Path], request: pytest.FixtureRequest) -> Path:
    """A new database with the current schema and nothing in it."""
    return _database("empty", backend, new_db, request)


@pytest.fixture
def demo_db(backend: str, new_db: Callable[[str], Path], request: pytest.FixtureRequest) -> Path:
    """A new database with the demo catalog and the demo operators."""
    return _database("demo", backend, new_db, request)


@pytest.fixture
def shop_db(backend: str, new_db: Callable[[str], Path], request: pytest.FixtureRequest) -> Path:
    """The full demo shop: the catalog, the demo discount rules and operators."""
    return _database("shop", backend, new_db, request)


@pytest.fixture
def services(demo_db: Path, clock: FixedClock) -> Iterator[Any]:
    """The till's services on the demo database, built as the till builds them (a fixed
    clock and ids, the fast hasher), nobody logged in. A module that wants someone logged
    in overrides it with a fixture of the same name that takes this one and logs in."""
    from pos.services.container import build_services

    built = build_services(demo_db, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    yield built
    built.close()


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

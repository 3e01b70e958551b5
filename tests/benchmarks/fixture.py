"""The benchmark database: N products, R rules of every kind, demo operators.

``build_database`` is the one function to swap for
``pos.services.demo_data.generate_demo_data`` once that exists. Everything goes
through the real services: the catalog CSV through ``CatalogService.import_csv``
(full validation), the rules through ``DiscountService.import_json``.

The built database is cached under the temp dir, keyed by the sizes, so one
``make bench`` builds it once; each benchmark works on a copy of it.

With ``BENCH_DB`` set to a PostgreSQL server's URL, the same happens on that server: the
cached database is a database named after the version and the sizes (kept between runs),
and each working copy is a ``CREATE DATABASE ... TEMPLATE`` of it (a file copy), dropped
after the benchmark. Its key file, as for a file, is copied beside the copy's URL.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from stdnum import ean

from pos.auth.keys import key_file_for
from pos.auth.pins import fast_test_hasher
from pos.config import DbTarget, is_server
from pos.db.database import flush_to_main_file, open_database
from pos.db.migrations import SCHEMA_VERSION
from pos.db.repositories import DiscountRepository, ProductRepository
from pos.services.catalog import CatalogService
from pos.services.discounts import DiscountService
from pos.services.store_setup import init_database

FAST_HASHER = fast_test_hasher()
MANAGER = ("9001", "7391")
CACHE = Path(tempfile.gettempdir()) / "pos-bench-cache"
SERVER_ENV = "BENCH_DB"
"""A PostgreSQL URL: the benchmarks run on that server instead of a SQLite file."""
PG_PREFIX = "pos_bench"
"""The start of every database name the benchmarks make on a server."""
VERSION = 7
"""Bump when the generated data change: the cache is keyed by it, the schema's version
(:data:`SCHEMA_VERSION`: a cached database of an older schema would be migrated inside a
measurement, or refused by a store's till) and the sizes."""
CART_PRODUCTS = 1_000
"""Rules are written over the first products of :func:`cart_barcode`'s sequence."""

_WORDS = [
    "Apple",
    "Banana",
    "Bread",
    "Butter",
    "Cheese",
    "Chicken",
    "Coffee",
    "Cola",
    "Cream",
    "Crisps",
    "Eggs",
    "Flour",
    "Honey",
    "Jam",
    "Juice",
    "Lemon",
    "Milk",
    "Oats",
    "Olive",
    "Onion",
    "Orange",
    "Pasta",
    "Pepper",
    "Potato",
    "Rice",
    "Salmon",
    "Salt",
    "Soap",
    "Soup",
    "Sugar",
    "Tea",
    "Tomato",
    "Tuna",
    "Water",
    "Wine",
    "Yogurt",
]
_SIZES = ("100g", "250g", "500g", "1kg", "330ml", "500ml", "1l", "2l", "6 pack", "12 pack")


def barcode(i: int) -> str:
    """The EAN-13 of product ``i`` (prefix 5: never an in-store 2... code)."""
    body = f"5{i:011d}"
    return body + ean.calc_check_digit(body)


def cart_index(k: int, products: int) -> int:
    """The catalog index of the ``k``-th distinct product a benchmark cart scans: spread
    over the whole catalog, so scans hit every part of the barcode index."""
    stride = max(2, products // CART_PRODUCTS)  # even at 2: a weighed one moves up by one
    index = (k * stride) % products
    return index + 1 if is_weighed(index) else index


def cart_barcode(k: int, products: int) -> str:
    return barcode(cart_index(k, products))


def is_weighed(i: int) -> bool:
    return i % 100 == 99


def write_catalog_csv(path: Path, products: int, seed: int = 0) -> None:
    """``products`` valid rows: EAN-13 barcodes, names, prices, VAT rates, 1% sold by kg."""
    rng = random.Random(seed)
    rates = ("0", "5", "20", "20")
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("barcode,name,price,tax_rate,unit\n")
        rows = []
        for i in range(products):
            name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS).lower()} {rng.choice(_SIZES)} {i}"
            pence = rng.randint(10, 9_999)
            unit = "kg" if is_weighed(i) else "each"
            rows.append(
                f"{barcode(i)},{name},{pence // 100}.{pence % 100:02d},{rng.choice(rates)},{unit}\n"
            )
            if len(rows) == 10_000:
                out.writelines(rows)
                rows = []
        out.writelines(rows)


def rules_json(rules: int, products: int) -> dict[str, object]:
    """``rules`` rules of every kind over the products benchmark carts scan: fixed sets,
    free items, mix and match, percent and amount off, groups, exclusive rules, basket
    thresholds, time windows and inactive ones. Item rules overlap in small components
    (two rules share a block of four products; a group links two blocks), as a
    supermarket's promotions do, not in one component spanning the store."""
    pool = min(CART_PRODUCTS, products)
    out: list[dict[str, object]] = []

    def code(k: int) -> str:
        return cart_barcode(k % pool, products)

    for j in range(rules):
        base = (j // 2) * 4 % pool  # rules 2m and 2m+1 share the four products of block m
        kind = j % 10
        rule: dict[str, object]
        if kind == 0:
            rule = {"kind": "multibuy", "items": {code(base): 2}, "price": "1.00"}
        elif kind == 1:
            rule = {"kind": "free_items", "items": {code(base): 3}, "free": 1}
        elif kind == 2:
            rule = {
                "kind": "multibuy",
                "any_of": [code(base), code(base + 1), code(base + 2), code(base + 3)],
                "count": 3,
                "price": "3.50",
            }
        elif kind == 3:
            rule = {"kind": "percent_off", "items": {code(base): 1}, "percent": "10"}
        elif kind == 4:
            rule = {"kind": "amount_off", "items": {code(base): 1, code(base + 1): 1}}
            rule["amount"] = "0.20"
        elif kind == 5:
            rule = {"kind": "percent_off", "items": {code(base): 1}, "percent": "15"}
            rule["group"] = f"group {j // 20}"
        elif kind == 6:
            rule = {"kind": "amount_off", "items": {code(base + 1): 1}, "amount": "0.10"}
            rule["weekdays"] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            rule["hours"] = "00:00-23:59"
        elif kind == 7:
            rule = {"kind": "percent_off", "items": {code(base): 2}, "percent": "5"}
            rule["starts_at"] = "2020-01-01T00:00:00"
            rule["ends_at"] = "2021-01-01T00:00:00"  # over long ago: never on
        elif kind == 8:
            rule = {"kind": "multibuy", "items": {code(base): 1, code(base + 3): 1}}
            rule["price"] = "2.00"
            rule["active"] = j % 20 != 8
        elif j % 50 == 9:
            rule = {"kind": "basket_amount_off", "min_subtotal": "50.00", "amount": "5.00"}
            rule["group"] = "spend and save"
        elif j % 50 == 19:
            rule = {"kind": "basket_percent_off", "min_subtotal": "100.00", "percent": "10"}
            rule["group"] = "spend and save"
        elif j % 50 == 29:
            # exclusive, but only on a spend no benchmark cart reaches
            rule = {"kind": "basket_percent_off", "min_subtotal": "99999.00", "percent": "20"}
            rule.update(exclusive=True, priority=100)
        elif j % 50 == 39:
            rule = {"kind": "percent_off", "items": {code(base): 3}, "percent": "30"}
            rule.update(exclusive=True, priority=50)
        else:
            rule = {"kind": "multibuy", "items": {code(base + 1): 3}, "price": "2.50"}
            rule["priority"] = j % 7
        rule["name"] = f"Rule {j:04d} {rule['kind']}"
        out.append(rule)
    return {"discounts": out}


@dataclass(frozen=True, slots=True)
class Built:
    path: DbTarget
    import_seconds: float


def catalog_csv(products: int) -> Path:
    """The benchmark catalog file (an input: kept between runs, regenerated if missing)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"catalog-{products}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_catalog_csv(partial, products)
        partial.replace(path)
    return path


def build_database(path: DbTarget, products: int, rules: int) -> Built:
    """A till database at ``path`` (a file, or an empty server database) with the demo
    operators, ``products`` products and ``rules`` rules, all through the real import
    services."""
    init_database(path, demo_operators=True, hasher=FAST_HASHER)
    csv_path = catalog_csv(products)
    rules_path = CACHE / f"rules-{products}p-{rules}r-{os.getpid()}.json"
    rules_path.write_text(json.dumps(rules_json(rules, products)), encoding="utf-8")
    db = open_database(path)
    try:
        started = time.perf_counter()
        report = CatalogService(ProductRepository(db)).import_csv(csv_path)
        seconds = time.perf_counter() - started
        assert report.ok, report.errors[:3]
        assert report.total == products
        if rules:
            imported = DiscountService(DiscountRepository(db), ProductRepository(db)).import_json(
                rules_path
            )
            assert imported.ok, imported.errors
        flush_to_main_file(db)
    finally:
        db.close()
    rules_path.unlink()
    return Built(path, seconds)


def server() -> str | None:
    """The PostgreSQL server the benchmarks run on (``$BENCH_DB``), or None: SQLite."""
    url = os.environ.get(SERVER_ENV) or None
    if url is not None and not is_server(url):
        raise ValueError(f"{SERVER_ENV} must be a postgresql:// URL, not {url!r}")
    return url


def db_kind() -> str:
    """``"postgresql"`` or ``"sqlite"``: what every figure's ``db`` says."""
    return "postgresql" if server() else "sqlite"


def database_url(url: str, name: str) -> str:
    """``url`` with its database changed to ``name``."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url, autocommit=True)


def _exists(url: str, name: str) -> bool:
    with _admin(url) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


def drop_server_database(url: str, name: str) -> None:
    """Drop database ``name`` (closing whatever is still connected to it) and its key file."""
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    key_file_for(database_url(url, name)).unlink(missing_ok=True)


def create_server_database(url: str, name: str, template: str | None = None) -> str:
    """A new database ``name`` on ``url``'s server (a file copy of ``template`` if given);
    returns its URL."""
    drop_server_database(url, name)
    with _admin(url) as conn:
        if template is None:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    return database_url(url, name)


def scratch_name(what: str) -> str:
    return f"{PG_PREFIX}_{what}_{os.getpid()}_{secrets.token_hex(3)}"


def cached_name(products: int, rules: int) -> str:
    return f"{PG_PREFIX}_v{VERSION}s{SCHEMA_VERSION}_{products}p_{rules}r"


def _cached_on_server(url: str, products: int, rules: int) -> str:
    """The server database for these sizes, built once per server (and key file): built
    under another name and renamed when complete, so one that exists is whole."""
    name = cached_name(products, rules)
    target = database_url(url, name)
    if _exists(url, name) and key_file_for(target).exists():
        return target
    building = f"{PG_PREFIX}_building_{products}p_{rules}r"
    build_database(create_server_database(url, building), products, rules)
    # what autovacuum does soon after an import on a real server, done now so that it
    # never lands inside a measurement and every copy starts with the planner's statistics
    with psycopg.connect(database_url(url, building), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    drop_server_database(url, name)
    key_file_for(target).parent.mkdir(parents=True, exist_ok=True)
    shutil.move(key_file_for(database_url(url, building)), key_file_for(target))
    with _admin(url) as conn:
        conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return target


def cached_database(products: int, rules: int) -> DbTarget:
    """The database for these sizes, built once per cache (on ``$BENCH_DB`` if set)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    url = server()
    if url is not None:
        return _cached_on_server(url, products, rules)
    path = CACHE / f"shop-v{VERSION}s{SCHEMA_VERSION}-{products}p-{rules}r.sqlite"
    if not path.exists() or not key_file_for(path).exists():
        building = CACHE / f"building-{products}p-{rules}r.sqlite"
        _remove(building)
        build_database(building, products, rules)
        _remove(path)
        shutil.move(key_file_for(building), key_file_for(path))
        building.replace(path)
    return path


@contextlib.contextmanager
def working_copy(products: int, rules: int, folder: Path) -> Iterator[DbTarget]:
    """A fresh copy of the cached database (and its key file) for one benchmark, so
    carts and sales of one benchmark never leak into the next: a file in ``folder``, or
    on a server a database made from the cached one as a template, dropped after."""
    source = cached_database(products, rules)
    url = server()
    if url is not None:
        name = scratch_name("work")
        target: DbTarget = create_server_database(
            url, name, template=urlsplit(str(source)).path[1:]
        )
        try:
            _copy_key(source, target)
            yield target
        finally:
            drop_server_database(url, name)
        return
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(source).name
    _remove(target)
    shutil.copyfile(source, target)
    _copy_key(source, target)
    yield target


@contextlib.contextmanager
def empty_database(folder: Path, name: str, **init: object) -> Iterator[DbTarget]:
    """A new database made by ``init_database(**init)``: a file in ``folder``, or a new
    database on ``$BENCH_DB``'s server, dropped after."""
    url = server()
    if url is None:
        path = folder / f"{name}.sqlite"
        init_database(path, **init)  # type: ignore[arg-type]
        yield path
        return
    db_name = scratch_name(name)
    try:
        target = create_server_database(url, db_name)
        init_database(target, **init)  # type: ignore[arg-type]
        yield target
    finally:
        drop_server_database(url, db_name)


def _copy_key(source: DbTarget, target: DbTarget) -> None:
    if key_file_for(target) == key_file_for(source):
        return  # $POS_KEYS: one key file for every server database
    key_file_for(target).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(key_file_for(source), key_file_for(target))
    key_file_for(target).chmod(0o600)  # the till refuses a key file others can read


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    key_file_for(path).unlink(missing_ok=True)

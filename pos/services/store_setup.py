"""Setting up a database (``pos init``): a SQLite file or a store's PostgreSQL schema, with
the current schema, the key files and, for the demo, its catalog, rules and operators."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pos.auth.anchor import anchor_file_for
from pos.auth.keys import key_file_for, load_audit_key, load_peppers, load_seal_key, rotate
from pos.auth.pins import PinHasher
from pos.auth.service import OperatorRecord
from pos.config import DbTarget, is_server
from pos.db.auth_repositories import AuditRepository, OperatorRepository
from pos.db.database import (
    Database,
    check_server_driver,
    flush_to_main_file,
    init_server,
    open_database,
    probe,
    remove_database_files,
)
from pos.db.errors import DatabaseOpenError
from pos.db.repositories import DiscountRepository, ProductRepository, SettingsRepository
from pos.domain.clock import Clock, SystemClock
from pos.services.catalog import CatalogService, ImportReport
from pos.services.discounts import DiscountService, RulesReport
from pos.services.store import DEMO_MARK, DEMO_OPERATORS, StoreSettings


def _is_blank(path: Path) -> bool:
    """A new, never-used file (empty, or SQLite with nothing in it): safe to initialise."""
    try:
        return probe(path).is_blank
    except DatabaseOpenError:
        return False


@dataclass(frozen=True, slots=True)
class InitReport:
    path: DbTarget
    demo: ImportReport | None
    rules: RulesReport | None = None


def init_database(
    path: DbTarget,
    *,
    demo_catalog: Path | None = None,
    demo_discounts: Path | None = None,
    demo_operators: bool = False,
    force: bool = False,
    hasher: PinHasher | None = None,
    fill: Callable[[Database], None] | None = None,
    clock: Clock | None = None,
) -> InitReport:
    """Create a database with the current schema, optionally with the demo catalog and rules.

    ``fill`` runs last on the new database before it is swapped in (``pos demo-data``
    adds its generated data there); if it fails, nothing is swapped in. ``clock`` times
    the demo operators' audit entries (the system clock unless given).

    Raises:
        DatabaseOpenError: the file exists and is not empty (without ``force``), or the
            demo data could not be loaded (the new file is removed again).
    """
    if is_server(path):
        return _init_server(
            str(path),
            demo_catalog=demo_catalog,
            demo_discounts=demo_discounts,
            demo_operators=demo_operators,
            force=force,
            hasher=hasher,
            fill=fill,
            clock=clock,
        )
    path = Path(path)
    if path.exists() and not force and not _is_blank(path):
        raise DatabaseOpenError(
            f"{path} already exists and is not empty; use --force to replace it"
        )
    if not path.parent.is_dir():
        raise DatabaseOpenError(f"Cannot create {path}: the folder {path.parent} does not exist")
    # Build the new database beside the old one and swap it in only when it is complete,
    # so a failure (bad demo data, a full disk) leaves whatever was there untouched.
    building = path.with_name(f".{path.name}.new")
    remove_database_files(building)
    # a fresh signing key first (tokens for a replaced database die, even if this fails),
    # so the demo operators' audit entries are chained with the key file's audit key
    keys = key_file_for(path)
    rotate(keys, datetime.now(UTC))
    # a new database starts a new audit chain: the old one's anchor goes (should this
    # fail, the old database has none until its next entry: verify says so)
    anchor_file_for(keys).unlink(missing_ok=True)
    db = open_database(building, create=True)
    try:
        report, rules = _fill(
            db, demo_catalog, demo_discounts, demo_operators, hasher, fill, keys, clock
        )
        flush_to_main_file(db)
    except BaseException:
        db.close()
        remove_database_files(building)
        raise
    db.close()
    remove_database_files(path)
    building.replace(path)
    Path(f"{building}-wal").unlink(missing_ok=True)
    Path(f"{building}-shm").unlink(missing_ok=True)
    return InitReport(path, report, rules)


def _init_server(
    url: str,
    *,
    demo_catalog: Path | None,
    demo_discounts: Path | None,
    demo_operators: bool,
    force: bool,
    hasher: PinHasher | None,
    fill: Callable[[Database], None] | None,
    clock: Clock | None,
) -> InitReport:
    """``pos init`` on a server database: the tables are made in place (a server database
    cannot be swapped in like a file), in one transaction with their demo data, so a
    failure leaves what was there before."""
    check_server_driver()  # before the key file below is rotated for nothing
    filled: list[tuple[ImportReport | None, RulesReport | None]] = []
    keys = key_file_for(url)
    rotate(keys, datetime.now(UTC))  # a fresh key first: tokens for the old data die
    anchor_file_for(keys).unlink(missing_ok=True)  # and a new audit chain

    def fill_in(db: Database) -> None:
        filled.append(
            _fill(db, demo_catalog, demo_discounts, demo_operators, hasher, fill, keys, clock)
        )

    init_server(url, force=force, fill=fill_in).close()
    report, rules = filled[0]
    return InitReport(url, report, rules)


def _fill(
    db: Database,
    demo_catalog: Path | None,
    demo_discounts: Path | None,
    demo_operators: bool,
    hasher: PinHasher | None,
    fill: Callable[[Database], None] | None,
    keys: Path,
    clock: Clock | None = None,
) -> tuple[ImportReport | None, RulesReport | None]:
    """Put the demo data (and ``fill``'s) into a new database. The demo operators are
    audited as any other operator added (``operator_added``), chained with the audit key
    of ``keys``."""
    report = None
    rules = None
    if demo_catalog is not None or demo_discounts is not None or demo_operators:
        SettingsRepository(db).set(DEMO_MARK, "yes")  # DEMO on every screen and receipt
    if demo_catalog is not None:
        report = CatalogService(ProductRepository(db)).import_csv(demo_catalog)
        if not report.ok:
            raise DatabaseOpenError(
                "the demo catalog is invalid: " + "; ".join(map(str, report.errors[:3]))
            )
    if demo_discounts is not None:
        service = DiscountService(DiscountRepository(db), ProductRepository(db))
        rules = service.import_json(demo_discounts)
        if not rules.ok:
            raise DatabaseOpenError("the demo discounts are invalid: " + rules.errors[0])
    if demo_operators:
        repo = OperatorRepository(db, load_seal_key(keys))
        pins = (hasher or PinHasher()).with_peppers(load_peppers(keys))
        till = StoreSettings.load(SettingsRepository(db)).till_name
        audit = AuditRepository(
            db,
            clock or SystemClock(),
            f"{till} (pos init)",
            load_audit_key(keys),
            anchor=anchor_file_for(keys),
        )
        for number, name, role, pin in DEMO_OPERATORS:
            # the printed demo PINs are common ones on purpose: a demo database only
            digest = pins.hash(pin, allow_common=True)
            repo.add(OperatorRecord(number, name, role, True, digest))
            audit.append("operator_added", None, {"number": number, "role": role, "demo": True})
    if fill is not None:
        fill(db)
    return report, rules

"""Everything the app needs, built once from a database path."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pos.auth.anchor import anchor_file_for
from pos.auth.audit import AuditEntry
from pos.auth.guard import Guard
from pos.auth.keys import (
    KeyFileError,
    create_key_file,
    key_file_for,
    load_audit_key,
    load_keyring,
    load_peppers,
    load_seal_key,
)
from pos.auth.pins import PinHasher
from pos.auth.service import Authenticator
from pos.auth.tokens import TokenCodec
from pos.config import DbTarget, describe, is_server
from pos.db.auth_repositories import (
    AuditRepository,
    OperatorRepository,
    TokenStateRepository,
    search_audit,
)
from pos.db.carts import CartRepository
from pos.db.cash import CashMovementRepository
from pos.db.database import (
    Database,
    TillLock,
    check_writable,
    open_database,
    till_lock,
)
from pos.db.days import DayRepository
from pos.db.errors import DatabaseOpenError, StorageError, is_sqlite
from pos.db.integrity import IntegrityCheck
from pos.db.product_search import ProductSearch
from pos.db.repositories import (
    DiscountRepository,
    ProductRepository,
    SettingsRepository,
    TillDirectory,
)
from pos.db.returns import ReturnRepository
from pos.db.sales import SaleRepository
from pos.db.vouchers import VoucherRepository
from pos.domain.barcodes import BarcodePattern
from pos.domain.clock import Clock, IdGenerator
from pos.services.approvals import Approvals
from pos.services.cash_office import CashOffice
from pos.services.catalog import CatalogService
from pos.services.checkout import CheckoutService
from pos.services.days import DayService
from pos.services.discount_admin import DiscountAdmin
from pos.services.discounts import DiscountService
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.manual_discounts import ManualDiscounts
from pos.services.operators import OperatorAdmin
from pos.services.other_tills import OtherTillSales
from pos.services.price_check import PriceCheckService
from pos.services.refunds import RefundService
from pos.services.report_prints import ReportPrints
from pos.services.returns import ReturnService
from pos.services.sales import SaleService
from pos.services.search import CatalogSearch
from pos.services.session import SessionService
from pos.services.store import StoreSettings
from pos.services.vouchers import VoucherService

if TYPE_CHECKING:
    from pos.db.server import ServerTillLock
    from pos.services.sync import StoreSync


log = logging.getLogger(__name__)


@dataclass
class Services:
    """The app's collaborators: the screens call these, never the database."""

    db_path: DbTarget
    db: Database
    clock: Clock
    live: LiveSettings
    """The settings in use now: every service reads them from here when it uses them."""
    checkout: CheckoutService
    catalog: CatalogService
    discounts: DiscountService
    auth: Authenticator
    guard: Guard
    operators: OperatorAdmin
    audit: AuditRepository
    approvals: Approvals
    sessions: SessionService
    sales: SaleService
    days: DayService
    refunds: RefundService
    discount_admin: DiscountAdmin
    integrity: IntegrityCheck
    """The check of the database file that must pass before anyone logs in (the login
    screen starts it: the till opens without reading the whole file first)."""
    price_check: PriceCheckService
    search: CatalogSearch
    """Finds products by words of their names, PLU or barcode (cheap per keystroke)."""
    cash: CashOffice
    """The cash office: No sale, paid in and out, cash pickups (issue 21)."""
    reports: ReportPrints
    """The X and Z reports for the printer, and copies of past Z reports."""
    returns: ReturnService
    """Refunds without a receipt (issue 21)."""
    manual_discounts: ManualDiscounts
    """The cashier's "Line discount" and "Sale discount" (issue 21)."""
    lock: TillLock | ServerTillLock | None = None
    sync: StoreSync | None = None
    """The sync worker of a store's till (None for a till of its own); the app starts it."""
    vouchers: VoucherService | None = None
    """Gift vouchers: balance, issuing (issue 22)."""

    def attach_sync(self, sync: StoreSync | None) -> None:
        """Link a store's till to its sync worker: each sale's commit nudges it, so the
        sale goes to the store at once (:meth:`StoreSync.nudge`)."""
        self.sync = sync
        if sync is not None:
            self.sales.committed = sync.nudge
            self.checkout.store = sync.coupon_claims()
            if self.vouchers is not None:  # the store's server holds the vouchers
                self.vouchers.store = sync.server.url

    _keys_seen: tuple[int, float] | None = None

    def reload_keys_if_changed(self) -> None:
        """Pick up ``pos keys rotate`` (and drop retired keys) without a restart: the
        key file is looked at again when it changes, and every ten minutes anyway."""
        path = key_file_for(self.db_path)
        try:
            stamp = (path.stat().st_mtime_ns, time.monotonic() // 600)
        except OSError:
            return  # a missing file is reported at the next start; tokens keep working
        if stamp == self._keys_seen:
            return
        try:
            self.auth.codec.keyring = load_keyring(path, self.clock.now())
            self.auth.hasher.use_peppers(load_peppers(path))  # shared with operators
        except KeyFileError:
            return  # keep the keys we have rather than lock everyone out mid-shift
        self._keys_seen = stamp

    @property
    def settings(self) -> StoreSettings:
        """The settings in use now (:mod:`pos.services.live_settings`)."""
        return self.live.current

    def take_up_settings(self) -> frozenset[str]:
        """Use the settings as the database has them now, if they changed, but only
        between sales: not while the open cart holds an item (a sale is scanned, priced,
        paid and printed under one set of settings; the change waits for the next). The
        app asks every second. Returns the names of the settings that changed."""
        if len(self.checkout.cart) or self.checkout.awaiting_weight:
            return frozenset()
        return self.live.take_up()

    @property
    def is_demo(self) -> bool:
        """A database made with the demo data (``pos init --demo``, the first run's default
        database): every screen's header says ``DEMO`` (:data:`pos.services.store.DEMO_BANNER`)
        and every receipt ``DEMO - NOT A RECEIPT``."""
        return self.settings.demo

    @property
    def authority(self) -> Guard:
        return self.guard

    @guarded("audit")
    def search_audit(self, text: str) -> list[AuditEntry]:
        """The newest audit entries matching ``text`` (for the audit screen; ``audit``)."""
        return search_audit(self.db, text)

    @guarded("audit")
    def store_outbox(self) -> list[tuple[int, str, str, str]]:
        """What this till has not yet sent to its store (for the store link screen;
        ``audit``): empty for a till of its own."""
        return [] if self.sync is None else self.sync.outbox()

    @property
    def other_tills(self) -> OtherTillSales:
        """Another till's sale, copied here from the store's server for a refund."""
        return OtherTillSales(self.settings.till_name, self.sync, authority=self.guard)

    def store_state(self) -> str:
        """The store link's state as the header says it ("" for a till of its own)."""
        return "" if self.sync is None else self.sync.status.text()

    def close(self) -> None:
        if self.sync is not None:
            self.sync.stop()
        self.db.close()
        if self.lock is not None:
            self.lock.release()


def build_services(
    db_path: DbTarget,
    *,
    clock: Clock,
    ids: IdGenerator,
    create: bool = False,
    hasher: PinHasher | None = None,
    till_name: str | None = None,
) -> Services:
    """Open the database and wire the services to it.

    ``till_name`` names this till on the database instead of the ``till_name`` setting
    (several tills on one database each run under their own name: their own open cart,
    receipt numbers, trading day and lock).

    Raises:
        DatabaseOpenError: the database cannot be used (the message says why).
    """
    if not is_server(db_path) and Path(db_path).exists():
        check_writable(Path(db_path))  # before SQLite makes its -wal/-shm files
    # not read through now (a second on a large file): the login screen has it checked
    # in the background, and lets nobody in (nothing is written) until it has passed
    db = open_database(db_path, create=create, check=False)
    integrity = IntegrityCheck(db_path)
    lock = None
    try:
        settings_repo = SettingsRepository(db)
        stamp = settings_repo.stamp()  # before the read: a change made meanwhile is seen
        settings = StoreSettings.load(settings_repo)
        if till_name is not None:
            settings = replace(settings, till_name=till_name)
        live = LiveSettings(settings, settings_repo, stamp)
        lock = till_lock(db_path, settings.till_name)
        lock.acquire()
        products = ProductRepository(db)
        operator_repo = OperatorRepository(db)
        keys = key_file_for(db_path)
        if not keys.exists() and operator_repo.count() == 0:
            create_key_file(keys, clock.now())  # a database set up before operators existed
        keyring = load_keyring(keys, clock.now())
        operator_repo = OperatorRepository(db, load_seal_key(keys))
        audit = AuditRepository(
            db, clock, settings.till_name, load_audit_key(keys), anchor=anchor_file_for(keys)
        )
        # the key file's peppers, on a hasher of this till's own (tests share theirs)
        pin_hasher = (hasher or PinHasher()).with_peppers(load_peppers(keys))
        store = f"pos:{settings.store_name}/"
        tills = TillDirectory(db)
        codec = TokenCodec(
            keyring,
            store + settings.till_name,
            # another till of the store (same database, same keys): its tokens verify here
            other_issuer=lambda iss: iss.startswith(store) and tills.has(iss[len(store) :]),
        )
        token_state = TokenStateRepository(db, codec.now)
        auth = Authenticator(operator_repo, token_state, audit, codec, pin_hasher, clock)
        guard = Guard(auth, now=codec.now)  # token time, as the codec checks it
        operators = OperatorAdmin(
            operator_repo, token_state, audit, pin_hasher, codec.now, authority=guard
        )
        approvals = Approvals(auth)
        carts = CartRepository(db, settings.till_name)
        # the till's first start writes its first cart now: check the file first
        if not carts.has_open_cart() and not integrity.ensure():
            raise DatabaseOpenError(integrity.problem)
        days = DayService(DayRepository(db, settings.till_name), audit, clock, authority=guard)
        checkout = CheckoutService(
            products,
            carts,
            clock,
            ids.new_id,
            live,
            DiscountRepository(db),
            approvals,
            authority=guard,
            days=days,
        )
        sessions = SessionService(auth, guard, operators, checkout, integrity)
        sale_repo = SaleRepository(db, settings.till_name)
        voucher_repo = VoucherRepository(db, settings.till_name)
        vouchers = VoucherService(voucher_repo, live, clock, authority=guard)
        refunds = RefundService(
            sale_repo,
            approvals,
            audit,
            days,
            live,
            clock,
            ids.new_id,
            authority=guard,
            vouchers=voucher_repo,
        )
        sales = SaleService(
            checkout,
            sale_repo,
            audit,
            live,
            clock,
            None,  # the ``printer`` setting's, as it is at each receipt
            days,
            authority=guard,
            vouchers=vouchers,
        )
        cash = CashOffice(
            CashMovementRepository(db, settings.till_name),
            approvals,
            audit,
            days,
            live,
            clock,
            ids.new_id,
            lambda: sales.printer,  # the receipts' printer: one printer, one setting
            authority=guard,
        )
        reports = ReportPrints(sales, days, audit, live, clock, authority=guard)
        manual_discounts = ManualDiscounts(checkout, carts, approvals, live, authority=guard)
        catalog = CatalogService(products, settings.patterns)  # for imports: not the till's
        discounts = DiscountService(DiscountRepository(db), products, audit)

        def patterns() -> tuple[BarcodePattern, ...]:
            return live.current.patterns

        index = ProductSearch(db)
        if is_sqlite(db):
            try:  # a large import stopped before its index's rebuild left it stale
                index.repair()
            except StorageError as exc:  # (a full disk): the till sells; Find says so
                log.warning("the product search is left to rebuild: %s", exc.detail)
        search = CatalogSearch(products, index, authority=guard, repair_aside=True)
        discount_admin = DiscountAdmin(
            DiscountRepository(db),
            products,
            guard,
            approvals,
            audit,
            clock,
            patterns,
            CatalogSearch(products, index, repair_aside=True),  # the editor's guard asks
        )
        price_check = PriceCheckService(
            products, patterns, DiscountRepository(db), clock, authority=guard
        )
        returns = ReturnService(
            ReturnRepository(sale_repo),
            products,
            patterns,
            approvals,
            audit,
            days,
            live,
            clock,
            ids.new_id,
            authority=guard,
        )

    except StorageError as exc:
        db.close()
        if lock is not None:
            lock.release()
        raise DatabaseOpenError(
            f"{describe(db_path)}: the database cannot be read ({exc.detail}); run pos db check"
        ) from exc
    except KeyFileError as exc:
        db.close()
        if lock is not None:
            lock.release()
        raise DatabaseOpenError(str(exc)) from exc
    except Exception:
        db.close()
        if lock is not None:
            lock.release()
        raise
    return Services(
        db_path=db_path,
        db=db,
        clock=clock,
        live=live,
        checkout=checkout,
        catalog=catalog,
        discounts=discounts,
        auth=auth,
        guard=guard,
        operators=operators,
        audit=audit,
        approvals=approvals,
        sessions=sessions,
        sales=sales,
        days=days,
        refunds=refunds,
        vouchers=vouchers,
        discount_admin=discount_admin,
        integrity=integrity,
        price_check=price_check,
        search=search,
        cash=cash,
        reports=reports,
        returns=returns,
        manual_discounts=manual_discounts,
        lock=lock,
    )

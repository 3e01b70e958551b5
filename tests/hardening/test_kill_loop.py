"""Kill -9 the real till, and the catalog import, at random points, many times over.

One shop database lives through ``HARDEN_KILLS`` kills (default 18; ``make hardening``
runs 300). Each round restarts the till on a pty (``python -m pos``), logs the manager
in, does one thing a shop does and kills the process with SIGKILL at a random moment of
it. The points (chosen by a seeded RNG, ``HARDEN_SEED``; every point comes round once in
each cycle of six):

* ``scan``: in the middle of a burst of scans at scanner speed;
* ``payment``: on the payment screen, with an amount typed or a part already paid in cash;
* ``complete``: just after the key that pays the rest (exact cash, the next note, a card,
  or a split), around the sale's commit;
* ``receipt``: on the receipt of a sale known to be saved, or after Enter, while the next
  customer's first scans go in;
* ``rule``: in the discount editor (F3), just after F5 switches a rule on or off, or F2
  saves the rule's form;
* ``import``: ``pos products import`` of a 60,000-row catalog (which also rebuilds the
  product indexes), killed at a random moment of its run.

The test keeps its own account of what the database must hold (the open cart, each
sale's lines and payment methods, the rules, the catalog's version) and after every kill
checks from outside, with plain ``sqlite3``:

* ``PRAGMA integrity_check`` is ok;
* every completed sale is whole: its lines are exactly the cart it came from, its
  payments are the ones taken and add up to its total, as do its lines' shares, its VAT
  summary and its subtotal less discounts, and it has its ``sale_completed`` audit entry;
* receipt numbers are 1..n with no gap and no repeat;
* the open cart is exactly as it was before the kill (or, while scans were going in, the
  cart after some prefix of them: nothing half-applied, doubled or merged), and it is
  gone only if its sale was saved;
* a rule is either as it was or as changed, with an audit entry exactly when it changed,
  and the audit chain verifies;
* the catalog is the old one or the new one, never a mix, with all its indexes.

Then the restarted till must show the same cart, and when a sale was saved just before
the kill and no cart is open, "Last sale NNNN was completed".

A failure names the seed, the round and the point, and how to run it again.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from stdnum import ean

from pos.auth.audit import verify_chain
from pos.auth.keys import key_file_for, load_audit_key
from pos.db.auth_repositories import AuditRepository
from pos.db.database import open_database
from pos.domain.clock import SystemClock
from tests.pty_till import (
    CODES,
    F2,
    F3,
    F5,
    F6,
    F10,
    Till,
    cart_in_db,
    integrity,
    normal,
    read_only,
    wait_for_count,
)

# slow, and in the xdist group of the tests that run several tills or kill them: make test
# runs those one after another, beside the other slow tests (see the Makefile)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("tills")]

KILLS = int(os.environ.get("HARDEN_KILLS", "18"))
SEED = int(os.environ.get("HARDEN_SEED", "8"))
POINTS = ("scan", "payment", "complete", "receipt", "rule", "import")
ONLY = tuple(p for p in os.environ.get("HARDEN_POINTS", "").split(",") if p) or POINTS
"""``HARDEN_POINTS=complete,rule`` kills at those points only (to chase one down)."""
IMPORT_ROWS = 60_000
"""Enough to rebuild the product indexes in the import's transaction (REBUILD_FROM)."""
DOWN = "\x1b[B"


@dataclass
class Shop:
    """What the database must hold, as the test has seen it happen."""

    cart: Counter[str] = field(default_factory=Counter)
    sales: list[Counter[str]] = field(default_factory=list)  # receipt n is sales[n - 1]
    methods: list[list[str]] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)  # name -> active
    rule_audits: int = 0
    catalog: str = "v1"
    indexes: set[str] = field(default_factory=set)


@dataclass
class Tally:
    """What the kills found, for the summary line."""

    points: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)


# ---------------------------------------------------------------- reading from outside


@contextlib.contextmanager
def reader(db: Path) -> Iterator[sqlite3.Connection]:
    con = read_only(db)
    try:
        yield con
    finally:
        con.close()


def rules_in_db(db: Path) -> tuple[dict[str, int], int]:
    """Every rule's active flag, and how many rule changes the audit log holds."""
    with reader(db) as con:
        rules = dict(con.execute("SELECT name, active FROM discount_rule").fetchall())
        audits = con.execute(
            "SELECT COUNT(*) FROM audit_log WHERE event = 'discount_rule_saved'"
        ).fetchone()[0]
    return rules, audits


def catalog_in_db(db: Path) -> tuple[list[tuple[str, int]], set[str]]:
    """(version, count) of the generated products, and the product table's indexes."""
    with reader(db) as con:
        versions = con.execute(
            "SELECT substr(name, -2), COUNT(*) FROM product WHERE name LIKE 'Generated %' "
            "GROUP BY 1"
        ).fetchall()
        indexes = {
            name
            for (name,) in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'product'"
            )
        }
    return versions, indexes


def search_index_state(db: Path) -> str:
    """``stale`` (marked, its triggers dropped: the import was killed between its commit
    and the index's rebuild; the next search or start rebuilds it) or ``whole`` (its
    triggers there and FTS5's own check of it passing); anything else fails."""
    with reader(db) as con:
        marked = con.execute(
            "SELECT COUNT(*) FROM sync_state WHERE key = 'search_index_stale'"
        ).fetchone()[0]
        triggers = con.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'product_search_%'"
        ).fetchone()[0]
    if marked:
        assert triggers == 0, f"a stale search index with {triggers} triggers"
        return "stale"
    assert triggers == 3, f"the search index has {triggers} triggers"
    con = sqlite3.connect(db)
    try:
        con.execute("INSERT INTO product_search (product_search) VALUES ('integrity-check')")
    finally:
        con.close()
    return "whole"


def check_sales(db: Path, shop: Shop) -> None:
    """Every completed sale whole, numbered 1..n, as the test saw it made."""
    with reader(db) as con:
        sales = con.execute(
            "SELECT id, receipt_no, subtotal, discount_total, total, receipt_text FROM sale "
            "ORDER BY receipt_no"
        ).fetchall()
        numbers = [row[1] for row in sales]
        assert numbers == list(range(1, len(shop.sales) + 1)), f"receipt numbers {numbers}"
        audited = {
            details
            for (details,) in con.execute(
                "SELECT details FROM audit_log WHERE event = 'sale_completed'"
            )
        }
        assert len(audited) == len(sales), "a sale without its audit entry, or one too many"
        for sale_id, number, subtotal, discount, total, text in sales:
            where = f"sale {number:04d}"
            lines: Counter[str] = Counter()
            line_total = paid = 0
            for barcode, qty, amount, share in con.execute(
                "SELECT barcode, qty, total, paid FROM sale_line WHERE sale_id = ?", (sale_id,)
            ):
                lines[barcode] += qty
                line_total += amount
                paid += share
            assert lines == shop.sales[number - 1], f"{where}: lines {lines}"
            assert line_total == subtotal, f"{where}: lines add up to {line_total}"
            assert subtotal - discount == total, f"{where}: subtotal less discounts"
            assert paid == total, f"{where}: the lines' shares add up to {paid}"
            payments = con.execute(
                "SELECT method, amount, tendered, change FROM payment WHERE sale_id = ? "
                "ORDER BY id",
                (sale_id,),
            ).fetchall()
            assert [p[0] for p in payments] == shop.methods[number - 1], f"{where}: {payments}"
            assert sum(p[1] for p in payments) == total, f"{where}: payments {payments}"
            assert all(t - c == a for _, a, t, c in payments), f"{where}: change {payments}"
            vat = con.execute(
                "SELECT SUM(gross) FROM sale_vat WHERE sale_id = ?", (sale_id,)
            ).fetchone()[0]
            assert vat == total, f"{where}: the VAT summary adds up to {vat}"
            assert f"{number:04d}" in text, f"{where}: the receipt text"


def audit_chain_breaks(db: Path) -> int | None:
    database = open_database(db)
    try:
        log = AuditRepository(database, SystemClock(), "check", load_audit_key(key_file_for(db)))
        return verify_chain(list(log.entries()), log.key)
    finally:
        database.close()


# ---------------------------------------------------------------- the catalog import


def catalog_file(folder: Path, version: str) -> Path:
    """The demo shop's generated range, every row named and priced for ``version``."""
    path = folder / f"catalog-{version}.csv"
    if not path.exists():
        bump = int(version[1:])
        rows = ["barcode,name,price,tax_rate,unit"]
        for i in range(IMPORT_ROWS):
            code = f"400000{i:06d}"
            price = (i % 900 + 100 + bump) / 100
            rows.append(
                f"{code}{ean.calc_check_digit(code)},Generated {i:06d} {version},"
                f"{price:.2f},20,each"
            )
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run_import(db: Path, csv: Path, kill_after: float | None) -> int | None:
    """``pos products import`` as a subprocess, SIGKILLed after ``kill_after`` seconds
    (None: let it finish). Returns its exit code, or None if it was killed."""
    env = {k: v for k, v in os.environ.items() if k not in ("POS_DB", "POS_TILL")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos", "products", "import", "--db", str(db), str(csv)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        if kill_after is None:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode(errors="replace")
            return 0
        time.sleep(kill_after)
        if proc.poll() is not None:
            return proc.returncode
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


# ---------------------------------------------------------------- the points


class Round:
    """One restart of the till and one kill, with what the test saw on the way."""

    def __init__(self, db: Path, shop: Shop, rng: random.Random, tally: Tally) -> None:
        self.db, self.shop, self.rng, self.tally = db, shop, rng, tally
        self.notes: list[str] = []
        self.till: Till | None = None

    def note(self, text: str) -> None:
        self.notes.append(text)

    def start(self) -> Till:
        """Restart the till and log in; the cart and the last sale are as they were."""
        till = self.till = Till(self.db, cols=120)
        till.log_in()
        assert cart_in_db(self.db) == self.shop.cart, "the restart changed the open cart"
        if not self.shop.cart and self.shop.sales:
            last = len(self.shop.sales)
            till.wait_for_text(f"Last sale {last:04d} was completed", timeout=10)
            self.tally.outcomes["restart: last sale shown"] += 1
        return till

    def kill(self, delay: float) -> None:
        self.note(f"killed {delay * 1000:.0f} ms later")
        time.sleep(delay)
        assert self.till is not None
        self.till.kill()

    def fill_cart(self, till: Till) -> None:
        """Make sure there is something to pay for (acknowledged scans)."""
        if sum(self.shop.cart.values()) >= 1:
            return
        codes = [self.rng.choice(CODES) for _ in range(self.rng.randint(1, 5))]
        till.type("".join(code + "\r" for code in codes))
        self.shop.cart.update(normal(code) for code in codes)
        wait_for_count(self.db, sum(self.shop.cart.values()))
        self.note(f"scanned {len(codes)}")

    def scan_burst(self, till: Till, most: int = 120) -> list[str]:
        burst = [self.rng.choice(CODES) for _ in range(self.rng.randint(5, most))]
        till.type("".join(code + "\r" for code in burst))
        self.note(f"a burst of {len(burst)} scans")
        return burst

    def open_payment(self, till: Till) -> None:
        mark = till.mark()
        till.type(F10)
        till.wait_for_text("Amount due", since=mark)

    def pay(self, till: Till) -> list[str]:
        """Pay the rest one of several ways; returns the payment methods in order. The
        last key completes the sale and is sent last."""
        way = self.rng.choice(("exact", "note", "card", "split cash", "split card"))
        self.note(f"paid by {way}")
        if way.startswith("split"):
            mark = till.mark()
            till.type("0.10" + F2)  # 10p in cash first
            till.wait_for_text("Paid so far", since=mark)
        methods = ["cash"] if way.startswith("split") else []
        if way in ("card", "split card"):
            mark = till.mark()
            till.type(F3)
            till.wait_for_text("Terminal reference", since=mark)
            till.type("\r")
            return [*methods, "card"]
        till.type(F5 if way != "note" else F6)
        return [*methods, "cash"]

    def sale_saved(self, methods: list[str]) -> None:
        self.shop.sales.append(self.shop.cart)
        self.shop.methods.append(methods)
        self.shop.cart = Counter()

    # each point: act, kill, then check what the database holds

    def scan(self) -> None:
        till = self.start()
        before = Counter(self.shop.cart)
        burst = self.scan_burst(till)
        self.kill(self.rng.uniform(0.0, 0.6))
        self.after_scans(before, burst)

    def after_scans(self, before: Counter[str], burst: list[str]) -> None:
        stored = cart_in_db(self.db)
        applied = sum(stored.values()) - sum(before.values())
        assert 0 <= applied <= len(burst), f"{applied} of {len(burst)} scans applied"
        expected = before + Counter(normal(code) for code in burst[:applied])
        assert stored == expected, f"not the cart after {applied} scans: {stored}"
        self.shop.cart = stored
        self.note(f"{applied} of the burst kept")
        self.tally.outcomes[
            "scans: none kept"
            if not applied
            else "scans: all kept"
            if applied == len(burst)
            else "scans: part kept"
        ] += 1

    def payment(self) -> None:
        till = self.start()
        self.fill_cart(till)
        self.open_payment(till)
        if self.rng.random() < 0.5:
            mark = till.mark()
            till.type("0.10" + F2)
            till.wait_for_text("Paid so far", since=mark)
            self.note("10p paid in cash")
        till.type(self.rng.choice(("5", "12.3", "")))
        self.kill(self.rng.uniform(0.0, 0.2))
        self.tally.outcomes["payment: cart kept"] += 1
        # no sale: the cart is checked against the account unchanged

    def complete(self) -> None:
        till = self.start()
        self.fill_cart(till)
        self.open_payment(till)
        methods = self.pay(till)
        self.kill(self.rng.uniform(0.0, 0.12))  # saved in about 30 to 90 ms here
        with reader(self.db) as con:
            saved = con.execute("SELECT COUNT(*) FROM sale").fetchone()[0]
        if saved == len(self.shop.sales) + 1:
            self.sale_saved(methods)
            self.note("the sale was saved")
            self.tally.outcomes["complete: saved"] += 1
        else:
            assert saved == len(self.shop.sales), f"{saved} sales"
            self.note("the sale was not saved")
            self.tally.outcomes["complete: not saved"] += 1

    def receipt(self) -> None:
        till = self.start()
        self.fill_cart(till)
        self.open_payment(till)
        mark = till.mark()
        methods = self.pay(till)
        till.wait_for_text(f"Sale {len(self.shop.sales) + 1:04d} saved", since=mark)
        self.sale_saved(methods)
        if self.rng.random() < 0.4:
            self.kill(self.rng.uniform(0.0, 0.3))  # on the receipt screen
            self.tally.outcomes["receipt: on the receipt"] += 1
            return
        mark = till.mark()
        till.type("\r")  # the next customer
        till.wait_for_text("Scan or type", since=mark)
        burst = self.scan_burst(till, most=30)
        self.kill(self.rng.uniform(0.0, 0.4))
        self.after_scans(Counter(), burst)

    def rule(self) -> None:
        till = self.start()
        mark = till.mark()
        till.type(F3)
        till.wait_for_text("sorted by name", since=mark)
        till.type(DOWN * self.rng.randrange(len(self.shop.rules)))
        time.sleep(0.1)
        if self.rng.random() < 0.6:
            till.type(F5)
            self.note("switched a rule")
            toggled = True
        else:
            mark = till.mark()
            till.type("\r")
            till.wait_for_text("Edit rule:", since=mark)
            till.type(F2)
            self.note("saved a rule's form as it was")
            toggled = False
        self.kill(self.rng.uniform(0.0, 0.15))
        rules, audits = rules_in_db(self.db)
        changed = {name for name in rules if rules[name] != self.shop.rules.get(name)}
        assert set(rules) == set(self.shop.rules), f"rules {sorted(rules)}"
        assert len(changed) <= (1 if toggled else 0), f"rules changed: {changed}"
        assert audits - self.shop.rule_audits in (0, 1), f"{audits} rule audit entries"
        if toggled:
            assert bool(changed) == (audits == self.shop.rule_audits + 1), "audit vs change"
        saved = audits > self.shop.rule_audits
        self.shop.rules, self.shop.rule_audits = rules, audits
        self.tally.outcomes[f"rule: {'saved' if saved else 'not saved'}"] += 1
        assert audit_chain_breaks(self.db) is None, "the audit chain is broken"

    def import_(self, folder: Path) -> None:
        new = "v2" if self.shop.catalog == "v1" else "v1"
        csv = catalog_file(folder, new)
        delay = self.rng.uniform(0.0, 2.5)
        code = run_import(self.db, csv, delay)
        self.note(
            f"import of {new} killed after {delay * 1000:.0f} ms"
            if code is None
            else f"import of {new} finished ({code}) before {delay * 1000:.0f} ms"
        )
        versions, indexes = catalog_in_db(self.db)
        assert len(versions) == 1, f"a mix of catalogs: {versions}"
        version, count = versions[0]
        assert count == IMPORT_ROWS, f"{count} generated products"
        assert version in (self.shop.catalog, new), version
        if code == 0:
            assert version == new, "the import finished but the catalog is the old one"
        assert indexes == self.shop.indexes, f"product indexes {indexes}"
        self.tally.outcomes[f"import: {'new' if version == new else 'old'}"] += 1
        self.tally.outcomes[f"import: search index {search_index_state(self.db)}"] += 1
        self.shop.catalog = version


def check_database(db: Path, shop: Shop) -> None:
    assert integrity(db) == ["ok"], "integrity check"
    check_sales(db, shop)
    assert cart_in_db(db) == shop.cart, f"open cart {cart_in_db(db)}, expected {shop.cart}"


def points(rng: random.Random, count: int) -> Iterator[str]:
    """Every point once in each cycle (of six), in a shuffled order."""
    assert set(ONLY) <= set(POINTS), f"HARDEN_POINTS: the points are {', '.join(POINTS)}"
    while count > 0:
        cycle = list(ONLY)
        rng.shuffle(cycle)
        yield from cycle[:count]
        count -= len(cycle)


def test_kill_the_till_at_random_points(shop_db: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    shop = Shop()
    tally = Tally()
    run_import(shop_db, catalog_file(tmp_path, "v1"), None)
    shop.rules, shop.rule_audits = rules_in_db(shop_db)
    _, shop.indexes = catalog_in_db(shop_db)
    started = time.monotonic()
    for number, point in enumerate(points(rng, KILLS), start=1):
        if point != "import" and sum(shop.cart.values()) > 2_000:
            point = "complete"  # keep the cart's quantities in range
        tally.points[point] += 1
        round_ = Round(shop_db, shop, rng, tally)
        try:
            try:
                if point == "import":
                    round_.import_(tmp_path)
                else:
                    getattr(round_, point)()
            finally:
                if round_.till is not None and round_.till.proc.poll() is None:
                    round_.till.kill()
            check_database(shop_db, shop)
        except AssertionError as exc:
            raise AssertionError(
                f"HARDEN_SEED={SEED}, kill {number} of {KILLS} at {point!r} "
                f"({'; '.join(round_.notes)}): {exc}\n"
                f"again: HARDEN_SEED={SEED} HARDEN_KILLS={number} "
                ".venv/bin/python -m pytest tests/hardening/test_kill_loop.py "
                "(the choices repeat; the exact moments depend on timing)"
            ) from exc
    # a last restart: the cart, or the last sale, as the database says
    final = Round(shop_db, shop, rng, tally)
    try:
        final.start()
    finally:
        if final.till is not None:
            final.till.kill()
    check_database(shop_db, shop)
    assert audit_chain_breaks(shop_db) is None
    print(
        f"\n{KILLS} kills (seed {SEED}) in {time.monotonic() - started:.0f} s: "
        f"{dict(sorted(tally.points.items()))}; {len(shop.sales)} sales checked after "
        f"every kill; {dict(sorted(tally.outcomes.items()))}"
    )

"""pos demo-data: a deterministic large database (tested at small sizes)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import ean

from pos.cli import cli
from pos.db.database import open_database
from pos.db.errors import DatabaseOpenError
from pos.db.repositories import DiscountRepository, ProductRepository
from pos.db.sales import SaleRecord, SaleRepository
from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.clock import FixedClock, SequentialIds
from pos.domain.discounts import KINDS
from pos.domain.pricing import AppliedDiscount, PricedBasket
from pos.domain.rule_format import check_products
from pos.domain.tax import RateLine
from pos.domain.tender import Method, Payment
from pos.paths import DEMO_CATALOG
from pos.services.demo_data import DemoReport, generate_demo_data
from pos.services.store_setup import init_database
from tests.conftest import FAST_HASHER, MANAGER
from tests.ui.helpers import scan, settle

PRODUCTS, RULES, SALES = 2_000, 30, 50
TABLES = ("product", "discount_rule", "sale", "sale_line", "sale_discount", "payment", "sale_vat")


def _make(path: Path, seed: int = 0, **sizes: int) -> DemoReport:
    options = {"products": PRODUCTS, "rules": RULES, "sales": SALES, **sizes}
    return generate_demo_data(path, **options, seed=seed, hasher=FAST_HASHER)


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _demo_codes() -> set[str]:
    lines = DEMO_CATALOG.read_text(encoding="utf-8").splitlines()[1:]
    return {line.split(",")[0] for line in lines if line}


@pytest.fixture
def generated(tmp_path: Path) -> tuple[Path, DemoReport]:
    path = tmp_path / "big.sqlite"
    return path, _make(path)


def test_products_have_valid_unique_barcodes(generated: tuple[Path, DemoReport]) -> None:
    path, report = generated
    demo = _demo_codes()
    rows = _rows(path, "SELECT barcode, name, price, tax_rate, unit FROM product")
    assert report.products == PRODUCTS
    assert report.demo_products == len(demo)
    assert len(rows) == PRODUCTS + len(demo)
    codes = [row[0] for row in rows]
    assert len(set(codes)) == len(codes)
    assert demo <= set(codes)  # the README's demo barcodes still work
    made = [row for row in rows if row[0] not in demo]
    for code, name, price, tax_rate, unit in made:
        assert len(code) == 13
        assert ean.is_valid(code), code
        assert not code.startswith("2"), code  # never the in-store range
        assert 25 <= price <= 4999
        assert tax_rate in (0, 500, 2000)
        assert unit in ("each", "kg")
        assert 3 <= len(name) <= 120
    prices = sorted(row[2] for row in made)
    assert prices[len(prices) // 2] < 1000  # skewed low: the median is under 10.00
    weighed = sum(row[4] == "kg" for row in made)
    assert 0.01 * PRODUCTS <= weighed <= 0.06 * PRODUCTS
    assert {row[3] for row in made} == {0, 500, 2000}
    assert len({row[1] for row in made}) > PRODUCTS // 2  # names vary


def test_rules_of_every_kind_are_valid(generated: tuple[Path, DemoReport]) -> None:
    path, report = generated
    db = open_database(path)
    try:
        rules = DiscountRepository(db).all()  # parse_rule on every stored row
        products = ProductRepository(db)
        for rule in rules:
            check_products(rule, products.get)  # every product exists (and kg rules fit)
    finally:
        db.close()
    assert report.rules == len(rules) == RULES
    assert {rule.kind for rule in rules} == set(KINDS)
    multibuys = [rule for rule in rules if rule.kind == "multibuy"]
    assert any(rule.items for rule in multibuys)
    assert any(rule.any_of for rule in multibuys)
    assert any(rule.exclusive for rule in rules)
    assert any(rule.group for rule in rules)
    assert len({rule.priority for rule in rules}) > 1
    assert any(rule.starts_at and rule.ends_at for rule in rules)
    assert any(rule.weekdays for rule in rules)
    assert any(rule.hours for rule in rules)
    assert all(rule.active for rule in rules)


def test_sales_add_up(generated: tuple[Path, DemoReport]) -> None:
    path, report = generated
    sales = _rows(
        path, "SELECT id, receipt_no, at, subtotal, discount_total, total, rules FROM sale"
    )
    assert report.sales == len(sales) == SALES
    lines = _rows(path, "SELECT sale_id, qty, unit, unit_price, total, paid FROM sale_line")
    assert report.sale_lines == len(lines)
    by_sale: dict[int, list[tuple[object, ...]]] = {}
    for row in lines:
        by_sale.setdefault(int(row[0]), []).append(row)  # type: ignore[call-overload]
    payments = Counter[int]()
    for sale_id, amount, tendered, change, method in _rows(
        path, "SELECT sale_id, amount, tendered, change, method FROM payment"
    ):
        assert method in ("cash", "card")
        assert tendered - change == amount
        assert change == 0 or method == "cash"
        payments[sale_id] += amount
    vat = Counter[int]()
    for sale_id, net, tax, gross in _rows(path, "SELECT sale_id, net, vat, gross FROM sale_vat"):
        assert net + tax == gross
        vat[sale_id] += gross
    for sale_id, _, at, subtotal, discounts, total, rules in sales:
        mine = by_sale[sale_id]
        assert 1 <= len(mine) <= 30
        assert sum(row[4] for row in mine) == subtotal
        assert subtotal - discounts == total
        assert payments[sale_id] == total  # the payments cover it, change aside
        assert vat[sale_id] == total
        assert sum(row[5] for row in mine) == total  # what each line was paid adds up
        assert rules == "[]"
        assert datetime.fromisoformat(at).year == 2026
    numbers = [row[1] for row in sorted(sales, key=lambda row: row[2])]
    assert numbers == list(range(1, SALES + 1))  # gapless, in time order
    assert _rows(path, "SELECT till, last_receipt FROM till_counter") == [("Till 1", SALES)]
    assert _rows(path, "SELECT count(*) FROM audit_log WHERE event = 'sale_completed'") == [(0,)]
    text = _rows(path, "SELECT receipt_text FROM sale WHERE receipt_no = 1")[0][0]
    assert "Receipt 0001" in str(text)


def test_pos_report_works_on_a_generated_day(generated: tuple[Path, DemoReport]) -> None:
    path, _ = generated
    day, count, total = _rows(
        path,
        "SELECT substr(at, 1, 10) AS d, count(*), sum(total) FROM sale"
        " GROUP BY d ORDER BY count(*) DESC, d LIMIT 1",
    )[0]
    result = CliRunner().invoke(cli, ["report", "--db", str(path), "--date", day, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sales"] == count
    assert data["net"] == f"{int(total) // 100}.{int(total) % 100:02d}"  # type: ignore[call-overload]
    tender = sum(float(v) for v in data["tender"].values())
    assert round(tender * 100) == total


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    return {table: _rows(path, f'SELECT * FROM "{table}" ORDER BY id') for table in TABLES}


def test_the_same_seed_makes_the_same_tables(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "c.sqlite"
    _make(first, seed=7)
    _make(second, seed=7)
    _make(other, seed=8)
    assert _dump(first) == _dump(second)
    assert _dump(first)["product"] != _dump(other)["product"]
    assert _dump(first)["sale"] != _dump(other)["sale"]


def test_an_existing_database_is_refused_without_force(tmp_path: Path) -> None:
    path = tmp_path / "shop.sqlite"
    init_database(path, demo_catalog=DEMO_CATALOG)
    before = path.read_bytes()
    with pytest.raises(DatabaseOpenError, match="already exists"):
        _make(path)
    assert path.read_bytes() == before
    result = CliRunner().invoke(
        cli, ["demo-data", "--db", str(path), "--products", "100", "--rules", "7", "--sales", "5"]
    )
    assert result.exit_code == 1
    assert "already exists and is not empty; use --force" in result.output
    assert path.read_bytes() == before
    result = CliRunner().invoke(
        cli,
        ["demo-data", "--db", str(path), "--products", "100", "--rules", "7", "--sales", "5"]
        + ["--force"],
    )
    assert result.exit_code == 0, result.output
    assert "made 100 products, 7 rules, 5 sales in " in result.output
    assert _rows(path, "SELECT count(*) FROM sale") == [(5,)]
    assert not list(tmp_path.glob(".shop.sqlite.new*"))  # built beside, swapped in


def test_sizes_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="products must be"):
        _make(tmp_path / "x.sqlite", products=-1)
    with pytest.raises(ValueError, match="rules need"):
        _make(tmp_path / "x.sqlite", products=5, sales=0)
    assert not (tmp_path / "x.sqlite").exists()


async def test_the_till_opens_on_it(generated: tuple[Path, DemoReport]) -> None:
    from pos.factory import make_app
    from pos.screens import LoginScreen, ScanScreen
    from pos.widgets import CartTable, TotalsPanel

    path, _ = generated
    code, name, price = _rows(
        path,
        "SELECT barcode, name, price FROM product WHERE unit = 'each'"
        " AND substr(barcode, 1, 1) <> '2' ORDER BY id DESC LIMIT 1",
    )[0]
    clock = FixedClock(datetime(2027, 1, 4, 9, 30, tzinfo=UTC))  # after the year of sales
    app = make_app(path, clock=clock, ids=SequentialIds(), hasher=FAST_HASHER)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            assert isinstance(app.screen, LoginScreen)
            number, pin = MANAGER
            await pilot.press(*number, "enter", *pin, "enter")
            await settle(pilot)
            assert isinstance(app.screen, ScanScreen)
            await scan(pilot, str(code))
            table = app.screen.query_one(CartTable)
            assert table.row_count == 1
            row = [str(cell).strip() for cell in table.get_row_at(0)]
            assert row[1] == name
            assert app.screen.query_one(TotalsPanel).total == price
    finally:
        app.services.close()


def test_bulk_sales_write_what_complete_writes(tmp_path: Path) -> None:
    """complete_many writes exactly the rows complete does (the cart aside)."""
    lines = [
        CartLine(1, "4006381333931", "Highlighter pen yellow", Unit.EACH, 120, 3, 2000),
        CartLine(2, "2100001000004", "Bananas loose", Unit.KG, 85, 850, 0, operator="1001"),
    ]
    priced = PricedBasket(432, (AppliedDiscount("20p off", "amount_off", 20, 1, ((1, 2),)),))
    record = SaleRecord(
        uuid="sale-1",
        at=datetime(2026, 5, 2, 10, 0, tzinfo=UTC),
        operator="1001",
        lines=lines,
        priced=priced,
        total=412,
        tax_inclusive=True,
        payments=(Payment(Method.CARD, 200, 200), Payment(Method.CASH, 212, 500, 288)),
        vat=(RateLine(0, 72, 0, 72), RateLine(2000, 283, 57, 340)),
        paid={1: 340, 2: 72},
        receipt_text=lambda number: f"receipt {number}",
        rules=(),
        priced_at=datetime(2026, 5, 2, 11, 0),
    )
    dumps = []
    for name, bulk in (("one.sqlite", False), ("many.sqlite", True)):
        path = tmp_path / name
        init_database(path)
        db = open_database(path)
        try:
            repo = SaleRepository(db, "Till 1")
            both = [record, dataclasses.replace(record, uuid="sale-2")]
            if bulk:
                assert repo.complete_many(both) == 2
            else:
                for number, one in enumerate(both, 1):
                    values = {f.name: getattr(one, f.name) for f in dataclasses.fields(one)}
                    assert repo.complete(cart_id=0, **values) == number
        finally:
            db.close()
        dumps.append({**_dump(path), "till_counter": _rows(path, "SELECT * FROM till_counter")})
    assert dumps[0] == dumps[1]
    assert len(dumps[0]["sale_line"]) == 4

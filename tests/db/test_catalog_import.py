"""Catalog CSV import and export through the service (the CLI adds only the printing)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import peewee
import pytest

from pos.db.auth_repositories import AuditRepository
from pos.db.database import open_database
from pos.db.product_search import ProductSearch
from pos.db.repositories import ProductRepository
from pos.domain.catalog import Product, Unit
from pos.domain.clock import FixedClock
from pos.paths import DEMO_CATALOG
from pos.services.catalog import CatalogService
from pos.services.search import CatalogSearch
from tests.dbtools import indexes

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL

HEADER = "barcode,name,price,tax_rate,unit\n"


@pytest.fixture
def service(empty_db: Path):  # type: ignore[no-untyped-def]
    db = open_database(empty_db)
    yield CatalogService(ProductRepository(db))
    db.close()


def _write(tmp_path: Path, text: str | bytes, name: str = "c.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def test_good_file_imports_then_updates(service: CatalogService, tmp_path: Path) -> None:
    first = _write(tmp_path, HEADER + "4006381333931,Pen,1.20,20,each\n96385074,Gum,0.75,,\n")
    report = service.import_csv(first)
    assert report.ok
    assert (report.total, report.new, report.updated) == (2, 2, 0)
    assert report.summary() == "imported 2 products: 2 new, 0 updated"
    second = _write(
        tmp_path, HEADER + "4006381333931,Pen blue,1.25,20,each\n036000291452,Soup,0.5,0,kg\n"
    )
    report = service.import_csv(second)
    assert (report.new, report.updated) == (1, 1)
    repo = service._products
    pen = repo.get("4006381333931")
    assert pen is not None
    assert (pen.name, pen.price, pen.tax_rate) == ("Pen blue", 125, 2000)
    soup = repo.get("0036000291452")  # UPC-A stored as EAN-13
    assert soup is not None
    assert soup.unit is Unit.KG


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("4006381333932,Pen,1.20,20,each", "bad check digit"),
        ("4006381333931,Pen,,20,each", "price is blank"),
        ("4006381333931,Pen,-1.00,20,each", "negative"),
        ("4006381333931,Pen,one,20,each", "not a number"),
        ("4006381333931,Pen,1.001,20,each", "more than 2 decimal places"),
        ("4006381333931,,1.20,20,each", "name is empty"),
        ("4006381333931,Pe\x07n,1.20,20,each", "control character"),
        ("4006381333931,Pen,1.20,20,litre", "unit 'litre'"),
        ("4006381333931,Pen,1.20,120,each", "between 0 and 100"),
        ("4006381333931,Pen,1.20,20", "4 fields, but the header has 5"),
        ("2100001012502,Bananas,0.85,0,kg", "must be stored with zeros"),
    ],
)
def test_each_bad_row_is_named_and_nothing_imported(
    service: CatalogService, tmp_path: Path, row: str, reason: str
) -> None:
    path = _write(tmp_path, HEADER + "96385074,Gum,0.75,20,each\n" + row + "\n")
    report = service.import_csv(path)
    assert not report.ok
    assert len(report.errors) == 1
    assert report.errors[0].line == 3
    assert reason in report.errors[0].message
    assert service._products.count() == 0


def test_duplicate_barcode_in_file(service: CatalogService, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER + "036000291452,Soup,1,0,each\n96385074,Gum,1,0,each\n"
        "0036000291452,Soup again,1,0,each\n",
    )
    report = service.import_csv(path)
    assert [str(e) for e in report.errors] == ["line 4: barcode 0036000291452 is already on line 2"]


def test_file_level_problems(service: CatalogService, tmp_path: Path) -> None:
    cases = {
        "": "the file is empty",
        "barcode,name\n4006381333931,Pen\n": "missing column price",
        "barcode,name,price,colour\n": "unknown column 'colour'",
        "barcode,name,price,price\n": "named twice: price",
    }
    for text, reason in cases.items():
        report = service.import_csv(_write(tmp_path, text))
        assert not report.ok, text
        assert reason in report.errors[0].message, text
    not_utf8 = _write(tmp_path, HEADER.encode() + b"4006381333931,Caf\xe9,1.00,0,each\n")
    report = service.import_csv(not_utf8)
    assert str(report.errors[0]).startswith("line 2: the file is not UTF-8")


def test_blank_lines_before_the_header_and_broken_quotes(
    service: CatalogService, tmp_path: Path
) -> None:
    report = service.import_csv(_write(tmp_path, "\n\nbarcode,name\n"))
    assert str(report.errors[0]).startswith("line 3: missing column price")
    broken = HEADER + '96385074,"Gum,0.75,20,each\n4006381333931,Pen,1.20,20,each\n'
    report = service.import_csv(_write(tmp_path, broken * 1))
    assert not report.ok
    assert service._products.count() == 0


def test_bom_crlf_quotes_and_blank_lines(service: CatalogService, tmp_path: Path) -> None:
    text = (
        "\ufeffbarcode,name,price\r\n"
        '4006381333931,"Pens, pack of 3 ""value""",2.50\r\n'
        "\r\n"
        "96385074,Gum,0.75\r\n"
    )
    report = service.import_csv(_write(tmp_path, text))
    assert report.ok, report.errors
    pen = service._products.get("4006381333931")
    assert pen is not None
    assert pen.name == 'Pens, pack of 3 "value"'


def test_dry_run_writes_nothing(service: CatalogService, tmp_path: Path) -> None:
    report = service.import_csv(
        _write(tmp_path, HEADER + "96385074,Gum,0.75,20,each\n"), dry_run=True
    )
    assert report.summary() == "would import 1 product: 1 new, 0 updated"
    assert service._products.count() == 0


def test_export_round_trips_exactly(service: CatalogService, tmp_path: Path) -> None:
    assert service.import_csv(DEMO_CATALOG).ok
    out = io.StringIO()
    service.export_csv(out)
    # the demo file is in the canonical form, so the export is byte-identical to it
    assert out.getvalue() == DEMO_CATALOG.read_text(encoding="utf-8")


def test_demo_catalog_is_realistic() -> None:
    text = DEMO_CATALOG.read_text(encoding="utf-8")
    rows = [row.split(",") for row in text.splitlines()[1:]]
    assert text.splitlines()[0] == "barcode,name,price,tax_rate,unit,plu,min_age"
    assert len(rows) >= 40
    assert sum(row[4] == "kg" for row in rows) >= 3
    assert len({row[3] for row in rows}) >= 2  # at least two tax rates
    assert sum(bool(row[5]) for row in rows) >= 3  # loose produce has PLUs
    assert sum(row[6] == "18" for row in rows) >= 2  # and drink is for adults


def test_progress_counts_every_row_twice(service: CatalogService, tmp_path: Path) -> None:
    text = HEADER + "".join(
        f"{code},Item {i},1.00,0,each\n" for i, code in enumerate(_valid_codes(12_000))
    )
    seen: list[int] = []
    report = service.import_csv(_write(tmp_path, text), progress=seen.append)
    assert report.ok
    assert sum(seen) == 2 * 12_000  # validation pass and write pass
    assert len(seen) > 4  # and in steps, not once at the end


def _valid_codes(count: int) -> list[str]:
    from stdnum import ean

    bodies = (f"50{n:010d}" for n in range(count))
    return [body + ean.calc_check_digit(body) for body in bodies]


def test_a_bad_file_leaves_the_existing_catalog_as_it_was(
    service: CatalogService, tmp_path: Path
) -> None:
    """One bad row imports nothing: the good rows beside it change no existing product."""
    service.import_csv(_write(tmp_path, HEADER + "4006381333931,Pen,1.20,20,each\n"))
    bad = _write(
        tmp_path,
        HEADER + "4006381333931,Pen renamed,9.99,20,each\n96385074,Gum,0.75,,\n"
        "4006381333932,Bad check digit,1.00,20,each\n",
    )
    report = service.import_csv(bad)
    assert not report.ok
    pen = service._products.get("4006381333931")
    assert pen is not None
    assert (pen.name, pen.price) == ("Pen", 120)
    assert service._products.get("96385074") is None


def _indexes(service: CatalogService) -> dict[str, str]:
    return indexes(service._products.db, "product")


def _catalog_csv(codes: list[str], name: str = "Item") -> str:
    return HEADER + "".join(f"{code},{name} {i},1.00,0,each\r\n" for i, code in enumerate(codes))


def test_a_large_import_rebuilds_the_name_index_and_a_dry_run_counts_updates(
    service: CatalogService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pos.db.product_import.REBUILD_FROM", 100)
    before = _indexes(service)
    codes = _valid_codes(300)
    report = service.import_csv(_write(tmp_path, _catalog_csv(codes[:200])))
    assert report.summary() == "imported 200 products: 200 new, 0 updated"
    assert _indexes(service) == before
    again = _write(tmp_path, _catalog_csv(codes[100:], name="Renamed"), "again.csv")
    dry = service.import_csv(again, dry_run=True)
    assert dry.summary() == "would import 200 products: 100 new, 100 updated"
    assert service._products.count() == 200
    report = service.import_csv(again)
    assert report.summary() == "imported 200 products: 100 new, 100 updated"
    assert service._products.count() == 300
    search = CatalogSearch(service._products, ProductSearch(service._products.db))
    assert [p.name for p in search.find("renamed 1", limit=2)] == ["Renamed 1", "Renamed 10"]


@pytest.mark.sqlite_only  # a full disk made by SQLite's page limit
def test_a_large_import_that_fails_to_write_leaves_the_catalog_and_indexes(
    service: CatalogService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pos.db.errors import StorageError

    monkeypatch.setattr("pos.db.product_import.REBUILD_FROM", 100)
    codes = _valid_codes(3_000)
    service.import_csv(_write(tmp_path, _catalog_csv(codes[:10])))
    before = _indexes(service)
    db = service._products.db
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages + 10}")
    with pytest.raises(StorageError):
        service.import_csv(_write(tmp_path, _catalog_csv(codes, name="x" * 100), "big.csv"))
    assert service._products.count() == 10
    assert _indexes(service) == before
    pen = service._products.get(codes[0])
    assert pen is not None
    assert pen.name == "Item 0"


def test_updates_dry_runs_and_the_audit_of_price_changes(
    empty_db: Path, tmp_path: Path, clock: FixedClock
) -> None:
    """New and updated rows, a dry run that counts them, names with quotes, a backslash
    and letters from beyond ASCII (each path writes them its own way: COPY's text on a
    server), and the audit entries with every price changed, in barcode order."""
    db = open_database(empty_db)
    try:
        audit = AuditRepository(db, clock, "Till 1", b"k" * 32)
        service = CatalogService(ProductRepository(db), audit=audit, actor="os:test")
        first = HEADER + "4006381333931,Pen,1.20,20,each\n96385074,Gum,0.75,,\n"
        report = service.import_csv(_write(tmp_path, first))
        assert report.summary() == "imported 2 products: 2 new, 0 updated"
        second = _write(
            tmp_path,
            HEADER + '4006381333931,"Pen \\ ""blue"", 2",1.25,20,each\n'
            "96385074,Gum,0.75,,\n"
            "036000291452,Café crème 東京,2.00,5,kg\n",
            "second.csv",
        )
        dry = service.import_csv(second, dry_run=True)
        assert dry.summary() == "would import 3 products: 1 new, 2 updated"
        assert service._products.get("0036000291452") is None
        report = service.import_csv(second)
        assert report.summary() == "imported 3 products: 1 new, 2 updated"
        pen = service._products.get("4006381333931")
        assert pen is not None
        assert (pen.name, pen.price, pen.tax_rate) == ('Pen \\ "blue", 2', 125, 2000)
        cafe = service._products.get("0036000291452")
        assert cafe is not None
        assert (cafe.name, cafe.price, cafe.tax_rate, cafe.unit) == (
            "Café crème 東京",
            200,
            500,
            Unit.KG,
        )
        logged = db.execute_sql("SELECT event, details FROM audit_log ORDER BY seq").fetchall()
    finally:
        db.close()
    assert [(event, json.loads(details)) for event, details in logged] == [
        ("products_imported", {"file": "c.csv", "rows": 2, "price_changes": 0}),
        ("products_imported", {"file": "second.csv", "rows": 3, "price_changes": 1}),
        ("price_changed", {"changes": [["4006381333931", 120, 125]]}),
    ]


def test_a_bad_row_deep_in_a_large_file_is_named_and_nothing_changes(
    service: CatalogService, tmp_path: Path
) -> None:
    """The bulk check meets the bad row (a chunk of 10,000 refused, then checked row by
    row): its line is named, and the catalog is as it was."""
    codes = _valid_codes(12_001)
    service.import_csv(_write(tmp_path, _catalog_csv(codes[:5])))
    rows = [f"{code},Item {i},1.00,0,each\n" for i, code in enumerate(codes[1:], start=1)]
    rows[11_000] = f"{codes[11_001]},Item,1.001,0,each\n"  # line 11,002
    report = service.import_csv(_write(tmp_path, HEADER + "".join(rows), "big.csv"))
    assert [str(e) for e in report.errors] == [
        "line 11002: price '1.001' has more than 2 decimal places"
    ]
    assert service._products.count() == 5


PLU_HEADER = "barcode,name,price,tax_rate,unit,plu,min_age\n"
BANANAS, LEMONS, WINE = "2100001000004", "5000000000012", "5011332159811"


def test_plu_and_min_age_import_export_and_old_files_still_import(
    service: CatalogService, tmp_path: Path
) -> None:
    text = (
        PLU_HEADER
        + f"{BANANAS},Bananas loose,0.85,0,kg,4011,\n"
        + f"{WINE},Red wine 75cl,7.50,20,each,,18\n"
    )
    assert service.import_csv(_write(tmp_path, text)).ok
    repo = service._products
    bananas, wine = repo.get(BANANAS), repo.get(WINE)
    assert bananas is not None
    assert wine is not None
    assert (bananas.plu, bananas.min_age, wine.plu, wine.min_age) == ("4011", None, None, 18)
    out = io.StringIO()
    service.export_csv(out)
    assert out.getvalue() == text  # every column, in the import's own form
    # a file of the old five columns imports (its products have no PLU nor age)
    old = _write(tmp_path, HEADER + f"{LEMONS},Lemons,0.50,0,each\n", "old.csv")
    assert service.import_csv(old).ok
    lemons = repo.get(LEMONS)
    assert lemons is not None
    assert (lemons.plu, lemons.min_age) == (None, None)


@pytest.mark.parametrize("rows", [2, 60_000])  # row by row, and the large import's path
def test_a_price_file_takes_no_age_limit_plu_or_vat_rate_off(
    service: CatalogService, tmp_path: Path, rows: int
) -> None:
    """Columns a file leaves out keep each existing product's values (a new product takes
    the defaults): a supplier's barcode,name,price file must not stop the age question."""
    text = (
        PLU_HEADER
        + f"{BANANAS},Bananas loose,0.85,5,kg,4011,\n"
        + f"{WINE},Red wine 75cl,7.50,20,each,,18\n"
    )
    assert service.import_csv(_write(tmp_path, text)).ok
    codes = [c for c in _valid_codes(rows) if c not in (BANANAS, WINE)][: rows - 2]
    prices = "barcode,name,price\n" + f"{BANANAS},Bananas,0.95\n{WINE},Red wine,7.95\n"
    prices += "".join(f"{code},Item {code},1.00\n" for code in codes)
    report = service.import_csv(_write(tmp_path, prices, "prices.csv"))
    assert report.ok, report.errors
    repo = service._products
    bananas, wine = repo.get(BANANAS), repo.get(WINE)
    assert bananas == Product(BANANAS, "Bananas", 95, 500, Unit.KG, "4011", None)
    assert wine == Product(WINE, "Red wine", 795, 2000, Unit.EACH, None, 18)
    if codes:
        assert repo.get(codes[0]) == Product(codes[0], f"Item {codes[0]}", 100)


def test_a_plu_another_product_has_is_refused_by_line(
    service: CatalogService, tmp_path: Path
) -> None:
    first = PLU_HEADER + f"{BANANAS},Bananas loose,0.85,0,kg,4011,\n"
    assert service.import_csv(_write(tmp_path, first)).ok
    clash = _write(
        tmp_path,
        PLU_HEADER + f"{WINE},Red wine 75cl,7.50,20,each,,18\n{LEMONS},Lemons,0.50,0,each,4011,\n",
    )
    for dry_run in (True, False):
        report = service.import_csv(clash, dry_run=dry_run)
        assert [str(e) for e in report.errors] == [
            f"line 3: plu 4011 belongs to product {BANANAS} in the catalog; give that product "
            "another PLU (a row of its own in this file) or this one none"
        ]
    assert service._products.get(WINE) is None  # nothing imported
    assert service._products.plu_owners(["4011"]) == {"4011": BANANAS}


def test_products_of_one_file_can_swap_their_plus(service: CatalogService, tmp_path: Path) -> None:
    """Each PLU is unique at every moment of the write, not only at its end."""
    first = PLU_HEADER + f"{BANANAS},Bananas,0.85,0,kg,4011,\n{LEMONS},Lemons,0.50,0,kg,4053,\n"
    assert service.import_csv(_write(tmp_path, first)).ok
    swapped = PLU_HEADER + f"{LEMONS},Lemons,0.50,0,kg,4011,\n{BANANAS},Bananas,0.85,0,kg,4053,\n"
    report = service.import_csv(_write(tmp_path, swapped, "swap.csv"))
    assert report.ok, report.errors
    assert service._products.plu_owners(["4011", "4053"]) == {"4011": LEMONS, "4053": BANANAS}
    # and a PLU handed to a new product, its old owner left without one
    moved = PLU_HEADER + f"{WINE},Grapes,2.00,0,kg,4011,\n{LEMONS},Lemons,0.50,0,kg,,\n"
    assert service.import_csv(_write(tmp_path, moved, "move.csv")).ok
    assert service._products.plu_owners(["4011", "4053"]) == {"4011": WINE, "4053": BANANAS}


def test_the_database_refuses_a_bad_plu_or_age(service: CatalogService) -> None:
    """The schema's own checks, for any writer other than the import."""
    db = service._products.db
    for column, value in (("plu", "123"), ("plu", "123456"), ("min_age", 0), ("min_age", 100)):
        with pytest.raises(peewee.IntegrityError), db.atomic():
            db.execute_sql(
                "INSERT INTO product (barcode, name, price, tax_rate, unit, "
                f"{column}) VALUES ('{LEMONS}', 'x', 1, 0, 'each', {db.param})",
                (value,),
            )

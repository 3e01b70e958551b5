"""pos basket, pos coupons and pos db check on what the coupons' second review found
(issue 22): a deal at its max_uses left out, codes that are no coupon codes said so, old
products in the coupon range warned about."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pos.db.coupons import CouponRepository
from pos.db.database import open_database
from pos.services.store import validate_setting
from tests.services.test_coupon_review import _old_99_product
from tests.system.test_coupons_cli import LEMON, RULES, run

pytestmark = pytest.mark.backends

MILK = "5010000123451"  # 1.45


@pytest.fixture
def db(shop_db: Path, tmp_path: Path) -> str:
    rules = tmp_path / "coupons.json"
    capped = {"name": "Milk for 10p", "kind": "multibuy", "items": {MILK: 1}, "price": "0.10",
              "max_uses": 2}  # fmt: skip
    rules.write_text(json.dumps({"discounts": [*RULES["discounts"], capped]}))
    assert run("discounts", "import", "--db", str(shop_db), str(rules))[0] == 0
    return str(shop_db)


def test_basket_leaves_out_a_deal_at_its_max_uses(db: str) -> None:
    code, out = run("basket", "--db", db, "--json", MILK)
    assert code == 0
    assert json.loads(out)["total"] == "0.10"
    assert "left_out" not in json.loads(out)
    database = open_database(db)
    try:
        repo = CouponRepository(database)
        with database.atomic():
            assert repo.take_rule_use("Milk for 10p", 2)
            assert repo.take_rule_use("Milk for 10p", 2)
    finally:
        database.close()
    code, out = run("basket", "--db", db, "--json", MILK)
    assert code == 0
    assert json.loads(out)["total"] == "1.45"
    assert json.loads(out)["left_out"] == ["The deal 'Milk for 10p' has had all its 2 uses"]
    code, out = run("basket", "--db", db, MILK)
    assert "The deal 'Milk for 10p' has had all its 2 uses: left out" in out


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("abc", "Error: 'abc' is not a coupon code (13 digits starting 99)"),
        ("", "Error: No coupon code given: scan or type its 13 digits"),
        ("9900100000000", "Error: Coupon 9900100000000 has a bad check digit"),
    ],
)
def test_basket_says_what_is_wrong_with_a_code(db: str, given: str, said: str) -> None:
    code, out = run("basket", "--db", db, LEMON, "--coupon", given)
    assert code == 1
    assert out.startswith(said)


def test_coupons_show_and_void_say_a_bad_check_digit(db: str) -> None:
    for command in ("show", "void"):
        code, out = run("coupons", command, "--db", db, "9900100000000")
        assert code == 1
        assert out.startswith("Error: Coupon 9900100000000 has a bad check digit"), out


@pytest.mark.sqlite_only
def test_db_check_warns_of_a_product_in_the_coupon_range(shop_db: Path) -> None:
    code = _old_99_product(shop_db)
    open_database(shop_db).close()  # the till opened it: migrated
    exit_code, out = run("db", "check", "--db", str(shop_db))
    assert exit_code == 0
    assert (
        f"warning: product {code} (House blend coffee) has a barcode in the coupon range "
        "(99...): it still sells while no coupon has that code, but give it another barcode"
    ) in out


@pytest.mark.parametrize("pattern", ["99IIIIIVVVVVC", "9IIIIIIVVVVVC", "9VVVVVVVVVVVC"])
def test_a_barcode_pattern_that_would_read_coupons_is_refused(pattern: str) -> None:
    table = json.dumps([{"name": "x", "pattern": pattern}])
    with pytest.raises(ValueError, match=r"would read coupon codes \(99\.\.\.\) as in-store"):
        validate_setting("barcode_patterns", table)
    fine = json.dumps([{"name": "x", "pattern": "29IIIIIVVVVVC"}])
    assert json.loads(validate_setting("barcode_patterns", fine))[0]["pattern"] == "29IIIIIVVVVVC"

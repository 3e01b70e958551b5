"""pos coupons issue / list / show / void and pos basket --coupon (issue 22), on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from itertools import count
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import ean

from pos.cli import cli
from pos.db.coupons import CouponRepository
from pos.db.database import open_database
from pos.db.repositories import DiscountRepository
from pos.domain.barcodes import catalog_code_problem
from pos.domain.clock import FixedClock
from pos.domain.coupons import CouponRefused, check_code, make_code, with_coupon
from pos.services.coupons import CouponError, CouponService
from pos.services.store import validate_setting
from tests.conftest import FIXED_NOW

pytestmark = pytest.mark.backends

LEMON = "5000000000012"
RULES = {
    "discounts": [
        {"name": "Pound off", "kind": "basket_amount_off", "amount": "1.00", "coupon": True},
        {
            "name": "Lemons half price",
            "kind": "percent_off",
            "items": {LEMON: 1},
            "percent": "50",
            "coupon": True,
            "max_uses_per_sale": 2,
        },
        {
            "name": "Not a coupon",
            "kind": "basket_percent_off",
            "percent": "1",
            "min_subtotal": "999",
        },
    ]
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(shop_db: Path, tmp_path: Path) -> str:
    rules = tmp_path / "coupons.json"
    rules.write_text(json.dumps(RULES))
    assert run("discounts", "import", "--db", str(shop_db), str(rules))[0] == 0
    return str(shop_db)


def issue(db: str, *extra: str) -> list[dict[str, object]]:
    code, out = run("coupons", "issue", "--db", db, "--json", *extra)
    assert code == 0, out
    return json.loads(out)  # type: ignore[no-any-return]


def test_issue_prints_unique_valid_codes_of_the_store_as_json(db: str) -> None:
    made = issue(
        db, "--rule", "pound off", "--count", "5", "--uses", "2", "--expires", "2099-12-31"
    )
    assert len(made) == 5
    assert len({c["code"] for c in made}) == 5
    for coupon in made:
        assert set(coupon) == {"code", "rule", "uses_left", "expires"}
        code = str(coupon["code"])
        assert code.startswith("99001")
        assert len(code) == 13
        assert ean.is_valid(code)
        assert (coupon["rule"], coupon["uses_left"], coupon["expires"]) == (
            "Pound off",
            2,
            "2099-12-31",
        )
    status, out = run("coupons", "list", "--db", db)
    assert status == 0
    assert out.count("Pound off") == 5
    assert "2/2" in out
    assert "good" in out


def test_show_and_void(db: str) -> None:
    [coupon] = issue(db, "--rule", "Pound off", "--count", "1")
    code = str(coupon["code"])
    status, out = run("coupons", "show", "--db", db, code)
    assert status == 0
    assert "uses left  1 of 1" in out
    assert "expires    never" in out
    assert "status     good" in out
    status, out = run("coupons", "void", "--db", db, code)
    assert (status, out.strip()) == (0, f"voided {code} (Pound off; 1 uses were left)")
    assert "status     voided" in run("coupons", "show", "--db", db, code)[1]
    status, out = run("basket", "--db", db, "--coupon", code, LEMON)
    assert status != 0
    assert f"Coupon {code} was voided" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--rule", "Nope", "--count", "1"), "no discount rule called 'Nope'"),
        (("--rule", "Not a coupon", "--count", "1"), "is not a coupon rule"),
        (("--rule", "Pound off", "--count", "0"), "--count must be 1 to 10,000"),
        (("--rule", "Pound off", "--count", "10001"), "--count must be 1 to 10,000"),
        (("--rule", "Pound off", "--count", "1", "--uses", "0"), "--uses must be 1 to"),
        (("--rule", "Pound off", "--count", "1", "--expires", "2020-01-01"), "is in the past"),
        (("--rule", "Pound off", "--count", "1", "--expires", "soon"), "is not a date"),
    ],
)
def test_bad_issues_are_refused_and_issue_nothing(
    db: str, args: tuple[str, ...], message: str
) -> None:
    status, out = run("coupons", "issue", "--db", db, *args)
    assert status != 0
    assert message in out
    assert run("coupons", "list", "--db", db)[1].strip() == "no coupon codes"


def test_show_and_void_refuse_what_is_no_coupon(db: str) -> None:
    for command in ("show", "void"):
        status, out = run("coupons", command, "--db", db, LEMON)
        assert status != 0
        assert "is not a coupon code" in out
        status, out = run("coupons", command, "--db", db, make_code("001", "1234567"))
        assert status != 0
        assert "was never issued here" in out


def test_basket_prices_with_a_coupon_once_however_often_it_is_given(db: str) -> None:
    [coupon] = issue(db, "--rule", "Lemons half price", "--count", "1")
    code = str(coupon["code"])
    plain = [{"name": "Lemons 3 for 1.30", "amount": "0.20"}]  # the demo shop's own deal
    status, out = run("basket", "--db", db, "--json", f"{LEMON}:5")
    assert status == 0
    assert json.loads(out)["discounts"] == plain
    status, out = run(
        "basket", "--db", db, "--json", "--coupon", code, "--coupon", code, f"{LEMON}:5"
    )
    priced = json.loads(out)
    assert status == 0, out
    # capped at 2 sets per sale: two lemons at half price, the other three 3 for 1.30
    assert priced["discounts"] == [*plain, {"name": "Lemons half price", "amount": "0.50"}]
    assert priced["coupons"] == [{"code": code, "rule": "Lemons half price"}]
    status, out = run("basket", "--db", db, "--coupon", code, LEMON)
    assert status == 0
    assert f"Coupon {code}: Lemons half price" in out


def test_basket_refuses_bad_codes_saying_which(db: str) -> None:
    [coupon] = issue(db, "--rule", "Pound off", "--count", "1")
    code = str(coupon["code"])
    tampered = code[:-1] + str((int(code[-1]) + 1) % 10)
    other_store = make_code("042", "1234567")
    cases = {
        tampered: "has a bad check digit",
        other_store: "is from store 042; this is store 001",
        make_code("001", "0000000"): "is not known here",
    }
    for bad, message in cases.items():
        status, out = run("basket", "--db", db, "--coupon", bad, LEMON)
        assert status != 0, out
        assert message in out, out
    [second] = issue(db, "--rule", "Pound off", "--count", "1")
    status, out = run(
        "basket", "--db", db, "--coupon", code, "--coupon", str(second["code"]), LEMON
    )
    assert status != 0
    assert "A coupon for 'Pound off' is in the sale already" in out


def test_a_taken_code_is_drawn_again(db: str) -> None:
    database = open_database(db)
    try:
        draws = count()
        # the first two draws give the same digits: the second code is drawn a third time
        digits = ["1111111", "1111111", "2222222"]
        service = CouponService(
            CouponRepository(database),
            DiscountRepository(database),
            FixedClock(FIXED_NOW),
            "001",
            draw=lambda: digits[next(draws)],
        )
        made = service.issue("Pound off", 2)
        assert [c.code for c in made] == [make_code("001", "1111111"), make_code("001", "2222222")]
        with pytest.raises(CouponError, match="could not find free codes"):
            CouponService(
                CouponRepository(database),
                DiscountRepository(database),
                FixedClock(FIXED_NOW),
                "001",
                draw=lambda: "1111111",
            ).issue("Pound off", 1)
        assert len(service.listed()) == 2  # nothing of the failed batch
        coupon = service.usable(made[0].code)
        assert coupon.rule == "Pound off"
        assert CouponRepository(database).take_use(made[0].code, date(2026, 3, 14))
        with pytest.raises(CouponRefused, match="is used up"):
            service.usable(made[0].code)
        assert not CouponRepository(database).take_use(made[0].code, date(2026, 3, 14))
    finally:
        database.close()


@pytest.mark.sqlite_only
def test_codes_never_collide_with_products_and_the_store_number_is_checked() -> None:
    assert catalog_code_problem(make_code("001", "1234567")) is not None
    assert catalog_code_problem(LEMON) is None
    assert validate_setting("store_number", " 042 ") == "042"
    for bad in ("42", "0042", "abc", "000", "４２１"):
        with pytest.raises(ValueError, match="store_number is 3 digits"):
            validate_setting("store_number", bad)
    with pytest.raises(CouponRefused) as caught:
        check_code(make_code("001", "1234567"), "002")
    assert caught.value.reason == "other_store"
    first = make_code("001", "1234567")
    from pos.domain.coupons import Coupon

    held = (Coupon(first, "A", 1, 1),)
    assert with_coupon(held, Coupon(first, "A", 1, 1)) == held

"""pos discounts import / export / list and pos basket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pos.cli import cli
from pos.paths import DEMO_DISCOUNTS


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.sqlite"
    assert run("init", "--db", str(path), "--demo")[0] == 0
    return path


def test_init_demo_brings_rules_of_every_kind(db: Path) -> None:
    code, out = run("discounts", "list", "--db", str(db))
    assert code == 0
    for kind in (
        "multibuy",
        "free_items",
        "percent_off",
        "amount_off",
        "basket_amount_off",
        "basket_percent_off",
    ):
        assert kind in out
    assert "3 x Lemons unwaxed" in out
    assert "any 3 of 3 items" in out
    assert "sat,sun" in out


def test_export_then_import_round_trips(db: Path, tmp_path: Path) -> None:
    first = tmp_path / "rules.json"
    assert run("discounts", "export", "--db", str(db), str(first))[0] == 0
    code, out = run("discounts", "import", "--db", str(db), str(first))
    assert (code, out.strip()) == (0, "imported 10 rules: 0 new, 10 updated")
    second = tmp_path / "again.json"
    run("discounts", "export", "--db", str(db), str(second))
    assert first.read_text() == second.read_text()
    exported = json.loads(first.read_text())["discounts"]
    original = json.loads(DEMO_DISCOUNTS.read_text())["discounts"]
    assert sorted(exported, key=lambda r: r["name"]) == sorted(original, key=lambda r: r["name"])
    # each rule saved from the command line is in the audit log, under the OS account
    import sqlite3

    from pos.cli.common import cli_actor

    con = sqlite3.connect(db)
    saved = con.execute(
        "SELECT DISTINCT operator FROM audit_log WHERE event = 'discount_rule_saved'"
    ).fetchall()
    con.close()
    assert saved == [(cli_actor(),)]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "is not valid JSON"),
        ('{"rules": []}', '{"discounts": [...]}'),
        (
            '{"discounts": [{"name": "x", "kind": "multibuy", "items": {"5000000000036": 3},'
            ' "price": "-1"}]}',
            "rule 'x', field 'price'",
        ),
        (
            '{"discounts": [{"name": "x", "kind": "multibuy", "items": {"5010000000011": 3},'
            ' "price": "1"}]}',
            "no product with barcode 5010000000011",
        ),
        (
            '{"discounts": [{"name": "x", "kind": "multibuy", "items": {"5000000000036": 3},'
            ' "price": "99999999999999999999999"}]}',
            "too large",
        ),
        (  # a good rule and a bad one: the good one is not imported either
            '{"discounts": [{"name": "good", "kind": "multibuy", "items": {"5000000000036": 3},'
            ' "price": "5.00"}, {"name": "x", "kind": "percent_off",'
            ' "items": {"5000000000036": 1}, "percent": "120"}]}',
            "rule 'x', field 'percent'",
        ),
    ],
)
def test_bad_files_import_nothing(db: Path, tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    before = run("discounts", "export", "--db", str(db))[1]
    code, out = run("discounts", "import", "--db", str(db), str(path))
    assert code == 1
    assert words in out
    assert "nothing was imported" in out
    assert run("discounts", "export", "--db", str(db))[1] == before


def test_every_bad_rule_is_reported_and_nothing_is_imported(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    good = {"name": "New sandwich deal", "kind": "multibuy", "items": {"5000000000036": 2}}
    path.write_text(
        json.dumps(
            {
                "discounts": [
                    {"name": "Bad price", "kind": "multibuy", "items": {"5000000000036": 3}},
                    {**good, "price": "4.00"},
                    {"name": "Bad kind", "kind": "half_price", "items": {"5000000000036": 1}},
                ]
            }
        )
    )
    before = run("discounts", "export", "--db", str(db))[1]
    code, out = run("discounts", "import", "--db", str(db), str(path))
    assert code == 1
    assert "rule 'Bad price', field 'price'" in out
    assert "rule 'Bad kind', field 'kind'" in out
    assert "rules.json: nothing was imported" in out
    assert run("discounts", "export", "--db", str(db))[1] == before
    assert "New sandwich deal" not in run("discounts", "list", "--db", str(db))[1]


def test_basket_text_shows_discounts_under_their_lines(db: Path) -> None:
    code, out = run(
        "basket",
        "--db",
        str(db),
        "--at",
        "2026-03-16T10:00",
        "5000000000012:3",
        "4006381333931",
        "5011332159811:3",
    )
    assert code == 0
    assert out == (
        "Item                       Qty Price Total\n"
        "Lemons unwaxed               3  0.50  1.50\n"
        "  Lemons 3 for 1.30                  -0.20\n"
        "Highlighter pen yellow       1  1.20  1.20\n"
        "Red wine 75cl                3  7.50 22.50\n"
        "------------------------------------------\n"
        "Items                                    7\n"
        "Subtotal                             25.20\n"
        "TOTAL                                25.00\n"
        "You saved                             0.20\n"
    )  # a Monday: no weekend wine deal


def test_basket_json_and_the_weekend(db: Path) -> None:
    code, out = run(
        "basket",
        "--db",
        str(db),
        "--json",
        "--at",
        "2026-03-14T10:00",
        "5011332159811:3",
        "2100001000004:0.850",
        "2100002012501",
    )
    assert code == 0
    assert json.loads(out) == {
        "lines": [
            {
                "barcode": "5011332159811",
                "name": "Red wine 75cl",
                "qty": 3,
                "unit_price": "7.50",
                "total": "22.50",
            },
            {
                "barcode": "2100001000004",
                "name": "Bananas loose",
                "qty": "0.850",
                "unit_price": "0.85",
                "total": "0.72",
            },
            {
                "barcode": "2100002000003",
                "name": "Braeburn apples loose",
                "qty": "1.250",
                "unit_price": "2.20",
                "total": "2.75",
            },
        ],
        "discounts": [{"name": "Weekend wine 3 for 20", "amount": "2.50"}],
        "subtotal": "25.97",
        "discount_total": "2.50",
        "total": "23.47",
    }


def test_basket_a_label_barcode_carries_its_own_price(db: Path) -> None:
    # 2 + 010001 (deli cheese, 2010001000006 in the catalog at 0.00) + 00349 (3.49) + check
    code, out = run(
        "basket",
        "--db",
        str(db),
        "--json",
        "--at",
        "2026-03-16T10:00",
        "2010001003496",
        "2010001005209",  # another cut, another price: a line of its own
        "2010001003496",  # the same label again adds to its line
        "2010002008995:2",  # a roast chicken labelled 8.99, twice
    )
    assert code == 0
    cheese = {"barcode": "2010001000006", "name": "Deli cheese cut to order"}
    assert json.loads(out) == {
        "lines": [
            {**cheese, "qty": 2, "unit_price": "3.49", "total": "6.98"},
            {**cheese, "qty": 1, "unit_price": "5.20", "total": "5.20"},
            {
                "barcode": "2010002000005",
                "name": "Roast chicken whole",
                "qty": 2,
                "unit_price": "8.99",
                "total": "17.98",
            },
        ],
        "discounts": [],
        "subtotal": "30.16",
        "discount_total": "0.00",
        "total": "30.16",
    }
    code, out = run("basket", "--db", str(db), "2010001003496:0.5")
    assert code == 1
    assert "whole number" in out  # the label says the price; the count is whole


def test_basket_happy_hour_and_christmas_eve(db: Path) -> None:
    _, out = run("basket", "--db", str(db), "--json", "--at", "2026-03-16T17:30", "2100001000004:2")
    assert json.loads(out)["discounts"] == [
        {"name": "Happy hour bananas 20% off", "amount": "0.34"}
    ]
    _, out = run(
        "basket",
        "--db",
        str(db),
        "--json",
        "--at",
        "2026-12-24T12:00",
        "5000000000012:3",
        "2100001000004:2",
    )
    # the exclusive Christmas Eve rule is the only discount
    assert json.loads(out)["discounts"] == [
        {"name": "Christmas Eve 20% off everything", "amount": "0.64"}
    ]


@pytest.mark.parametrize(
    ("items", "words"),
    [
        (["5012345678917"], "No product with barcode 5012345678917"),
        (["5000000000013"], "bad check digit"),
        (["2100001000004"], "needs its weight"),
        (["5000000000012:0"], "whole number"),
        (["5000000000012:1.5"], "whole number"),
        (["5000000000012:abc"], "whole number"),
    ],
)
def test_basket_refuses_bad_items(db: Path, items: list[str], words: str) -> None:
    code, out = run("basket", "--db", str(db), *items)
    assert code == 1
    assert words in out


def test_basket_refuses_a_bad_date(db: Path) -> None:
    code, out = run("basket", "--db", str(db), "--at", "someday", "5000000000012")
    assert code == 1
    assert "is not a date" in out


def test_names_match_whatever_their_case(db: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {
                "discounts": [
                    {
                        "name": "lemons 3 FOR 1.30",
                        "kind": "multibuy",
                        "items": {"5000000000012": 3},
                        "price": "1.20",
                    }
                ]
            }
        )
    )
    code, out = run("discounts", "import", "--db", str(db), str(path))
    assert (code, out.strip()) == (0, "imported 1 rule: 0 new, 1 updated")  # one: "rule"
    exported = tmp_path / "all.json"
    run("discounts", "export", "--db", str(db), str(exported))
    names = [r["name"] for r in json.loads(exported.read_text())["discounts"]]
    assert len(names) == 10
    assert "lemons 3 FOR 1.30" in names
    assert run("discounts", "import", "--db", str(db), str(exported))[0] == 0  # round trip


def test_basket_refuses_a_label_priced_item_without_its_label(db: Path) -> None:
    code, out = run("basket", "--db", str(db), "2010001000006:2")
    assert code == 1
    assert "priced by its label" in out


def test_a_basket_rule_without_min_subtotal_imports_and_applies_to_every_sale(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "r.json"
    path.write_text(
        json.dumps(
            {"discounts": [{"name": "10p off", "kind": "basket_amount_off", "amount": "0.10"}]}
        )
    )
    code, out = run("discounts", "import", "--db", str(db), str(path))
    assert (code, out.strip()) == (0, "imported 1 rule: 1 new, 0 updated")
    assert "every sale" in run("discounts", "list", "--db", str(db))[1]
    at = "2026-03-16T10:00"
    code, out = run("basket", "--db", str(db), "--json", "--at", at, "4006381333931")
    assert code == 0
    priced = json.loads(out)
    assert {"name": "10p off", "amount": "0.10"} in priced["discounts"]


@pytest.mark.parametrize("options", [[], ["--at", "2026-03-16T10:00"]])
def test_basket_without_items_is_the_empty_basket(db: Path, options: list[str]) -> None:
    """Issue 18 item 8: no item is a basket like any other (the till's empty cart), not a
    usage error: it costs 0.00, and no rule (not even an every-sale basket rule) takes it
    below zero."""
    code, out = run("basket", "--db", str(db), *options)
    assert code == 0, out
    assert "Items                                    0" in out
    assert "TOTAL                                 0.00" in out
    code, out = run("basket", "--db", str(db), "--json", *options)
    assert code == 0, out
    priced = json.loads(out)
    assert priced["lines"] == []
    assert priced["total"] == "0.00"

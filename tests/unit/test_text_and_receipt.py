from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from pos.domain.cart import Cart, CartLine
from pos.domain.catalog import Product, Unit
from pos.domain.receipt import (
    WIDTHS,
    ReceiptData,
    render_cart,
    render_priced,
    render_receipt,
    render_refund,
)
from pos.domain.text import TextError, cell_len, clean_name, wrap_cells


def test_cell_len_counts_terminal_cells() -> None:
    assert cell_len("abc") == 3
    assert cell_len("日本") == 4
    assert cell_len("Cafe\u0301") == 4  # combining accent takes no cell


def test_clean_name_normalises_and_refuses_controls() -> None:
    assert clean_name("  Cafe\u0301 ") == "Café"
    for bad in (
        "",
        "   ",
        "a\x1b[2Jb",
        "tab\there",
        "bidi\u202eevil",
        "x" * 121,
        "nul\x00",
        "zero\u200bwidth",
        "soft\u00adhyphen",
        "line\u2028sep",
    ):
        with pytest.raises(TextError):
            clean_name(bad)
    assert clean_name("[bold red]FREE[/]") == "[bold red]FREE[/]"  # markup is just text
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 card"  # emoji joined by ZWJ
    assert clean_name(family) == family


def test_wrap_never_exceeds_width() -> None:
    for text in ("a" * 50, "日本語のテキスト" * 3, "short words wrap at the spaces nicely"):
        for width in (1, 5, 10):
            assert all(cell_len(part) <= max(width, 2) for part in wrap_cells(text, width))


def _cart() -> Cart:
    cart = Cart()
    cart.put(CartLine.for_product(1, Product("5010000000001", "Semi-skimmed milk 2 pints", 145), 2))
    cart.put(
        CartLine.for_product(2, Product("2100001000004", "Bananas loose", 85, 0, Unit.KG), 850)
    )
    cart.put(
        CartLine.for_product(
            3,
            Product("5010000000002", "A very long product name that has to wrap onto lines", 1999),
            1,
        )
    )
    cart.put(CartLine.for_product(4, Product("5010000000003", "日本の緑茶 ペットボトル", 199), 10))
    return cart


@pytest.mark.parametrize("width", WIDTHS)
def test_receipt_fits_the_paper(width: int) -> None:
    cart = _cart()
    text = render_cart(cart, cart.subtotal, cart.item_count, width)
    lines = text.splitlines()
    assert all(cell_len(line) <= width for line in lines), text
    # money is right-aligned: every figure row ends exactly at the edge
    assert lines[-1] == "TOTAL" + " " * (width - 10) + "43.51"
    assert "19.99" in text
    assert "0.850kg" in text


def test_receipt_layout_42() -> None:
    cart = _cart()
    assert render_cart(cart, cart.subtotal, cart.item_count, 42) == (
        "Item                       Qty Price Total\n"
        "Semi-skimmed milk 2          2  1.45  2.90\n"
        "pints\n"
        "Bananas loose          0.850kg  0.85  0.72\n"
        "A very long product          1 19.99 19.99\n"
        "name that has to wrap\n"
        "onto lines\n"
        "日本の緑茶                  10  1.99 19.90\n"
        "ペットボトル\n"
        "------------------------------------------\n"
        "Items                                   14\n"
        "TOTAL                                43.51\n"
    )


def test_receipt_width_must_be_a_paper_width() -> None:
    with pytest.raises(ValueError, match="one of"):
        render_cart([], 0, 0, 40)


def test_priced_receipt_puts_discounts_under_their_lines() -> None:
    from pos.domain.pricing import price_cart
    from pos.domain.rule_format import parse_rule

    lemon = Product("5000000000012", "Lemons unwaxed", 50)
    cart = Cart()
    cart.put(CartLine.for_product(1, lemon, 6))
    cart.put(CartLine.for_product(2, Product("5010000000003", "Wine", 2500), 3))
    rules = [
        parse_rule(
            {
                "name": "Lemons 3 for 1.30",
                "kind": "multibuy",
                "items": {lemon.barcode: 3},
                "price": "1.30",
            }
        ),
        parse_rule(
            {
                "name": "5 off over 50",
                "kind": "basket_amount_off",
                "min_subtotal": "50",
                "amount": "5",
            }
        ),
    ]
    priced = price_cart(cart, rules, datetime(2026, 3, 14, 12))
    text = render_priced(cart.lines, priced, cart.item_count, 32)
    assert text == (
        "Item             Qty Price Total\n"
        "Lemons unwaxed     6  0.50  3.00\n"
        "  Lemons 3 for 1.30 x2     -0.40\n"
        "Wine               3 25.00 75.00\n"
        "--------------------------------\n"
        "Items                          9\n"
        "Subtotal                   78.00\n"
        "5 off over 50              -5.00\n"
        "TOTAL                      72.60\n"
        "You saved                   5.40\n"
    )
    assert all(cell_len(line) <= 32 for line in text.splitlines())


@pytest.mark.parametrize("currency", ["£", "kr", "円"])  # 1, 2 and 2 cells wide
@pytest.mark.parametrize("width", WIDTHS)
def test_the_money_totals_carry_the_currency_sign(width: int, currency: str) -> None:
    from pos.domain.pricing import price_cart
    from pos.domain.tax import amount_due, vat_summary
    from pos.domain.tender import Tender

    cart = _cart()
    priced = price_cart(cart, [], datetime(2026, 3, 14, 12))
    vat = vat_summary(cart.lines, priced, inclusive=True)
    tender = Tender(amount_due(vat))
    tender.card(1000, "T55")
    tender.cash(4000)  # 33.51 left: 6.49 change
    data = ReceiptData(
        "Corner Shop",
        "Till 1",
        7,
        "Ann",
        datetime(2026, 3, 14, 12),
        cart.lines,
        priced,
        vat,
        tender.payments,
        currency=currency,
    )
    lines = render_receipt(data, width).splitlines()
    assert all(cell_len(line) <= width for line in lines), lines
    for label, amount in (
        ("TOTAL", "43.51"),
        ("Card T55", "10.00"),
        ("Cash", "40.00"),
        ("Change", "6.49"),
    ):
        line = next(line for line in lines if line.startswith(label + " "))
        assert line.endswith(" " + currency + amount), line  # right-aligned at the edge
        assert cell_len(line) == width
    # the item columns and the VAT table stay plain figures
    signed = [line.split()[0] for line in lines if currency in line]
    assert signed == ["TOTAL", "Card", "Cash", "Change"]
    refund = render_refund(
        store="Corner Shop",
        till="Till 1",
        number=8,
        original=7,
        operator="Ann",
        at=datetime(2026, 3, 14, 13),
        items=[("Bananas loose", "0.850kg", 72)],
        method="cash",
        width=width,
        currency=currency,
    ).splitlines()
    assert all(cell_len(line) <= width for line in refund)
    assert refund[-2].endswith(" " + currency + "0.72")
    assert cell_len(refund[-2]) == width
    assert refund[-1].endswith(" " + currency + "0.72")
    assert cell_len(refund[-1]) == width
    assert "-0.72" in refund[-4]
    assert currency not in refund[-4]


def test_ascii_text_is_one_cell_a_character() -> None:
    """cell_len's ASCII shortcut agrees with char_cells for every ASCII character."""
    from pos.domain.text import char_cells

    every = "".join(chr(i) for i in range(128))
    assert cell_len(every) == sum(char_cells(ch) for ch in every) == 128
    assert cell_len("Café 日本") == 9  # not ASCII: counted per character


def test_plural() -> None:
    from pos.domain.text import plural

    assert [plural(n, "line") for n in (0, 1, 2)] == ["0 lines", "1 line", "2 lines"]
    assert plural(1, "entry", "entries") == "1 entry"
    assert plural(3, "entry", "entries") == "3 entries"
    assert plural(1234, "product", sep=",") == "1,234 products"


def test_name_list_fits_the_first_names_and_counts_the_rest() -> None:
    from pos.domain.text import cell_len, cut_cells, name_list

    names = ["Milk", "Bread", "Eggs", "Butter", "Jam"]
    assert name_list(names, 80) == "Milk, Bread, Eggs, Butter, Jam"
    assert name_list(names, 20) == "Milk, Bread, +3 more"
    assert name_list(names, 19) == "Milk, +4 more"
    assert name_list(["Highlighter pen yellow"], 10) == "Highlight…"
    assert name_list(["Highlighter pen yellow", "Milk"], 16) == "Highli…, +1 more"
    assert name_list([], 20) == ""
    assert name_list(["茶叶蛋", "Milk"], 12) == "茶叶蛋, Milk"  # wide characters: cells
    assert name_list(["茶叶蛋", "Milk", "Jam"], 12) == "茶…, +2 more"
    for width in range(1, 40):
        assert cell_len(name_list(names * 3, width)) <= max(width, len(", +14 more") + 1)
    assert cut_cells("茶叶蛋", 4) == "茶…"


@pytest.mark.parametrize("width", WIDTHS)
def test_an_age_checked_sale_says_so_on_its_receipt(width: int) -> None:
    """Issue 20: "Age checked (18+)" under the payments, inside the paper's width; a sale
    that asked no age says nothing of it."""
    from pos.domain.pricing import price_cart
    from pos.domain.tax import amount_due, vat_summary
    from pos.domain.tender import Tender

    cart = _cart()
    priced = price_cart(cart, [], datetime(2026, 3, 14, 12))
    vat = vat_summary(cart.lines, priced, inclusive=True)
    tender = Tender(amount_due(vat))
    tender.cash(5000)
    at = datetime(2026, 3, 14, 12)
    data = ReceiptData("Shop", "Till 1", 7, "Ann", at, cart.lines, priced, vat, tender.payments)
    plain = render_receipt(data, width)
    assert "Age checked" not in plain
    lines = render_receipt(replace(data, age_checked=18), width).splitlines()
    assert all(cell_len(line) <= width for line in lines), lines
    assert lines[-4:] == [lines[-4], "Age checked (18+)", "", lines[-1]]
    assert lines[-4].startswith("Change ")
    assert lines[-1].strip() == "Thank you"


def test_a_sale_with_a_coupon_prints_its_row() -> None:
    """Issue 22: each coupon the sale used, as its row (0.00, named after its rule) and its
    code, under the payments; a text snapshot of the 32-column receipt's end."""
    from pos.domain.pricing import price_cart
    from pos.domain.tax import amount_due, vat_summary
    from pos.domain.tender import Tender

    cart = _cart()
    priced = price_cart(cart, [], datetime(2026, 3, 14, 12))
    vat = vat_summary(cart.lines, priced, inclusive=True)
    tender = Tender(amount_due(vat))
    tender.cash(5000)
    at = datetime(2026, 3, 14, 12)
    data = ReceiptData("Shop", "Till 1", 7, "Ann", at, cart.lines, priced, vat, tender.payments)
    assert "Coupon" not in render_receipt(data, 32)
    coupons = (("9900112345674", "A very long coupon deal name that is cut"),)
    lines = render_receipt(replace(data, coupons=coupons), 32).splitlines()
    assert lines[-5:] == [
        "Change                      6.49",
        "Coupon: A very long coupo…  0.00",
        "  9900112345674",
        "",
        "           Thank you",
    ]

"""Names with emoji, combining characters and wide CJK characters keep every column
straight: the domain's cell widths agree with Rich's (what Textual draws), the
fixed-width receipt's figure columns end at the paper's edge on every row, and the
cart, receipt and refund screens line their columns up.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len as rich_cell_len
from stdnum import ean
from textual.widgets import DataTable

from pos.app import PosApp
from pos.cli import cli
from pos.domain.cart import Cart, CartLine
from pos.domain.catalog import Product
from pos.domain.receipt import WIDTHS, render_cart
from pos.domain.text import cell_len, clean_name, clusters, pad_left, pad_right, wrap_cells
from pos.screens.history import SaleReceiptModal
from pos.screens.payment import ReceiptScreen
from pos.screens.refund import RefundScreen
from pos.widgets import CartTable
from tests.ui.helpers import scan, settle, until

NAMES = [
    "日本の緑茶ティーバッグ 大容量パック",  # wide: two cells a character
    "ＦＵＬＬＷＩＤＴＨ ｌｅｔｔｅｒｓ",  # fullwidth Latin
    "ﾊﾝｶｸ half-width katakana",
    "한국어 김치 500g",  # Hangul
    "Mañana q\u0303 Z\u0335\u0321\u0324a",  # combining marks with no precomposed form
    "น้ำปลา Thai fish sauce",  # Thai: marks above and below
    "क्षत्रिय chai",  # Devanagari conjunct
    "Lemons 🍋🍋 bag",  # wide emoji
    "Family card \U0001f468\u200d\U0001f469\u200d\U0001f467",  # a ZWJ sequence: one picture
    "Thumbs 👍🏽 sticker",  # skin-tone modifier
    "Flags 🇬🇧🇫🇷 bunting",  # regional indicator pairs
    "Keycap 1\ufe0f\u20e3 candle",  # keycap: VS16 + enclosing keycap
    "Love \u2764\ufe0f mug",  # emoji presentation selector
    "Rainbow flag \U0001f3f3\ufe0f\u200d\U0001f308",
    "Coder \U0001f9d1\U0001f3fd\u200d\U0001f4bb mousemat",
    "Plain ASCII name",
]


def test_the_domain_measures_as_rich_draws() -> None:
    for name in NAMES:
        assert clean_name(name) == name  # each is a name the till takes
        assert cell_len(name) == rich_cell_len(name), name
        pieces = clusters(name)
        assert "".join(pieces) == name
        assert sum(map(cell_len, pieces)) == cell_len(name), name
        assert cell_len(pad_right(name, 60)) == 60
        assert cell_len(pad_left(name, 60)) == 60
        for width in (4, 7, 10, 16):
            for part in wrap_cells(name, width):
                assert rich_cell_len(part) <= max(width, 2), (name, width, part)
                assert part == "" or part[0] == " " or cell_len(part[0]) > 0  # no cut mark


def test_every_character_a_name_may_hold_is_measured_as_rich_draws_it() -> None:
    """All of Unicode up to plane 2, less what a name may not hold. The only differences
    left are symbols that Rich's newer Unicode tables draw wide and this Python's
    ``unicodedata`` does not know are (Unicode 16 made the I Ching symbols wide)."""
    newer: list[str] = []
    for code in range(0x20, 0x30000):
        if code == 0xFE0F:
            continue  # the emoji selector after a letter: meaningless (Rich knows the bases)
        name = "x" + chr(code)
        try:
            if clean_name(name) != name:
                continue
        except ValueError:
            continue
        if cell_len(name) != rich_cell_len(name):
            newer.append(chr(code))
    assert all(rich_cell_len(ch) == 2 and cell_len(ch) == 1 for ch in newer), newer
    assert all(unicodedata.category(ch) in ("So", "No") for ch in newer), newer
    assert len(newer) < 200


def _cart() -> Cart:
    cart = Cart()
    for no, name in enumerate(NAMES, 1):
        body = f"50999{no:07d}"
        cart.put(
            CartLine.for_product(no, Product(body + ean.calc_check_digit(body), name, 123), no)
        )
    return cart


@pytest.mark.parametrize("width", WIDTHS)
def test_the_receipt_columns_stay_at_the_edge(width: int) -> None:
    cart = _cart()
    text = render_cart(cart.lines, cart.subtotal, cart.item_count, width)
    lines = text.splitlines()
    assert all(rich_cell_len(line) <= width for line in lines), text
    figure_rows = [line for line in lines if line.endswith((" 1.23", "2.46", "3.69", "4.92"))]
    assert len(figure_rows) >= 4
    for line in lines:
        if line.rstrip() != line or not line[-1].isdigit():
            continue
        assert rich_cell_len(line) == width, (line, text)  # figures end at the edge
    # the price column ends in the same cell on every item row
    price_ends = {
        rich_cell_len(line[: line.index(" 1.23 ") + 5]) for line in lines if " 1.23 " in line
    }
    assert len(price_ends) == 1, text


# ------------------------------------------------------------------ on screen

SIZE = (120, 40)
AppFactory = Callable[..., PosApp]


def _codes() -> list[str]:
    codes = []
    for no in range(1, len(NAMES) + 1):
        body = f"50999{no:07d}"
        codes.append(body + ean.calc_check_digit(body))
    return codes


def _strip_text(strip: object) -> str:
    return "".join(segment.text for segment in strip)  # type: ignore[attr-defined]


async def test_the_screens_keep_their_columns(app_factory: AppFactory, demo_db: Path) -> None:
    """Sell every name, then look at the cart table, the receipt, the receipt from the
    history and the refund table."""
    catalog = demo_db.parent / "unicode.csv"
    rows = "".join(
        f'{code},"{name}",1.23,0,each\n' for code, name in zip(_codes(), NAMES, strict=True)
    )
    catalog.write_text("barcode,name,price,tax_rate,unit\n" + rows, encoding="utf-8")
    result = CliRunner().invoke(cli, ["products", "import", "--db", str(demo_db), str(catalog)])
    assert result.exit_code == 0, result.output

    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        for code in _codes():
            await scan(pilot, code)
        table = app.screen.query_one(CartTable)
        width = table.scrollable_content_region.width
        shown = [_strip_text(table.render_line(y)) for y in range(1, len(NAMES) + 1)]
        assert all(rich_cell_len(row) == width for row in shown)
        ends = {rich_cell_len(row[: row.index("1.23") + 4]) for row in shown}
        assert len(ends) == 1, shown  # the price ends in the same column on every row

        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")
        await until(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = app.screen.done.receipt_text  # type: ignore[attr-defined]
        _assert_receipt_aligned(receipt)
        await pilot.press("enter")
        await settle(pilot)

        await pilot.press("f11")
        await settle(pilot)
        await pilot.press("enter")  # the newest sale
        await until(pilot, lambda: isinstance(app.screen, SaleReceiptModal))
        assert app.screen.text == receipt  # type: ignore[attr-defined]
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, RefundScreen))
        refund_table = app.screen.query_one(DataTable)
        await settle(pilot)
        lines = [_strip_text(refund_table.render_line(y)) for y in range(len(NAMES) + 1)]
        assert len({rich_cell_len(line) for line in lines}) == 1, lines
        # the Sold column starts in the same cell on every row, whatever the name
        start = rich_cell_len(lines[0][: lines[0].index("Sold")])
        for no, line in enumerate(lines[1:], 1):
            column = refund_table.render_line(no).crop(start, start + 4)
            assert _strip_text(column).strip() == "1", (line, _strip_text(column))  # sold 1


def _assert_receipt_aligned(receipt: str) -> None:
    lines = receipt.splitlines()
    width = max(rich_cell_len(line) for line in lines)
    assert width in WIDTHS
    item_rows = [line for line in lines if " 1.23 " in line]
    assert len(item_rows) == len(NAMES), receipt
    assert {rich_cell_len(line) for line in item_rows} == {width}, receipt
    assert len({rich_cell_len(line[: line.index(" 1.23 ") + 5]) for line in item_rows}) == 1

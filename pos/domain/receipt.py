"""Fixed-width receipt text for 58 mm and 80 mm printers (32, 42 or 48 columns).

Column widths come from the longest value in each column plus one space of
padding; the name column takes what is left and long names wrap at word
boundaries inside it. Money is right-aligned. Widths are measured in terminal
cells, so CJK names and combining accents keep the columns straight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pos.domain.cart import CartLine
from pos.domain.catalog import Unit
from pos.domain.money import format_money
from pos.domain.text import cell_len, pad_left, pad_right, wrap_cells

WIDTHS = (32, 42, 48)
"""Characters per line: 58 mm paper takes 32, 80 mm paper 42 or 48."""

MIN_NAME_WIDTH = 10
"""Below this the name goes on its own line(s) above the figures."""


@dataclass(frozen=True, slots=True)
class Row:
    """One item row before layout: the name and its three right-aligned figures."""

    name: str
    qty: str
    price: str
    total: str


def format_qty(unit: Unit, qty: int) -> str:
    """``3`` for items; ``0.850kg`` for a weighed line (qty in grams)."""
    if unit is Unit.KG:
        return f"{qty // 1000}.{qty % 1000:03d}kg"
    return str(qty)


def row_for(line: CartLine) -> Row:
    return Row(
        line.name,
        format_qty(line.unit, line.qty),
        format_money(line.unit_price),
        format_money(line.total),
    )


def check_width(width: int) -> None:
    if width not in WIDTHS:
        raise ValueError(f"receipt width must be one of {WIDTHS}, not {width}")


def label_amount(label: str, amount: str, width: int) -> str:
    """``label`` on the left and ``amount`` right-aligned on one line of ``width``."""
    room = width - cell_len(amount) - 1
    return pad_right(label if cell_len(label) <= room else wrap_cells(label, room)[0], room) + (
        " " + amount
    )


def layout_rows(rows: Sequence[Row], width: int) -> list[str]:
    """Lay out item rows under a ``Item / Qty / Price / Total`` heading."""
    check_width(width)
    header = Row("Item", "Qty", "Price", "Total")
    everything = [header, *rows]
    qty_w = max(cell_len(r.qty) for r in everything)
    price_w = max(cell_len(r.price) for r in everything)
    total_w = max(cell_len(r.total) for r in everything)
    figures_w = qty_w + price_w + total_w + 3  # one space before each figure column
    name_w = width - figures_w

    def figures(row: Row) -> str:
        return (
            f" {pad_left(row.qty, qty_w)} {pad_left(row.price, price_w)} "
            f"{pad_left(row.total, total_w)}"
        )

    out: list[str] = []
    for row in everything:
        if name_w >= MIN_NAME_WIDTH:
            parts = wrap_cells(row.name, name_w)
            out.append(pad_right(parts[0], name_w) + figures(row))
            out.extend(parts[1:])
        else:  # too narrow: the name gets whole lines, the figures a line of their own
            out.extend(wrap_cells(row.name, width))
            out.append(pad_left(figures(row).lstrip(), width))
    return out


def render_cart(lines: Iterable[CartLine], subtotal: int, item_count: int, width: int = 42) -> str:
    """The cart as receipt text: the item rows, then the item count and total."""
    check_width(width)
    body = layout_rows([row_for(line) for line in lines], width)
    rule = "-" * width
    total = [
        label_amount("Items", str(item_count), width),
        label_amount("TOTAL", format_money(subtotal), width),
    ]
    return "\n".join([*body, rule, *total]) + "\n"

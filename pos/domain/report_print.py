"""The X and Z reports as they print: fitted to the receipt printer's width (32, 42 or 48
characters), under the store's name, like a receipt.

The screen's report (:meth:`pos.domain.report.DayFigures.lines`) is laid out for its
42-cell panel; on paper each figure goes to the right edge of the paper instead, a table
(VAT rates, operators) takes the columns its figures need, and a table too wide for the
paper puts its first column on a line of its own. A Z report ends with the audit log's
head when the day closed (entry number and the first :data:`HASH_CHARS` characters of
its hash, as ``pos report --z N`` and ``pos audit verify`` show them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pos.domain.cash import NO_SALE, TITLES
from pos.domain.money import format_money, format_scaled
from pos.domain.receipt import check_width, label_amount, mark_copy, mark_demo, store_header
from pos.domain.report import DayFigures
from pos.domain.text import cell_len, pad_left, pad_right, wrap_cells

HASH_CHARS = 16
"""How much of the audit head's hash a Z report prints (what ``pos audit verify`` shows)."""


@dataclass(frozen=True, slots=True)
class PrintHead:
    """What goes above a printed report: the store, the till and the receipt settings."""

    store: str
    till: str
    width: int = 42
    header: Sequence[str] = ()
    demo: bool = False


def table(headings: Sequence[str], rows: Sequence[Sequence[str]], width: int) -> list[str]:
    """A table: the first column on the left, the others right-aligned to the paper's
    edge, each as wide as its widest cell. Too wide for ``width``: each row's first cell
    on a line of its own, its figures on the next."""
    cells = [list(headings), *map(list, rows)]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(headings))]
    figures_w = sum(widths[1:]) + len(widths) - 1  # one space before each figure column
    first = width - figures_w
    out: list[str] = []
    for row in cells:
        pairs = zip(row[1:], widths[1:], strict=True)
        figures = "".join(" " + pad_left(cell, w) for cell, w in pairs)
        if first >= widths[0]:
            out.append(pad_right(row[0], first) + figures)
        else:
            out += [*wrap_cells(row[0], width), pad_left(figures.lstrip(), width)]
    return out


def figures_lines(figures: DayFigures, width: int, hourly: Sequence[int] = ()) -> list[str]:
    """A day's figures on paper of ``width``: the totals, tender, cash movements (and,
    for an open day, the cash expected in the drawer), VAT rates, operators and the
    takings of each local hour that had any (``hourly``: 24 amounts)."""
    rule = "-" * width

    def pair(label: str, value: str | int) -> str:
        return label_amount(label, value if isinstance(value, str) else str(value), width)

    out = [
        pair("Sales", figures.sales),
        pair("Gross takings", format_money(figures.gross)),
        pair("Discounts given", format_money(figures.discounts)),
        pair("Manual discounts", format_money(figures.manual_discounts)),
        pair("  count", figures.manual_discount_count),
        pair("Refunds", format_money(figures.refunds)),
    ]
    if figures.vat_added:
        out.append(pair("VAT added", format_money(figures.vat_added)))
    out += [
        pair("Net", format_money(figures.net)),
        pair("Voids", figures.voids),
        pair("Overrides", figures.overrides),
        rule,
        "By tender",
        pair("  Cash", format_money(figures.cash)),
        pair("  Card", format_money(figures.card)),
    ]
    if figures.vouchers:  # gift vouchers (issue 22): a tender, and a liability sold
        out += [
            pair(
                f"  Voucher x{figures.vouchers_redeemed[0]}",
                format_money(figures.vouchers_redeemed[1]),
            ),
            rule,
            "Gift vouchers sold (not takings)",
            pair(f"  Sold x{figures.vouchers_sold[0]}", format_money(figures.vouchers_sold[1])),
        ]
    if figures.refund_reasons or figures.unreceipted:
        out += [rule, "Refunds by reason"]
        out += table(
            ("Reason", "Count", "Amount"),
            [
                *(
                    (reason, str(count), format_money(amount))
                    for reason, (count, amount) in sorted(figures.refund_reasons.items())
                ),
                (
                    "Without a receipt",
                    str(figures.unreceipted_count),
                    format_money(figures.unreceipted_amount),
                ),
            ],
            width,
        )
    out += [
        rule,
        "Cash movements",
        pair("  Paid in", format_money(figures.paid_in)),
        pair("  Paid out", format_money(figures.paid_out)),
        pair("  Pickups", format_money(figures.pickups)),
        pair("  No sales", figures.no_sales),
    ]
    out += [pair(f"    by {op}", n) for op, n in figures.no_sales_by_operator.items()]
    for movement in figures.movements:
        amount = "" if movement.kind == NO_SALE else format_money(movement.amount)
        out.append(pair(f"{movement.at.astimezone():%H:%M} {TITLES[movement.kind]}", amount))
        why = f"{movement.operator}: {movement.reason}"
        out += ["  " + part for part in wrap_cells(why, width - 2)]
    if figures.float_amount is not None:
        out += [
            rule,
            "Cash in drawer",
            pair("  Float", format_money(figures.float_amount)),
            pair("  Expected", format_money(figures.expected_cash(figures.float_amount))),
        ]
    out += [rule, "By VAT rate"]
    out += table(
        ("Rate", "Net", "VAT", "Gross"),
        [
            (f"{format_scaled(r, 2)}%", format_money(n), format_money(v), format_money(g))
            for r, n, v, g in figures.vat
        ],
        width,
    )
    out += [rule, "By operator"]
    out += table(
        ("Operator", "Sales", "Total", "Refunds"),
        [(o, str(c), format_money(t), format_money(r)) for o, c, t, r in figures.operators],
        width,
    )
    hours = [(hour, amount) for hour, amount in enumerate(hourly) if amount]
    if hours:
        out += [rule, "Takings by hour"]
        out += [pair(f"  {hour:02d}:00", format_money(amount)) for hour, amount in hours]
    return out


def render_x_report(
    head: PrintHead,
    *,
    since: datetime,
    at: datetime,
    operator: str,
    figures: DayFigures,
    hourly: Sequence[int] = (),
) -> str:
    """The X report of the open day, printed at ``at`` by ``operator`` (local times)."""
    width = head.width
    check_width(width)
    rule = "-" * width
    out = store_header(head.store, head.header, width)
    out += [
        label_amount(head.till, "X REPORT", width),
        label_amount(f"{at:%Y-%m-%d %H:%M}", operator, width),
        label_amount("Day opened", f"{since:%Y-%m-%d %H:%M}", width),
        rule,
        *figures_lines(figures, width, hourly),
        rule,
        *wrap_cells("X report: it closes nothing", width),
    ]
    return _finish(out, head)


def render_z_report(
    head: PrintHead,
    *,
    z_no: int,
    opened: datetime,
    closed: datetime,
    cash_up: Sequence[tuple[str, str]],
    figures: DayFigures,
    hourly: Sequence[int] = (),
    audit_head: tuple[int, str] | None = None,
    copy: bool = False,
) -> str:
    """The Z report ``z_no`` of a closed day (local times): the cash-up (label and value
    pairs), the day's figures and the audit log's head when it closed; ``copy``: marked
    ``*** COPY ***`` above and below."""
    width = head.width
    check_width(width)
    rule = "-" * width
    out = store_header(head.store, head.header, width)
    out += [
        label_amount(head.till, f"Z REPORT {z_no:04d}", width),
        label_amount("Day opened", f"{opened:%Y-%m-%d %H:%M}", width),
        label_amount("Day closed", f"{closed:%Y-%m-%d %H:%M}", width),
        rule,
        "Cash-up",
        *(label_amount(f"  {label}", value, width) for label, value in cash_up),
        rule,
        *figures_lines(figures, width, hourly),
        rule,
    ]
    if audit_head is not None:
        seq, digest = audit_head
        out += [
            "Audit log head",
            label_amount("  Entry", str(seq), width),
            label_amount("  Hash", digest[:HASH_CHARS], width),
            rule,
        ]
    out += wrap_cells("Z report: the day is closed", width)
    text = _finish(out, head)
    return mark_copy(text, width) if copy else text


def _finish(lines: list[str], head: PrintHead) -> str:
    text = "\n".join(line.rstrip() for line in lines) + "\n"
    return mark_demo(text, head.width) if head.demo else text

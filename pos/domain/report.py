"""The end-of-day figures (X and Z reports) and how they print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pos.domain.cash import CashMovement, expected_cash
from pos.domain.money import format_money, format_scaled
from pos.domain.text import cut_cells, pad_right

LINE_WIDTH = 42
"""The widest line of a report: the report screen's figures panel shows this many cells."""

NO_REASON = "(no reason)"
"""How the reports name the reason of a refund made before refunds had reasons (v17)."""


@dataclass(frozen=True, slots=True)
class DayFigures:
    """One till's day, in minor units. ``cash``/``card`` are what each tender paid off
    sales (cash change already taken out); ``net`` is after discounts and refunds, and
    includes ``vat_added`` (the VAT put on top of net prices when the shop prices
    tax-exclusive; 0 with VAT-inclusive prices). The VAT rows are after refunds (a refund
    comes off its lines' rates); each operator's row shows the refunds they paid out."""

    sales: int
    gross: int
    discounts: int
    net: int
    refunds: int
    cash: int
    card: int
    change_given: int
    cash_refunds: int = 0
    vat: list[tuple[int, int, int, int]] = field(default_factory=list)  # rate, net, vat, gross
    # number, sales, their total, refunds they paid out
    operators: list[tuple[str, int, int, int]] = field(default_factory=list)
    takings_by_utc_hour: dict[int, int] = field(default_factory=dict)
    voids: int = 0
    overrides: int = 0
    vat_added: int = 0
    paid_in: int = 0
    paid_out: int = 0
    pickups: int = 0
    no_sales: int = 0
    movements: list[CashMovement] = field(default_factory=list)
    """Each cash movement (No sale, paid in or out, pickup), oldest first."""
    manual_discounts: int = 0
    """What the cashiers' discounts took off (issue 21), not in ``discounts`` (promotions)."""
    manual_discount_count: int = 0
    """How many cashiers' discounts were given."""
    float_amount: int | None = None
    """The open day's float, when the report shows what the drawer should hold (the X
    report of an open day); None otherwise (a Z report has its own cash-up)."""
    unreceipted: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Refunds without a receipt by method (``cash``, ``card``): how many, and what they
    paid back (already in ``refunds`` and ``cash_refunds``: they are refunds)."""
    refund_reasons: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Every refund by its reason (:data:`NO_REASON` for older ones): how many, how much."""
    vouchers_sold: tuple[int, int] = (0, 0)
    """Gift vouchers sold (issue 22): how many, what they are worth. A liability, not
    takings: not in ``gross``, ``net`` or the VAT rows (the cash paid for them is in
    ``cash``)."""
    vouchers_redeemed: tuple[int, int] = (0, 0)
    """Gift voucher payments: how many, how much (a tender, not cash)."""
    voucher_overspends: tuple[int, int] = (0, 0)
    """A store's server: redemptions a till took offline beyond what the voucher held
    when the sale arrived (how many, by how much)."""
    voucher_clashes: tuple[int, int] = (0, 0)
    """A store's server: vouchers sold whose code another till's voucher held (count, value)."""

    @property
    def unreceipted_count(self) -> int:
        return sum(count for count, _ in self.unreceipted.values())

    @property
    def unreceipted_amount(self) -> int:
        return sum(amount for _, amount in self.unreceipted.values())

    @property
    def unreceipted_cash(self) -> int:
        """What refunds without a receipt paid back in cash (out of the drawer)."""
        return self.unreceipted.get("cash", (0, 0))[1]

    @property
    def no_sales_by_operator(self) -> dict[str, int]:
        """How many times each operator opened the drawer without a sale."""
        counts: dict[str, int] = {}
        for movement in self.movements:
            if movement.kind == "no_sale":
                counts[movement.operator] = counts.get(movement.operator, 0) + 1
        return dict(sorted(counts.items()))

    def expected_cash(self, float_amount: int) -> int:
        """What the drawer should hold, with ``float_amount`` in it at the start."""
        return expected_cash(
            float_amount, self.cash, self.cash_refunds, self.paid_in, self.paid_out, self.pickups
        )

    def as_json(self) -> dict[str, object]:
        return {
            "sales": self.sales,
            "gross": format_money(self.gross),
            "discounts": format_money(self.discounts),
            "manual_discounts": {
                "count": self.manual_discount_count,
                "amount": format_money(self.manual_discounts),
            },
            "refunds": format_money(self.refunds),
            "vat_added": format_money(self.vat_added),
            "net": format_money(self.net),
            "tender": {
                "cash": format_money(self.cash),
                "card": format_money(self.card),
                **({"voucher": format_money(self.vouchers_redeemed[1])} if self.vouchers else {}),
            },
            "vouchers": {
                **(
                    {
                        "code_clashes": {
                            "count": self.voucher_clashes[0],
                            "amount": format_money(self.voucher_clashes[1]),
                        }
                    }
                    if self.voucher_clashes[0]
                    else {}
                ),
                "overspent": {
                    "count": self.voucher_overspends[0],
                    "amount": format_money(self.voucher_overspends[1]),
                },
                "sold": {
                    "count": self.vouchers_sold[0],
                    "amount": format_money(self.vouchers_sold[1]),
                },
                "redeemed": {
                    "count": self.vouchers_redeemed[0],
                    "amount": format_money(self.vouchers_redeemed[1]),
                },
            },
            "vat": [
                {
                    "rate": format_scaled(r, 2),
                    "net": format_money(n),
                    "vat": format_money(v),
                    "gross": format_money(g),
                }
                for r, n, v, g in self.vat
            ],
            "operators": [
                {
                    "operator": o,
                    "sales": c,
                    "total": format_money(t),
                    "refunds": format_money(r),
                }
                for o, c, t, r in self.operators
            ],
            "takings_by_utc_hour": {
                f"{h:02d}": format_money(t) for h, t in sorted(self.takings_by_utc_hour.items())
            },
            "voids": self.voids,
            "overrides": self.overrides,
            "cash_movements": {
                "paid_in": format_money(self.paid_in),
                "paid_out": format_money(self.paid_out),
                "pickups": format_money(self.pickups),
                "no_sales": self.no_sales,
            },
            "no_sales_by_operator": self.no_sales_by_operator,
            "movements": [movement.as_json() for movement in self.movements],
            "unreceipted_refunds": {
                "count": self.unreceipted_count,
                "amount": format_money(self.unreceipted_amount),
                "cash": format_money(self.unreceipted_cash),
                "card": format_money(self.unreceipted.get("card", (0, 0))[1]),
            },
            "refund_reasons": {
                reason: {"count": count, "amount": format_money(amount)}
                for reason, (count, amount) in sorted(self.refund_reasons.items())
            },
            **(
                {}
                if self.float_amount is None
                else {"expected_cash": format_money(self.expected_cash(self.float_amount))}
            ),
        }

    def lines(self) -> list[str]:
        """The report as text lines (for the terminal and the report screen), in columns
        that fit ``LINE_WIDTH`` (the report screen's panel)."""
        out = [
            f"Sales             {self.sales:>12}",
            f"Gross takings     {format_money(self.gross):>12}",
            f"Discounts given   {format_money(self.discounts):>12}",
            f"Manual discounts  {format_money(self.manual_discounts):>12}",
            f"Manual disc. count{self.manual_discount_count:>12}",
            f"Refunds           {format_money(self.refunds):>12}",
        ]
        if self.vat_added:
            out.append(f"VAT added         {format_money(self.vat_added):>12}")
        out += [
            f"Net               {format_money(self.net):>12}",
            f"Voids             {self.voids:>12}",
            f"Overrides         {self.overrides:>12}",
            "",
            "By tender",
            f"  Cash            {format_money(self.cash):>12}",
            f"  Card            {format_money(self.card):>12}",
            *self.voucher_lines(),
            "",
            *self.refund_lines(),
            *self.cash_lines(),
            "By VAT rate",
            f"  {'Rate':<8}{'Net':>12}{'VAT':>10}{'Gross':>10}",
        ]
        out += [
            f"  {format_scaled(r, 2) + '%':<8}{format_money(n):>12}{format_money(v):>10}"
            f"{format_money(g):>10}"
            for r, n, v, g in self.vat
        ]
        out += ["", "By operator", f"  {'Operator':<10}{'Sales':>6}{'Total':>12}{'Refunds':>10}"]
        out += [
            f"  {o:<10}{c:>6}{format_money(t):>12}{format_money(r):>10}"
            for o, c, t, r in self.operators
        ]
        return out

    @property
    def vouchers(self) -> bool:
        """Whether any gift voucher was sold or paid with."""
        return bool(self.vouchers_sold[0] or self.vouchers_redeemed[0])

    def voucher_lines(self) -> list[str]:
        """Under the tenders: gift voucher payments (a tender), then the vouchers sold
        (a liability, not takings), each with how many; none without vouchers."""
        if not self.vouchers and not self.voucher_overspends[0] and not self.voucher_clashes[0]:
            return []
        redeemed, sold, over = self.vouchers_redeemed, self.vouchers_sold, self.voucher_overspends
        out = [
            f"  Voucher {redeemed[0]:>5}   {format_money(redeemed[1]):>12}",
            "",
            "Gift vouchers sold (not takings)",
            f"  Sold    {sold[0]:>5}   {format_money(sold[1]):>12}",
        ]
        if over[0]:  # taken offline beyond the balance: for the manager to follow up
            out.append(f"  Overspent{over[0]:>4}   {format_money(over[1]):>12}")
        clash = self.voucher_clashes
        if clash[0]:  # the server kept another till's voucher under the code
            out.append(f"  Code clash{clash[0]:>3}   {format_money(clash[1]):>12}")
            out.append("  (give each such customer a new voucher for its value)")
        return out

    def refund_lines(self) -> list[str]:
        """The refunds by reason, then those without a receipt (whatever their reason),
        each with how many and how much (issue 21); a blank line after. None when there
        were no refunds. One indent for the whole table: its columns line up as the
        report screen shows them too."""
        if not self.refund_reasons and not self.unreceipted:
            return []

        def row(label: str, count: object, amount: str) -> str:
            return f"  {pad_right(cut_cells(label, 18), 18)}{count:>6}{amount:>12}"

        out = ["Refunds", row("By reason", "Count", "Amount")]
        out += [
            row(reason, count, format_money(amount))
            for reason, (count, amount) in sorted(self.refund_reasons.items())
        ]
        out.append(
            row("Without a receipt", self.unreceipted_count, format_money(self.unreceipted_amount))
        )
        return [*out, ""]

    def cash_lines(self) -> list[str]:
        """The cash movements (totals, then each one) and, for an open day, what the
        drawer should hold; a blank line after."""
        out = [
            "Cash movements",
            f"  Paid in         {format_money(self.paid_in):>12}",
            f"  Paid out        {format_money(self.paid_out):>12}",
            f"  Pickups         {format_money(self.pickups):>12}",
            f"  No sales        {self.no_sales:>12}",
        ]
        out += [f"    by {op:<11}{n:>12}" for op, n in self.no_sales_by_operator.items()]
        for movement in self.movements:
            out += movement.lines()
        if self.float_amount is not None:
            out += [
                "",
                "Cash in drawer",
                f"  Float           {format_money(self.float_amount):>12}",
                f"  Expected        {format_money(self.expected_cash(self.float_amount)):>12}",
            ]
        return [*out, ""]


def local_hours(takings_by_utc_hour: dict[int, int], start: datetime) -> list[int]:
    """The takings of each local hour (0 to 23) of a report that begins at ``start`` (an
    aware datetime in the local zone), from its takings by UTC hour."""
    hourly = [0] * 24
    for utc_hour, amount in takings_by_utc_hour.items():
        moment = start.astimezone(UTC).replace(hour=utc_hour, minute=30)
        hourly[moment.astimezone(start.tzinfo).hour] += amount
    return hourly


def utc_offset(at: datetime) -> str:
    """``UTC+01:00``: the local zone's offset at ``at``, to say which hours a report uses."""
    offset = at.strftime("%z") or "+0000"
    return f"UTC{offset[:3]}:{offset[3:]}"

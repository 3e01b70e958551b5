"""The end-of-day figures (X and Z reports) and how they print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pos.domain.money import format_money, format_scaled

LINE_WIDTH = 42
"""The widest line of a report: the report screen's figures panel shows this many cells."""


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

    def as_json(self) -> dict[str, object]:
        return {
            "sales": self.sales,
            "gross": format_money(self.gross),
            "discounts": format_money(self.discounts),
            "refunds": format_money(self.refunds),
            "vat_added": format_money(self.vat_added),
            "net": format_money(self.net),
            "tender": {"cash": format_money(self.cash), "card": format_money(self.card)},
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
        }

    def lines(self) -> list[str]:
        """The report as text lines (for the terminal and the report screen), in columns
        that fit ``LINE_WIDTH`` (the report screen's panel)."""
        out = [
            f"Sales             {self.sales:>12}",
            f"Gross takings     {format_money(self.gross):>12}",
            f"Discounts given   {format_money(self.discounts):>12}",
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
            "",
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

"""The cash office (issue 21): cash that moves through the drawer without a sale.

A "No sale" opens the drawer (change for a customer, a note checked); a paid in puts cash
in (a float top-up), a paid out takes it out (the window cleaner), and a pickup takes it
to the safe during the day. Each has a reason; all but the "No sale" an amount. The
cash-up counts them: see :func:`expected_cash`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pos.domain.money import format_money
from pos.domain.text import cut_cells, wrap_cells

NO_SALE = "no_sale"
PAID_IN = "paid_in"
PAID_OUT = "paid_out"
PICKUP = "pickup"
KINDS = (NO_SALE, PAID_IN, PAID_OUT, PICKUP)

TITLES = {NO_SALE: "No sale", PAID_IN: "Paid in", PAID_OUT: "Paid out", PICKUP: "Cash pickup"}
"""Each kind's name, as the palette, the slip and the reports say it."""

SCOPES = {
    NO_SALE: "cash:no_sale",
    PAID_IN: "cash:paid",
    PAID_OUT: "cash:paid",
    PICKUP: "cash:pickup",
}
"""The scope each kind needs (or a manager's approval of that one movement)."""

MAX_REASON = 60
"""Characters in a reason typed as free text."""

REASON_SEPARATOR = "|"
"""Splits the ``no_sale_reasons`` and ``cash_reasons`` settings into reasons."""


class CashEntryError(ValueError):
    """An amount or a reason the till will not record; ``str()`` says what to do."""


def reason_list(value: str) -> tuple[str, ...]:
    """The reasons of a ``no_sale_reasons`` or ``cash_reasons`` setting (``a|b|c``)."""
    if value.strip().lower() in ("", "none"):
        return ()
    return tuple(part.strip() for part in value.split(REASON_SEPARATOR) if part.strip())


def _control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for ch in text)


def clean_reason(text: str, choices: Sequence[str], *, listed_only: bool = False) -> str:
    """The reason to record: one of ``choices`` (by its number in the list, 1 first, or
    its words in any case), or free text of 1 to :data:`MAX_REASON` characters (not if
    ``listed_only``).

    Raises:
        CashEntryError: empty, too long, with control characters, or not a listed reason
            when only those are allowed.
    """
    typed = unicodedata.normalize("NFC", text).strip()
    numbered = listing(choices)
    if typed.isdigit() and choices:
        if 1 <= int(typed) <= len(choices):
            return choices[int(typed) - 1]
        raise CashEntryError(f"There is no reason {typed}: choose one of {numbered}")
    for choice in choices:
        if choice.casefold() == typed.casefold():
            return choice
    if listed_only:
        if not choices:
            raise CashEntryError(
                "No reasons are set up: a manager sets no_sale_reasons (pos settings set)"
            )
        raise CashEntryError(f"Choose one of the reasons: {numbered}")
    if not typed:
        hint = f" or a number: {numbered}" if choices else ""
        raise CashEntryError(f"Type a reason{hint}")
    if _control(typed):
        raise CashEntryError("The reason has a control character: type it again in plain words")
    if len(typed) > MAX_REASON:
        raise CashEntryError(
            f"The reason is {len(typed)} characters: shorten it to {MAX_REASON} at most"
        )
    return typed


def listing(choices: Sequence[str]) -> str:
    """``1 Float top-up, 2 Window cleaner``: the reasons with their numbers."""
    return ", ".join(f"{n} {choice}" for n, choice in enumerate(choices, 1))


def check_amount(
    kind: str, amount: int, limit: int, *, in_drawer: int | None = None, blind: bool = False
) -> None:
    """Refuse an amount that cannot be right for a movement of ``kind``: none or below
    zero, over ``limit`` (the ``max_cash_movement`` setting) or, for a pickup, more than
    the cash expected in the drawer (``in_drawer``; ``blind``: without saying how much,
    for an operator who may not see the reports, as a blind cash-up keeps it from them).

    Raises:
        CashEntryError: the amount is refused (the message says what to do).
    """
    if kind == NO_SALE:
        return
    if amount <= 0:
        raise CashEntryError("Type an amount above 0.00")
    if amount > limit:
        raise CashEntryError(
            f"{format_money(amount)} is over the limit of {format_money(limit)} for one "
            "movement: type a smaller amount (a manager sets max_cash_movement)"
        )
    if kind == PICKUP and in_drawer is not None and amount > in_drawer:
        if blind:
            raise CashEntryError(
                "That is more than the cash expected in the drawer: count the drawer and "
                "type a smaller amount"
            )
        raise CashEntryError(
            f"Only {format_money(max(in_drawer, 0))} is expected in the drawer: "
            "a pickup cannot take more (count the drawer and type a smaller amount)"
        )


def expected_cash(
    float_amount: int,
    cash: int,
    cash_refunds: int,
    paid_in: int,
    paid_out: int,
    pickups: int,
) -> int:
    """The cash that should be in the drawer: the float, plus the cash takings, less the
    cash refunds, plus what was paid in, less what was paid out and picked up."""
    return float_amount + cash - cash_refunds + paid_in - paid_out - pickups


@dataclass(frozen=True, slots=True)
class CashMovement:
    """One movement as the reports list it (``at`` aware; ``amount`` 0 for a No sale)."""

    at: datetime
    operator: str
    kind: str
    amount: int
    reason: str
    approver: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "at": self.at.astimezone().isoformat(timespec="seconds"),
            "operator": self.operator,
            "kind": self.kind,
            "amount": format_money(self.amount),
            "reason": self.reason,
            **({} if self.approver is None else {"approver": self.approver}),
        }

    def lines(self, width: int = 42) -> list[str]:
        """Report lines of at most ``width`` cells: when, what, how much and who; then
        the reason (wrapped)."""
        amount = "" if self.kind == NO_SALE else format_money(self.amount)
        head = (
            f"  {self.at.astimezone():%H:%M} {TITLES[self.kind]:<12}{amount:>10}  {self.operator}"
        )
        indent = "        "
        text = f"why: {self.reason}"
        reason = [indent + part for part in wrap_cells(text, width - len(indent))]
        return [cut_cells(head, width), *reason]

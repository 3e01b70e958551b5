"""Coupon codes (issue 22): their format, and why a scanned code is refused.

A coupon code is an EAN-13 a scanner reads like any barcode, from a range no product
may use: ``99`` + the store's number (3 digits, the ``store_number`` setting) + 7
random digits + the GS1 check digit. The random digits come from the caller (the
services draw them with :mod:`secrets`); the database keeps each code unique.

A code unlocks its coupon rule (by name) for the sale it is scanned into; it is good
for ``uses`` sales until its last day (``expires``, the shop's local date), unless
voided. Pure: no clock, no randomness, no storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from stdnum import ean

from pos.domain.discounts import Rule

COUPON_PREFIX = "99"
"""The first two digits of every coupon code: GS1's prefix for coupons, never a product."""
RANDOM_DIGITS = 7
"""The random digits in a code (10 million codes per store)."""
STORE_DIGITS = 3

MAX_ISSUE = 10_000
"""The most codes one ``pos coupons issue`` makes."""
MAX_USES = 1_000_000
"""The most sales one code may be good for."""


class CouponRefused(ValueError):
    """A coupon code cannot be used; the message says which problem, in the cashier's words.

    Attributes:
        reason: ``tampered``, ``other_store``, ``unknown``, ``expired``, ``voided``,
            ``used_up``, ``no_rule`` (its deal is gone or no longer a coupon deal) or
            ``twice`` (a code of the same deal is already in the sale).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Coupon:
    """One issued coupon code.

    Attributes:
        code: The 13 digits.
        rule: The name of the coupon rule it unlocks.
        uses: The sales it was issued for.
        uses_left: The sales it is still good for.
        expires: Its last day (local), or None.
        voided: Voided by a manager: good for nothing.
    """

    code: str
    rule: str
    uses: int
    uses_left: int
    expires: date | None = None
    voided: bool = False

    def status(self, today: date) -> str:
        """``good``, ``voided``, ``expired`` or ``used up``."""
        if self.voided:
            return "voided"
        if self.expires is not None and today > self.expires:
            return "expired"
        if self.uses_left <= 0:
            return "used up"
        return "good"


def make_code(store_number: str, digits: str) -> str:
    """The coupon code of ``digits`` (7 random digits) for store ``store_number``."""
    if not (store_number.isascii() and store_number.isdigit() and len(store_number) == 3):
        raise ValueError(f"store number {store_number!r} is not 3 digits")
    if not (digits.isascii() and digits.isdigit() and len(digits) == RANDOM_DIGITS):
        raise ValueError(f"{digits!r} is not {RANDOM_DIGITS} digits")
    body = COUPON_PREFIX + store_number + digits
    return body + ean.calc_check_digit(body)


def is_coupon_code(code: str) -> bool:
    """Whether a scanned code is in the coupon range (13 digits starting ``99``), good
    check digit or not: such a code is never looked up as a product."""
    return len(code) == 13 and code.isascii() and code.isdigit() and code[:2] == COUPON_PREFIX


def check_code(code: str, store_number: str) -> None:
    """Refuse a code in the coupon range that cannot be one of this store's.

    Raises:
        CouponRefused: a bad check digit (mistyped or tampered with), or another store's.
    """
    if not ean.is_valid(code):
        raise CouponRefused(
            "tampered", f"Coupon {code} has a bad check digit: not a real coupon (or mistyped)"
        )
    store = code[2 : 2 + STORE_DIGITS]
    if store != store_number:
        raise CouponRefused(
            "other_store", f"Coupon {code} is from store {store}; this is store {store_number}"
        )


def check_usable(coupon: Coupon | None, code: str, today: date) -> Coupon:
    """The coupon, if it can go in a sale today.

    Raises:
        CouponRefused: unknown, voided, expired or used up, saying which.
    """
    if coupon is None:
        raise CouponRefused("unknown", f"Coupon {code} is not known here: it was never issued")
    status = coupon.status(today)
    if status == "voided":
        raise CouponRefused("voided", f"Coupon {code} was voided")
    if status == "expired":
        assert coupon.expires is not None
        raise CouponRefused("expired", f"Coupon {code} expired on {coupon.expires.isoformat()}")
    if status == "used up":
        raise CouponRefused("used_up", f"Coupon {code} is used up ({coupon.uses} of {coupon.uses})")
    return coupon


def parse_expiry(text: str, today: date) -> date:
    """A coupon's last day from ``YYYY-MM-DD``; today or later.

    Raises:
        ValueError: not such a date, or already past.
    """
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--expires {text!r} is not a date like 2026-12-31") from None
    if day < today:
        raise ValueError(
            f"--expires {day.isoformat()} is in the past (today is {today.isoformat()})"
        )
    return day


def with_coupon(in_sale: tuple[Coupon, ...], coupon: Coupon) -> tuple[Coupon, ...]:
    """The sale's coupons with ``coupon`` scanned in: the same code twice counts once (the
    sale's coupons come back as they were).

    Raises:
        CouponRefused: another code of the same rule is in the sale already (one code
            unlocks a rule; a second would only use up a use for nothing).
    """
    for held in in_sale:
        if held.code == coupon.code:
            return in_sale
        if held.rule.lower() == coupon.rule.lower():
            raise CouponRefused(
                "twice", f"A coupon for {coupon.rule!r} is in the sale already ({held.code})"
            )
    return (*in_sale, coupon)


def unlocked(in_sale: tuple[Coupon, ...]) -> frozenset[str]:
    """The names of the coupon rules the sale's coupons unlock (for the pricing engine)."""
    return frozenset(coupon.rule for coupon in in_sale)


def with_cap(rules: Iterable[Rule]) -> list[str]:
    """The names of the rules with a ``max_uses`` (their counts are worth reading)."""
    return [rule.name for rule in rules if rule.max_uses is not None]


def at_cap(rules: Iterable[Rule], used: Mapping[str, int]) -> frozenset[str]:
    """The names of the rules that have had all their ``max_uses`` (``used``: the sales
    each was used in, as ``rule_use`` counts them): no sale may have them any more."""
    return frozenset(
        rule.name
        for rule in rules
        if rule.max_uses is not None and used.get(rule.name, 0) >= rule.max_uses
    )


def cap_reached(rule: Rule) -> str:
    """Why a deal is left out: it has had all its ``max_uses``, in the cashier's words."""
    return f"The deal {rule.name!r} has had all its {rule.max_uses} uses"

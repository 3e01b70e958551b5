"""Gift vouchers: their codes, their balances and what a redemption takes (issue 22).

A voucher code is 18 digits: ``98``, the store's number (3 digits, the
``store_number`` setting), 12 random digits and a Luhn check digit (python-stdnum's
``luhn``). It is printed as a Code128 barcode and scanned by the same keyboard-wedge
scanner as any product, so it must never be read as one: no EAN is 18 digits long,
and a coupon (issue 22's other half) is an EAN-13 starting ``99``. Twelve random
digits (10^12 codes per store) make a voucher, which is money, too hard to guess; the
random digits come from the caller (``secrets`` in the services): this module is pure.

Money is in integer minor units. A voucher's ``balance`` is what is left of its
``value``; each redemption takes at most the balance (and at most what is due), a
refund onto the voucher puts back at most what was taken, so that
``0 <= balance <= value`` always holds. The database keeps the same invariant with a
conditional update (``... WHERE balance >= amount``) and a CHECK constraint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from stdnum import luhn
from stdnum.exceptions import ValidationError

from pos.domain.cart import Cart, CartLine
from pos.domain.money import MoneyError, format_money, parse_money

PREFIX = "98"
"""The first two digits of every voucher code."""
CODE_LENGTH = 18
"""Digits in a voucher code: prefix (2), store (3), random (12), check digit (1)."""
RANDOM_DIGITS = 12
"""The random part of a code (from ``secrets`` in the services)."""
COUPON_PREFIX = "99"
"""Coupons are EAN-13 codes starting with this (issue 22, coupons)."""
DEFAULT_STORE_NUMBER = "001"
DEFAULT_VOUCHER_MONTHS = 24
"""How long a voucher is good for after it is sold, by default (``voucher_months``)."""
MAX_VOUCHER_MONTHS = 120
DEFAULT_MAX_VOUCHER_VALUE = 500_00
"""The default largest voucher that may be sold (``max_voucher_value``)."""


class VoucherError(ValueError):
    """A code or voucher that cannot be used as asked; the message says which and why."""


class CodeKind(StrEnum):
    """What a scanned code is, as far as its digits tell."""

    VOUCHER = "voucher"
    COUPON = "coupon"
    OTHER = "other"  # a product's barcode, a PLU, a typed amount ...


def check_store_number(text: str) -> str:
    """A ``store_number`` setting: exactly 3 digits (``001``).

    Raises:
        VoucherError: anything else, with what to type.
    """
    value = text.strip()
    if not re.fullmatch(r"[0-9]{3}", value):
        raise VoucherError(f"The store number must be 3 digits, like 001 (not {text!r})")
    return value


def classify(code: str) -> CodeKind:
    """Which kind of store code ``code`` looks like, by its length and prefix only (its
    check digit is not checked here: :func:`check_code` does)."""
    if not code.isascii() or not code.isdigit():
        return CodeKind.OTHER
    if len(code) == CODE_LENGTH and code.startswith(PREFIX):
        return CodeKind.VOUCHER
    if len(code) == 13 and code.startswith(COUPON_PREFIX):
        return CodeKind.COUPON
    return CodeKind.OTHER


def make_code(store_number: str, random_digits: str) -> str:
    """The voucher code of store ``store_number`` with ``random_digits`` (12 digits).

    Raises:
        VoucherError: a store number that is not 3 digits, or not 12 random digits.
    """
    store = check_store_number(store_number)
    if not re.fullmatch(rf"[0-9]{{{RANDOM_DIGITS}}}", random_digits):
        raise VoucherError(f"A voucher code takes {RANDOM_DIGITS} random digits")
    body = PREFIX + store + random_digits
    return body + luhn.calc_check_digit(body)


def check_code(code: str, store_number: str) -> str:
    """``code`` as a voucher code of this store (spaces taken out).

    Raises:
        VoucherError: not a voucher code, a wrong check digit (mistyped or tampered
            with), or another store's voucher; the message says which.
    """
    digits = code.replace(" ", "").strip()
    if classify(digits) is not CodeKind.VOUCHER:
        if classify(digits) is CodeKind.COUPON:
            raise VoucherError("That is a coupon, not a voucher: scan it as an item")
        raise VoucherError(f"Not a voucher code: a voucher's code is {CODE_LENGTH} digits from 98")
    try:
        luhn.validate(digits)
    except ValidationError:
        raise VoucherError(
            "That voucher code's check digit is wrong: scan it again or type it with care"
        ) from None
    store = check_store_number(store_number)
    if digits[2:5] != store:
        raise VoucherError(
            f"That voucher is from store {digits[2:5]}; this is store {store}: "
            "it can only be used there"
        )
    return digits


def store_of(code: str) -> str:
    """The store number inside a (checked) voucher code."""
    return code[2:5]


def check_face_value(value: int, max_value: int) -> int:
    """A voucher's value as sold: more than 0.00 and at most ``max_value``.

    Raises:
        VoucherError: 0 or less, or over the most (the message gives both).
    """
    if value <= 0:
        raise VoucherError("A voucher must be worth more than 0.00")
    if value > max_value:
        raise VoucherError(
            f"A voucher may be worth at most {format_money(max_value)} "
            "(the max_voucher_value setting)"
        )
    return value


def add_months(day: date, months: int) -> date:
    """``day`` moved on ``months`` calendar months; the 31st becomes the month's last day
    where a month is shorter (31 January + 1 month is 28 or 29 February)."""
    if months < 0:
        raise ValueError("months must not be negative")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")  # pragma: no cover


def expiry(sold: date, months: int) -> date:
    """The last day a voucher sold on ``sold`` is good for: ``months`` later."""
    return add_months(sold, months)


@dataclass(frozen=True, slots=True)
class Voucher:
    """A voucher as the till knows it.

    Attributes:
        code: Its 18 digits.
        value: What it was sold for (minor units).
        balance: What is left on it (minor units, ``0 <= balance <= value``).
        expires: The last day it can be used.
        voided: Cancelled (its sale refunded, or a card withdrawn): unusable.
    """

    code: str
    value: int
    balance: int
    expires: date
    voided: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.balance <= self.value:
            raise ValueError("a voucher's balance must be between 0 and its value")

    def usable(self, today: date) -> Voucher:
        """This voucher if it can pay today.

        Raises:
            VoucherError: voided, expired or used up (the message says which).
        """
        if self.voided:
            raise VoucherError("That voucher was voided: it cannot be used")
        if today > self.expires:
            raise VoucherError(f"That voucher expired on {self.expires:%Y-%m-%d}")
        if self.balance <= 0:
            raise VoucherError("That voucher is used up: nothing is left on it")
        return self

    def redeem(self, amount: int) -> Voucher:
        """The voucher after ``amount`` was taken off it.

        Raises:
            VoucherError: ``amount`` is not more than 0 or more than the balance.
        """
        if amount <= 0:
            raise VoucherError("A voucher payment must be more than 0.00")
        if amount > self.balance:
            raise VoucherError("That voucher does not hold enough for this payment")
        return replace(self, balance=self.balance - amount)

    def restore(self, amount: int) -> Voucher:
        """The voucher after ``amount`` was put back on it (a refund of a sale it paid).

        Raises:
            VoucherError: ``amount`` is not more than 0, or would take the balance above
                the voucher's value.
        """
        if amount <= 0:
            raise VoucherError("A refund onto a voucher must be more than 0.00")
        if self.balance + amount > self.value:
            raise VoucherError("That would put more on the voucher than it was ever worth")
        return replace(self, balance=self.balance + amount)


def redemption(balance: int, due: int) -> int:
    """What a voucher with ``balance`` pays of ``due``: the lesser of the two.

    Raises:
        VoucherError: nothing is due, or nothing is left on the voucher.
    """
    if due <= 0:
        raise VoucherError("Nothing is left to pay")
    if balance <= 0:
        raise VoucherError("That voucher is used up: nothing is left on it")
    return min(balance, due)


def balance_text(voucher: Voucher, currency: str = "") -> str:
    """One line for the balance dialog and the CLI: what is left, of what, until when."""
    left, value = format_money(voucher.balance, currency), format_money(voucher.value, currency)
    state = " VOIDED" if voucher.voided else ""
    return f"{left} left of {value}, good until {voucher.expires:%Y-%m-%d}{state}"


def take(balance: int, amount: int) -> int | None:
    """The balance after a conditional take of ``amount``, or None when it is refused:
    the rule the database's ``UPDATE voucher SET balance = balance - :amount WHERE code
    = :code AND balance >= :amount`` applies, whatever balance a till last read."""
    if amount <= 0 or amount > balance:
        return None
    return balance - amount


VOUCHER_SETTING_ROWS = {
    "max_voucher_value": ("500.00", "the largest gift voucher that may be sold (an amount)"),
    "voucher_months": ("24", "months a gift voucher is good for after it is sold (1 to 120)"),
    "offline_voucher_limit": (
        "0.00",
        "what a store's till may take off one gift voucher while its server is down (0.00: none)",
    ),
}
"""The gift vouchers' own settings: default and what each is (``pos settings --help``)."""

VOUCHER_SETTINGS = ("store_number", *VOUCHER_SETTING_ROWS)
"""The settings :func:`check_voucher_setting` checks."""


def check_voucher_setting(key: str, value: str) -> str:
    """A voucher setting's value as stored, or a ValueError that says what to give."""
    if key == "store_number":
        try:
            return check_store_number(value)
        except VoucherError as exc:
            raise ValueError(f"store_number: {exc}") from None
    if key == "voucher_months":
        text = value.strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_VOUCHER_MONTHS:
            raise ValueError(f"voucher_months must be a whole number, 1 to {MAX_VOUCHER_MONTHS}")
        return str(int(text))
    try:
        amount = parse_money(value, what=key)
    except MoneyError as exc:
        raise ValueError(f"{exc}: give an amount such as 500.00") from None
    if amount < 0 or (amount == 0 and key != "offline_voucher_limit"):
        raise ValueError(f"{key} must be above 0.00, such as 500.00")
    return format_money(amount)


class GoodsOnly:
    """A cart seen without its gift voucher lines: what the promotions price (a voucher
    is money, not goods, so no rule may count it or take anything off it). Satisfies
    :class:`pos.domain.pricing.priced.CartView`."""

    def __init__(self, cart: Cart) -> None:
        self._cart = cart
        self.subtotal = cart.subtotal - cart.voucher_total

    def __iter__(self) -> Iterator[CartLine]:
        return (line for line in self._cart if not line.voucher)

    def lines_for(self, barcode: str) -> Iterable[CartLine]:
        return [line for line in self._cart.lines_for(barcode) if not line.voucher]


BARCODE_MARK = "[barcode "
"""A receipt line ``[barcode 98...]`` is printed as that code's Code128 barcode (the
printer's own barcode command, :func:`pos.services.printing.print_receipt`); on screen
it shows as it is written."""


def barcode_line(code: str) -> str:
    """The receipt line that prints ``code`` as a barcode."""
    return f"{BARCODE_MARK}{code}]"


def barcode_in(line: str) -> str | None:
    """The code a receipt line prints as a barcode, or None for a line of text."""
    text = line.strip()
    if text.startswith(BARCODE_MARK) and text.endswith("]"):
        code = text[len(BARCODE_MARK) : -1]
        if code.isascii() and code.isdigit():
            return code
    return None


def spaced(code: str) -> str:
    """A code in groups of 4 digits, for reading aloud or typing (``9800 1123 ...``)."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def issued_lines(vouchers: Iterable[Voucher], width: int, currency: str = "") -> list[str]:
    """A receipt's section for the gift vouchers it sold: for each, its value, its expiry,
    its barcode and its code in digits."""
    out: list[str] = []
    for voucher in vouchers:
        value = format_money(voucher.value, currency)
        out.append("GIFT VOUCHER" + value.rjust(max(1, width - 12)))
        out.append(f"Good until {voucher.expires:%Y-%m-%d}")
        out.append(barcode_line(voucher.code))
        out.append(spaced(voucher.code).center(width).rstrip())
        out.append("-" * width)
    return out


_SPACED_CODE = re.compile(r"\b98\d{2}(?: \d{4}){3} \d{2}\b")


def without_codes(text: str) -> str:
    """A receipt as the sale keeps it for the history and reprints: each gift voucher it
    sold shows only its code's last 4 digits, and no barcode. The customer's first print
    has the whole code; a copy anyone at the till can print must not be a voucher too."""
    out = []
    for line in text.splitlines():
        if barcode_in(line) is not None:
            continue
        out.append(_SPACED_CODE.sub(lambda m: "code ..." + m.group(0).replace(" ", "")[-4:], line))
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")

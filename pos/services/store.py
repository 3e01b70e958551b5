"""Store-wide settings: their table, defaults, checks and the values the till reads
(setting up a database, ``pos init``, is :mod:`pos.services.store_setup`)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from pos.auth.service import AuditSink, anchor_audit
from pos.db.repositories import SettingsRepository
from pos.domain.barcodes import (
    DEFAULT_PATTERNS,
    BarcodePattern,
    patterns_from_json,
    patterns_to_json,
)
from pos.domain.cart import MAX_COUNT
from pos.domain.cash import MAX_REASON, REASON_SEPARATOR, reason_list
from pos.domain.money import MoneyError, format_money, format_scaled, parse_decimal, parse_money
from pos.domain.returns import DEFAULT_REFUND_REASONS
from pos.domain.sanity import DEFAULT_MAX_QTY, EntryChecks
from pos.domain.text import cell_len
from pos.domain.vouchers import (
    DEFAULT_MAX_VOUCHER_VALUE,
    DEFAULT_VOUCHER_MONTHS,
    VOUCHER_SETTING_ROWS,
    VOUCHER_SETTINGS,
    check_voucher_setting,
)
from pos.services.printing import can_print

DEMO_OPERATORS = (
    ("1001", "Demo Cashier", "cashier", "2580"),
    ("9001", "Demo Manager", "manager", "7391"),
)
"""The operators ``pos init --demo`` creates (the README lists them)."""


@dataclass(frozen=True, slots=True)
class Setting:
    """One store setting: its default and what it is, in a few words for ``--help``."""

    default: str
    about: str


SETTINGS: dict[str, Setting] = {
    "store_name": Setting("My Shop", "the shop's name, at the top of every receipt"),
    "till_name": Setting("Till 1", "this till's name (receipt numbers count per till)"),
    "barcode_patterns": Setting(
        json.dumps(patterns_to_json(DEFAULT_PATTERNS)),
        "JSON: the in-store barcodes that carry a weight or a price",
    ),
    "idle_lock_minutes": Setting("15", "minutes without a key before the till locks (1 to 15)"),
    "tax_inclusive": Setting("yes", "yes: prices include VAT; no: VAT is added to the total"),
    "receipt_width": Setting("42", "characters per receipt line: 32, 42 or 48"),
    "printer": Setting("none", "none, host:port (a network printer), or a device or file path"),
    "currency_symbol": Setting("£", "the sign on the receipt's totals (£, €, kr ...) or none"),
    "receipt_header": Setting(
        "none", "lines under the store name, split by |: 1 High St|VAT GB123456789; or none"
    ),
    "max_qty_without_confirm": Setting(
        "99", f"items on one line before the till asks to confirm (1 to {MAX_COUNT})"
    ),
    "implied_decimal": Setting(
        "no", "yes: a price or amount typed without a point is in pence (2000 is 20.00)"
    ),
    "kiosk": Setting(
        "no", "yes: no Quit key or command (a service restarts the till: see docs/admin.md)"
    ),
    "no_sale_reasons": Setting(
        "Change for a customer|Check a note|Wrong change given|Other",
        'why the drawer opens without a sale ("No sale"), split by |',
    ),
    "cash_reasons": Setting(
        "Float top-up|Window cleaner|Milk and tea|Postage",
        "reasons offered for a paid in or out, split by | (or none); free text works too",
    ),
    "max_cash_movement": Setting(
        "1000.00", "the largest paid in, paid out or cash pickup at once (an amount)"
    ),
    "refund_reasons": Setting(
        DEFAULT_REFUND_REASONS, "why a refund is made (every refund takes one), split by |"
    ),
    "max_unreceipted_refunds": Setting(
        "100.00", "refunds without a receipt a till may pay back a day (an amount; 0.00: none)"
    ),
    "store_number": Setting(
        "001", "this store's number (3 digits) in its coupon and voucher codes (001 to 999)"
    ),
    "discount_reasons": Setting(
        "Damaged|Staff|Price match|Customer goodwill",
        'reasons for a cashier\'s "Line discount" or "Sale discount", split by | (or none)',
    ),
    **{key: Setting(*row) for key, row in VOUCHER_SETTING_ROWS.items()},  # issue 22
    **{
        f"max_discount_percent_{role}": Setting(
            cap, f"the most % a {role} takes off without a manager's approval (0 to 100)"
        )
        for role, cap in (("cashier", "0"), ("supervisor", "10"), ("manager", "100"))
    },
}
"""Every setting the till knows: the one table ``pos settings`` and its help come from."""

SETTING_DEFAULTS: dict[str, str] = {key: s.default for key, s in SETTINGS.items()}
"""Every setting the till knows, with its default."""

DEMO_MARK = "demo"
"""The setting row (``yes``) that marks a database made with the demo data: its operators'
PINs are printed in the README. Written only when such a database is made, never by
``pos settings set``: the till says ``DEMO`` on every screen and every receipt."""
DEMO_BANNER = "DEMO"
"""What the till's header shows on a demo database."""


def settings_help() -> str:
    """The list of settings for ``pos settings --help``, one a line."""
    width = max(map(len, SETTINGS))
    return "\n".join(f"{key:<{width}}  {s.about}" for key, s in SETTINGS.items())


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The settings the screens and services use."""

    store_name: str
    till_name: str
    patterns: tuple[BarcodePattern, ...]
    idle_lock_seconds: int = 15 * 60
    tax_inclusive: bool = True
    receipt_width: int = 42
    printer: str = "none"
    currency_symbol: str = "£"
    """On the receipt's money totals and the large amounts on screen; ``""`` for none."""
    receipt_header: tuple[str, ...] = ()
    """Lines under the store name on every receipt (address, VAT number)."""
    max_qty_without_confirm: int = DEFAULT_MAX_QTY
    """A line's quantity above this is confirmed first (a slip of the finger, or not)."""
    implied_decimal: bool = False
    """Typed prices and amounts without a point are in minor units (``2000`` is 20.00)."""
    store_number: str = "001"
    """The store's number in its coupon and voucher codes (issue 22)."""
    demo: bool = False
    """A database made with the demo data (:data:`DEMO_MARK`)."""
    kiosk: bool = False
    """The till cannot be closed from its keys (a service restarts it if it stops)."""
    no_sale_reasons: tuple[str, ...] = reason_list(SETTINGS["no_sale_reasons"].default)
    """The reasons a "No sale" is chosen from (only these)."""
    cash_reasons: tuple[str, ...] = reason_list(SETTINGS["cash_reasons"].default)
    """The reasons offered for a paid in or out (free text is taken too)."""
    max_cash_movement: int = 100_000
    """The largest paid in, paid out or pickup, in minor units."""
    refund_reasons: tuple[str, ...] = reason_list(DEFAULT_REFUND_REASONS)
    """The reasons a refund is chosen from (only these), issue 21."""
    max_unreceipted_refunds: int = 10_000
    """What refunds without a receipt may pay back on this till in one day, minor units."""
    discount_reasons: tuple[str, ...] = reason_list(SETTINGS["discount_reasons"].default)
    """The reasons a cashier's discount is given for (free text only when there are none)."""
    discount_caps: tuple[tuple[str, int], ...] = (
        ("cashier", 0),
        ("supervisor", 1000),
        ("manager", 10_000),
    )
    """Each role's most (basis points) off without a manager's approval."""
    max_voucher_value: int = DEFAULT_MAX_VOUCHER_VALUE
    voucher_months: int = DEFAULT_VOUCHER_MONTHS
    offline_voucher_limit: int = 0
    """What a store's till may take off one voucher while its server is down (issue 22)."""

    def discount_cap(self, role: str) -> int:
        """The most ``role`` takes off without an approval (basis points; 0 if unknown)."""
        return dict(self.discount_caps).get(role, 0)

    @property
    def entry(self) -> EntryChecks:
        """The checks on what the cashier types, for the checkout and payment screens."""
        return EntryChecks(self.max_qty_without_confirm, self.implied_decimal)

    @classmethod
    def load(cls, repo: SettingsRepository) -> StoreSettings:
        values = {**SETTING_DEFAULTS, **repo.all()}
        return cls(
            store_name=values["store_name"],
            till_name=values["till_name"],
            patterns=patterns_from_json(json.loads(values["barcode_patterns"])),
            idle_lock_seconds=int(values["idle_lock_minutes"]) * 60,
            tax_inclusive=values["tax_inclusive"] == "yes",
            receipt_width=int(values["receipt_width"]),
            printer=values["printer"],
            currency_symbol=""
            if values["currency_symbol"] == "none"
            else values["currency_symbol"],
            receipt_header=header_lines(values["receipt_header"]),
            max_qty_without_confirm=int(values["max_qty_without_confirm"]),
            implied_decimal=values["implied_decimal"] == "yes",
            kiosk=values["kiosk"] == "yes",
            no_sale_reasons=reason_list(values["no_sale_reasons"]),
            cash_reasons=reason_list(values["cash_reasons"]),
            max_cash_movement=parse_money(values["max_cash_movement"]),
            refund_reasons=reason_list(values["refund_reasons"]),
            max_unreceipted_refunds=parse_money(values["max_unreceipted_refunds"]),
            discount_reasons=reason_list(values["discount_reasons"]),
            discount_caps=tuple(
                (role, parse_decimal(values[f"max_discount_percent_{role}"], 2))
                for role in ("cashier", "supervisor", "manager")
            ),
            store_number=values["store_number"],
            demo=values.get(DEMO_MARK) == "yes",
            max_voucher_value=parse_money(values["max_voucher_value"]),
            voucher_months=int(values["voucher_months"]),
            offline_voucher_limit=parse_money(values["offline_voucher_limit"]),
        )


HEADER_SEPARATOR = "|"
"""Splits the ``receipt_header`` setting into lines."""
MAX_HEADER_LINES = 6
MAX_HEADER_LINE = 48
"""Characters in one header line (a longer one would wrap on any paper)."""


def header_lines(value: str) -> tuple[str, ...]:
    """The ``receipt_header`` setting's lines (none for ``none``)."""
    if value.strip().lower() in ("", "none"):
        return ()
    return tuple(line.strip() for line in value.split(HEADER_SEPARATOR))


def set_setting_audited(
    settings: SettingsRepository, audit: AuditSink, actor: str | None, key: str, value: str
) -> str | None:
    """Store a setting (already checked by :func:`validate_setting`) with a
    ``setting_changed`` audit entry (key, old, new) in the same transaction; returns the
    old value (None: it was the default)."""
    old = settings.change(
        key,
        value,
        lambda old: audit.append(
            "setting_changed",
            actor,
            {"key": key, "old": SETTING_DEFAULTS.get(key) if old is None else old, "new": value},
        ),
    )
    anchor_audit(audit)  # committed: the anchor names the entry
    return old


def validate_setting(key: str, value: str) -> str:
    """Check a setting before it is stored; returns the value to store.

    Raises:
        ValueError: unknown key or bad value, in words.
    """
    if key == DEMO_MARK:
        raise ValueError(
            "demo marks a database made with the demo data (its PINs are printed in the "
            "README) and cannot be changed; for a real shop make a new database with "
            "pos init --db PATH (no --demo)"
        )
    if key not in SETTING_DEFAULTS:
        raise ValueError(f"unknown setting {key!r}; settings are {', '.join(SETTING_DEFAULTS)}")
    if key == "idle_lock_minutes":
        if not value.strip().isdigit() or not 1 <= int(value) <= 15:
            raise ValueError("idle_lock_minutes must be 1 to 15 (PCI DSS: 15 at most)")
        return str(int(value))
    if key == "tax_inclusive":
        if value.strip().lower() not in ("yes", "no"):
            raise ValueError("tax_inclusive is yes (prices include VAT) or no (VAT is added)")
        return value.strip().lower()
    if key == "kiosk":
        if value.strip().lower() not in ("yes", "no"):
            raise ValueError("kiosk is yes (no Quit at the till) or no (Ctrl+Q closes it)")
        return value.strip().lower()
    if key == "implied_decimal":
        if value.strip().lower() not in ("yes", "no"):
            raise ValueError(
                "implied_decimal is yes (2000 typed is 20.00) or no (2000 typed is 2000.00)"
            )
        return value.strip().lower()
    if key == "max_qty_without_confirm":
        if not value.strip().isdigit() or not 1 <= int(value) <= MAX_COUNT:
            raise ValueError(f"max_qty_without_confirm must be a whole number, 1 to {MAX_COUNT}")
        return str(int(value))
    if key == "receipt_width":
        if value.strip() not in ("32", "42", "48"):
            raise ValueError("receipt_width is 32, 42 or 48 characters")
        return value.strip()
    if key == "barcode_patterns":
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"barcode_patterns is not JSON: {exc}") from None
        patterns = patterns_from_json(data)
        for p in patterns:  # coupons' codes start 99 (issue 22): no pattern may take them
            if (p.pattern[0] == "9" and not p.pattern[1].isdigit()) or p.pattern[:2] == "99":
                raise ValueError(
                    f"barcode pattern {p.pattern!r} would read coupon codes (99...) as "
                    "in-store codes: start it with other digits (2 is the usual)"
                )
        return json.dumps(patterns_to_json(patterns))
    if key == "printer":
        value = value.strip()
        if not value or len(value) > 200 or not value.isprintable():
            raise ValueError("printer is none, host:port, or a device or file path")
        return value
    if key in ("no_sale_reasons", "cash_reasons", "refund_reasons", "discount_reasons"):
        return _reasons(key, value)
    if key.startswith("max_discount_percent_"):
        return _percent(key, value)
    if key == "max_unreceipted_refunds":
        try:
            amount = parse_money(value, what="max_unreceipted_refunds")
        except MoneyError as exc:
            raise ValueError(f"{exc}: give an amount such as 100.00 (0.00: none)") from None
        if amount < 0:
            raise ValueError("max_unreceipted_refunds is 0.00 (none) or more, such as 100.00")
        return format_money(amount)
    if key == "max_cash_movement":
        try:
            amount = parse_money(value, what="max_cash_movement")
        except MoneyError as exc:
            raise ValueError(f"{exc}: give an amount such as 1000.00") from None
        if amount <= 0:
            raise ValueError("max_cash_movement must be above 0.00, such as 1000.00")
        return format_money(amount)
    if key == "store_number":
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) == 3) or value == "000":
            raise ValueError("store_number is 3 digits, 001 to 999 (e.g. 042)")
        return value
    if key in VOUCHER_SETTINGS:
        return check_voucher_setting(key, value)
    if key == "currency_symbol":
        return _currency_symbol(value)
    if key == "receipt_header":
        return _receipt_header(value)
    value = value.strip()
    if not value or len(value) > 40 or not value.isprintable():
        raise ValueError(f"{key} must be 1 to 40 printable characters")
    return value


def _receipt_header(value: str) -> str:
    """``none``, or up to ``MAX_HEADER_LINES`` lines split by ``|``, each 1 to
    ``MAX_HEADER_LINE`` printable characters the receipt printer has a code page for."""
    lines = header_lines(value)
    if not lines:
        return "none"
    if len(lines) > MAX_HEADER_LINES:
        raise ValueError(f"receipt_header has at most {MAX_HEADER_LINES} lines (split by |)")
    for line in lines:
        if not line or len(line) > MAX_HEADER_LINE or not line.isprintable():
            raise ValueError(
                f"each receipt_header line (split by |) is 1 to {MAX_HEADER_LINE} printable"
                f" characters, such as: 1 High Street|Townsville|VAT GB123456789"
            )
    if not can_print("".join(lines)):
        raise ValueError("receipt_header has a character no code page of the printer has")
    return HEADER_SEPARATOR.join(lines)


def _percent(key: str, value: str) -> str:
    """A percentage from 0 to 100, at most two decimals (``12.5``)."""
    try:
        points = parse_decimal(value.strip().removesuffix("%"), 2, what=key)
    except MoneyError as exc:
        raise ValueError(f"{exc}: give a percentage from 0 to 100, such as 10") from None
    if not 0 <= points <= 10_000:
        raise ValueError(f"{key} is a percentage from 0 to 100, such as 10")
    return format_scaled(points, 2)


MAX_REASONS = 9
"""Reasons in a list: each is chosen by one digit."""


def _reasons(key: str, value: str) -> str:
    """Up to :data:`MAX_REASONS` reasons split by ``|``, each 1 to :data:`MAX_REASON`
    printable characters the printer can print (``cash_reasons`` and ``discount_reasons``:
    or none, when free text is asked instead)."""
    reasons = reason_list(value)
    if not reasons:
        if key in ("cash_reasons", "discount_reasons"):
            return "none"
        example = (
            "Faulty|Changed mind" if key == "refund_reasons" else "Change for a customer|Other"
        )
        raise ValueError(f"{key} needs at least one reason, such as: {example}")
    if len(reasons) > MAX_REASONS:
        raise ValueError(f"{key} has at most {MAX_REASONS} reasons (split by |)")
    for reason in reasons:
        if len(reason) > MAX_REASON or not reason.isprintable():
            raise ValueError(
                f"each of {key} (split by |) is 1 to {MAX_REASON} printable characters, "
                "such as: Float top-up|Window cleaner"
            )
    if not can_print("".join(reasons)):
        raise ValueError(f"{key} has a character no code page of the printer has")
    return REASON_SEPARATOR.join(reasons)


MAX_CURRENCY_CELLS = 3
"""A currency sign is short: ``£``, ``kr``, ``CHF``."""


def _currency_symbol(value: str) -> str:
    """``none``, or a short sign with no digits, spaces or number punctuation that the
    receipt printer has a code page for."""
    value = value.strip()
    if value.lower() == "none":
        return "none"
    if (
        not value
        or not value.isprintable()
        or cell_len(value) > MAX_CURRENCY_CELLS
        or any(ch.isspace() or ch.isdigit() or ch in "+-.,%" for ch in value)
    ):
        raise ValueError(
            f"currency_symbol is 1 to {MAX_CURRENCY_CELLS} printable characters"
            " without digits or spaces (such as £, € or kr), or none"
        )
    if not can_print(value):
        raise ValueError(
            f"currency_symbol {value!r} is in no code page of the receipt printer;"
            " use letters instead (such as Rs)"
        )
    return value

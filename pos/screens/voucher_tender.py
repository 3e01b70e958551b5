"""The payment screen's Voucher tender (issue 22): a gift voucher's code, scanned (the
scanner's digits and Enter) or typed and F4, pays the lesser of its balance and what is
left. Kept apart from :mod:`pos.screens.payment`, which calls :func:`take_voucher`."""

from __future__ import annotations

from pos.domain.money import format_money
from pos.domain.tender import Tender
from pos.domain.vouchers import CodeKind, VoucherError, classify
from pos.services.errors import StorageError
from pos.services.vouchers import VoucherService

NO_CODE = "Scan the gift voucher, or type its 18 digits and press F4"


def is_voucher_code(text: str) -> bool:
    """Whether what was typed or scanned has the shape of a voucher's code (98..., 18
    digits): it goes to the voucher tender rather than being read as an amount."""
    return classify(text) is CodeKind.VOUCHER


def take_voucher(
    vouchers: VoucherService | None, tender: Tender, code: str, currency: str
) -> tuple[str, bool]:
    """Pay with the voucher ``code``; returns the message to show and whether it is an
    error (then nothing was taken). Nothing comes off the voucher until the sale commits.

    Raises:
        LoginRequired, OverrideRequired: no session (the screen locks the till).
    """
    if not code:
        return NO_CODE, True
    if vouchers is None:
        return "This till takes no gift vouchers", True
    try:
        payment, voucher = vouchers.pay(code, tender)
    except VoucherError as exc:
        return f"{exc}. Nothing taken", True
    except StorageError as exc:
        return f"The voucher cannot be looked up: {exc.reason}; {exc.advice}", True
    left = voucher.balance - payment.amount
    return (
        f"Voucher ...{voucher.code[-4:]} pays {format_money(payment.amount, currency)}; "
        f"{format_money(left, currency)} will be left on it",
        False,
    )

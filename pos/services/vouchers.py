"""Gift vouchers: issuing them when a sale that sells them commits, pre-printed cards,
and looking one up (issue 22). The codes' random digits come from :mod:`secrets`."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from pos.auth.guard import Authority
from pos.db.vouchers import VoucherRepository
from pos.domain.cart import CartLine
from pos.domain.clock import Clock
from pos.domain.tender import Method, Payment, Tender, TenderError
from pos.domain.vouchers import (
    RANDOM_DIGITS,
    Voucher,
    VoucherError,
    check_code,
    check_face_value,
    expiry,
    make_code,
    redemption,
)
from pos.services.guarded import guarded
from pos.services.live_settings import LiveSettings
from pos.services.store import StoreSettings

MAX_CARDS = 1_000
"""The most pre-printed cards one ``pos vouchers issue`` makes."""


def random_digits() -> str:
    """12 digits from the operating system's secure random source."""
    return "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))


def new_vouchers(
    values: Iterable[int],
    settings: StoreSettings,
    at: datetime,
    draw: Callable[[], str] = random_digits,
) -> list[Voucher]:
    """One new voucher for each of ``values``, good for ``voucher_months`` from the local
    date of ``at``, with fresh codes of this store.

    Raises:
        VoucherError: a value of 0 or less, or above ``max_voucher_value``.
    """
    expires = expiry(at.astimezone().date(), settings.voucher_months)
    vouchers = []
    for value in values:
        check_face_value(value, settings.max_voucher_value)
        code = make_code(settings.store_number, draw())
        vouchers.append(Voucher(code, value, value, expires))
    return vouchers


def sold_values(lines: Iterable[CartLine]) -> list[int]:
    """The face value of each voucher a cart's lines sell (a line of 3 sells 3)."""
    return [line.unit_price for line in lines if line.voucher for _ in range(line.qty)]


class VoucherService:
    """Vouchers for the screens and the CLI: balance, cards; issuing at a sale's commit."""

    def __init__(
        self,
        vouchers: VoucherRepository,
        settings: LiveSettings,
        clock: Clock,
        *,
        authority: Authority,
        draw: Callable[[], str] = random_digits,
    ) -> None:
        self.repo = vouchers
        self.live = settings
        self.clock = clock
        self.authority = authority
        self.draw = draw

    @property
    def settings(self) -> StoreSettings:
        return self.live.current

    def for_sale(self, lines: Sequence[CartLine], at: datetime) -> list[Voucher]:
        """The vouchers a sale of ``lines`` at ``at`` issues (none if it sells none), with
        fresh codes; written by :meth:`write_sold` in the sale's transaction.

        Raises:
            VoucherError: a voucher line of 0 or above ``max_voucher_value``.
        """
        return new_vouchers(sold_values(lines), self.settings, at, self.draw)

    def write_sold(self, vouchers: Sequence[Voucher], sale: str, at: datetime) -> None:
        """Write a sale's new vouchers; called inside the sale's transaction."""
        self.repo.insert(vouchers, sale, at)

    def _known(self, code: str) -> Voucher:
        checked = check_code(code, self.settings.store_number)
        voucher = self.repo.get(checked)
        if voucher is None:
            raise VoucherError("That voucher is not known: check the code, or ask a manager")
        return voucher

    @guarded("sale")
    def pay(self, code: str, tender: Tender) -> tuple[Payment, Voucher]:
        """A voucher scanned (or typed) on the payment screen pays the lesser of its
        balance and what is left; nothing is taken off it until the sale commits
        (:meth:`redeem`, in the sale's transaction). Returns the payment and the voucher
        as read now.

        Raises:
            VoucherError: not a voucher code (a coupon, a product), a wrong check digit,
                another store's, unknown, voided, expired, used up, nothing left to pay,
                or the same voucher twice (the message says which); nothing changed.
            StorageError: it cannot be looked up.
        """
        voucher = self._known(code).usable(self.clock.now().astimezone().date())
        amount = redemption(voucher.balance, tender.remaining)
        try:
            return tender.voucher(voucher.code, amount), voucher
        except TenderError as exc:
            raise VoucherError(str(exc)) from None

    def redeem(self, payments: Iterable[Payment], sale: str, at: datetime) -> dict[str, int]:
        """Take each voucher payment off its voucher, in the sale's transaction, by a
        conditional update (:meth:`pos.db.vouchers.VoucherRepository.take`); returns what
        is left on each, by code.

        Raises:
            VoucherTaken: one holds less than its payment now: the sale is undone.
        """
        return {
            p.reference: self.repo.take(p.reference, p.amount, sale, at)
            for p in payments
            if p.method is Method.VOUCHER
        }

    @guarded("sale")
    def balance(self, code: str) -> Voucher:
        """The voucher with ``code`` (scanned or typed), for its balance and expiry.

        Raises:
            VoucherError: not a voucher code, a wrong check digit, another store's, or
                unknown here (the message says which).
        """
        return self._known(code)

"""Gift vouchers: issuing them when a sale that sells them commits, pre-printed cards,
and looking one up (issue 22). The codes' random digits come from :mod:`secrets`."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from pos.auth.guard import Authority
from pos.db.vouchers import VoucherRepository
from pos.domain.cart import CartLine
from pos.domain.clock import Clock
from pos.domain.money import format_money
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
        self.store: str | None = None
        """A store's till (issue 19): its server's URL. The server is then the authority on
        every voucher: looked up there, each redemption claimed there at payment."""

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
        voucher = self._on_store(checked) if self.store else None
        voucher = voucher or self.repo.get(checked)
        if voucher is None:
            raise VoucherError("That voucher is not known: check the code, or ask a manager")
        return voucher

    def _on_store(self, code: str) -> Voucher | None:
        """The voucher as the store's server has it; None if it has none, or if it cannot
        be reached (then the till's own copy, if it knows the voucher, is used)."""
        from pos.db.sync import vouchers as on_store  # psycopg: a store's till only

        assert self.store is not None
        try:
            return on_store.look_up(self.store, code)
        except on_store.StoreOffline:
            return None

    def _offline_room(self, code: str) -> int | None:
        """What a store's till may still take off ``code`` while its server is down (None:
        the server answers, or a till of its own: no offline limit)."""
        if not self.store:
            return None
        from pos.db.sync import vouchers as on_store

        try:
            on_store.look_up(self.store, code)
        except on_store.StoreOffline:
            return max(0, self.settings.offline_voucher_limit - self.repo.taken_offline(code))
        return None

    def claim(self, payments: Sequence[Payment], sale: str, at: datetime) -> dict[str, Voucher]:
        """A store's till: claim the sale's voucher payments on the store's server, before
        the sale commits (and before any other money is taken at the next payment); returns
        the vouchers as the server has them after, by code; empty if the server cannot be
        reached (the sale then takes them offline, within ``offline_voucher_limit``).

        Raises:
            VoucherTaken: the server refused one (used elsewhere, voided): nothing claimed.
        """
        uses = [(p.reference, p.amount) for p in payments if p.method is Method.VOUCHER]
        if not self.store or not uses:
            return {}
        from pos.db.sync import vouchers as on_store

        try:
            after = on_store.claim(self.store, self.repo.till, sale, uses, at.isoformat())
        except on_store.StoreOffline:
            return {}
        return {voucher.code: voucher for voucher in after}

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
        room = self._offline_room(voucher.code)
        if room is not None and room <= 0:
            raise VoucherError(
                "The store's server cannot be reached, and a voucher may pay at most "
                f"{format_money(self.settings.offline_voucher_limit)} while it is down "
                "(offline_voucher_limit): take another payment"
            )
        amount = amount if room is None else min(amount, room)
        try:
            return tender.voucher(voucher.code, amount), voucher
        except TenderError as exc:
            raise VoucherError(str(exc)) from None

    def redeem(
        self,
        payments: Iterable[Payment],
        sale: str,
        at: datetime,
        claimed: Mapping[str, Voucher] | None = None,
    ) -> dict[str, int]:
        """Take each voucher payment off its voucher, in the sale's transaction, by a
        conditional update (:meth:`pos.db.vouchers.VoucherRepository.take`); returns what
        is left on each, by code. ``claimed``: what a store's server granted (:meth:`claim`),
        kept as the server has it; a store's till takes the rest offline, within
        ``offline_voucher_limit``.

        Raises:
            VoucherTaken: one holds less than its payment now (or is past the offline
                limit): the sale is undone.
        """
        granted = claimed or {}
        limit = self.settings.offline_voucher_limit if self.store else None
        left = {}
        for p in payments:
            if p.method is not Method.VOUCHER:
                continue
            if p.reference in granted:
                left[p.reference] = self.repo.mirror(granted[p.reference], sale, p.amount, at)
            else:
                left[p.reference] = self.repo.take(p.reference, p.amount, sale, at, limit)
        return left

    @guarded("sale")
    def balance(self, code: str) -> Voucher:
        """The voucher with ``code`` (scanned or typed), for its balance and expiry.

        Raises:
            VoucherError: not a voucher code, a wrong check digit, another store's, or
                unknown here (the message says which).
        """
        return self._known(code)

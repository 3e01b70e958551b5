"""Taking payment: cash with change, card, gift vouchers, and split tender."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pos.domain.money import format_money

NOTES = (500, 1000, 2000, 5000)
"""Notes offered as quick keys (5, 10, 20, 50)."""

MAX_TENDER = 100_000_00
"""No single payment above 100,000.00: a slip of the finger, not a customer."""


class Method(StrEnum):
    CASH = "cash"
    CARD = "card"
    VOUCHER = "voucher"  # a gift voucher (issue 22): its code is the payment's reference


class TenderError(ValueError):
    """A payment that cannot be taken; the message says why."""


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment towards the sale.

    Attributes:
        method: cash, card or voucher.
        amount: What it pays off the sale.
        tendered: What the customer handed over (cash; equals ``amount`` for card).
        change: What the customer gets back (cash only).
        reference: The card terminal's reference, if typed; a voucher's code.
    """

    method: Method
    amount: int
    tendered: int
    change: int = 0
    reference: str = ""


@dataclass(slots=True)
class Tender:
    """Payments towards ``due`` until nothing is left to pay."""

    due: int
    payments: list[Payment] = field(default_factory=list)

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def remaining(self) -> int:
        return self.due - self.paid

    @property
    def complete(self) -> bool:
        return self.remaining <= 0

    @property
    def change(self) -> int:
        return sum(p.change for p in self.payments)

    def _check(self, amount: int) -> None:
        if self.complete:
            raise TenderError("Nothing is left to pay")
        if amount <= 0:
            raise TenderError("The amount must be more than 0.00")
        if amount > MAX_TENDER:
            raise TenderError("That amount is too large for one payment")

    def cash(self, tendered: int) -> Payment:
        """Cash handed over; anything above what is left comes back as change."""
        self._check(tendered)
        amount = min(tendered, self.remaining)
        payment = Payment(Method.CASH, amount, tendered, tendered - amount)
        self.payments.append(payment)
        return payment

    def card(self, amount: int | None = None, reference: str = "") -> Payment:
        """A card payment for ``amount`` (default: all that is left); never more than that."""
        amount = self.remaining if amount is None else amount
        self._check(amount)
        if amount > self.remaining:
            raise TenderError("A card cannot pay more than is left to pay")
        payment = Payment(Method.CARD, amount, amount, 0, reference[:40])
        self.payments.append(payment)
        return payment

    def repriced(self, due: int) -> Tender:
        """The payments already taken, towards a new amount ``due``: the sale was re-priced
        after they were taken (issue 22: its coupon was used up at another till as both
        paid). Card and voucher payments stand as taken; cash counts again as handed
        over, its change worked out anew. Nothing taken is forgotten.

        Raises:
            TenderError: the card payments alone come to more than ``due`` (the new price
                is lower: the difference goes back on the card).
        """
        again = Tender(due)
        for payment in self.payments:
            if payment.method is not Method.CASH:  # a card or a voucher, as it was taken
                if payment.amount > again.remaining:
                    raise TenderError(
                        f"The {payment.method.value} paid "
                        f"{format_money(payment.amount - again.remaining)} more than the new "
                        f"total: give the difference back on the {payment.method.value}"
                    )
                again.payments.append(payment)
            else:
                amount = min(payment.tendered, max(0, again.remaining))
                again.payments.append(
                    Payment(Method.CASH, amount, payment.tendered, payment.tendered - amount)
                )
        return again

    def voucher(self, code: str, amount: int) -> Payment:
        """A gift voucher's payment of ``amount`` (the lesser of its balance and what is
        left: :func:`pos.domain.vouchers.redemption`); one payment per voucher a sale.

        Raises:
            TenderError: nothing left to pay, a bad amount, more than is left, or the
                same voucher twice.
        """
        self._check(amount)
        if amount > self.remaining:
            raise TenderError("A voucher cannot pay more than is left to pay")
        if any(p.method is Method.VOUCHER and p.reference == code for p in self.payments):
            raise TenderError("That voucher already pays for this sale")
        payment = Payment(Method.VOUCHER, amount, amount, 0, code)
        self.payments.append(payment)
        return payment

    def drop(self, payment: Payment) -> None:
        """Take back a payment that did not go through (a voucher another till spent)."""
        self.payments.remove(payment)


METHOD_LABELS = {Method.CASH: "Cash", Method.CARD: "Card", Method.VOUCHER: "Voucher"}
"""How a payment's method is named on screen and on the receipt."""


def quick_cash(remaining: int) -> list[int]:
    """The exact amount and the next notes up: the quick keys for cash."""
    options = [remaining]
    for note in NOTES:
        up = -(-remaining // note) * note  # the next multiple of the note
        if up > remaining and up not in options:
            options.append(up)
    return options[:4]

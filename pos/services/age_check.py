"""Age-restricted items (issue 20): "Customer 18 or over? Y / N", asked once per sale and
age before such an item is added.

A product with a ``min_age`` asks unless the cart's customer was already confirmed to be
that age or older (a Y to 18 covers a later 16 or 18, not a 21). The answer is audited
either way: ``age_confirmed`` (the cart then remembers the age, in the same transaction,
so a restart, a park and recall or a crash keeps it) or ``age_refused`` (nothing is added).
Nothing is added while the question is open: a crash then leaves no unconfirmed item in
the saved cart.
"""

from __future__ import annotations

from typing import Any

from pos.db.carts import CartRepository
from pos.db.errors import StorageError
from pos.domain.catalog import Product
from pos.services.approvals import Approvals
from pos.services.outcomes import AgeQuestion, Change, Outcome, not_saved


class AgeCheck:
    """The open cart's age check: the age its customer was confirmed to be, if any.

    Attributes:
        checked: The age confirmed for this cart (None: nobody was asked yet).
    """

    def __init__(self, carts: CartRepository, approvals: Approvals | None) -> None:
        self._carts = carts
        self._approvals = approvals
        self.checked: int | None = None

    def question(self, product: Product) -> Outcome | None:
        """The question to ask before ``product`` is added, or None if it needs none."""
        age = product.min_age
        if age is None or (self.checked is not None and self.checked >= age):
            return None
        return Outcome(
            Change.NONE,
            confirm=f"Customer {age} or over? Y / N\n{product.name} is for {age} and over.",
            age=AgeQuestion(product.barcode, product.name, age),
        )

    def answer(
        self, asked: AgeQuestion, yes: bool, *, cart_id: int, cart_uuid: str, operator: str
    ) -> Outcome | None:
        """Audit the answer to ``asked`` by ``operator`` (and on Y remember the age, in the
        same transaction): None on Y (add the item now), else what to show.
        """
        details: dict[str, Any] = {
            "cart": cart_uuid,
            "barcode": asked.barcode,
            "name": asked.name,
            "age": asked.age,
        }
        age = max(asked.age, self.checked or 0)
        try:
            with self._carts.transaction():
                if yes:
                    self._carts.check_age(cart_id, age)
                if self._approvals is not None:
                    event = "age_confirmed" if yes else "age_refused"
                    self._approvals.record(event, operator, details)
        except StorageError as exc:
            return not_saved(exc)
        if not yes:
            return Outcome.info(f"{asked.name} not added: customer under {asked.age}")
        self.checked = age
        return None

"""Taking back the last scan (error correct) and changing a line's price: the part of
:class:`pos.services.checkout.CheckoutService` that corrects a line already in the cart
(mixed in, as :mod:`.parking` is; the service owns the state these methods use).

Error correct needs no void scope (it is only the scan just made) and is audited as
``error_correct``; a price change needs ``price_override`` or a manager's approval. Each
is one transaction with its approval and audit entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pos.domain.catalog import Unit
from pos.domain.corrections import LastAddition, take_back
from pos.domain.money import format_money
from pos.domain.receipt import format_qty
from pos.services.outcomes import Change, Outcome
from pos.services.scan_entry import typed_price

if TYPE_CHECKING:
    from pos.auth.guard import Authority
    from pos.auth.service import Identity
    from pos.db.carts import CartRepository
    from pos.domain.cart import Cart, CartLine
    from pos.domain.manual_discounts import GivenDiscounts
    from pos.domain.pricing import PricedBasket
    from pos.domain.sanity import EntryChecks
    from pos.services.approvals import Approval
    from pos.services.scan_entry import EntryState


class LineCorrections:
    """Error correct and price changes on the open cart's lines."""

    if TYPE_CHECKING:  # what CheckoutService has, which these methods use
        authority: Authority
        cart: Cart
        cart_id: int
        manual: GivenDiscounts
        _carts: CartRepository
        _entry: EntryState
        _last: LastAddition | None

        def reprice(self, changed: Iterable[str] | None = None) -> PricedBasket: ...
        def action_for(
            self, scope: str, line_no: int | None = None, price: int | None = None
        ) -> dict[str, Any]: ...
        def _authorise(
            self, actor: Identity, scope: str, action: dict[str, Any], approval: str | None
        ) -> Approval | Outcome: ...
        def _audited_write(
            self,
            write: Callable[[], None],
            approval: Approval,
            event: str,
            details: dict[str, Any],
        ) -> Outcome | None: ...
        def _line_write(self, line: CartLine) -> tuple[Callable[[], None], tuple[int, ...]]: ...
        def _entry_checks(self) -> EntryChecks: ...

    def can_error_correct(self, line_no: int, units: int | None, operator: str | None) -> bool:
        """Whether ``-`` (``units`` 1) or Del (None) on the line takes back the most recent
        scan (error correct) rather than voiding what was rung up before."""
        return isinstance(take_back(self.cart.get(line_no), self._last, units, operator), int)

    def error_correct(self, line_no: int, units: int | None = None) -> Outcome:
        """Take back the most recent scan (``units`` of it, or all), without the void
        scope: it is only the scan just made. Audited as ``error_correct``; anything
        older is a void (:meth:`void_line`, :meth:`change_quantity`)."""
        actor = self.authority.current()
        allowed = self._authorise(actor, "sale", self.action_for("sale", line_no), None)
        if isinstance(allowed, Outcome):
            return allowed
        line, last = self.cart.get(line_no), self._last
        qty = take_back(line, last, units, allowed.requester)
        if isinstance(qty, str):
            return Outcome.fail(qty)
        assert line is not None
        assert last is not None
        new = line.with_qty(qty)
        write, stale = self._line_write(new) if qty else ((lambda: None), ())
        failed = self._audited_write(
            write if qty else lambda: self._carts.delete_line(self.cart_id, line_no),
            allowed,
            "error_correct",
            {**self.action_for("error_correct", line_no), "name": line.name, "new_qty": qty},
        )
        if failed is not None:
            return failed
        self._entry.end_pending()
        self._last = last.after_taking(line.qty - qty)
        taken = format_qty(line.unit, line.qty - qty)
        if not qty:
            self.cart.remove(line_no)
            self.manual.line_gone(line_no, cart_empty=not len(self.cart))
            self.reprice({line.barcode})
            return Outcome(Change.REMOVED, f"Error correct: {taken} x {line.name} taken back", line)
        self.cart.put(new)
        note = self.manual.forget(stale)
        self.reprice({line.barcode})
        return Outcome(Change.LINE, f"Error correct: {taken} x {line.name} taken back{note}", new)

    def parse_price(self, text: str) -> int | Outcome:
        """A typed price (``1.50``) in minor units, or why not."""
        return typed_price(self._entry_checks(), text)

    def set_price(self, line_no: int, price: int, approval: str | None = None) -> Outcome:
        """Change a line's unit price (scope ``price_override``, or a manager's approval)."""
        line = self.cart.get(line_no)
        if line is None:
            return Outcome.fail("Select a line first")
        if line.unit is Unit.KG and price <= 0:
            return Outcome.fail("A weighed item's price per kg must be more than 0")
        other = self.cart.find((line.barcode, price))
        if other is not None and other.line_no != line_no:
            return Outcome.fail(f"Line {other.line_no} already has {line.name} at that price")
        action = self.action_for("price_override", line_no, price)
        allowed = self._authorise(self.authority.current(), "price_override", action, approval)
        if isinstance(allowed, Outcome):
            return allowed
        new = replace(line, unit_price=price, fixed_price=True)
        write, stale = self._line_write(new)
        failed = self._audited_write(
            write,
            allowed,
            "price_override",
            {**action, "old_price": line.unit_price, "name": line.name},
        )
        if failed is not None:
            return failed
        self.cart.put(new)
        note = self.manual.forget(stale)
        self.reprice({line.barcode})
        self._entry.end_pending()
        return Outcome(Change.LINE, f"{line.name}: price {format_money(price)}{note}", new)

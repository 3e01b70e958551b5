"""The cart commands: what each Enter, key and command does to the open cart.

Every change is computed first, saved in its own transaction, and only then
applied to the in-memory cart, so the screen never shows something that was not
saved. If saving fails, the cashier is told it was NOT saved and the cart stays
as it was.

What a command returns to the screen is in :mod:`pos.services.outcomes`; how typed keys,
a quantity prefix, a weighed item or a confirmation become an entry is in
:mod:`pos.services.scan_entry`; pricing is :mod:`pos.services.cart_pricing`, and the leave
for a void or a price override :mod:`pos.services.cart_approval`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from pos.auth.guard import Authority
from pos.auth.service import Identity
from pos.db.carts import CartRepository
from pos.db.errors import StorageError
from pos.domain.cart import Cart, CartLine, StoredCart, max_qty
from pos.domain.catalog import Catalog, Product, Unit
from pos.domain.clock import Clock
from pos.domain.corrections import LastAddition
from pos.domain.discounts import Rule
from pos.domain.entry import BadEntry, CountEntry, Empty, ScanEntry, WeightEntry, parse_entry
from pos.domain.manual_discounts import GivenDiscounts, with_manual
from pos.domain.pricing import PricedBasket
from pos.domain.sanity import EntryChecks
from pos.domain.text import plural
from pos.services.age_check import AgeCheck
from pos.services.approvals import Approval, Approvals
from pos.services.cart_approval import audited_write, authorise, cart_action
from pos.services.cart_coupons import CartCoupons
from pos.services.cart_pricing import CartPricing, RuleSource
from pos.services.days import DayClosed
from pos.services.line_corrections import LineCorrections
from pos.services.outcomes import Change, Outcome, describe, not_saved, unreadable
from pos.services.parking import Parking
from pos.services.scan_entry import (
    REFUSED_SCAN,
    EntryState,
    NeedsWeight,
    max_text,
    neither_quantity_nor_barcode,
    quantity_from,
    read_scan,
    typed_addition,
    typed_grams,
    typed_quantity,
    with_skipped,
)

if TYPE_CHECKING:
    from pos.services.days import TradingDay
    from pos.services.live_settings import LiveSettings


class CheckoutService(Parking, CartCoupons, LineCorrections):
    """The open cart of one till and everything the scanning screen can do to it.

    Every command asks ``authority`` (the guard) who is acting at the moment it runs,
    never taking an identity from its caller: an action that runs after a manager's
    approval, or after the session ended, is checked then (``LoginRequired`` if it has
    ended; voids and price changes take the approval token instead of the scope).

    The discount rules are read when the cart is first priced (the login does it, see
    :meth:`load_rules`), not when the service is built: the login screen needs none of
    them, and a big rule set takes a while to read.

    Attributes:
        cart: The open cart.
    """

    def __init__(
        self,
        catalog: Catalog,
        carts: CartRepository,
        clock: Clock,
        new_id: Callable[[], str],
        settings: LiveSettings,
        rules: RuleSource | None = None,
        approvals: Approvals | None = None,
        *,
        authority: Authority,
        days: TradingDay | None = None,
    ) -> None:
        self._settings = settings
        self._approvals = approvals
        self._days = days
        self.authority = authority
        self._catalog = catalog
        self._carts = carts
        self._clock = clock
        self._new_id = new_id
        self._pricing = CartPricing(rules, clock, self._capped_rules)  # priced by the rules
        self._last: LastAddition | None = None  # what error correct may take back
        self._entry = EntryState(self._entry_checks)  # a scan to correct, a weight to type
        self._actor: Identity | None = None
        self._ages = AgeCheck(carts, approvals)  # "Customer 18 or over?" (issue 20)
        self._load(carts.open_cart(new_id(), clock.now()))

    def _load(self, stored: StoredCart) -> None:
        self.cart_id = stored.id
        self.cart_uuid = stored.uuid
        self.cart = Cart(stored.lines)
        # the cashier's discounts by line (0: the sale's), :mod:`.manual_discounts`
        self.manual = GivenDiscounts((d.line_no, d) for d in stored.discounts)
        self._ages.checked = stored.age_checked
        self._load_coupons(stored.id)  # issue 22 (:mod:`.cart_coupons`)
        self._entry.reset()
        self._last = None  # a cart just loaded has no scan to take back
        self._pricing.forget()  # priced from scratch when it is next looked at

    def _entry_checks(self) -> EntryChecks:
        """The checks on what is typed, as the settings are now (they may change)."""
        return self._settings.current.entry

    def load_rules(self) -> None:
        """Read the discount rules, if they have not been read yet.

        Raises:
            StorageError: they cannot be read (nothing is priced without them).
        """
        self._pricing.load_rules()

    @property
    def priced(self) -> PricedBasket:
        """The cart priced against the discount rules, kept current after every change.

        Raises:
            StorageError: only the first time, if the rules cannot be read.
        """
        return self._with_manual(self._pricing.priced(self.cart))

    def _with_manual(self, priced: PricedBasket) -> PricedBasket:  # then the cashier's
        return with_manual(self.cart.lines, priced, self.manual.values()) if self.manual else priced

    def _line_write(self, line: CartLine) -> tuple[Callable[[], None], tuple[int, ...]]:
        """Saving a changed ``line`` with the discounts it outgrows taken off in the same
        transaction (:meth:`~pos.domain.manual_discounts.GivenDiscounts.outgrown`)."""
        stale = self.manual.outgrown(line.line_no)
        return partial(self._carts.save_line, self.cart_id, line, stale), stale

    @property
    def priced_at(self) -> datetime:
        """The local (naive) time the cart was last priced at."""
        return self._pricing.priced_at(self.cart)

    def start_new_cart(self) -> None:
        """After a sale: the old cart is gone from the database; open a new one."""
        self._load(self._carts.open_cart(self._new_id(), self._clock.now()))

    def open_next_cart(self) -> StoredCart:
        """Open the cart that follows a sale, without switching to it: called inside the
        sale's transaction, so the sale, the removal of its cart and the next open cart
        are one commit. Switch to it with :meth:`continue_with` once that commit is done."""
        return self._carts.open_cart(self._new_id(), self._clock.now())

    def continue_with(self, stored: StoredCart) -> None:
        """After a sale: carry on with the cart :meth:`open_next_cart` opened."""
        self._load(stored)

    def local_now(self) -> datetime:
        """The shop's local time (naive), which rule windows are written in."""
        return self._pricing.local_now()

    def reprice(self, changed: Iterable[str] | None = None) -> PricedBasket:
        """Price the cart again; ``changed`` names the products whose lines changed
        (the rules are read again first if a manager changed them: see
        :meth:`CartPricing.reprice <pos.services.cart_pricing.CartPricing.reprice>`).

        Raises:
            StorageError: only if the rules have never been read and cannot be.
        """
        return self._with_manual(self._pricing.reprice(self.cart, changed))

    def applied_rules(self) -> tuple[Rule, ...]:
        """The rules behind the cart's discounts as priced (at :attr:`priced_at`, local):
        what a sale keeps so that a refund can price what is kept the same way."""
        return self._pricing.applied_rules(self.cart)

    @property
    def _operator(self) -> str | None:
        """Who is scanning (the number of the last ``submit``'s actor)."""
        return self._actor.number if self._actor else None

    # ----------------------------------------------------------------- queries

    @property
    def prompt(self) -> str:
        """What the entry line asks for right now."""
        return self._entry.prompt

    @property
    def age_checked(self) -> int | None:
        """The age this cart's customer was confirmed to be (for the receipt), or None."""
        return self._ages.checked

    @property
    def awaiting_weight(self) -> bool:
        return self._entry.awaiting_weight is not None

    def day_closed(self) -> Outcome | None:
        """Why no sale can be taken now (the day was closed by a Z report and no new one
        opened, or the day cannot be read), or None if one can: asked before any tender."""
        if self._days is None:
            return None
        try:
            self._days.check_open(open_first=False)  # reads only: the sale opens the day
        except DayClosed as exc:
            return Outcome.fail(str(exc))
        except StorageError as exc:
            return unreadable(exc)
        return None

    # ----------------------------------------------------------------- entry

    def submit(self, text: str, selected: int | None = None) -> Outcome:
        """Handle Enter on the entry buffer: a scan, a quantity or a weight.

        Args:
            text: What was typed or scanned.
            selected: The line the cashier has selected, if any. A quantity typed after
                a scan corrects that scan only while its line is still the selected one.

        Raises:
            LoginRequired, OverrideRequired: no session, or no ``sale`` scope (an empty
                Enter, which changes and shows nothing, is answered without asking).
        """
        state = self._entry
        entry = parse_entry(text)
        if isinstance(entry, Empty):
            return Outcome.info(self.prompt) if state.awaiting_weight else Outcome(Change.NONE)
        self._actor = self.authority.require("sale")  # who is scanning: on new lines
        if isinstance(entry, BadEntry):
            return Outcome.fail(entry.message)
        if isinstance(entry, ScanEntry):
            # leave a weight prompt and the last scan as they were if it is no barcode
            if refused := neither_quantity_nor_barcode(entry):
                return refused
            skipped = state.awaiting_weight
            state.awaiting_weight = None
            outcome = self._scan(entry)
            if outcome.confirm:  # asked first: nothing was done, not even the weight skipped
                state.awaiting_weight = skipped
                return outcome
            if outcome.error:
                # a refused scan added nothing, so a number typed next must not land on
                # the line of the scan before it
                state.end_pending(REFUSED_SCAN)
            return with_skipped(outcome, skipped)
        if state.awaiting_weight is not None:
            product = state.awaiting_weight
            grams = typed_grams(entry)
            if isinstance(grams, Outcome):
                return grams
            outcome = self._add(product, grams, weight_typed=True)
            if not outcome.error and not outcome.confirm:
                state.awaiting_weight = None
            return outcome
        return self._correct_last_scan(entry, selected)

    def _scan(self, entry: ScanEntry) -> Outcome:
        settings = self._settings.current
        scanned = self._coupon_scan(entry) or read_scan(
            entry, self._catalog, settings.patterns, settings.max_voucher_value
        )
        if isinstance(scanned, Outcome):
            return scanned
        if isinstance(scanned, NeedsWeight):  # the age is asked before the weight
            return self._ages.question(scanned.product) or self._entry.ask_weight(scanned.product)
        return self._add(
            scanned.product,
            scanned.qty,
            price=scanned.price,
            weight_typed=scanned.weight_typed,
            ask=scanned.ask,
        )

    def _add(
        self,
        product: Product,
        qty: int,
        *,
        price: int | None = None,
        weight_typed: bool = True,
        ask: bool = False,
    ) -> Outcome:
        """Add ``qty`` to the product's line. A weight printed on a label (``weight_typed``
        false) is the scale's, so it cannot be corrected by typing after the scan."""
        existing = self.cart.find((product.barcode, price))
        if existing is not None:
            line = existing.with_qty(existing.qty + qty)
            before = existing.qty
        else:
            line = CartLine.for_product(
                self.cart.next_line_no,
                product,
                qty,
                price=price,
                operator=self._operator,
            )
            before = 0
        if line.qty > max_qty(line.unit):
            return Outcome.fail(f"{line.name}: a line cannot hold more than {max_text(line)}")
        if asked := self._ages.question(product):  # before anything is saved
            return asked
        if ask and (question := self._entry.question(line, before)):
            return Outcome(Change.NONE, confirm=question)
        saved = self._save(line)
        if saved.error:
            return saved
        self._last = LastAddition(line.line_no, qty, line.qty, self._operator)
        self._entry.scanned(line, before, weight_typed=weight_typed)
        return Outcome(Change.LINE, describe(line) + saved.message, line, is_new=existing is None)

    def _correct_last_scan(self, entry: CountEntry | WeightEntry, selected: int | None) -> Outcome:
        target = self._entry.correction_target(self.cart, selected)
        if isinstance(target, Outcome):
            return target
        pending, line = target
        added = typed_addition(line, entry)
        if isinstance(added, Outcome):
            return added
        # correcting the scan just made (even downwards) is not a void: the units
        # being taken off were added by that same scan a moment ago
        outcome = self._set(line, pending.qty_before + added, keep_pending=True, checked=True)
        if outcome.line is not None and not outcome.error:  # still that scan's addition
            self._last = LastAddition(line.line_no, added, outcome.line.qty, self._operator)
        return outcome

    # ----------------------------------------------------------------- line edits

    def set_quantity(self, line_no: int, text: str, approval: str | None = None) -> Outcome:
        """Set a line's quantity to what was typed (F4); lowering it is a void of units."""
        actor = self.authority.current()
        self._entry.end_pending()
        line = self.cart.get(line_no)
        if line is None:
            return Outcome.fail("Select a line first")
        qty = typed_quantity(line, text)
        if isinstance(qty, Outcome):
            return qty
        return self._set(line, qty, actor=actor, approval=approval)

    def quantity_from(self, line_no: int, text: str) -> int | None:
        """The quantity ``text`` would set on the line (None if it is not one)."""
        return quantity_from(self.cart.get(line_no), text)

    def change_quantity(self, line_no: int, delta: int, approval: str | None = None) -> Outcome:
        """Add ``delta`` items to a line (the + and - keys); taking some off is a void.

        The key ends the moment "straight after a scan", even when it is refused: ``-3``
        then Enter must not read the 3 as a quantity for the last scan."""
        actor = self.authority.current()
        self._entry.end_pending()
        line = self.cart.get(line_no)
        if line is None:
            return Outcome.fail("Select a line first")
        if line.unit is Unit.KG:
            return Outcome.fail(f"{line.name} is weighed: type the weight and press F4")
        qty = line.qty + delta
        if qty < 1:
            return Outcome.fail("Quantity cannot go below 1: to remove the line, void it (Del)")
        return self._set(line, qty, actor=actor, approval=approval)

    def _set(
        self,
        line: CartLine,
        qty: int,
        *,
        keep_pending: bool = False,
        actor: Identity | None = None,
        approval: str | None = None,
        checked: bool = False,
    ) -> Outcome:
        if qty > max_qty(line.unit):
            return Outcome.fail(f"{line.name}: a line cannot hold more than {max_text(line)}")
        new = line.with_qty(qty)
        if question := self._entry.question(new, line.qty):
            return Outcome(Change.NONE, confirm=question)
        if qty < line.qty and not checked and self._approvals is not None:
            # fewer than before: units are voided, which needs the void scope
            action = self.action_for("void", line.line_no) | {"new_qty": qty}
            allowed = self._authorise(actor or self.authority.current(), "void", action, approval)
            if isinstance(allowed, Outcome):
                return allowed
            write, stale = self._line_write(new)
            failed = self._audited_write(
                write, allowed, "void_units", {**action, "name": line.name}
            )
            if failed is not None:
                return failed
            self.cart.put(new)
            note = self.manual.forget(stale)
            self.reprice({line.barcode})
            if not keep_pending:
                self._entry.end_pending()
            return Outcome(Change.LINE, describe(new) + note, new)
        saved = self._save(new)
        if saved.error:
            return saved
        if not keep_pending:
            self._entry.end_pending()
        return replace(saved, message=describe(new) + saved.message)

    def confirmed(self, act: Callable[[], Outcome]) -> Outcome:
        """Run ``act`` again, its sanity question answered yes (the cashier pressed Y)."""
        self._entry.confirmed = True
        try:
            return act()
        finally:
            self._entry.confirmed = False

    def answer(self, asked: Outcome, act: Callable[[], Outcome], *, yes: bool) -> Outcome:
        """The cashier answered ``asked`` (an Outcome with a question, returned by ``act``):
        Y runs ``act`` again; an age question (:attr:`Outcome.age`) is audited either way.

        Raises:
            LoginRequired: the session ended while the question was open (nothing done).
        """
        if asked.age is None:
            return self.confirmed(act) if yes else Outcome.info("Not confirmed: nothing changed")
        operator = self.authority.require("sale").number
        refused = self._ages.answer(
            asked.age, yes, cart_id=self.cart_id, cart_uuid=self.cart_uuid, operator=operator
        )
        if refused is not None:
            self._entry.end_pending(REFUSED_SCAN)  # a number typed next corrects nothing
            return refused
        return act()  # asks again about a big quantity, if it is one

    def action_for(
        self, scope: str, line_no: int | None = None, price: int | None = None
    ) -> dict[str, Any]:
        """What an approval for ``scope`` is bound to: this cart, this line, this amount."""
        return cart_action(self.cart, self.cart_uuid, scope, line_no, price)

    def _authorise(
        self, actor: Identity, scope: str, action: dict[str, Any], approval: str | None
    ) -> Approval | Outcome:
        """Leave for ``actor``: ``scope``, or a manager's approval of exactly this."""
        return authorise(self._approvals, actor, scope, action, approval)

    def _audited_write(
        self, write: Callable[[], None], approval: Approval, event: str, details: dict[str, Any]
    ) -> Outcome | None:
        """Do a privileged change, use up its approval and audit it, all in one transaction."""
        failed = audited_write(self._carts, self._approvals, write, approval, event, details)
        if failed is None:
            self._last = None  # any other change to the cart ends "the last scan"
        return failed

    def void_line(self, line_no: int, approval: str | None = None) -> Outcome:
        """Remove a line from the cart (scope ``void``, or a manager's approval)."""
        line = self.cart.get(line_no)
        if line is None:
            return Outcome.fail("Select a line first")
        action = self.action_for("void", line_no)
        allowed = self._authorise(self.authority.current(), "void", action, approval)
        if isinstance(allowed, Outcome):
            return allowed
        failed = self._audited_write(
            lambda: self._carts.delete_line(self.cart_id, line_no),
            allowed,
            "void",
            {**action, "name": line.name},
        )
        if failed is not None:
            return failed
        self.cart.remove(line_no)
        self.manual.line_gone(line_no, cart_empty=not len(self.cart))
        self.reprice({line.barcode})
        self._entry.end_pending()
        return Outcome(Change.REMOVED, f"Voided {line.name}", line)

    def void_cart(self, approval: str | None = None) -> Outcome:
        """Remove every line (after the screen's confirmation)."""
        if not len(self.cart):
            return Outcome.fail("The cart is already empty")
        action = self.action_for("void")
        allowed = self._authorise(self.authority.current(), "void", action, approval)
        if isinstance(allowed, Outcome):
            return allowed
        failed = self._audited_write(
            lambda: self._carts.clear(self.cart_id), allowed, "void_cart", action
        )
        if failed is not None:
            return failed
        count = plural(len(self.cart), "line")
        self.cart.clear()
        self.manual.clear()  # (the repository's clear took them off)
        self._coupons_gone()  # likewise
        self._ages.checked = None  # the next customer is asked again
        self._entry.reset()
        self.reprice()
        return Outcome(Change.RELOAD, f"Cart voided ({count})")

    def cancel(self) -> Outcome:
        """Escape: drop a weight prompt and stop a typed quantity applying to the last scan."""
        return self._entry.cancel()

    # ----------------------------------------------------------------- saving

    def _save(self, line: CartLine) -> Outcome:
        """Save a new or changed line (its message: what it outgrew, if anything)."""
        write, stale = self._line_write(line)
        try:
            write()
        except StorageError as exc:
            return not_saved(exc)
        self._last = None  # any other change to the cart ends "the last scan"
        self.cart.put(line)
        note = self.manual.forget(stale)
        self.reprice({line.barcode})
        return Outcome(Change.LINE, note, line)

"""The scanning flow: what each Enter, key and command does to the open cart.

Every change is computed first, saved in its own transaction, and only then
applied to the in-memory cart, so the screen never shows something that was not
saved. If saving fails, the cashier is told it was NOT saved and the cart stays
as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from pos.auth.guard import Authority
from pos.auth.service import Identity
from pos.db.errors import StorageError
from pos.db.repositories import CartRepository
from pos.domain.barcodes import DEFAULT_PATTERNS, BarcodeError, BarcodePattern, parse_scan
from pos.domain.cart import MAX_COUNT, Cart, CartLine, ParkedCart, StoredCart, max_qty
from pos.domain.catalog import Catalog, Product, Unit
from pos.domain.clock import Clock
from pos.domain.corrections import LastAddition, take_back
from pos.domain.discounts import Rule
from pos.domain.entry import (
    MAX_TYPED_COUNT,
    MAX_TYPED_GRAMS,
    BadEntry,
    CountEntry,
    Empty,
    ScanEntry,
    WeightEntry,
    parse_entry,
)
from pos.domain.money import MoneyError, format_money
from pos.domain.pricing import PricedBasket, Pricer, price_cart
from pos.domain.receipt import format_qty
from pos.domain.sanity import EntryChecks
from pos.domain.scanning import ScanProblem, embedded_measure
from pos.domain.text import plural
from pos.services.approvals import Approval, ApprovalRefused, Approvals
from pos.services.days import DayClosed


class Change(StrEnum):
    """What the screen has to redraw after an action."""

    NONE = "none"  # only the message
    LINE = "line"  # one line added or changed (``Outcome.line``)
    REMOVED = "removed"  # one line gone (``Outcome.line`` is the removed line)
    RELOAD = "reload"  # the whole cart changed (void cart, park, recall)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one action, for the screen to show."""

    change: Change
    message: str = ""
    line: CartLine | None = None
    is_new: bool = False
    error: bool = False
    confirm: str = ""
    """A question to ask first (nothing was done): on Y, run the action again through
    :meth:`CheckoutService.confirmed`."""

    @classmethod
    def fail(cls, message: str) -> Outcome:
        return cls(Change.NONE, message, error=True)

    @classmethod
    def info(cls, message: str) -> Outcome:
        return cls(Change.NONE, message)


@dataclass(frozen=True, slots=True)
class _Pending:
    """The last scan, which a quantity typed straight after it corrects."""

    line_no: int
    qty_before: int


def _describe(line: CartLine) -> str:
    return f"{line.name}  {format_qty(line.unit, line.qty)} x {format_money(line.unit_price)}"


class RuleSource(Protocol):
    """Where the discount rules come from, and a version that changes with them."""

    def version(self) -> int: ...

    def all(self) -> list[Rule]: ...


class TradingDay(Protocol):
    """The till's trading day: ``check_open`` raises DayClosed once a Z report closed it."""

    def check_open(self, *, open_first: bool = True) -> None: ...


class NoRules:
    """A rule source with no rules."""

    def version(self) -> int:
        return 0

    def all(self) -> list[Rule]:
        return []


class CheckoutService:
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
        patterns: tuple[BarcodePattern, ...] = DEFAULT_PATTERNS,
        rules: RuleSource | None = None,
        approvals: Approvals | None = None,
        *,
        authority: Authority,
        days: TradingDay | None = None,
        checks: EntryChecks | None = None,
    ) -> None:
        self._checks = checks or EntryChecks()
        self._confirmed = False  # the sanity question of the action running was answered
        self._approvals = approvals
        self._days = days
        self.authority = authority
        self._catalog = catalog
        self._carts = carts
        self._clock = clock
        self._new_id = new_id
        self._patterns = patterns
        self._rules = rules or NoRules()
        self._rules_version = 0
        self._rule_set: tuple[Rule, ...] = ()
        self._pricer: Pricer | None = None  # the rules are not read yet
        self._priced: PricedBasket | None = None
        self._priced_at: datetime | None = None
        self._pending: _Pending | None = None
        self._last: LastAddition | None = None  # what error correct may take back
        self._no_pending_reason = ""  # why a number typed now has no scan to correct
        self._awaiting_weight: Product | None = None
        self._actor: Identity | None = None
        self._load(carts.open_cart(new_id(), clock.now()))

    def _load(self, stored: StoredCart) -> None:
        self.cart_id = stored.id
        self.cart_uuid = stored.uuid
        self.cart = Cart(stored.lines)
        self._end_pending()
        self._last = None  # a cart just loaded has no scan to take back
        self._awaiting_weight = None
        self._priced = None  # priced from scratch when it is next looked at

    def _end_pending(self, reason: str = "") -> None:
        """End the moment "straight after a scan": a number typed next corrects nothing
        and is refused (with ``reason``, if there is one better than the usual)."""
        self._pending = None
        self._no_pending_reason = reason

    def load_rules(self) -> None:
        """Read the discount rules, if they have not been read yet.

        Raises:
            StorageError: they cannot be read (nothing is priced without them).
        """
        if self._pricer is None:
            self._read_rules(self._rules.version())

    def _read_rules(self, version: int) -> None:
        """Read the rules (at ``version``) and price with them from now on; nothing
        changes if they cannot be read (StorageError)."""
        rule_set = tuple(self._rules.all())
        self._pricer = Pricer(rule_set)
        self._rule_set = rule_set
        self._rules_version = version

    @property
    def priced(self) -> PricedBasket:
        """The cart priced against the discount rules, kept current after every change.

        Raises:
            StorageError: only the first time, if the rules cannot be read.
        """
        if self._priced is None:
            return self.reprice()
        return self._priced

    @property
    def priced_at(self) -> datetime:
        """The local (naive) time the cart was last priced at."""
        if self._priced is None:
            self.reprice()
        assert self._priced_at is not None
        return self._priced_at

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
        return self._clock.now().astimezone().replace(tzinfo=None)

    def reprice(self, changed: Iterable[str] | None = None) -> PricedBasket:
        """Price the cart again; ``changed`` names the products whose lines changed.

        If the rules changed since the last scan (a manager saved one), they are
        reloaded first: a change takes effect on the next scan of every open cart.

        Raises:
            StorageError: only if the rules have never been read and cannot be.
        """
        if self._pricer is None:
            self.load_rules()
            changed = None
        else:
            try:
                version = self._rules.version()
            except StorageError:
                version = self._rules_version  # cannot look: keep pricing with the rules we have
            if version != self._rules_version:
                try:
                    self._read_rules(version)
                    changed = None
                except StorageError:
                    pass  # keep the rules we have; the next scan tries again
        if self._priced is None:
            changed = None  # a cart just loaded: nothing cached is about it
        assert self._pricer is not None
        self._priced_at = self.local_now()
        self._priced = self._pricer.price(self.cart, self._priced_at, changed)
        return self._priced

    def applied_rules(self) -> tuple[Rule, ...]:
        """The rules behind the cart's discounts as priced (at :attr:`priced_at`, local):
        what a sale keeps so that a refund can price what is kept the same way."""
        names = {discount.name for discount in self.priced.discounts}
        return tuple(rule for rule in self._rule_set if rule.name in names)

    @property
    def _operator(self) -> str | None:
        """Who is scanning (the number of the last ``submit``'s actor)."""
        return self._actor.number if self._actor else None

    # ----------------------------------------------------------------- queries

    @property
    def prompt(self) -> str:
        """What the entry line asks for right now."""
        if self._awaiting_weight is not None:
            return f"Weight of {self._awaiting_weight.name} in kg"
        return "Scan or type"

    @property
    def awaiting_weight(self) -> bool:
        return self._awaiting_weight is not None

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
            return _unreadable(exc)
        return None

    def parked(self) -> list[ParkedCart] | Outcome:
        """The parked carts of this till, oldest first (or why they cannot be read), each
        with the total the customer would pay now: priced with the discount rules
        (``sale``)."""
        self.authority.require("sale")
        try:
            self.load_rules()
            parked = self._carts.parked()
            at = self.local_now()
            shown = []
            for p in parked:
                lines = self._carts.lines_of(p.id)
                total = price_cart(Cart(lines), self._rule_set, at).total
                shown.append(replace(p, total=total, names=tuple(line.name for line in lines)))
            return shown
        except StorageError as exc:
            return _unreadable(exc)

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
        entry = parse_entry(text)
        if isinstance(entry, Empty):
            return Outcome.info(self.prompt) if self._awaiting_weight else Outcome(Change.NONE)
        self._actor = self.authority.require("sale")  # who is scanning: on new lines
        if isinstance(entry, BadEntry):
            return Outcome.fail(entry.message)
        if isinstance(entry, ScanEntry) and not entry.explicit_multiplier and len(entry.code) < 8:
            # 5 to 7 digits: too many for a quantity, too few for a barcode; say both,
            # and leave a weight prompt and the last scan as they were
            return Outcome.fail(
                f"{entry.code} is neither a quantity (at most {MAX_TYPED_COUNT:,}) nor a "
                f"barcode ({len(entry.code)} digits; EAN-8, UPC-A or EAN-13 have 8, 12 or 13)"
            )
        if isinstance(entry, ScanEntry):
            skipped = self._awaiting_weight
            self._awaiting_weight = None
            outcome = self._scan(entry)
            if outcome.confirm:  # asked first: nothing was done, not even the weight skipped
                self._awaiting_weight = skipped
                return outcome
            if outcome.error:
                # a refused scan added nothing, so a number typed next must not land on
                # the line of the scan before it
                self._end_pending(
                    "The last scan was not added, so a number typed now changes nothing: "
                    "to change a line, select it, type the quantity and press F4"
                )
            if skipped is not None:
                note = f"{skipped.name} was not added (no weight typed). "
                return Outcome(
                    outcome.change,
                    note + outcome.message,
                    outcome.line,
                    outcome.is_new,
                    outcome.error,
                )
            return outcome
        if self._awaiting_weight is not None:
            product = self._awaiting_weight
            grams = _typed_grams(entry)
            if isinstance(grams, Outcome):
                return grams
            outcome = self._add(product, grams, weight_typed=True)
            if not outcome.error:
                self._awaiting_weight = None
            return outcome
        return self._correct_last_scan(entry, selected)

    def _scan(self, entry: ScanEntry) -> Outcome:
        try:
            scan = parse_scan(entry.code, self._patterns)
        except BarcodeError as exc:
            return Outcome.fail(str(exc))
        try:
            product = self._catalog.get(scan.lookup)
        except StorageError as exc:
            return _unreadable(exc)
        if product is None:
            if scan.is_variable:
                return Outcome.fail(
                    f"No product for in-store code {scan.code} (item code {scan.lookup})"
                )
            return Outcome.fail(f"No product with barcode {scan.code}")
        try:
            embedded = embedded_measure(scan, product)
        except ScanProblem as exc:
            return Outcome.fail(str(exc))
        if embedded.grams is not None:
            if entry.explicit_multiplier:
                return Outcome.fail(f"{product.name} is weighed: it cannot be multiplied")
            return self._add(product, embedded.grams, weight_typed=False)
        ask = entry.explicit_multiplier  # a plain scan is never asked about
        if embedded.price is not None:
            return self._add(product, entry.multiplier, price=embedded.price, ask=ask)
        # the product's own code: a weighed item asks for its weight
        if product.unit is Unit.KG:
            if entry.explicit_multiplier:
                return Outcome.fail(f"{product.name} is weighed: type its weight, not a count")
            self._end_pending()
            self._awaiting_weight = product
            return Outcome.info(f"Type the weight of {product.name} in kg, then Enter")
        return self._add(product, entry.multiplier, ask=ask)

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
            return Outcome.fail(f"{line.name}: a line cannot hold more than {_max_text(line)}")
        if ask and (question := self._question(line, before)):
            return Outcome(Change.NONE, confirm=question)
        saved = self._save(line)
        if saved.error:
            return saved
        self._last = LastAddition(line.line_no, qty, line.qty, self._operator)
        if weight_typed:
            self._pending = _Pending(line.line_no, before)
            self._no_pending_reason = ""
        else:
            self._end_pending(f"{line.name}: the weight comes from its label and cannot be typed")
        return Outcome(Change.LINE, _describe(line), line, is_new=existing is None)

    def _correct_last_scan(self, entry: CountEntry | WeightEntry, selected: int | None) -> Outcome:
        pending = self._pending
        line = self.cart.get(pending.line_no) if pending else None
        if pending is None or line is None:
            return Outcome.fail(
                self._no_pending_reason
                or "Type a quantity straight after a scan, or select a line and press F4"
            )
        if selected is not None and selected != line.line_no:
            self._end_pending()
            return Outcome.fail(
                "Another line is selected: to change it, type the quantity and press F4"
            )
        if line.unit is Unit.KG:
            grams = _typed_grams(entry)
            if isinstance(grams, Outcome):
                return grams
            added = grams
        elif isinstance(entry, WeightEntry):
            return Outcome.fail(f"{line.name} is sold by the item: type a whole number")
        else:
            added = entry.count
        if added <= 0:
            return Outcome.fail("Quantity must be at least 1")
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
        self._end_pending()
        line = self.cart.get(line_no)
        if line is None:
            return Outcome.fail("Select a line first")
        if not text:
            return Outcome.fail("Type the new quantity, then press F4")
        entry = parse_entry(text)
        if line.unit is Unit.KG and isinstance(entry, CountEntry | WeightEntry):
            grams = _typed_grams(entry)
            if isinstance(grams, Outcome):
                return grams
            qty = grams
        elif isinstance(entry, CountEntry):
            qty = entry.count
        elif isinstance(entry, WeightEntry):
            return Outcome.fail(f"{line.name} is sold by the item: type a whole number")
        else:
            return Outcome.fail(f"{text!r} is not a quantity")
        if qty <= 0:
            return Outcome.fail("Quantity must be at least 1; to remove the line, void it (Del)")
        return self._set(line, qty, actor=actor, approval=approval)

    def quantity_from(self, line_no: int, text: str) -> int | None:
        """The quantity ``text`` would set on the line (None if it is not one)."""
        line = self.cart.get(line_no)
        entry = parse_entry(text)
        if line is None:
            return None
        if isinstance(entry, CountEntry):
            return entry.count * 1000 if line.unit is Unit.KG else entry.count
        if isinstance(entry, WeightEntry) and line.unit is Unit.KG:
            return entry.grams
        return None

    def change_quantity(self, line_no: int, delta: int, approval: str | None = None) -> Outcome:
        """Add ``delta`` items to a line (the + and - keys); taking some off is a void.

        The key ends the moment "straight after a scan", even when it is refused: ``-3``
        then Enter must not read the 3 as a quantity for the last scan."""
        actor = self.authority.current()
        self._end_pending()
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
            return Outcome.fail(f"{line.name}: a line cannot hold more than {_max_text(line)}")
        new = line.with_qty(qty)
        if question := self._question(new, line.qty):
            return Outcome(Change.NONE, confirm=question)
        if qty < line.qty and not checked and self._approvals is not None:
            # fewer than before: units are voided, which needs the void scope
            action = self.action_for("void", line.line_no) | {"new_qty": qty}
            allowed = self._authorise(actor or self.authority.current(), "void", action, approval)
            if isinstance(allowed, Outcome):
                return allowed
            failed = self._audited_write(
                lambda: self._carts.save_line(self.cart_id, new),
                allowed,
                "void_units",
                {**action, "name": line.name},
            )
            if failed is not None:
                return failed
            self.cart.put(new)
            self.reprice({line.barcode})
            if not keep_pending:
                self._end_pending()
            return Outcome(Change.LINE, _describe(new), new)
        saved = self._save(new)
        if saved.error:
            return saved
        if not keep_pending:
            self._end_pending()
        return Outcome(Change.LINE, _describe(new), new)

    def _question(self, line: CartLine, before: int) -> str | None:
        """The sanity question before ``line`` is saved (it held ``before``), unless it
        was answered (:meth:`confirmed`)."""
        if self._confirmed:
            return None
        return self._checks.quantity_question(line.name, line.unit, before, line.qty)

    def confirmed(self, act: Callable[[], Outcome]) -> Outcome:
        """Run ``act`` again, its sanity question answered yes (the cashier pressed Y)."""
        self._confirmed = True
        try:
            return act()
        finally:
            self._confirmed = False

    def action_for(
        self, scope: str, line_no: int | None = None, price: int | None = None
    ) -> dict[str, Any]:
        """What an approval for ``scope`` is bound to: this cart, this line, this amount."""
        action: dict[str, Any] = {"scope": scope, "cart": self.cart_uuid}
        line = self.cart.get(line_no) if line_no is not None else None
        if line is not None:
            action.update(line=line.line_no, barcode=line.barcode, qty=line.qty, total=line.total)
        else:
            action.update(total=self.cart.subtotal, lines=len(self.cart))
        if price is not None:
            action["price"] = price
        return action

    def _authorise(
        self, actor: Identity, scope: str, action: dict[str, Any], approval: str | None
    ) -> Approval | Outcome:
        """Leave for ``actor`` (the guard's operator, asked by the command just now): they
        hold ``scope``, or a manager approved exactly this; a refusal otherwise. Enforced
        here, not only by the screen."""
        missing = f"This needs a manager's approval ({scope})"
        if self._approvals is None:
            return (
                Approval(None, None, scope, actor.number)
                if actor.may(scope)
                else Outcome.fail(missing)
            )
        try:
            return self._approvals.authorise(actor, scope, action, approval, missing=missing)
        except ApprovalRefused as exc:
            return Outcome.fail(str(exc))

    def _audited_write(
        self, write: Callable[[], None], approval: Approval, event: str, details: dict[str, Any]
    ) -> Outcome | None:
        """Do a privileged change, use up its approval and audit it, all in one transaction."""
        try:
            with self._carts.transaction():
                write()
                approval.use(**details)
                if self._approvals is not None:
                    self._approvals.record(event, approval.requester, details)
        except ApprovalRefused as exc:
            return Outcome.fail(str(exc))
        except StorageError as exc:
            return _not_saved(exc)
        self._last = None  # any other change to the cart ends "the last scan"
        return None

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
        self.reprice({line.barcode})
        self._end_pending()
        return Outcome(Change.REMOVED, f"Voided {line.name}", line)

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
        failed = self._audited_write(
            lambda: (
                self._carts.save_line(self.cart_id, new)
                if qty
                else self._carts.delete_line(self.cart_id, line_no)
            ),
            allowed,
            "error_correct",
            {**self.action_for("error_correct", line_no), "name": line.name, "new_qty": qty},
        )
        if failed is not None:
            return failed
        self._end_pending()
        self._last = last.after_taking(line.qty - qty)
        taken = format_qty(line.unit, line.qty - qty)
        if not qty:
            self.cart.remove(line_no)
            self.reprice({line.barcode})
            return Outcome(Change.REMOVED, f"Error correct: {taken} x {line.name} taken back", line)
        self.cart.put(new)
        self.reprice({line.barcode})
        return Outcome(Change.LINE, f"Error correct: {taken} x {line.name} taken back", new)

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
        self._end_pending()
        self._awaiting_weight = None
        self.reprice()
        return Outcome(Change.RELOAD, f"Cart voided ({count})")

    def parse_price(self, text: str) -> int | Outcome:
        """A typed price (``1.50``) in minor units, or why not."""
        try:
            price = self._checks.parse_amount(text, what="price")
        except MoneyError as exc:
            return Outcome.fail(f"Type the new price, then press F5 ({exc})")
        return price

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
        failed = self._audited_write(
            lambda: self._carts.save_line(self.cart_id, new),
            allowed,
            "price_override",
            {**action, "old_price": line.unit_price, "name": line.name},
        )
        if failed is not None:
            return failed
        self.cart.put(new)
        self.reprice({line.barcode})
        self._end_pending()
        return Outcome(Change.LINE, f"{line.name}: price {format_money(price)}", new)

    def cancel(self) -> Outcome:
        """Escape: drop a weight prompt and stop a typed quantity applying to the last scan."""
        self._end_pending()
        if self._awaiting_weight is not None:
            name = self._awaiting_weight.name
            self._awaiting_weight = None
            return Outcome.info(f"{name} not added")
        return Outcome(Change.NONE)

    # ----------------------------------------------------------------- park and recall

    def park(self) -> Outcome:
        """Hold the cart for later and start a new one (``sale``)."""
        self.authority.require("sale")
        if not len(self.cart):
            return Outcome.fail("Nothing to park: the cart is empty")
        summary = f"{plural(len(self.cart), 'line')}, {format_money(self.priced.total)}"
        try:
            stored = self._carts.park(self.cart_id, self._clock.now(), self._new_id())
        except StorageError as exc:
            return _not_saved(exc)
        self._load(stored)
        return Outcome(Change.RELOAD, f"Cart parked ({summary})")

    def recall(self, parked_id: int) -> Outcome:
        """Make a parked cart the open one; the current cart must be empty (``sale``)."""
        self.authority.require("sale")
        if len(self.cart):
            return Outcome.fail("Park or void the current cart before recalling another")
        try:
            stored = self._carts.recall(parked_id, self.cart_id)
        except LookupError as exc:
            return Outcome.fail(str(exc).capitalize())
        except StorageError as exc:
            return _not_saved(exc)
        self._load(stored)
        total = format_money(self.priced.total)
        lines = plural(len(self.cart), "line")
        return Outcome(Change.RELOAD, f"Recalled parked cart ({lines}, {total})")

    # ----------------------------------------------------------------- saving

    def _save(self, line: CartLine) -> Outcome:
        try:
            self._carts.save_line(self.cart_id, line)
        except StorageError as exc:
            return _not_saved(exc)
        self._last = None  # any other change to the cart ends "the last scan"
        self.cart.put(line)
        self.reprice({line.barcode})
        return Outcome(Change.LINE, line=line)


def _typed_grams(entry: CountEntry | WeightEntry) -> int | Outcome:
    """A typed weight in grams: ``0.85`` or a whole number of kg, up to 99.999 kg."""
    grams = entry.count * 1000 if isinstance(entry, CountEntry) else entry.grams
    if grams <= 0:
        return Outcome.fail("Weight must be more than 0")
    if grams > MAX_TYPED_GRAMS:
        return Outcome.fail(
            f"{grams // 1000} kg is more than {MAX_TYPED_GRAMS / 1000:.3f} kg: "
            "type the weight in kg, e.g. 0.850"
        )
    return grams


def _max_text(line: CartLine) -> str:
    return "999.999 kg" if line.unit is Unit.KG else f"{MAX_COUNT} items"


def _unreadable(exc: StorageError) -> Outcome:
    return Outcome.fail(
        f"The database could not be read: {exc.reason}. Nothing was changed; {exc.advice}."
    )


def _not_saved(exc: StorageError) -> Outcome:
    return Outcome.fail(f"NOT saved: {exc.reason}. The cart is unchanged; {exc.advice}.")

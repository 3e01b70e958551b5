"""How what the cashier types becomes an entry: the scan-entry state machine.

Between two Enters the entry line is in one of a few states: straight after a scan (a
number typed now corrects that scan's quantity), waiting for the weight of a weighed
item, or neither. This module reads a scan into what it adds (or why not), reads typed
quantities and weights, and keeps that state with the question a big quantity asks
first; :class:`~pos.services.checkout.CheckoutService` saves what it decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pos.db.errors import StorageError
from pos.domain.barcodes import BarcodeError, BarcodePattern, parse_scan
from pos.domain.cart import MAX_COUNT, Cart, CartLine
from pos.domain.catalog import Catalog, Product, Unit
from pos.domain.coupons import is_coupon_code
from pos.domain.entry import (
    MAX_TYPED_COUNT,
    MAX_TYPED_GRAMS,
    CountEntry,
    ScanEntry,
    WeightEntry,
    parse_entry,
)
from pos.domain.money import MoneyError
from pos.domain.sanity import EntryChecks
from pos.domain.scanning import Embedded, ScanProblem, embedded_measure
from pos.domain.vouchers import (
    DEFAULT_MAX_VOUCHER_VALUE,
    CodeKind,
    VoucherError,
    check_face_value,
    classify,
)
from pos.services.outcomes import Change, Outcome, unreadable

REFUSED_SCAN = (
    "The last scan was not added, so a number typed now changes nothing: "
    "to change a line, select it, type the quantity and press F4"
)
"""Why a number typed after a refused scan changes nothing."""


@dataclass(frozen=True, slots=True)
class PendingScan:
    """The last scan, which a quantity typed straight after it corrects."""

    line_no: int
    qty_before: int


@dataclass(frozen=True, slots=True)
class Scanned:
    """What a scan adds: ``qty`` of ``product`` (``price``: the price on its label).

    Attributes:
        weight_typed: False for a weight printed on a label (the scale's): a number
            typed after the scan cannot correct it.
        ask: Ask the sanity question for a big quantity first (a typed multiplier).
    """

    product: Product
    qty: int
    price: int | None = None
    weight_typed: bool = True
    ask: bool = False


@dataclass(frozen=True, slots=True)
class NeedsWeight:
    """A weighed product scanned by its own code: the next Enter gives its weight."""

    product: Product


class EntryState:
    """Where the entry line stands between two Enters (``checks``: when to ask first).

    Attributes:
        pending: The scan a number typed now corrects (None: not straight after a scan).
        no_pending_reason: Why a number typed now has no scan to correct, if there is a
            better reason than the usual.
        awaiting_weight: The weighed product the next Enter gives the weight of.
        confirmed: The sanity question of the action running was answered yes.
    """

    def __init__(self, checks: Callable[[], EntryChecks]) -> None:
        self._checks = checks  # asked at each question: the settings may have changed
        self.pending: PendingScan | None = None
        self.no_pending_reason = ""
        self.awaiting_weight: Product | None = None
        self.confirmed = False

    def reset(self) -> None:
        """A cart was loaded: no scan to correct, no weight asked for."""
        self.end_pending()
        self.awaiting_weight = None

    def end_pending(self, reason: str = "") -> None:
        """End the moment "straight after a scan": a number typed next corrects nothing
        and is refused (with ``reason``, if there is one better than the usual)."""
        self.pending = None
        self.no_pending_reason = reason

    def scanned(self, line: CartLine, before: int, *, weight_typed: bool) -> None:
        """A scan was saved on ``line`` (which held ``before``): a number typed next
        corrects it, unless its weight came from its label."""
        if weight_typed:
            self.pending = PendingScan(line.line_no, before)
            self.no_pending_reason = ""
        else:
            self.end_pending(f"{line.name}: the weight comes from its label and cannot be typed")

    @property
    def prompt(self) -> str:
        """What the entry line asks for right now."""
        if self.awaiting_weight is not None:
            return f"Weight of {self.awaiting_weight.name} in kg"
        return "Scan or type"

    def ask_weight(self, product: Product) -> Outcome:
        """Wait for the weight of ``product``, typed next."""
        self.end_pending()
        self.awaiting_weight = product
        return Outcome.info(f"Type the weight of {product.name} in kg, then Enter")

    def cancel(self) -> Outcome:
        """Escape: drop a weight prompt and stop a typed quantity applying to the last scan."""
        self.end_pending()
        if self.awaiting_weight is not None:
            name = self.awaiting_weight.name
            self.awaiting_weight = None
            return Outcome.info(f"{name} not added")
        return Outcome(Change.NONE)

    def question(self, line: CartLine, before: int) -> str | None:
        """The sanity question before ``line`` is saved (it held ``before``), unless it
        was answered (:attr:`confirmed`)."""
        if self.confirmed:
            return None
        return self._checks().quantity_question(line.name, line.unit, before, line.qty)

    def correction_target(
        self, cart: Cart, selected: int | None
    ) -> tuple[PendingScan, CartLine] | Outcome:
        """The scan a typed number corrects and its line, or why there is none.

        A number typed after a scan corrects that scan only while its line is still the
        ``selected`` one (if a line is selected)."""
        pending = self.pending
        line = cart.get(pending.line_no) if pending else None
        if pending is None or line is None:
            return Outcome.fail(
                self.no_pending_reason
                or "Type a quantity straight after a scan, or select a line and press F4"
            )
        if selected is not None and selected != line.line_no:
            self.end_pending()
            return Outcome.fail(
                "Another line is selected: to change it, type the quantity and press F4"
            )
        return pending, line


def neither_quantity_nor_barcode(entry: ScanEntry) -> Outcome | None:
    """5 to 7 digits without a multiplier: too many for a quantity, too few for a
    barcode; the refusal says both (None: a scan)."""
    if entry.explicit_multiplier or len(entry.code) >= 8:
        return None
    return Outcome.fail(
        f"{entry.code} is neither a quantity (at most {MAX_TYPED_COUNT:,}) nor a "
        f"barcode ({len(entry.code)} digits; EAN-8, UPC-A or EAN-13 have 8, 12 or 13)"
    )


def with_skipped(outcome: Outcome, skipped: Product | None) -> Outcome:
    """``outcome`` of a scan made while ``skipped`` waited for its weight (which was
    then not added), saying so."""
    if skipped is None:
        return outcome
    note = f"{skipped.name} was not added (no weight typed). "
    return Outcome(
        outcome.change,
        note + outcome.message,
        outcome.line,
        outcome.is_new,
        outcome.error,
    )


def look_up(
    code: str, catalog: Catalog, patterns: tuple[BarcodePattern, ...]
) -> tuple[Product, Embedded] | Outcome:
    """The product a scanned or typed ``code`` names, and what its label carries (a
    weight or a price), or a failed :class:`Outcome` that says why there is none. The one
    reading of a code: a scan and a price check (F1) both go through it."""
    try:
        scan = parse_scan(code, patterns)
    except BarcodeError as exc:
        return Outcome.fail(str(exc))
    try:
        product = catalog.get(scan.lookup)
    except StorageError as exc:
        return unreadable(exc)
    if product is None:
        if scan.is_variable:
            return Outcome.fail(
                f"No product for in-store code {scan.code} (item code {scan.lookup})"
            )
        if is_coupon_code(scan.code):
            return Outcome.fail(
                f"{scan.code} is a coupon, not a product: scan it into a sale on the "
                "scanning screen"
            )
        return Outcome.fail(f"No product with barcode {scan.code}")
    try:
        return product, embedded_measure(scan, product)
    except ScanProblem as exc:
        return Outcome.fail(str(exc))


def read_scan(
    entry: ScanEntry,
    catalog: Catalog,
    patterns: tuple[BarcodePattern, ...],
    max_voucher: int = DEFAULT_MAX_VOUCHER_VALUE,
) -> Scanned | NeedsWeight | Outcome:
    """What a scan adds: the product, with a weight or price from its label, or the
    multiplier typed before it; a weighed product's own code asks for its weight. A gift
    voucher's code is refused (it pays; it is not sold), and so is a voucher product
    worth 0 or more than ``max_voucher`` (issue 22)."""
    if classify(entry.code) is CodeKind.VOUCHER:
        return Outcome.fail(
            "That is a gift voucher's code: it pays for a sale (Voucher, on the payment "
            "screen), it is not an item"
        )
    found = look_up(entry.code, catalog, patterns)
    if isinstance(found, Outcome):
        return found
    product, embedded = found
    if product.voucher:
        if product.unit is not Unit.EACH or embedded.grams is not None:
            return Outcome.fail(
                f"{product.name} is a gift voucher sold by weight: a voucher is sold one by "
                "one (a manager makes it an ordinary product: pos vouchers product --off)"
            )
        try:
            check_face_value(embedded.price or product.price, max_voucher)
        except VoucherError as exc:
            return Outcome.fail(f"{product.name}: {exc}")
    if embedded.grams is not None:
        if entry.explicit_multiplier:
            return Outcome.fail(f"{product.name} is weighed: it cannot be multiplied")
        return Scanned(product, embedded.grams, weight_typed=False)
    ask = entry.explicit_multiplier  # a plain scan is never asked about
    if embedded.price is not None:
        return Scanned(product, entry.multiplier, price=embedded.price, ask=ask)
    # the product's own code: a weighed item asks for its weight
    if product.unit is Unit.KG:
        if entry.explicit_multiplier:
            return Outcome.fail(f"{product.name} is weighed: type its weight, not a count")
        return NeedsWeight(product)
    return Scanned(product, entry.multiplier, ask=ask)


def typed_grams(entry: CountEntry | WeightEntry) -> int | Outcome:
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


def typed_addition(line: CartLine, entry: CountEntry | WeightEntry) -> int | Outcome:
    """What a number typed straight after a scan says that scan added to ``line``."""
    if line.unit is Unit.KG:
        grams = typed_grams(entry)
        if isinstance(grams, Outcome):
            return grams
        added = grams
    elif isinstance(entry, WeightEntry):
        return Outcome.fail(f"{line.name} is sold by the item: type a whole number")
    else:
        added = entry.count
    if added <= 0:
        return Outcome.fail("Quantity must be at least 1")
    return added


def typed_quantity(line: CartLine, text: str) -> int | Outcome:
    """The quantity typed for ``line`` (F4): items, or grams for a weighed line."""
    if not text:
        return Outcome.fail("Type the new quantity, then press F4")
    entry = parse_entry(text)
    if line.unit is Unit.KG and isinstance(entry, CountEntry | WeightEntry):
        grams = typed_grams(entry)
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
    return qty


def typed_price(checks: EntryChecks, text: str) -> int | Outcome:
    """A typed price (``1.50``) in minor units, or why not."""
    try:
        price = checks.parse_amount(text, what="price")
    except MoneyError as exc:
        return Outcome.fail(f"Type the new price, then press F5 ({exc})")
    return price


def quantity_from(line: CartLine | None, text: str) -> int | None:
    """The quantity ``text`` would set on ``line`` (None if it is not one)."""
    entry = parse_entry(text)
    if line is None:
        return None
    if isinstance(entry, CountEntry):
        return entry.count * 1000 if line.unit is Unit.KG else entry.count
    if isinstance(entry, WeightEntry) and line.unit is Unit.KG:
        return entry.grams
    return None


def max_text(line: CartLine) -> str:
    """The most a line can hold, in words (for the refusal of more)."""
    return "999.999 kg" if line.unit is Unit.KG else f"{MAX_COUNT} items"

"""The scanning screen: the cart, the running totals and the entry line.

Scanner input is captured here whatever has focus: the digit, ``*``, ``.``,
Backspace and Enter keys are priority bindings of this screen, so they reach
the entry buffer before any widget sees them. Nothing on this screen is a
button or a text field, so a scanner's Enter can never press or fill one; keep
it that way (Textual drops an ancestor's bindings for keys that a focused
``Input`` consumes, so a text field here would swallow the scanner's digits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TypeVar

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget

from pos.auth.guard import Guard, LoginRequired, OverrideRequired
from pos.domain.entry import split_quantity
from pos.domain.money import format_money
from pos.domain.text import plural
from pos.screens.approval import ApprovalFlow
from pos.screens.cash import CASH_COMMANDS, COMMAND_TITLES
from pos.screens.discounts import DISCOUNT_COMMANDS, discount_titles
from pos.screens.modals import ConfirmModal, RecallModal
from pos.screens.requests import (
    LockTill,
    OpenAudit,
    OpenCashOffice,
    OpenDiscountEditor,
    OpenFind,
    OpenHistory,
    OpenManualDiscount,
    OpenPriceCheck,
    OpenReport,
    OpenStoreLink,
    Request,
    TakePayment,
)
from pos.services.approvals import Approvals
from pos.services.checkout import CheckoutService
from pos.services.discount_admin import OPEN_ACTION, SCOPE
from pos.services.outcomes import Change, Outcome
from pos.widgets import CartTable, EntryLine, KeyBar, MessageLine, TillHeader, TotalsPanel
from pos.widgets.entry_line import typing_keys
from pos.widgets.type_ahead import AnswersOnce, TakesText

W = TypeVar("W", bound=Widget)

_ENTRY_KEYS = [
    *typing_keys("0123456789*."),
    # scanners can be set to end a code with CR, LF or Tab: all three submit
    Binding("enter,ctrl+j,tab", "submit", show=False, priority=True),
]


class ScanScreen(TakesText, AnswersOnce, Screen[None]):
    """Scan items, see each line and the running total."""

    BINDINGS = [
        *_ENTRY_KEYS,
        # shown in this order, the keys used most first: a narrow footer cuts the last
        Binding("plus", "change_qty(1)", "Qty", key_display="+/-", priority=True),
        Binding("minus", "change_qty(-1)", "Less", key_display="-", show=False, priority=True),
        Binding("f4", "set_qty", "Set qty", key_display="F4", priority=True),
        Binding("delete", "void_line", "Void", key_display="Del", priority=True),
        Binding("f10", "pay", "Pay", key_display="F10", priority=True),
        Binding("escape", "cancel", "Clear", key_display="Esc", priority=True),
        # the app's lock key (the app's binding does it), listed here to show before the
        # rarer keys rather than after them all
        Binding("ctrl+l", "app.log_out", "Lock", key_display="^L", priority=True),
        Binding("f5", "set_price", "Price", key_display="F5", priority=True),
        Binding("f6", "park", "Park", key_display="F6", priority=True),
        Binding("f7", "recall", "Recall", key_display="F7", priority=True),
        Binding("f8", "void_cart", "Void all", key_display="F8", priority=True),
        Binding("f11", "history", "Sales", key_display="F11", priority=True),
        Binding("f12", "report", "X report", key_display="F12", priority=True),
        Binding("f3", "discounts", "Deals", key_display="F3", priority=True),
        Binding("f1", "price_check", "Price check", key_display="F1", priority=True),
        Binding("f2", "find", "Find", key_display="F2", priority=True),
        Binding("f9", "audit", "Audit", key_display="F9", priority=True),
        Binding("ctrl+o", "cash_office", "Cash", key_display="^O", priority=True),
        Binding("ctrl+k", "store_link", "Store", key_display="^K", priority=True),
    ]
    """Entry keys are hidden (they are typed, not chosen); commands show in the footer."""

    store_linked = False
    """A store's till (issue 19): the store link key is shown (the app sets it)."""

    def __init__(
        self,
        checkout: CheckoutService,
        store_name: str,
        till_name: str,
        guard: Guard,
        approvals: Approvals,
        last_sale: Callable[[], str | None] | None = None,
    ) -> None:
        super().__init__()
        self._widgets: dict[type[Widget], Widget] = {}
        self._last_sale = last_sale
        self.checkout = checkout
        self.store_name = store_name
        self.till_name = till_name
        self.guard = guard
        self.approvals = approvals
        self._shown_cart = ""

    def compose(self) -> ComposeResult:
        header = TillHeader(id="header")
        header.store = self.store_name
        header.till = self.till_name
        yield header
        with Horizontal(id="main"):
            yield CartTable(id="cart")
            yield TotalsPanel(id="totals")
        yield EntryLine(id="entry")
        yield MessageLine("", id="message")
        yield KeyBar(id="keys")  # every key, wrapped (a Footer cuts the last ones off)

    def on_screen_resume(self) -> None:
        """Back from a dialog or a login: show who is at the till now, the new cart if a
        sale was completed while this screen was covered (the till locked on the receipt),
        and the totals as they are now."""
        identity = self.guard.identity
        header = self.query_one(TillHeader)
        header.operator = f"{identity.name} ({identity.number})" if identity else ""
        if self._shown_cart != self.checkout.cart_uuid:
            self._load_cart()
        self._show_totals()  # (the payment screen may have taken a coupon off, re-pricing)

    def _load_cart(self) -> None:
        self.cart_table.load(self.checkout.cart.lines)
        self._shown_cart = self.checkout.cart_uuid

    def on_screen_suspend(self) -> None:
        """A dialog opened over the screen: drop a half-typed entry rather than let it
        merge with whatever is typed after the dialog closes. Covered by the login screen
        (the session has ended: the till is locking), the message line is cleared too:
        what it said is not news to whoever logs in next."""
        self.entry.take()
        if self.guard.session is None:
            self._one(MessageLine).show("")

    def on_mount(self) -> None:
        self._load_cart()
        self.query_one(CartTable).focus()
        self._show_totals()
        if not len(self.checkout.cart) and self._last_sale is not None:
            # after a restart: a sale that was saved just before is not charged again
            last = self._last_sale()
            if last:
                self.query_one(MessageLine).show(last)

    # ------------------------------------------------------------- rendering

    @property
    def cart_table(self) -> CartTable:
        return self._one(CartTable)

    @property
    def entry(self) -> EntryLine:
        return self._one(EntryLine)

    def _one(self, kind: type[W]) -> W:
        """The screen's one widget of ``kind``, looked up once (every key asks for the
        entry line; a query walks the screen)."""
        found = self._widgets.get(kind)
        if found is None or not found.is_attached:
            found = self._widgets[kind] = self.query_one(kind)
        assert isinstance(found, kind)
        return found

    def _show_totals(self) -> None:
        cart = self.checkout.cart
        priced = self.checkout.priced
        self.cart_table.show_discounts(priced.discounts, self.checkout.coupons)
        self._one(TotalsPanel).show(
            items=cart.item_count,
            subtotal=priced.subtotal,
            discounts=priced.discount_total,
            total=priced.total,
        )
        self.entry.prompt = self.checkout.prompt

    def apply(self, outcome: Outcome) -> None:
        """Redraw only what the outcome changed: one row and the totals, or the whole cart."""
        table = self.cart_table
        if outcome.change is Change.LINE and outcome.line is not None:
            table.show_line(outcome.line, is_new=outcome.is_new)
        elif outcome.change is Change.REMOVED and outcome.line is not None:
            table.drop_line(outcome.line.line_no)
        elif outcome.change is Change.RELOAD:
            self._load_cart()
        self._show_totals()
        if outcome.message or outcome.error:
            self._one(MessageLine).show(outcome.message, error=outcome.error)
        if outcome.error:
            self.app.bell()

    # ------------------------------------------------------------- entry keys

    def action_type(self, char: str) -> None:
        self.entry.type(char)

    def action_backspace(self) -> None:
        self.entry.backspace()

    def intercept(self, event: events.Key | events.Paste) -> bool:
        """The app's first look at a key or a paste on this screen (before any binding, in
        the order they came); True if it was taken here.

        A key with a character and no binding (a letter, a space, a control character,
        what is left of an escape sequence the terminal parser did not know) is typed into
        the entry, so Enter refuses the entry whole and says why instead of reading the
        digits around it as a barcode or a quantity. It is taken here, not in ``on_key``:
        a key that bubbles up from the focused widget arrives after the priority bindings
        of the keys typed after it (the Enter), so it would miss its own entry.

        Pasted text is never scanned: a block of it could be many entries at once.
        """
        if isinstance(event, events.Paste):
            self.apply(
                Outcome.fail(
                    f"Pasted text ignored ({plural(len(event.text), 'character')}): "
                    "scan the barcode or type it"
                )
            )
            return True
        if event.character is None or event.key in self._bindings.key_to_bindings:
            return False  # a key of this screen (a digit, Enter): its binding has it
        if event.key in self.app.active_bindings:  # dearer: walks every binding in reach
            return False
        self.entry.type(event.character)
        return True

    def action_submit(self) -> None:
        text = self.entry.take()
        if not text:
            self.apply(self.checkout.submit(text))
            return
        self._permitted(
            "sale",
            lambda _approval: self.checkout.submit(text, selected=self.cart_table.selected_line_no),
        )

    def _permitted(
        self,
        scope: str,
        act: Callable[[str | None], Outcome],
        action: dict[str, object] | None = None,
        what: str = "",
    ) -> None:
        """Run ``act`` through the guard: at once if the operator may, after a manager's
        approval if not, or not at all (back to the login) if the session is gone.

        The services check the guard again when ``act`` runs (an approval can take a
        while; the session may end meanwhile): if it has ended, nothing is done and the
        till locks."""
        ApprovalFlow(
            self.app,
            self.approvals,
            ended=lambda exc, _approved: self._session_ended(exc),
            declined=lambda: self.apply(Outcome.info("Not approved: nothing changed")),
        ).run(
            self.guard,
            scope,
            action,
            what,
            lambda token: self._run(lambda: act(token)),
            refused=lambda exc: self.apply(Outcome.fail(str(exc))),
        )

    def _run(self, act: Callable[[], Outcome]) -> None:
        """Do the action and show what it did, or lock if the session ended meanwhile.
        An action the service asks about first (a line of more than 99, the customer's
        age) runs again only if the cashier answers Y; the answer, either way, goes to
        the service (an age question is audited)."""
        try:
            outcome = act()
        except LoginRequired as exc:
            self._session_ended(exc)
            return
        if outcome.confirm:

            def answered(yes: bool | None) -> None:
                self._run(lambda: self.checkout.answer(outcome, act, yes=bool(yes)))

            self.app.push_screen(ConfirmModal(outcome.confirm), answered)
            return
        self.apply(outcome)

    def action_cancel(self) -> None:
        self.entry.take()
        self.apply(self.checkout.cancel())

    # ------------------------------------------------------------- line commands

    def action_change_qty(self, delta: int) -> None:
        if self.entry.buffer:
            # part of what is being typed or scanned (``3-``, a Code 39 ``AB-12``): it is
            # refused on Enter with the rest, not obeyed as a command in the middle of it
            self.entry.type("+" if delta > 0 else "-")
            return
        line_no = self.cart_table.selected_line_no
        if line_no is None:
            self.apply(self._on_selected(lambda no: self.checkout.change_quantity(no, delta)))
            return
        if delta < 0 and self._error_correct(line_no, -delta):
            return
        line = self.checkout.cart.line(line_no)
        self._quantity_change(
            line_no,
            line.qty + delta,
            lambda approval: self.checkout.change_quantity(line_no, delta, approval),
        )

    def action_set_qty(self) -> None:
        text = self.entry.take()
        line_no = self.cart_table.selected_line_no
        if line_no is None:
            self.apply(self._on_selected(lambda no: self.checkout.set_quantity(no, text)))
            return
        target = self.checkout.quantity_from(line_no, text)
        self._quantity_change(
            line_no,
            target,
            lambda approval: self.checkout.set_quantity(line_no, text, approval),
        )

    def _quantity_change(
        self, line_no: int, target: int | None, act: Callable[[str | None], Outcome]
    ) -> None:
        """A higher quantity is selling; a lower one voids units and needs ``void``."""
        line = self.checkout.cart.line(line_no)
        if target is None or target >= line.qty or target < 1:
            self._permitted("sale", act)
            return
        self._permitted(
            "void",
            act,
            self.checkout.action_for("void", line_no) | {"new_qty": target},
            f"Take {line.name} from {line.qty} down to {target}",
        )

    def _error_correct(self, line_no: int, units: int | None) -> bool:
        """For an operator without the void scope, ``-`` or Del on the line of the most
        recent scan takes (one of) that scan back: error correct, no approval needed (the
        service checks it again). True if it did. Whoever may void keeps the usual keys:
        ``-`` and Del void, as they always did."""
        identity = self.guard.identity
        if identity is None or identity.may("void"):
            return False
        if not self.checkout.can_error_correct(line_no, units, identity.number):
            return False
        self._permitted("sale", lambda _approval: self.checkout.error_correct(line_no, units))
        return True

    def action_void_line(self) -> None:
        line_no, code = self.cart_table.selected_line_no, self.cart_table.selected_coupon
        if line_no is None:
            self.apply(self._on_selected(self.checkout.void_line, code))
            return
        if self._error_correct(line_no, None):
            return
        line = self.checkout.cart.line(line_no)
        self._permitted(
            "void",
            lambda approval: self.checkout.void_line(line_no, approval),
            self.checkout.action_for("void", line_no),
            f"Void line {line_no}: {line.name}, {format_money(line.total)}",
        )

    def action_set_price(self) -> None:
        text = self.entry.take()
        line_no = self.cart_table.selected_line_no
        if line_no is None:
            self.apply(self._on_selected(lambda _no: Outcome(Change.NONE)))
            return
        price = self.checkout.parse_price(text)
        if isinstance(price, Outcome):
            self.apply(price)
            return
        line = self.checkout.cart.line(line_no)
        self._permitted(
            "price_override",
            lambda approval: self.checkout.set_price(line_no, price, approval),
            self.checkout.action_for("price_override", line_no, price),
            f"Change the price of {line.name} from {format_money(line.unit_price)} "
            f"to {format_money(price)}",
        )

    def _on_selected(self, act: Callable[[int], Outcome], coupon: str | None = None) -> Outcome:
        line_no = self.cart_table.selected_line_no
        if coupon is not None:  # Del on a coupon's row takes it off (issue 22)
            return self.checkout.remove_coupon(coupon)
        if line_no is None:
            if not len(self.checkout.cart):
                return Outcome.fail("The cart is empty: scan an item first")
            return Outcome.fail("Select an item line (Up/Down), not a discount")
        return act(line_no)

    # ------------------------------------------------------------- cart commands

    def action_park(self) -> None:
        self._permitted("sale", lambda _approval: self.checkout.park())

    def action_recall(self) -> None:
        self._permitted("sale", lambda _approval: self._recall())

    def _recall(self) -> Outcome:
        if len(self.checkout.cart):
            return Outcome.fail("Park or void the current cart before recalling another")
        parked = self.checkout.parked()
        if isinstance(parked, Outcome):
            return parked
        if not parked:
            return Outcome.fail("No parked carts")

        def recalled(cart_id: int | None) -> None:
            if cart_id is not None:
                self._permitted("sale", lambda _approval: self.checkout.recall(cart_id))

        self.app.push_screen(RecallModal(parked), recalled)
        return Outcome(Change.NONE)

    def action_void_cart(self) -> None:
        cart = self.checkout.cart
        if not len(cart):
            self.apply(Outcome.fail("The cart is already empty"))
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self.apply(Outcome.info("Cart kept"))
                return
            self._permitted(
                "void",
                lambda approval: self.checkout.void_cart(approval),
                self.checkout.action_for("void"),
                f"Void the whole cart: {format_money(self.checkout.cart.subtotal)}",
            )

        question = (
            f"Void the whole cart? {plural(len(cart), 'line')}, {plural(cart.item_count, 'item')}, "
            f"total {format_money(cart.subtotal)}."
        )
        self.app.push_screen(ConfirmModal(question), confirmed)

    def action_pay(self) -> None:
        """F10: take payment for the cart."""
        if not len(self.checkout.cart):
            self.apply(Outcome.fail("The cart is empty: scan an item first"))
            return
        if self.checkout.awaiting_weight:
            self.apply(Outcome.fail("Type the weight first, or Esc"))
            return
        closed = self.checkout.day_closed()
        if closed is not None:  # refused now, not at the save after the cash is taken
            self.apply(closed)
            return
        self.entry.take()
        self._permitted("sale", lambda _approval: self._ask(TakePayment()))

    def _ask(self, request: Request) -> Outcome:
        """Ask the app for ``request`` (it opens a screen): nothing to show here."""
        self.post_message(request)
        return Outcome(Change.NONE)

    def sale_completed(self, receipt_no: str, change: str | None = None) -> None:
        """Back from the receipt: the new, empty cart, and the change to give (it stays
        on the message line until the next scan says something else)."""
        self._load_cart()
        after = f"Change {change}" if change else "Next customer."
        self.apply(Outcome.info(f"Sale {receipt_no} completed. {after}"))

    def _session_ended(self, exc: LoginRequired) -> None:
        """The token is no longer good: say so and go back to the login (cart kept).
        Whatever was being done was not done."""
        self.apply(Outcome.fail(str(exc)))
        self.post_message(LockTill())

    def action_history(self) -> None:
        """F11: past sales of this till, and their receipts."""
        self._permitted("sale", lambda _approval: self._ask(OpenHistory()))

    def action_price_check(self) -> None:
        """F1: an item's price and deals, without touching the cart."""
        self._permitted("sale", lambda _approval: self._ask(OpenPriceCheck()))

    def action_find(self) -> None:
        """F2: find a product by name, PLU or barcode; the chosen one goes into the cart as
        a scan would (a ``3*`` typed first applies to it). Typed text that is not a
        quantity is where the search starts; Esc in Find gives it back."""
        typed = self.entry.take()  # (a dialog over the screen drops a half-typed entry)
        quantity, start = split_quantity(typed)

        def chosen(code: str | None) -> None:
            if code is None:
                self.entry.buffer = typed  # Esc: as it was
                return
            self.entry.buffer = quantity + code
            self.action_submit()

        self._permitted("sale", lambda _approval: self._ask(OpenFind(start, chosen)))

    def action_report(self) -> None:
        """F12: today's X report (supervisors and managers)."""
        self._open_for("reports", OpenReport(), "Reports are for supervisors and managers")

    def action_audit(self) -> None:
        """The audit log: a manager screen. Anyone else is told so; no approval opens it."""
        refused = "The audit log is for managers: a manager must log in (Ctrl+L)"
        self._open_for("audit", OpenAudit(), refused)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The store link key is there only on a store's till (hidden on a till of its own)."""
        if action == "store_link":
            return self.store_linked
        return True

    def action_store_link(self) -> None:
        """Ctrl+K: the store link (a store's till; managers): what waits to be sent."""
        if self.store_linked:
            refused = "The store link is for managers: a manager must log in (Ctrl+L)"
            self._open_for("audit", OpenStoreLink(), refused)

    def _open_for(self, scope: str, request: Request, refused: str) -> None:
        """Ask the app for a screen that only ``scope`` may open (no approval opens it):
        anyone else is told ``refused``; with the session gone, the till locks."""
        try:
            self.guard.require(scope)
        except LoginRequired as exc:
            self._session_ended(exc)
            return
        except OverrideRequired:
            self.apply(Outcome.fail(refused))
            return
        self.post_message(request)

    def action_discounts(self) -> None:
        """F3: the discount rules (managers; anyone else with a manager's approval)."""
        self._permitted(
            SCOPE,
            lambda approval: self._ask(OpenDiscountEditor(approval)),
            dict(OPEN_ACTION),
            "Open the discount rules (a manager's screen)",
        )

    def discounts_closed(self) -> None:
        """Back from the discount rules: price the cart with the rules as they are now."""
        self.checkout.reprice()
        self._show_totals()

    def action_cash_office(self, kind: str | None = None) -> None:
        """Ctrl+O: the cash office's menu; the palette's commands open one movement."""
        self.entry.take()  # (a dialog over the screen drops a half-typed entry)
        self.post_message(OpenCashOffice(kind))

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The main actions, offered in the command palette as well as on keys."""
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Park cart", "Hold this cart and start a new one (F6)", self.action_park),
            ("Recall parked cart", "Bring back a parked cart (F7)", self.action_recall),
            ("Void cart", "Remove every line, after a confirmation (F8)", self.action_void_cart),
            ("Void line", "Remove the selected line (Del)", self.action_void_line),
            ("Pay", "Take payment for the cart (F10)", self.action_pay),
            ("Price check", "An item's price and deals; the cart is not changed (F1)",
             self.action_price_check),
            ("Find product", "By part of its name, its PLU or its barcode; Enter adds it (F2)",
             self.action_find),
            ("Sales history", "Past sales and their receipts (F11)", self.action_history),
            ("X report", "Today's figures, closes nothing (F12)", self.action_report),
            ("Audit log", "Who did what, for managers (F9)", self.action_audit),
        ]  # fmt: skip
        if self.store_linked:
            commands.append(
                ("Store link", "What waits to go to the store's server (Ctrl+K)",
                 self.action_store_link)
            )  # fmt: skip
        commands.append(
            ("Discount rules", "Add and change promotions, for managers (F3)",
             self.action_discounts)
        )  # fmt: skip
        for kind, about in CASH_COMMANDS.items():
            commands.append((COMMAND_TITLES[kind], about, partial(self.action_cash_office, kind)))
        for kind, about in DISCOUNT_COMMANDS.items():  # on the selected line, or the sale
            ask = OpenManualDiscount(kind, self.cart_table.selected_line_no)
            commands.append((discount_titles[kind], about, partial(self._ask, ask)))
        for title, about, action in commands:
            yield SystemCommand(title, about, action)

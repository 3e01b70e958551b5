"""The form that adds or edits one discount rule, and :func:`run_change`, which both
discount screens make a change through.

The form is thin: :class:`pos.services.discount_admin.DiscountAdmin` validates (with
the pricing engine's own rules), saves, audits and previews; every change passes the
guard there. An operator without the ``discounts:edit`` scope gets a manager's approval
for each change, bound to exactly that change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from pos.auth.guard import LoginRequired
from pos.domain.barcodes import BarcodeError, normalise
from pos.domain.cart import Cart
from pos.domain.catalog import Product
from pos.domain.discounts import KINDS, WEEKDAYS, Rule
from pos.domain.rule_form import DATE_FORMAT_HINT, FIELDS, KIND_LABELS, RuleForm
from pos.domain.search import SearchRebuilding, plu_typed
from pos.domain.text import sentence
from pos.screens.approval import ApprovalFlow
from pos.screens.modals import ConfirmModal
from pos.screens.requests import LockTill
from pos.services.approvals import Approvals
from pos.services.discount_admin import (
    SCOPE,
    BasketError,
    DiscountAdmin,
    EditRefused,
    NeedsApproval,
    summarise,
)
from pos.services.errors import StorageError
from pos.services.outcomes import unreadable
from pos.widgets import MessageLine
from pos.widgets.rule_products import RuleProducts
from pos.widgets.type_ahead import AnswersOnce

Change = Callable[[str | None], Rule]
"""A change to make, given the manager's approval (or None when none is needed)."""


def run_change(
    screen: Screen[Any],
    approvals: Approvals,
    change: Change,
    what: str,
    done: Callable[[Rule | None, str], None],
) -> None:
    """Make a change through the guard: at once if the operator may, after a manager's
    approval bound to exactly it if not, back to the login if the session has ended.
    ``done`` gets the rule (None if nothing changed) and what to tell the operator."""

    def ended(exc: LoginRequired, _approved: bool) -> None:
        done(None, str(exc))
        screen.post_message(LockTill())

    flow = ApprovalFlow(
        screen.app,
        approvals,
        ended=ended,
        declined=lambda: done(None, "Not approved: nothing changed"),
    )

    def attempt(token: str | None) -> None:
        try:
            done(change(token), "")
        except NeedsApproval as exc:
            if token is not None:  # approved, yet still asked: never loop
                done(None, str(exc))
                return
            flow.ask(exc.requester, SCOPE, exc.action, what, attempt)
        except EditRefused as exc:
            done(None, str(exc))
        except LoginRequired:
            raise  # the flow's ``ended``
        except Exception as exc:  # noqa: BLE001 - a storage fault: say so, keep the screen
            reason = getattr(exc, "reason", None) or str(exc)
            advice = getattr(exc, "advice", None)
            done(None, f"NOT saved: {reason}" + (f"; {advice}" if advice else ""))

    flow.attempt(attempt)


_REWARDS = {
    "price": ("Set price", "e.g. 1.30: what the whole set costs"),
    "free": ("Number free", "e.g. 1: the cheapest items of the set that are free"),
    "percent": ("Percent off", "e.g. 10"),
    "amount": ("Amount off", "e.g. 0.50"),
}


class DiscountFormScreen(AnswersOnce, Screen[Rule | None]):
    """One rule's fields, shown as its kind needs them; errors next to their fields; a
    preview of what the rule does to a basket."""

    BINDINGS = [
        Binding("f2", "save", "Save", key_display="F2"),
        Binding("f6", "basket", "Preview basket", key_display="F6"),
        Binding("escape", "cancel", "Cancel", key_display="Esc"),
        Binding("up", "suggest(-1)", show=False),
        Binding("down", "suggest(1)", show=False),
    ]

    def __init__(
        self,
        admin: DiscountAdmin,
        approvals: Approvals,
        form: RuleForm,
        editing: str | None,
        title: str,
        cart: Callable[[], Cart],
    ) -> None:
        super().__init__()
        self.admin = admin
        self.approvals = approvals
        self.form = form
        self.editing = editing
        self.title_text = title
        self._cart = cart
        self._checked = False  # errors show after the first save, then as you type
        self._loaded = False
        self._start = repr(form)
        self.errors: dict[str, str] = {}
        self._before: dict[str, str] = {}  # each field's text when it got focus

    # ------------------------------------------------------------- layout

    def _field(self, key: str, label: str, *widgets: Any) -> ComposeResult:
        with Vertical(id=f"row-{key}", classes="field"):
            with Horizontal(classes="field-line"):
                yield Label(label, classes="field-label")
                yield from widgets
            yield Label("", id=f"err-{key}", classes="field-error")

    def compose(self) -> ComposeResult:
        f = self.form
        yield Label(self.title_text, id="form-title")
        with Horizontal(id="form-main"):
            with VerticalScroll(id="form-fields"):
                yield from self._field(
                    "name",
                    "Name",
                    Input(f.name, id="f-name", compact=True, max_length=80, select_on_focus=False),
                )
                yield from self._field(
                    "kind",
                    "Kind",
                    Select(
                        [(KIND_LABELS[k], k) for k in KINDS],
                        value=f.kind,
                        allow_blank=False,
                        compact=True,
                        id="f-kind",
                    ),
                )
                yield from self._field(
                    "mode",
                    "Condition",
                    Select(
                        [("Every product listed (a set)", "set"), ("Any N of the list", "any")],
                        value="any" if f.any_of else "set",
                        allow_blank=False,
                        compact=True,
                        id="f-mode",
                    ),
                )
                with Vertical(id="row-products", classes="field"):
                    with Horizontal(classes="field-line"):
                        yield Label("Add product", classes="field-label")
                        yield Input(
                            id="f-pick",
                            placeholder="scan a barcode, or type a name (3* for three)",
                            compact=True,
                        )
                    yield OptionList(id="f-suggest")
                    yield RuleProducts(id="f-products")
                    yield Label("", id="err-products", classes="field-error")
                yield from self._field(
                    "count",
                    "How many",
                    Input(f.count, id="f-count", compact=True, placeholder="items from the list"),
                )
                for key, (label, hint) in _REWARDS.items():
                    yield from self._field(
                        key,
                        label,
                        Input(getattr(f, key), id=f"f-{key}", compact=True, placeholder=hint),
                    )
                yield from self._field(
                    "min_subtotal",
                    "Spend over",
                    Input(
                        f.min_subtotal,
                        id="f-min_subtotal",
                        compact=True,
                        placeholder="e.g. 50.00 (blank: any spend)",
                    ),
                )
                yield from self._field(
                    "priority",
                    "Priority",
                    Input(f.priority, id="f-priority", compact=True, placeholder="higher first"),
                    Checkbox("Exclusive", f.exclusive, id="f-exclusive", compact=True),
                    Checkbox("Active", f.active, id="f-active", compact=True),
                )
                yield from self._field(
                    "group",
                    "Group",
                    Input(f.group, id="f-group", compact=True, placeholder="one rule per group"),
                    Checkbox("Coupon", f.coupon, id="f-coupon", compact=True),
                )
                for key, label, hint in _CAPS:
                    yield from self._field(
                        key,
                        label,
                        Input(getattr(f, key), id=f"f-{key}", compact=True, placeholder=hint),
                    )
                yield from self._field(
                    "starts_at",
                    "From",
                    Input(
                        f.starts_at,
                        id="f-starts_at",
                        compact=True,
                        placeholder=f"{DATE_FORMAT_HINT} (blank: now)",
                    ),
                )
                yield from self._field(
                    "ends_at",
                    "Until",
                    Input(
                        f.ends_at,
                        id="f-ends_at",
                        compact=True,
                        placeholder=f"{DATE_FORMAT_HINT} (not included)",
                    ),
                )
                yield from self._field(
                    "weekdays",
                    "Days",
                    *(
                        Checkbox(day, day in f.weekdays, id=f"day-{day}", compact=True)
                        for day in WEEKDAYS
                    ),
                )
                yield from self._field(
                    "hours",
                    "Hours",
                    Input(f.hours, id="f-hours", compact=True, placeholder="e.g. 17:00-19:00"),
                )
            with Vertical(id="form-preview"):
                yield Label("Preview", id="preview-title")
                yield Input(
                    id="preview-basket",
                    placeholder="barcode[:qty] ... (blank: the cart)",
                    compact=True,
                )
                yield Static("", id="preview-text")
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        products = self.query_one(RuleProducts)
        products.set_items(
            [(code, self.admin.product_name(code), n) for code, n in self.form.products]
        )
        self.query_one("#f-suggest", OptionList).display = False
        self._show_fields()
        self.query_one("#f-name", Input).focus()
        self._loaded = True
        self._changed()

    def _show_fields(self) -> None:
        shown = self.form.shown_fields()
        basket = KINDS[self.form.kind].basket
        self.query_one("#row-mode").display = not basket
        for key in ("products", "count", *_REWARDS):
            self.query_one(f"#row-{key}").display = key in shown
        products = self.query_one(RuleProducts)
        products.show_counts(not self.form.any_of)
        threshold = self.query_one("#f-min_subtotal", Input)
        threshold.placeholder = "e.g. 50.00" if basket else "e.g. 50.00 (blank: any spend)"

    # ------------------------------------------------------------- reading the fields

    def _read(self) -> RuleForm:
        def text(key: str) -> str:
            return self.query_one(f"#f-{key}", Input).value

        form = self.form
        form.name = text("name")
        kind = self.query_one("#f-kind", Select).value
        form.kind = kind if isinstance(kind, str) else form.kind
        form.any_of = self.query_one("#f-mode", Select).value == "any"
        form.products = self.query_one(RuleProducts).items
        for key in ("count", *_REWARDS, "min_subtotal", "priority", "group", *_CAP_KEYS):
            setattr(form, key, text(key))
        form.coupon = self.query_one("#f-coupon", Checkbox).value
        form.starts_at, form.ends_at, form.hours = text("starts_at"), text("ends_at"), text("hours")
        form.exclusive = self.query_one("#f-exclusive", Checkbox).value
        form.active = self.query_one("#f-active", Checkbox).value
        form.weekdays = tuple(
            day for day in WEEKDAYS if self.query_one(f"#day-{day}", Checkbox).value
        )
        return form

    @property
    def dirty(self) -> bool:
        return repr(self._read()) != self._start

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(RuleProducts.Changed)
    def _field_changed(self, event: Any) -> None:
        widget = getattr(event, "input", None)
        if widget is not None and widget.id == "f-pick":
            self._suggest(event.value)
            return
        self._changed()

    @on(Select.Changed)
    def _select_changed(self, _event: Select.Changed) -> None:
        form = self._read()
        self._show_fields()
        self._changed(form)

    def _changed(self, form: RuleForm | None = None) -> None:
        if not self._loaded:
            return
        form = form or self._read()
        rule, errors = self.admin.check(form, self.editing)
        if self._checked:
            self._show_errors(errors)
        self._preview(rule)

    def _show_errors(self, errors: dict[str, str]) -> None:
        self.errors = errors
        for label in self.query(".field-error").results(Label):
            key = (label.id or "").removeprefix("err-")
            problem = errors.get(key, "")
            label.update(Text(problem))
            label.set_class(bool(problem), "-shown")

    # ------------------------------------------------------------- products

    def _suggest(self, text: str) -> None:
        """The picker's list: what Find finds for the text (words of a name in any order,
        or a PLU); digits that are not a PLU are a barcode, taken whole by Enter."""
        suggestions = self.query_one("#f-suggest", OptionList)
        suggestions.clear_options()
        _, name = _split_count(text)
        if name and (not (name.isascii() and name.isdigit()) or plu_typed(name)):
            try:
                found = self.admin.search_products(name)
            except SearchRebuilding as exc:
                found = []
                self.query_one(MessageLine).show(sentence(str(exc)))
            except StorageError as exc:  # a busy or damaged file: said; the form is kept
                found = []
                self.query_one(MessageLine).show(unreadable(exc).message)
            for product in found:
                suggestions.add_option(
                    Option(Text(f"{product.name}  {product.barcode}"), id=product.barcode)
                )
        suggestions.display = suggestions.option_count > 0
        if suggestions.option_count:
            suggestions.highlighted = 0

    def action_suggest(self, delta: int) -> None:
        suggestions = self.query_one("#f-suggest", OptionList)
        if not suggestions.display or not suggestions.option_count:
            self.focus_next() if delta > 0 else self.focus_previous()
            return
        current = suggestions.highlighted or 0
        suggestions.highlighted = max(0, min(suggestions.option_count - 1, current + delta))

    def _refuse(self, problem: str) -> None:
        self.query_one(MessageLine).show(problem, error=True)
        self.app.bell()

    def _add_picked(self, product: Product, count: int) -> None:
        """Into the product list; the picker is cleared for the next one."""
        self.query_one(RuleProducts).add_product(product.barcode, product.name, count)
        self.query_one(MessageLine).show(f"Added {product.name}")
        self.query_one("#f-pick", Input).value = ""
        self.query_one("#f-suggest", OptionList).display = False

    @on(Input.Submitted, "#f-pick")
    def _pick(self, event: Input.Submitted) -> None:
        """Enter in the picker: a barcode (typed or scanned), or the highlighted name."""
        event.stop()
        count, text = _split_count(event.value)
        if not text:
            return
        if text.isascii() and text.isdigit() and plu_typed(text) is None:
            try:
                code = normalise(text)
            except BarcodeError as exc:
                self._refuse(str(exc))
                return
            product = self.admin.product(code)
            if product is None:
                self._refuse(f"No product with barcode {code}")
                return
        else:
            suggestions = self.query_one("#f-suggest", OptionList)
            highlighted = suggestions.highlighted
            if not suggestions.option_count or highlighted is None:
                self._refuse(f"No product matches {text!r}: fewer letters, or scan it")
                return
            product = self.admin.product(suggestions.get_option_at_index(highlighted).id or "")
            if product is None:
                return
        self._add_picked(product, count)

    @on(OptionList.OptionSelected, "#f-suggest")
    def _suggestion_clicked(self, event: OptionList.OptionSelected) -> None:
        product = self.admin.product(event.option.id or "")
        if product is not None:
            self._add_picked(product, _split_count(self.query_one("#f-pick", Input).value)[0])
            self.query_one("#f-pick", Input).focus()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        if event.input.id in ("f-pick", "preview-basket"):
            return
        if not self._scanned_into(event.input):
            self.focus_next()

    def on_descendant_focus(self, event: Any) -> None:
        widget = getattr(event, "widget", None)
        if isinstance(widget, Input) and widget.id:
            self._before[widget.id] = widget.value

    def _scanned_into(self, field: Input) -> bool:
        """A scanner typed a barcode (and Enter) into a field that is not the product
        picker: put the field back as it was and add the product instead."""
        if "products" not in self.form.shown_fields():
            return False
        before = self._before.get(field.id or "", "")
        typed = field.value[len(before) :] if field.value.startswith(before) else field.value
        run = len(typed) - len(typed.rstrip("0123456789"))  # the digits at the end
        for size in (13, 12, 8):  # EAN-13, UPC-A, EAN-8
            if run < size:
                continue
            try:
                product = self.admin.product(normalise(typed[-size:]))
            except BarcodeError:
                continue
            if product is not None:
                break
        else:
            return False
        field.value = field.value[:-size]
        self.query_one(RuleProducts).add_product(product.barcode, product.name)
        self.query_one(MessageLine).show(f"Scanned: added {product.name} to the products")
        return True

    # ------------------------------------------------------------- preview

    @on(Input.Submitted, "#preview-basket")
    def _basket_entered(self, _event: Input.Submitted) -> None:
        self._changed()

    def action_basket(self) -> None:
        self.query_one("#preview-basket", Input).focus()

    def _preview(self, rule: Rule | None) -> None:
        out = self.query_one("#preview-text", Static)
        typed = self.query_one("#preview-basket", Input).value.strip()
        if rule is None:
            out.update(
                Text(
                    "Complete the rule to see what it does to the basket (F2 names what is missing)"
                )
            )
            return
        try:
            basket = self.admin.sample_basket(typed) if typed else self._cart()
        except BasketError as exc:
            out.update(Text(str(exc), style="bold"))
            return
        source = "the typed basket" if typed else "the current cart"
        lines = [f"On {source}:", *summarise(self.admin.preview(rule, basket, self.editing))]
        out.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))

    # ------------------------------------------------------------- save and cancel

    def action_save(self) -> None:
        form = self._read()
        self._checked = True
        rule, errors = self.admin.check(form, self.editing)
        self._show_errors(errors)
        message = self.query_one(MessageLine)
        if rule is None:
            count = len(errors)
            message.show(
                f"Not saved: {count} field{'' if count == 1 else 's'} to put right", error=True
            )
            self.app.bell()
            first = _topmost(errors)
            target = self.query(_FOCUS_FOR.get(first, f"#f-{first}"))
            if target:
                target.first().focus()
            return

        def done(saved: Rule | None, problem: str) -> None:
            if saved is not None:
                self.dismiss(saved)
            else:
                message.show(problem or "Not saved", error=True)
                self.app.bell()

        run_change(
            self,
            self.approvals,
            lambda approval: self.admin.save(form, self.editing, approval),
            f"Save the rule {rule.name!r}: {self.admin.summary(rule)}",
            done,
        )

    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)

        self.app.push_screen(ConfirmModal("Leave without saving? The changes are lost."), answered)


_FOCUS_FOR = {"products": "#f-pick", "weekdays": "#day-mon"}
"""Where the cursor goes for a field whose widget is not ``#f-<field>``."""


_CAPS = (
    ("max_uses", "Uses", "sales in total (blank: no cap)"),
    ("max_uses_per_sale", "Per sale", "sets in one sale (blank: no cap)"),
)
"""The usage caps (issue 22): field, label, hint."""
_CAP_KEYS = tuple(key for key, _, _ in _CAPS)


def _topmost(errors: dict[str, str]) -> str:
    """The faulty field highest up the form (``check_form`` names them in the order it
    finds them, which is not the form's)."""
    return min(errors, key=lambda key: FIELDS.index(key) if key in FIELDS else len(FIELDS))


def _split_count(text: str) -> tuple[int, str]:
    """``3*bread`` or ``3*5000...``: three of it; anything else: one."""
    head, star, rest = text.strip().partition("*")
    if star and head.isascii() and head.isdigit() and 0 < int(head) <= 99:
        return int(head), rest.strip()
    return 1, text.strip()

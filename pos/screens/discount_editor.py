"""The manager's discount editor: every rule in a table, to add, edit, duplicate, switch
on and off and delete (the form for one rule is :mod:`pos.screens.rule_form_screen`).

The screen is thin: :class:`pos.services.discount_admin.DiscountAdmin` filters, sorts,
saves and audits; every change passes the guard there. An operator without the
``discounts:edit`` scope gets a manager's approval for each change, bound to exactly
that change.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label

from pos.domain.cart import Cart
from pos.domain.discounts import Rule
from pos.domain.rule_form import RuleForm, describe_uses
from pos.domain.text import plural
from pos.screens.modals import ConfirmModal
from pos.screens.rule_form_screen import DiscountFormScreen, run_change
from pos.services.approvals import Approvals
from pos.services.discount_admin import SORTS, DiscountAdmin
from pos.widgets import MessageLine
from pos.widgets.type_ahead import AnswersOnce

__all__ = ["DiscountEditorScreen", "DiscountFormScreen"]

COLUMNS = (
    ("name", "Name", 16),
    ("kind", "Kind", 10),
    ("condition", "Condition", 15),
    ("reward", "Reward", 13),
    ("priority", "Prio", 4),
    ("exclusive", "Excl", 4),
    ("group", "Group", 6),
    ("uses", "Uses", 9),
    ("active", "Act", 3),
    ("window", "When", 12),
    ("now", "Now", 3),
)
"""Column key, heading and width: the table fits a 120-column terminal."""


class DiscountEditorScreen(AnswersOnce, Screen[None]):
    """Every rule in a table; add, edit, duplicate, switch on and off, delete."""

    BINDINGS = [
        Binding("f2", "add", "New", key_display="F2"),
        Binding("f3", "edit", "Edit", key_display="F3/Enter"),
        Binding("f4", "duplicate", "Duplicate", key_display="F4"),
        Binding("f5", "toggle_active", "On/off", key_display="F5"),
        Binding("f8", "delete", "Delete", key_display="F8"),
        Binding("f6", "sort", "Sort", key_display="F6"),
        Binding("escape", "close", "Back", key_display="Esc"),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]

    def __init__(
        self,
        admin: DiscountAdmin,
        approvals: Approvals,
        cart: Callable[[], Cart],
        approval: str | None = None,
    ) -> None:
        super().__init__()
        self.admin = admin
        self.approvals = approvals
        self._cart = cart
        self._approval = approval
        self._sort = "name"
        self._rows: list[Rule] = []

    def compose(self) -> ComposeResult:
        yield Label("Discount rules", id="editor-title")
        yield Input(
            id="rule-filter",
            placeholder="Filter: name, kind, product, barcode, active, inactive, on now, off now",
        )
        yield DataTable(id="rule-table", cursor_type="row", zebra_stripes=True)
        yield MessageLine("", id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        if not self.admin.open(self._approval):  # the screen checks for itself
            self.dismiss(None)
            return
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        self.refresh_rules()
        self.query_one(Input).focus()

    # ------------------------------------------------------------- the table

    def refresh_rules(self, select: str | None = None, message: str | None = None) -> None:
        table = self.query_one(DataTable)
        current = select or self.selected_name
        rows = self.admin.rows(self.query_one(Input).value, self._sort)
        table.clear()
        self._rows = [row.rule for row in rows]
        for row in rows:
            rule = row.rule
            table.add_row(
                Text(rule.name, no_wrap=True, overflow="ellipsis"),
                Text(row.kind),
                Text(row.condition, no_wrap=True, overflow="ellipsis"),
                Text(row.reward, no_wrap=True, overflow="ellipsis"),
                Text(str(rule.priority).rjust(4)),
                Text("yes" if rule.exclusive else ""),
                Text(rule.group or "", no_wrap=True, overflow="ellipsis"),
                Text(describe_uses(rule), no_wrap=True, overflow="ellipsis"),
                Text("yes" if rule.active else "no", style="" if rule.active else "dim"),
                Text(row.window, no_wrap=True, overflow="ellipsis"),
                Text("on" if row.on_now else "off", style="bold" if row.on_now else "dim"),
                key=rule.name,
            )
        names = [rule.name.lower() for rule in self._rows]
        if current is not None and current.lower() in names:
            table.move_cursor(row=names.index(current.lower()))
        shown = f"{plural(len(rows), 'rule')}, sorted by {self._sort}"
        self.query_one(MessageLine).show(message or shown)

    @property
    def selected_name(self) -> str | None:
        table = self.query_one(DataTable)
        if not self._rows or not table.row_count:
            return None
        return self._rows[min(table.cursor_row, len(self._rows) - 1)].name

    @on(Input.Changed, "#rule-filter")
    def _filter(self, _event: Input.Changed) -> None:
        self.refresh_rules()

    @on(Input.Submitted, "#rule-filter")
    def _filter_enter(self, _event: Input.Submitted) -> None:
        self.action_edit()

    @on(DataTable.RowSelected, "#rule-table")
    def _row_chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_edit()

    def action_move(self, delta: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_sort(self) -> None:
        self._sort = SORTS[(SORTS.index(self._sort) + 1) % len(SORTS)]
        self.refresh_rules()

    # ------------------------------------------------------------- actions

    def _open_form(self, form: RuleForm, editing: str | None, title: str) -> None:
        def saved(rule: Rule | None) -> None:
            if rule is not None:
                self.refresh_rules(rule.name, f"Saved {rule.name!r}: it counts from the next scan")

        self.app.push_screen(
            DiscountFormScreen(self.admin, self.approvals, form, editing, title, self._cart),
            saved,
        )

    def action_add(self) -> None:
        self._open_form(RuleForm(), None, "New rule")

    def _selected_rule(self) -> Rule | None:
        """The highlighted rule as saved now (it may have gone meanwhile): None, and
        the manager told, if there is none."""
        name = self.selected_name
        rule = self.admin.get(name) if name else None
        if rule is None:
            self.query_one(MessageLine).show("No rule selected", error=True)
        return rule

    def action_edit(self) -> None:
        rule = self._selected_rule()
        if rule is None:
            return
        self._open_form(RuleForm.from_rule(rule), rule.name, f"Edit rule: {rule.name}")

    def action_duplicate(self) -> None:
        rule = self._selected_rule()
        if rule is None:
            return
        form = RuleForm.from_rule(rule)
        form.name = _copy_name(rule.name, lambda n: self.admin.get(n) is not None)
        self._open_form(form, None, f"New rule, a copy of {rule.name}")

    def _report(self, select: str | None) -> Callable[[Rule | None, str], None]:
        def done(rule: Rule | None, message: str) -> None:
            if rule is None:
                self.query_one(MessageLine).show(message or "Nothing changed", error=True)
                self.app.bell()
            else:
                self.refresh_rules(select, message or None)

        return done

    def action_toggle_active(self) -> None:
        rule = self._selected_rule()
        if rule is None:
            return
        switch_on = not rule.active

        def done(changed: Rule | None, message: str) -> None:
            if changed is not None:
                state = "on" if changed.active else "off"
                message = f"{changed.name!r} switched {state}: it counts from the next scan"
            self._report(rule.name)(changed, message)

        run_change(
            self,
            self.approvals,
            lambda approval: self.admin.set_active(rule.name, switch_on, approval),
            f"Switch {'on' if switch_on else 'off'} the rule {rule.name!r}",
            done,
        )

    def action_delete(self) -> None:
        name = self.selected_name
        if name is None:
            self.query_one(MessageLine).show("No rule selected", error=True)
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self.query_one(MessageLine).show("Nothing deleted")
                return

            def done(gone: Rule | None, message: str) -> None:
                if gone is not None:
                    message = f"Deleted {gone.name!r} (the audit log keeps its last content)"
                self._report(None)(gone, message)

            run_change(
                self,
                self.approvals,
                lambda approval: self.admin.delete(name, approval),
                f"Delete the rule {name!r}",
                done,
            )

        self.app.push_screen(ConfirmModal(f"Delete the rule {name!r}?"), confirmed)

    def action_close(self) -> None:
        self.dismiss(None)

    def palette_commands(self) -> list[SystemCommand]:
        return [
            SystemCommand("New rule", "Add a discount rule (F2)", self.action_add),
            SystemCommand("Edit rule", "Change the selected rule (F3)", self.action_edit),
            SystemCommand(
                "Duplicate rule", "Start from the selected rule (F4)", self.action_duplicate
            ),
            SystemCommand(
                "Switch rule on/off", "Enable or disable it (F5)", self.action_toggle_active
            ),
            SystemCommand("Delete rule", "After a confirmation (F8)", self.action_delete),
        ]


def _copy_name(name: str, taken: Callable[[str], bool]) -> str:
    """``Name (copy)``, ``Name (copy 2)``...: the name is shortened, never the suffix,
    so the copy stays within the 80 characters a name may have."""
    for n in range(1, 100):
        suffix = " (copy)" if n == 1 else f" (copy {n})"
        candidate = name[: 80 - len(suffix)].rstrip() + suffix
        if not taken(candidate):
            return candidate
    return name

"""Logging in: the operator number and a masked PIN; and creating the first manager."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label

from pos.auth.service import Identity, LoginFailed, Session
from pos.services.session import SessionService, refusal
from pos.widgets.credentials import Credentials
from pos.widgets.type_ahead import AnswersOnce, Busy, TypeAhead

CHECKING = "Checking the database before the first login: one moment, please."


class DatabaseCheck(Protocol):
    """The check that the database file is sound (``pos.db.integrity.IntegrityCheck``):
    nobody logs in, so nothing is written, until it has passed."""

    @property
    def done(self) -> bool: ...

    @property
    def passed(self) -> bool: ...

    @property
    def problem(self) -> str: ...

    def start(self) -> None: ...

    def when_done(self, callback: Callable[[], object]) -> bool: ...


class Checked(Message):
    """The database check is over (posted from the checking thread)."""


def _watch(screen: Screen[object], check: DatabaseCheck | None) -> None:
    """Start ``check`` and post :class:`Checked` to ``screen`` when it is over
    (post_message may be called from any thread)."""
    if check is None:
        return
    check.start()
    if check.when_done(lambda: screen.post_message(Checked())):
        screen.post_message(Checked())


def _refusal(check: DatabaseCheck) -> str:
    return refusal(check.problem)


class LoginScreen(AnswersOnce, Busy, Screen[Session]):
    """Operator number, Enter, PIN, Enter. Dismisses with the new session.

    When the till locked itself (idle), ``locked_by`` is the operator whose cart is
    open: they log back in to continue; another operator needs to be a manager.
    ``message`` says why the till locked when that needs saying (a sale not saved).

    ``check`` is the check of the database file: until it has passed, a login waits for
    it (nothing is written); if it fails, the screen says so and refuses every login.
    """

    BINDINGS = [Binding("escape", "clear", "Clear", key_display="Esc")]

    def __init__(
        self,
        sessions: SessionService,
        store_name: str,
        till_name: str,
        locked_by: Identity | None = None,
        message: str = "",
        check: DatabaseCheck | None = None,
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.store_name = store_name
        self.till_name = till_name
        self.locked_by = locked_by
        self.message = message
        self.check = check
        self._waiting: tuple[str, str] | None = None  # a login typed during the check

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Label(Text(f"{self.store_name}  |  {self.till_name}"), id="where")
            if self.locked_by is not None:
                yield Label(
                    Text(f"Till locked. {self.locked_by.name}, log in to continue."),
                    id="title",
                )
            else:
                yield Label("Log in", id="title")
            yield Credentials()
            yield Label(Text(self.message), id="login-message")
        yield Footer(show_command_palette=False)

    def show_store(self, store_name: str) -> None:
        """The store's name changed while the till runs (the app says so)."""
        self.store_name = store_name
        if self.is_mounted:
            self.query_one("#where", Label).update(Text(f"{store_name}  |  {self.till_name}"))

    def on_mount(self) -> None:
        # after the first paint: the check's reading (a second on a large file) does not
        # hold up the login screen showing
        self.call_after_refresh(_watch, self, self.check)

    def on_checked(self, event: Checked) -> None:
        event.stop()
        check = self.check
        if check is None:
            return
        if not check.passed:
            self._waiting = None
            self.add_class("damaged")
            self._say(_refusal(check))
            self.app.post_message(TypeAhead.Settled())
            return
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self.query_one("#login-message", Label).update("")
            self._log_in(*waiting)
            self.app.post_message(TypeAhead.Settled())  # the keys typed after it go on

    def busy(self) -> bool:
        """A login is waiting for the database check: what is typed after it waits too
        (the operator's first scan goes to the till, not into the number field)."""
        return self._waiting is not None

    def on_credentials_submitted(self, event: Credentials.Submitted) -> None:
        event.stop()
        check = self.check
        if check is not None and not check.passed:
            if check.done:
                self._say(_refusal(check))
                self.app.bell()
            else:
                self._waiting = (event.number, event.pin)
                self._say(CHECKING)
            self.query_one(Credentials).start()
            return
        self._log_in(event.number, event.pin)

    def _log_in(self, number: str, pin: str) -> None:
        try:
            session = self.sessions.login(number, pin, locked_by=self.locked_by)
        except LoginFailed as exc:
            self._say(str(exc))
            self.app.bell()
            self.query_one(Credentials).start()
            return
        self.dismiss(session)

    def _say(self, message: str) -> None:
        self.query_one("#login-message", Label).update(Text(message))

    def action_clear(self) -> None:
        self._waiting = None
        if self.check is not None and self.check.done and not self.check.passed:
            self._say(_refusal(self.check))  # the damage is not cleared away
        else:
            self._say("")
        self.query_one(Credentials).start(clear=True)


class SetupScreen(AnswersOnce, Screen[None]):
    """A new database has no operators and no default account: create the first manager
    (once the database ``check`` has passed: nothing is written before)."""

    def __init__(self, sessions: SessionService, check: DatabaseCheck | None = None) -> None:
        super().__init__()
        self.sessions = sessions
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Label("Welcome: create the first manager", id="title")
            yield Label("There are no operators yet. The first one is a manager.", id="where")
            yield Label("Operator number")
            yield Input(id="number", restrict=r"[0-9]*", max_length=12)
            yield Label("Name")
            yield Input(id="name", max_length=80)
            yield Label("PIN (4 to 8 digits)")
            yield Input(id="pin", password=True, restrict=r"[0-9]*", max_length=8)
            yield Label("PIN again")
            yield Input(id="pin2", password=True, restrict=r"[0-9]*", max_length=8)
            yield Label("", id="login-message")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#number", Input).focus()
        self.call_after_refresh(_watch, self, self.check)

    def on_checked(self, event: Checked) -> None:
        event.stop()
        if self.check is not None and not self.check.passed:
            self.add_class("damaged")
            self._say(_refusal(self.check))

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        order = ["number", "name", "pin", "pin2"]
        current = event.input.id or "number"
        if current != "pin2":
            self.query_one(f"#{order[order.index(current) + 1]}", Input).focus()
            return
        values = {key: self.query_one(f"#{key}", Input).value for key in order}
        if values["pin"] != values["pin2"]:
            self._say("The two PINs are different")
            return
        check = self.check
        if check is not None and not check.passed:
            self._say(_refusal(check) if check.done else f"{CHECKING} Press Enter again.")
            return
        error = self.sessions.create_first_manager(values["number"], values["name"], values["pin"])
        if error:
            self._say(error)
            return
        self.dismiss(None)

    def _say(self, message: str) -> None:
        self.query_one("#login-message", Label).update(Text(message))
        self.app.bell()

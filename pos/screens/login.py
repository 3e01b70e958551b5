"""Logging in: the operator number and a masked PIN; and creating the first manager."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label

from pos.auth.service import Identity, LoginFailed, Session
from pos.services.session import SessionService
from pos.widgets.credentials import Credentials


class LoginScreen(Screen[Session]):
    """Operator number, Enter, PIN, Enter. Dismisses with the new session.

    When the till locked itself (idle), ``locked_by`` is the operator whose cart is
    open: they log back in to continue; another operator needs to be a manager.
    ``message`` says why the till locked when that needs saying (a sale not saved).
    """

    BINDINGS = [Binding("escape", "clear", "Clear", key_display="Esc")]

    def __init__(
        self,
        sessions: SessionService,
        store_name: str,
        till_name: str,
        locked_by: Identity | None = None,
        message: str = "",
    ) -> None:
        super().__init__()
        self.sessions = sessions
        self.store_name = store_name
        self.till_name = till_name
        self.locked_by = locked_by
        self.message = message

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

    def on_credentials_submitted(self, event: Credentials.Submitted) -> None:
        event.stop()
        try:
            session = self.sessions.login(event.number, event.pin, locked_by=self.locked_by)
        except LoginFailed as exc:
            self.query_one("#login-message", Label).update(Text(str(exc)))
            self.app.bell()
            self.query_one(Credentials).start()
            return
        self.dismiss(session)

    def action_clear(self) -> None:
        self.query_one("#login-message", Label).update("")
        self.query_one(Credentials).start(clear=True)


class SetupScreen(Screen[None]):
    """A new database has no operators and no default account: create the first manager."""

    def __init__(self, sessions: SessionService) -> None:
        super().__init__()
        self.sessions = sessions

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
        error = self.sessions.create_first_manager(values["number"], values["name"], values["pin"])
        if error:
            self._say(error)
            return
        self.dismiss(None)

    def _say(self, message: str) -> None:
        self.query_one("#login-message", Label).update(Text(message))
        self.app.bell()

"""An operator number and a masked PIN: the login and the manager's approval use it."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from pos.auth.pins import MAX_INPUT


class Credentials(Vertical):
    """Number, Enter, PIN, Enter: posts :class:`Credentials.Submitted`. The PIN field is
    emptied as soon as it is read, so a PIN never stays on screen. (Styled in
    pos/styles/login.tcss.)"""

    @dataclass
    class Submitted(Message):
        number: str
        pin: str

    def __init__(self, number_label: str = "Operator number") -> None:
        super().__init__()
        self.number_label = number_label

    def compose(self) -> ComposeResult:
        yield Label(self.number_label)
        yield Input(id="number", restrict=r"[0-9]*", max_length=12, placeholder="e.g. 1001")
        yield Label("PIN")
        yield Input(id="pin", password=True, restrict=r"[0-9]*", max_length=MAX_INPUT)

    def on_mount(self) -> None:
        self.start()

    def start(self, *, clear: bool = False) -> None:
        """Back to the number field (emptied too when ``clear``)."""
        number = self.query_one("#number", Input)
        if clear:
            number.value = ""
        self.query_one("#pin", Input).value = ""
        number.focus()

    @on(Input.Submitted, "#number")
    def _to_pin(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        pin_input = self.query_one("#pin", Input)
        pin, pin_input.value = pin_input.value, ""
        self.post_message(self.Submitted(self.query_one("#number", Input).value, pin))

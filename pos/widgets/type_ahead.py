"""Type-ahead: every key lands where it would have landed had it been typed after the
screen settled, and every dialog answers once.

Textual hands a key to the focused widget's message queue and goes straight on to the
next one; when that key moves the focus or opens or closes a screen, the keys read
behind it (a scanner's, a badge reader's, a fast cashier's, a terminal over SSH) have
already gone to the old place. :class:`TypeAhead` is the app's one rule for this: a key
that leaves work in flight (it went to a widget's queue, it opened or closed a screen, or
it posted a message to its screen, such as a request to the app to open one) holds the
keys behind it until the app has settled, then they are delivered in order to whatever
is on top then.

The scanning and payment screens take their keys through priority bindings, run at once
on the app's own loop: such a key settles as it is handled, and the next one is never
held, so the scan path pays one comparison per key.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual.await_complete import AwaitComplete
from textual.message import Message
from textual.screen import Screen

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode
    from textual.message_pump import MessagePump
    from textual.timer import Timer

    _ScreenMixin = Screen[Any]
    """To mypy the mixins below are screens (they are only ever mixed into one)."""
else:
    _ScreenMixin = object

Typed = events.Key | events.Paste
"""What a person or a scanner types (a paste is typed all at once)."""

# Textual reads Esc and a digit that arrive in one read as the characters WezTerm sends
# for macOS Option and a digit ("\x1b5" is "∞"). At a till that is Esc and the first digit
# of a scan typed ahead of it (Esc out of a dialog, then the next item): read as Alt and
# the digit instead, which split_alt below turns back into the two keys.
_SEQUENCES = cast("dict[str, object]", ANSI_SEQUENCES_KEYS)  # a dict typed as a Mapping
for _digit in "0123456789":
    _SEQUENCES.pop("\x1b" + _digit, None)

MAX_SETTLE_SECONDS = 2.0
"""Held keys are delivered after this long even if the app never went quiet (a handler
waiting on something slow): late is better than lost."""
MAX_BUSY_SECONDS = 30.0
"""The same for a :class:`Busy` screen that never says it is done."""


def split_alt(event: Typed) -> tuple[Typed, ...]:
    """Esc and a letter in one read reach the app as Alt and the letter (a terminal
    cannot tell them apart); the till binds no Alt key, so it is Esc, then the letter:
    Esc Y typed ahead over SSH still answers a question after going back."""
    if not isinstance(event, events.Key) or not event.key.startswith("alt+"):
        return (event,)
    if event.character is None or len(event.character) != 1:
        return (event,)
    return events.Key("escape", "\x1b"), events.Key(event.character, event.character)


class AnswersOnce(_ScreenMixin):
    """For screens and dialogs: ``dismiss`` answers once, and only while the screen is on
    top. Textual's own ``dismiss`` pops whatever is on top, so a dialog dismissed twice
    (Enter Enter, a key and a click) would close the screen under it as well."""

    _answered: bool = False

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._answered or not self.is_active:
            done: AwaitComplete = AwaitComplete.nothing()  # textual leaves it untyped
            return done
        self._answered = True
        return super().dismiss(result)


class PassesKeysOn:
    """For a screen some keys close, going on to the screen below with the key (the
    receipt: the next customer's first scan starts the next sale).

    ``passes_on`` says whether ``event`` is such a key; the screen is then dismissed with
    :attr:`PASSED_ON` and the key is delivered again, first, once the screen below has
    settled."""

    PASSED_ON: ClassVar[str] = "passed on"

    def passes_on(self, event: Typed) -> bool:
        return False


class TakesText:
    """For a screen that takes every key with a character itself (the scanning screen's
    entry line, Find's search): the app gives it the first look at each key and paste,
    before any binding, in the order they came (a key left to bubble up from the focused
    widget would arrive after the priority bindings of the keys typed behind it)."""

    def intercept(self, event: Typed) -> bool:
        """True if ``event`` was taken."""
        return False


class Busy:
    """For a screen whose work outlives the key that started it (a login waiting for the
    database check): while :meth:`busy`, the keys after that key wait; the screen posts
    :class:`TypeAhead.Settled` when the work is over."""

    def busy(self) -> bool:
        return False


class TypeAhead:
    """The app's key router (see the module docstring).

    The app calls :meth:`hold` for each key as it arrives, routes the ones not held, and
    calls :meth:`routed` after each; held keys come back through ``route`` in the order
    they came.
    """

    class Settled(Message):
        """A :class:`Busy` screen's work is over: held keys may go on."""

    def __init__(self, app: App[Any], route: Callable[[Typed], Awaitable[None]]) -> None:
        self.app = app
        self._route = route
        self._held: deque[Typed] = deque()
        self._busy = False
        self._round = 0
        self._waiting = 0
        self._quiet_checks = 0
        self._since = 0.0
        self._shape: tuple[object, ...] = ()
        self._parked: Timer | None = None
        """Waiting for a busy screen (until it says it has settled, or this timer)."""

    @property
    def holding(self) -> bool:
        """Keys are waiting for the app to settle."""
        return self._busy or bool(self._held)

    def hold(self, event: Typed) -> bool:
        """Keep ``event`` for later if the app is still busy with the keys before it."""
        if not self.holding:
            return False
        self._held.append(event)
        return True

    def pass_on(self, event: Typed) -> bool:
        """Give ``event`` to the screen on top first if it closes that screen
        (:class:`PassesKeysOn`): then it is held, ahead of any other, for the screen below."""
        screen = self.app.screen
        passes = isinstance(screen, PassesKeysOn) and screen.passes_on(event)
        if not passes:
            return False
        screen.dismiss(PassesKeysOn.PASSED_ON)
        if self.app.screen is screen:
            return False  # it had answered already: the key is the screen's own
        self._held.appendleft(event)
        self._start()
        return True

    def routed(self, event: Typed, before: Screen[Any], queued: int) -> None:
        """``event`` has been handed on to ``before``, the screen on top, which had
        ``queued`` messages waiting then: if the key went to a widget's queue, posted a
        message to the screen (a request to the app bubbles up from there), or the
        screen on top changed or is not ready, the keys behind it wait until the app
        settles."""
        screen = self.app.screen
        if (
            event.is_forwarded
            or screen is not before
            or not screen.is_mounted
            or before.message_queue_size > queued
        ):
            self._start()

    # ------------------------------------------------------------------ settling

    def _start(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._since = time.monotonic()
        self._quiet_checks = 0
        self._next_round()

    def _pumps(self) -> list[MessagePump]:
        """Where a key's work can still be queued: the app (deferred focus moves, screen
        results), every screen, and the focused widget with its ancestors (a key and the
        messages it posts bubble up that chain)."""
        app = self.app
        pumps: list[MessagePump] = [app, *app.screen_stack]
        node: DOMNode | None = app.screen.focused
        while node is not None and not isinstance(node, Screen):
            pumps.append(node)
            node = node.parent
        return pumps

    def _shape_now(self) -> tuple[object, ...]:
        screen = self.app.screen
        return (len(self.app.screen_stack), screen, screen.focused, screen.is_mounted)

    def _next_round(self) -> None:
        """Post a marker behind whatever each message pump of the app and of the screen on
        top has queued; when all have been handled, look again (``_check``)."""
        self._round += 1
        self._shape = self._shape_now()
        self._waiting = 0
        for pump in self._pumps():
            if pump.call_later(self._marker, self._round):
                self._waiting += 1
        if not self._waiting:
            self.app.call_later(self._check, self._round)

    def _marker(self, round_no: int) -> None:
        if round_no != self._round:
            return
        self._waiting -= 1
        if self._waiting == 0:
            self.app.call_later(self._check, round_no)

    def _quiet(self) -> bool:
        for pump in self._pumps():
            if pump.message_queue_size or pump._next_callbacks:  # noqa: SLF001
                return False
        return self.app.screen.is_mounted

    async def _check(self, round_no: int) -> None:
        """Settled when two rounds in a row found every queue empty and nothing changed:
        the second catches a handler still running when the first looked."""
        if round_no != self._round or not self._busy:
            return
        screen = self.app.screen
        if isinstance(screen, Busy) and screen.busy():
            # no rounds while it works (a thread): it says when it is done
            self._parked = self.app.set_timer(MAX_BUSY_SECONDS, self.wake)
            return
        if self._shape_now() == self._shape and self._quiet():
            self._quiet_checks += 1
        else:
            self._quiet_checks = 0
        if self._quiet_checks < 2 and time.monotonic() - self._since <= MAX_SETTLE_SECONDS:
            self._next_round()
            return
        await self._deliver()

    def watchdog(self) -> None:
        """Called every second: keys held longer than they may be (a marker that never
        came back, a handler that never returned) are delivered anyway."""
        overdue = time.monotonic() - self._since > MAX_SETTLE_SECONDS
        if self._busy and self._parked is None and overdue:
            self._settled()

    def wake(self) -> None:
        """A busy screen has settled (or was given long enough): look again."""
        if self._parked is None:
            return
        self._parked.stop()
        self._parked = None
        self._since = time.monotonic()
        self._quiet_checks = 0
        self._next_round()

    def _settled(self) -> None:
        self._round += 1  # any marker still on its way is stale now
        self.app.call_later(self._deliver)

    async def _deliver(self) -> None:
        """Route the held keys in order until one of them leaves work in flight again."""
        self._busy = False
        while self._held and not self._busy:
            if not self.app.is_running:
                self._held.clear()
                return
            await self._route(self._held.popleft())

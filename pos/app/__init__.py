"""The Textual application: screens, styles and global keys. No business rules here.

Screens ask the app for what is not theirs to do (open another screen, take payment,
lock the till) with the messages of :mod:`pos.screens.requests`, handled here by the
``on_...`` methods; the app hands each screen the services it needs.

Only the login screens are imported at start-up; every other screen is imported where
it is first opened, so the till is at its login screen without loading the scanning,
payment and manager screens (and the Textual widgets they bring).
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from textual import events
from textual._context import active_message_pump  # what failed (Textual sets it per pump)
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen

from pos.app.requests import ManagerRequests
from pos.auth.guard import LoginRequired
from pos.auth.service import Session
from pos.domain.money import format_money
from pos.domain.receipt import format_receipt_no
from pos.garbage import collect_garbage
from pos.logs import stopped_message
from pos.paths import STYLES_DIR
from pos.screens.login import LoginScreen, SetupScreen
from pos.screens.requests import (
    LockTill,
    TakePayment,
)
from pos.screens.stack import is_payment, palette_of, scan_screens
from pos.services.approvals import ApprovalRefused
from pos.services.container import Services
from pos.services.store import DEMO_BANNER
from pos.widgets.terminal import TerminalWatch, close_on_signals
from pos.widgets.till_header import show_in_headers
from pos.widgets.too_small import fit_overlays
from pos.widgets.type_ahead import TakesText, TypeAhead, split_alt

if TYPE_CHECKING:
    from pos.screens.scan import ScanScreen
    from pos.services.sales import Completed

log = logging.getLogger(__name__)

IDLE_LIMIT = 15 * 60
"""Seconds without a key press before the till locks (PCI DSS 8.2.8: 15 minutes at most)."""
CHECKPOINT_PAUSE = 1.0
"""Seconds without a key press (a pause between items) after which the database log is
copied into the main file, once per pause, from a worker thread (``keep_log_short``)."""


class PosApp(ManagerRequests):
    """The till.

    Args:
        services: Everything the screens call.
        idle_clock: Monotonic seconds (injectable so tests never sleep). Monotonic,
            so a wall-clock jump neither locks the till early nor keeps it open.
        idle_limit: Seconds of inactivity before the idle lock (None: the
            ``idle_lock_minutes`` setting's, followed when it changes).
    """

    TITLE = "POS"
    CSS_PATH = [
        STYLES_DIR / "base.tcss",
        STYLES_DIR / "scan.tcss",
        STYLES_DIR / "modals.tcss",
        STYLES_DIR / "login.tcss",
        STYLES_DIR / "payment.tcss",
        STYLES_DIR / "discount_editor.tcss",
    ]
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", key_display="^Q", priority=True),
        Binding("ctrl+l", "log_out", "Lock", key_display="^L", priority=True),
    ]

    def __init__(
        self,
        services: Services,
        *,
        idle_clock: Callable[[], float] = time.monotonic,
        idle_limit: float | None = None,
    ) -> None:
        super().__init__()
        self.services = services
        self._idle_clock = idle_clock
        self._idle_setting = idle_limit is None  # follow the setting when it changes
        self.idle_limit = min(
            services.settings.idle_lock_seconds if idle_limit is None else idle_limit,
            IDLE_LIMIT,
        )
        self._last_input = idle_clock()
        self._checkpointed: float | None = None
        """The last key press before the last background checkpoint."""
        self._closing = False
        self.recovered: list[Exception] = []
        """Unexpected errors the till carried on after (each is in the log)."""
        self.type_ahead = TypeAhead(self, self._route_key)
        """Keys typed ahead of a screen that has not settled wait here, in order."""
        self.terminal = TerminalWatch(sys.__stdin__.fileno() if sys.__stdin__ else None)
        self._default_signals: Callable[[], None] | None = None

    def on_mount(self) -> None:
        self.theme = "textual-dark"  # pinned: snapshots must not follow the user's theme
        self.set_class(self.services.is_demo, "-demo")
        self.set_interval(1.0, self.tick)
        if self.terminal.fd is not None:  # a real till: SIGHUP and SIGTERM close it in order
            self._default_signals = close_on_signals(self.exit)
        if self.services.sync is not None:
            self.services.sync.start()  # its own thread: the till never waits for it
        self.screen_change_signal.subscribe(self, self._fit_window)
        sessions = self.services.sessions
        if sessions.needs_first_manager():
            self.push_screen(
                SetupScreen(sessions, self.services.integrity), lambda _: self.show_login()
            )
        elif self.services.guard.session is not None:
            self.open_till()
        else:
            self.show_login()

    # ------------------------------------------------------------------ window size

    def on_resize(self, event: events.Resize) -> None:
        self._fit_window(self.screen, event.size)  # (runs before App.size follows)

    def _fit_window(self, screen: Screen[object], size: Size | None = None) -> None:
        """The screen's overlays for the window's size (:func:`fit_overlays`)."""
        fit_overlays(screen, size or self.size, DEMO_BANNER if self.services.is_demo else None)

    # ------------------------------------------------------------------ who is at the till

    def _login_screen(self, locked: bool, message: str = "") -> LoginScreen:
        settings = self.services.settings
        return LoginScreen(
            self.services.sessions,
            settings.store_name,
            settings.till_name,
            locked_by=self.services.guard.last_identity if locked else None,
            message=message,
            check=self.services.integrity,
        )

    def show_login(self) -> None:
        self.push_screen(self._login_screen(locked=False), self._logged_in)

    def _logged_in(self, session: Session | None) -> None:
        if session is not None:
            self.open_till()

    def open_till(self) -> None:
        if not scan_screens(self.screen_stack):
            self.push_screen(self._scan_screen(self.services))
            self.call_after_refresh(collect_garbage)
        self._last_input = self._idle_clock()

    def _last_sale_text(self) -> str | None:
        last = self.services.sales.last_sale()
        if last is None:
            return None
        return (
            f"Last sale {format_receipt_no(last.receipt_no)} was completed at "
            f"{last.at.astimezone():%H:%M} ({format_money(last.total)})"
        )

    # ------------------------------------------------------------------ what screens ask for

    def on_take_payment(self, _: TakePayment) -> None:
        """The payment screen, then the receipt, then back to a new cart. Saving the sale
        and printing a copy ask the guard who is at the till when they happen."""
        from pos.screens.payment import PaymentScreen, ReceiptScreen

        if self._locked():
            return

        services = self.services

        def paid(done: Completed | None) -> None:
            if done is None:
                return

            def next_customer(_: None) -> None:
                change = (
                    format_money(done.change, services.settings.currency_symbol)
                    if done.change
                    else None
                )
                for screen in scan_screens(self.screen_stack):
                    screen.sale_completed(format_receipt_no(done.receipt_no), change)

            sales = services.sales
            self.push_screen(
                ReceiptScreen(
                    done,
                    sales.reprint,
                    job=sales.receipt_job(done.receipt_text, open_drawer=done.cash),
                    currency=services.settings.currency_symbol,
                ),
                next_customer,
            )
            # the receipt is up: nobody waits; the log checkpoint and a full collection
            self.call_after_refresh(sales.between_customers)
            self.call_after_refresh(collect_garbage)

        self.push_screen(PaymentScreen(services.sales), paid)

    def _scan_screen(self, services: Services) -> ScanScreen:
        from pos.screens.scan import ScanScreen  # Textual's widgets load with the first screen

        screen = ScanScreen(
            services.checkout,
            services.settings.store_name,
            services.settings.till_name,
            services.guard,
            services.approvals,
            self._last_sale_text,
        )
        screen.store_linked = services.sync is not None
        return screen

    def on_lock_till(self, request: LockTill) -> None:
        self.lock_till(request.message)

    def lock_till(self, message: str = "") -> None:
        """Lock to the login screen, keeping the open cart for its operator, and the
        payment screen with the payments already taken (``message`` says why, on the
        login screen)."""
        if self._locked():
            return
        login = self._login_screen(locked=True, message=message)
        self.services.guard.logout()
        while not self._is_till_or_payment(self.screen) and len(self.screen_stack) > 2:
            self.pop_screen()  # close any dialog first; a payment in progress stays
        self.push_screen(login, lambda _: None)

    @staticmethod
    def _is_till_or_payment(screen: Screen[object]) -> bool:
        return bool(scan_screens([screen])) or is_payment(screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lock and the palette need someone logged in (hidden on the login screen);
        a kiosk till has no Quit at all."""
        if action == "quit":
            return not self.services.settings.kiosk
        needs_session = action in ("log_out", "command_palette")
        return not (needs_session and self.services.guard.session is None)

    async def action_quit(self) -> None:
        """Ctrl+Q: close the till (the open cart is kept). Whoever is logged in confirms
        with Y; at the login a manager's number and PIN are needed. Either is audited."""
        if self.services.settings.kiosk:
            return
        from pos.screens.modals import ConfirmModal, ManagerOverrideModal

        sessions = self.services.sessions
        if self.services.guard.session is None:

            def approved(by: str | None) -> None:
                if by is not None:
                    self.exit()

            self.push_screen(
                ManagerOverrideModal(sessions.close_till_approved, "Close the till"), approved
            )
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            try:
                sessions.close_till()
            except LoginRequired:
                self.lock_till()
                return
            except ApprovalRefused as exc:
                self.notify(str(exc), severity="error")
                return
            self.exit()

        self.push_screen(
            ConfirmModal("Close the till? The open cart is kept for the next login."),
            confirmed,
        )

    def action_log_out(self) -> None:
        """Ctrl+L: end the session now; the cart stays for its operator."""
        if self.services.guard.session is not None:
            self.lock_till()

    def tick(self) -> None:
        """Every second: the idle lock, refreshing the access token while active, and
        locking at once if the session has ended some other way (revoked, PIN changed);
        in a pause between items, the database log's checkpoint in the background."""
        if self.terminal.gone():  # hung up: the till closes (pos.widgets.terminal)
            self.exit()
            return
        self.type_ahead.watchdog()
        self.services.reload_keys_if_changed()
        self._take_up_settings()
        self._show_link()
        if self.services.guard.session is None:
            if scan_screens(self.screen_stack):
                self.lock_till()
            return
        idle = self._idle_clock() - self._last_input
        if idle >= self.idle_limit:
            self.services.auth.audit.append(
                "idle_lock",
                self.services.guard.identity.number if self.services.guard.identity else None,
                {},
            )
            self.lock_till()
            return
        self.services.guard.keep_alive()
        if idle >= CHECKPOINT_PAUSE and self._checkpointed != self._last_input:
            # Once per pause, on a thread of its own. Not while keys keep coming: the copy
            # syncs the main file, and a scan's commit syncing the log at the same moment
            # waits for the disk. A checkpoint in every pause copies only what was written
            # since the last one (a few pages for a cashier's few scans), so the next scan
            # rarely meets one, and then a short one; what piled up during a scanner burst
            # (hundreds of pages, 0.1 s and more to sync) waits for a pause.
            self._checkpointed = self._last_input
            self.run_worker(
                self._checkpoint,
                name="checkpoint",
                group="checkpoint",
                thread=True,
                exclusive=True,
                exit_on_error=False,
            )

    # ------------------------------------------------------------------ keys

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_input = self._idle_clock()
        if isinstance(event, events.Key | events.Paste) and not event.is_forwarded:
            for typed in split_alt(event):
                # typed ahead of a screen or a dialog that has not settled: kept, in order
                if not self.type_ahead.hold(typed):
                    await self._route_key(typed)
            return
        await super().on_event(event)

    async def _route_key(self, event: events.Key | events.Paste) -> None:
        """Hand a key or a paste to the screen on top (``TypeAhead`` calls this again for
        the keys it held)."""
        before = self.screen
        if self.type_ahead.pass_on(event):
            return
        # The palette's search field would swallow a scanner's digits before any
        # binding saw them; give the palette the first look at every key.
        if isinstance(event, events.Key):
            palette = palette_of(before)
            if palette is not None and palette.intercept(event.key):
                return
        queued = before.message_queue_size  # a request the key posts is work in flight
        # letters, control characters and pastes on the scanning screen go to its entry
        # line (Find: its search) in the order they came, before the bindings of the keys
        # after them
        try:
            if isinstance(before, TakesText) and before.intercept(event):
                return
            await super().on_event(event)
        except Exception as error:  # noqa: BLE001 - the till carries on (see _handle_exception)
            # the scanning and payment screens act on the app's own loop: a failure there
            # must not end the loop that every key goes through
            self._fault(error, before)
            return
        self.type_ahead.routed(event, before, queued)

    def on_type_ahead_settled(self, event: TypeAhead.Settled) -> None:
        event.stop()
        self.type_ahead.wake()

    def action_command_palette(self) -> None:
        """Open the palette in its scanner-proof form (only while someone is logged in)."""
        if self.services.guard.session is None:
            return
        from pos.screens.modals import GuardedCommandPalette

        if self.use_command_palette and not GuardedCommandPalette.is_open(
            cast("App[object]", self)
        ):
            self.push_screen(GuardedCommandPalette(id="--command-palette"))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The till's own actions plus Quit; no theme switching at a till."""
        commands = getattr(screen, "palette_commands", None)
        if commands is not None:
            yield from commands()
        yield SystemCommand(
            "Log out", "Lock the till; the cart is kept (Ctrl+L)", self.action_log_out
        )
        if not self.services.settings.kiosk:
            yield SystemCommand(
                "Quit", "Close the till, after a confirmation (Ctrl+Q)", self.action_quit
            )

    def _checkpoint(self) -> None:
        """The background checkpoint's work (on a worker thread): none once the till is
        closing, so nothing opens the file again after it is closed."""
        if not self._closing:
            self.services.sales.keep_log_short()

    # ------------------------------------------------------------------ faults

    def _handle_exception(self, error: Exception) -> None:
        """An exception nobody caught. Textual's answer is to exit and print the traceback
        with its local variables (a PIN being checked, a token): never at a till.

        It goes to the log (its type and where, not its text); then, if a screen or a
        widget failed, that screen and any dialog over the till are closed and the till
        locks with the cart kept, saying what happened; only a failure of the app itself
        ends the till, with a short message and no traceback."""
        self._fault(error, active_message_pump.get(None))

    def _fault(self, error: Exception, failed: object) -> None:
        log.error("unexpected error", exc_info=error)
        self.recovered.append(error)
        if failed is None or failed is self or not self._recover(failed):
            self._closing = True
            self._exit_renderables.append(stopped_message(error))
            self._return_code = 1
            if self._exception is None:  # as Textual records it (a test run re-raises it)
                self._exception = error
                self._exception_event.set()
            self._close_messages_no_wait()

    def _recover(self, failed: object) -> bool:
        """Close whatever ``failed`` belongs to and lock the till over what is left."""
        stack = self.screen_stack
        node = failed
        while node is not None and not isinstance(node, Screen):
            node = getattr(node, "parent", None)
        if node is None or node not in stack or stack.index(node) == 0:
            return False
        depth = stack.index(node)
        while len(self.screen_stack) > depth:
            self.pop_screen()  # the failed screen's messages have stopped: it goes
        message = (
            f"Something went wrong ({type(self.recovered[-1]).__name__}); it is in the log. "
            "The cart is kept: log in to carry on."
        )
        if scan_screens(self.screen_stack):
            self.lock_till(message)
        else:  # the login itself (or the till's own screen) failed: a new one
            self.services.guard.logout()
            self.push_screen(self._login_screen(locked=False, message=message), self._logged_in)
        return True

    def _take_up_settings(self) -> None:
        """A settings change (pulled from the store, or ``pos settings set`` beside the
        till) taken up between sales (:meth:`Services.take_up_settings`), and shown where
        the screens show a setting: the store's name in the header and on the login.
        Everything else is read by the services and screens when they next use it (the
        payment screen's currency when it opens)."""
        changed = self.services.take_up_settings()
        if not changed:
            return
        settings = self.services.settings
        if self._idle_setting:
            self.idle_limit = min(settings.idle_lock_seconds, IDLE_LIMIT)
        if "store_name" in changed:
            show_in_headers(self.screen_stack, store=settings.store_name)
            for screen in self.screen_stack:
                if isinstance(screen, LoginScreen):
                    screen.show_store(settings.store_name)

    def _show_link(self) -> None:
        """The store link's state in the header of a store's till (read from the worker's
        last word: nothing here waits on the network)."""
        if self.services.sync is not None:
            show_in_headers(self.screen_stack, link=self.services.sync.status.text())

    def on_unmount(self) -> None:
        gc.unfreeze()  # whatever runs on in this process collects as usual again
        self._closing = True
        if self._default_signals is not None:
            self._default_signals()
        self.services.close()

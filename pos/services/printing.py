"""Receipt printers (python-escpos): a file or device, a network printer, or none.

The setting ``printer`` is ``none`` (the default), ``host:port`` for a network
printer, or a path (``/dev/usb/lp0``, or a file to collect the bytes: each receipt
is appended to it). Printing happens after the sale is saved and never blocks or
undoes it: a missing, offline or paperless printer gives a message, and the receipt
can be printed again later (marked COPY).

Sending a receipt blocks (a network printer's timeout, a stalled device), so the
screens run ``PrintJob.send`` off the event loop. It touches no database, prints
one receipt at a time, and gives up after ``PRINT_TIMEOUT`` seconds even if the
device never answers.

python-escpos itself (with its printer profiles, PIL, qrcode and the rest) is imported
only when a printer is opened or a currency sign is checked (:mod:`pos.services.escpos_io`):
importing it costs about half a second, which the till's start-up does not pay.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NETWORK = re.compile(r"^(?P<host>[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")
FEED_LINES = 4
"""Blank lines after the text, so the last line is past the cutter when it cuts."""
NETWORK_TIMEOUT = 3
"""Seconds to reach a network printer."""
PRINT_TIMEOUT = 15.0
"""Seconds a receipt may take (or wait for the one before it) before it counts as not
printed: a stalled device never holds up the till, or its shutdown, for longer."""


class PrinterError(Exception):
    """The receipt was not printed; ``str()`` says why (the sale is saved regardless)."""


def is_device_path(path: str) -> bool:
    """A character or block device, or a FIFO: anything but a regular (or new) file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # a new file (or an unreachable path: opening it says why)
    return not stat.S_ISREG(mode)


def printer_from_setting(value: str) -> Callable[[], Any] | None:
    """A function that opens the printer the setting names, or None for no printer."""
    value = value.strip()
    if not value or value.lower() == "none":
        return None
    match = NETWORK.match(value)
    if match:
        host, port = match["host"], int(match["port"])

        def network() -> Any:
            from pos.services.escpos_io import network_printer

            return network_printer(host, port, NETWORK_TIMEOUT)

        return network

    def device() -> Any:
        from pos.services.escpos_io import file_printer

        return file_printer(value)

    return device


def can_print(text: str) -> bool:
    """Whether a code page of the printer (python-escpos's default profile, which the till
    uses) has every character of ``text``; a character without one prints as ``?``."""
    from pos.services.escpos_io import can_encode

    return can_encode(text)


def print_receipt(printer: Any, text: str, *, open_drawer: bool) -> None:
    """Send the receipt: the text, a feed past the cutter, the cut, then the drawer kick.

    Raises:
        PrinterError: the printer could not be reached or refused the job.
    """
    try:
        printer.text(text)
        printer.text("\n" * FEED_LINES)
        printer.cut()
        if open_drawer:
            printer.cashdraw(2)
    except Exception as exc:  # escpos raises many kinds; all mean "not printed"
        raise PrinterError(f"the printer did not print ({type(exc).__name__}: {exc})") from exc
    finally:
        close = getattr(printer, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):  # closing a dead printer may fail too
                close()


class ReceiptPrinter:
    """Prints receipts through the configured printer, one at a time.

    Args:
        setting: The ``printer`` setting.
        opener: Opens the printer instead of the setting (tests, other drivers).
        timeout: Seconds before a receipt that has not printed counts as not printed.
    """

    def __init__(
        self,
        setting: str = "none",
        *,
        opener: Callable[[], Any] | None = None,
        timeout: float = PRINT_TIMEOUT,
    ) -> None:
        self._open = opener or printer_from_setting(setting)
        self.timeout = timeout
        self._busy = threading.Lock()

    @property
    def configured(self) -> bool:
        return self._open is not None

    def print(self, text: str, *, open_drawer: bool) -> None:
        """Send one receipt, blocking until it printed, failed or timed out.

        Raises:
            PrinterError: not printed (never anything else).
        """
        if self._open is None:
            raise PrinterError("no printer is set up (pos settings set printer ...)")
        if not self._busy.acquire(timeout=self.timeout):
            raise PrinterError("the printer is still busy with an earlier receipt")
        outcome: list[BaseException | None] = []

        def send() -> None:
            try:
                self._send(text, open_drawer)
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller below
                outcome.append(exc)
            finally:
                self._busy.release()  # only once the device is done with it

        # a daemon thread: a device that never answers cannot keep the till from exiting
        worker = threading.Thread(target=send, name="receipt-printer", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if not outcome:
            raise PrinterError(f"the printer did not answer within {self.timeout:g} s")
        problem = outcome[0]
        if isinstance(problem, PrinterError):
            raise problem
        if problem is not None:
            raise PrinterError(f"the printer did not print ({problem!r})") from problem

    def _send(self, text: str, open_drawer: bool) -> None:
        assert self._open is not None
        try:
            printer = self._open()
        except Exception as exc:
            raise PrinterError(f"the printer cannot be reached ({exc})") from exc
        print_receipt(printer, text, open_drawer=open_drawer)


@dataclass(frozen=True, slots=True)
class PrintJob:
    """A receipt ready for the printer.

    ``send`` blocks until it printed or failed (up to the printer's timeout), so run it
    off the event loop; it touches no database. ``after_printed`` (the audit entry of a
    copy) is for the caller to run on its own thread once ``send`` returned.
    """

    text: str
    printer: ReceiptPrinter
    open_drawer: bool = False
    after_printed: Callable[[], None] | None = None

    def send(self) -> None:
        """Raises PrinterError (never anything else)."""
        self.printer.print(self.text, open_drawer=self.open_drawer)

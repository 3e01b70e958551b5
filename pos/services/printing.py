"""Receipt printers (python-escpos): a file or device, a network printer, or none.

The setting ``printer`` is ``none`` (the default), ``host:port`` for a network
printer, or a path (``/dev/usb/lp0``, or a file to collect the bytes). Printing
happens after the sale is saved and never blocks or undoes it: a missing, offline
or paperless printer gives a message, and the receipt can be printed again later
(marked COPY).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from escpos.printer import File, Network

NETWORK = re.compile(r"^(?P<host>[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")
FEED_LINES = 4
"""Blank lines after the text, so the last line is past the cutter when it cuts."""


class PrinterError(Exception):
    """The receipt was not printed; ``str()`` says why (the sale is saved regardless)."""


def printer_from_setting(value: str) -> Callable[[], Any] | None:
    """A function that opens the printer the setting names, or None for no printer."""
    value = value.strip()
    if not value or value.lower() == "none":
        return None
    match = NETWORK.match(value)
    if match:
        host, port = match["host"], int(match["port"])
        return lambda: Network(host, port=port, timeout=3)
    return lambda: File(devfile=value)


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
    """Prints receipts through the configured printer."""

    def __init__(self, setting: str) -> None:
        self._open = printer_from_setting(setting)

    @property
    def configured(self) -> bool:
        return self._open is not None

    def print(self, text: str, *, open_drawer: bool) -> None:
        """Raises PrinterError (never anything else)."""
        if self._open is None:
            raise PrinterError("no printer is set up (pos settings set printer ...)")
        try:
            printer = self._open()
        except Exception as exc:
            raise PrinterError(f"the printer cannot be reached ({exc})") from exc
        print_receipt(printer, text, open_drawer=open_drawer)

"""Receipt printers (python-escpos): a file or device, a network printer, or none.

The setting ``printer`` is ``none`` (the default), ``host:port`` for a network
printer, or a path (``/dev/usb/lp0``, or a file to collect the bytes: each receipt
is appended to it). Printing
happens after the sale is saved and never blocks or undoes it: a missing, offline
or paperless printer gives a message, and the receipt can be printed again later
(marked COPY).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable
from typing import Any

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File, Network

NETWORK = re.compile(r"^(?P<host>[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")
FEED_LINES = 4
"""Blank lines after the text, so the last line is past the cutter when it cuts."""


class PrinterError(Exception):
    """The receipt was not printed; ``str()`` says why (the sale is saved regardless)."""


def is_device_path(path: str) -> bool:
    """A character or block device, or a FIFO: anything but a regular (or new) file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # a new file (or an unreachable path: opening it says why)
    return not stat.S_ISREG(mode)


class FilePrinter(File):
    """python-escpos's ``File`` opens with ``"wb"``, so every receipt would overwrite the
    one before it: a regular file is appended to, a device is written as it is."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        mode = "wb" if is_device_path(self.devfile) else "ab"
        try:
            self.device = open(self.devfile, mode)  # noqa: SIM115 - closed by close()
        except OSError as exc:
            self.device = None
            if raise_not_found:
                raise DeviceNotFoundError(
                    f"Could not open the specified file {self.devfile}:\n{exc}"
                ) from exc


def printer_from_setting(value: str) -> Callable[[], Any] | None:
    """A function that opens the printer the setting names, or None for no printer."""
    value = value.strip()
    if not value or value.lower() == "none":
        return None
    match = NETWORK.match(value)
    if match:
        host, port = match["host"], int(match["port"])
        return lambda: Network(host, port=port, timeout=3)
    return lambda: FilePrinter(devfile=value)


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

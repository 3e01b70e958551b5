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
import logging
import os
import re
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pos.domain.vouchers import barcode_in

log = logging.getLogger(__name__)

NETWORK = re.compile(r"^(?P<host>[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")
FEED_LINES = 4
"""Blank lines after the text, so the last line is past the cutter when it cuts."""
NETWORK_TIMEOUT = 3
"""Seconds to reach a network printer."""
PRINT_TIMEOUT = 15.0
"""Seconds a receipt may take (or wait for the one before it) before it counts as not
printed: a stalled device never holds up the till, or its shutdown, for longer."""


class PrinterError(Exception):
    """The receipt was not printed (the sale is saved regardless).

    ``str()`` says why in a few plain words: ``printer 127.0.0.1:9 cannot be reached``,
    ``the printer failed (out of paper)``. A screen with a narrow message line takes the
    longest of ``wordings()`` that fits: the technical detail and the printer's name are
    dropped before the message is cut off.

    Args:
        problem: What went wrong, after "the printer": ``cannot be reached``.
        printer: The ``printer`` setting (a host:port or a path), if known.
        detail: A short technical reason (``out of paper``), if any.
        subject: Instead of "the printer ..." for problems that are not the printer's
            (``no printer is set up``): the whole wording, or several, longest first;
            ``problem`` is then unused.
    """

    def __init__(
        self,
        problem: str,
        *,
        printer: str | None = None,
        detail: str = "",
        subject: str | tuple[str, ...] | None = None,
    ) -> None:
        self.problem = problem
        self.printer = printer
        self.detail = _short(detail)
        self.subject = (subject,) if isinstance(subject, str) else subject
        super().__init__(problem)

    def wordings(self) -> list[str]:
        """Ways to say it, longest first: the printer named and the detail, then without
        the one that matters less (a printer that cannot be reached: its name matters
        more than the socket's error; one that failed: what it said, "out of paper")."""
        if self.subject is not None:
            return list(self.subject)
        named = f"printer {self.printer}" if self.printer else None
        detail = f" ({self.detail})" if self.detail else ""
        out = [f"{named} {self.problem}{detail}"] if named and detail else []
        shorter = [f"{named} {self.problem}"] if named else []
        if detail:
            with_detail = [f"the printer {self.problem}{detail}"]
            shorter = shorter + with_detail if self.problem == REACH else with_detail + shorter
        return [*out, *shorter, f"the printer {self.problem}"]

    def __str__(self) -> str:
        return self.wordings()[0]


REACH = "cannot be reached"
"""The problem of a printer that could not be opened (a socket refused, a missing device)."""
DETAIL_CHARS = 40
"""A technical detail longer than this (an OS error's whole text) is cut short."""


def _short(detail: str) -> str:
    """The last line of an error's text (the OS's words, where python-escpos puts them),
    without the ``[Errno 111]`` or the path, at most ``DETAIL_CHARS`` characters."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", lines[-1] if lines else "")
    if text.count(")") > text.count("("):  # python-escpos wraps the OS error in brackets
        text = text[: text.rindex(")")].rstrip()
    text = re.sub(r":\s*'[^']*'$", "", text)  # the path again: the message names it
    if len(text) > DETAIL_CHARS:
        text = text[: DETAIL_CHARS - 1].rstrip() + "…"
    return text


def _os_words(exc: BaseException) -> str:
    """An OS error's own words (``Connection refused``), else the exception's text."""
    words = exc.strerror if isinstance(exc, OSError) else None
    return words or str(exc)


def _not_printed(exc: BaseException) -> PrinterError:
    """What an exception from python-escpos or the device means for the cashier."""
    if isinstance(exc, PrinterError):
        return exc
    # python-escpos says DeviceNotFoundError for a socket or file it could not open
    # (checked by name: importing escpos here would slow the till's start-up)
    if type(exc).__name__ == "DeviceNotFoundError" or isinstance(
        exc, ConnectionError | TimeoutError | FileNotFoundError | PermissionError
    ):
        return PrinterError(REACH, detail=_os_words(exc))
    if isinstance(exc, OSError):
        return PrinterError("failed", detail=exc.strerror or str(exc))
    return PrinterError("failed", detail=f"{type(exc).__name__}: {exc}")


def no_printer() -> PrinterError:
    """The error for a till whose ``printer`` setting is ``none``."""
    return PrinterError(
        "", subject=("no printer is set up (pos settings set printer ...)", "no printer is set up")
    )


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


def receipt_parts(text: str) -> list[tuple[str, str | None]]:
    """A receipt cut at its barcode lines (:func:`pos.domain.vouchers.barcode_line`): each
    run of text, then the code printed as a barcode after it (None after the last)."""
    parts: list[tuple[str, str | None]] = []
    run: list[str] = []
    for line in text.splitlines(keepends=True):
        code = barcode_in(line)
        if code is None:
            run.append(line)
        else:
            parts.append(("".join(run), code))
            run = []
    parts.append(("".join(run), None))
    return parts


def code128(code: str) -> bytes:
    """The ESC/POS commands that print ``code`` (digits) as a centred Code128 barcode in
    code set C (B for an odd number of digits), 64 dots high, without the printer's own digits (the
    receipt prints them under it, spaced for reading). In code set C each byte after ``{C`` is
    one pair of digits, 0 to 99 (Epson's ``GS k`` 73: "No. 123456" is ``{B No. {C`` then the
    bytes 12, 34, 56), not the digits' characters."""
    if len(code) % 2 == 0:
        data = b"{C" + bytes(int(code[i : i + 2]) for i in range(0, len(code), 2))
    else:
        data = b"{B" + code.encode("ascii")
    return (
        b"\x1ba\x01"  # centre
        + b"\x1dh\x40\x1dw\x02\x1dH\x00"  # height 64, module width 2, no digits
        + b"\x1dkI"
        + bytes([len(data)])
        + data
        + b"\n\x1ba\x00"  # and back to the left
    )


def print_receipt(printer: Any, text: str, *, open_drawer: bool) -> None:
    """Send the receipt: the text, a feed past the cutter, the cut, then the drawer kick.

    Raises:
        PrinterError: the printer could not be reached or refused the job.
    """

    def write(device: Any) -> None:
        for part, code in receipt_parts(text):
            if part:
                device.text(part)
            if code is not None:  # the printer's own Code128 (ESC/POS GS k, code set C)
                device._raw(code128(code))
        device.text("\n" * FEED_LINES)
        device.cut()
        if open_drawer:
            device.cashdraw(2)

    send_to(printer, write)


def send_to(printer: Any, write: Callable[[Any], None]) -> None:
    """Run ``write`` (python-escpos calls) on an open printer, then close it.

    Raises:
        PrinterError: the printer could not be reached or refused the job.
    """
    try:
        write(printer)
    except Exception as exc:  # escpos raises many kinds; all mean "not printed"
        raise _not_printed(exc) from exc
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
        self.name = None if opener is not None else setting.strip()
        """The printer's setting, named in a message when there is room."""
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
        self.run(lambda printer: print_receipt(printer, text, open_drawer=open_drawer))

    def run(self, job: Callable[[Any], None]) -> None:
        """Send one job (``job`` gets the open printer: a receipt, a batch of coupons),
        blocking until it printed, failed or timed out.

        Raises:
            PrinterError: not printed (never anything else).
        """
        try:
            self._print(job)
        except PrinterError as exc:
            if exc.printer is None:
                exc.printer = self.name
            log.warning("printer fault: %s", exc)
            raise

    def _print(self, job: Callable[[Any], None]) -> None:
        if self._open is None:
            raise no_printer()
        if not self._busy.acquire(timeout=self.timeout):
            raise PrinterError("is still busy with an earlier receipt")
        outcome: list[BaseException | None] = []

        def send() -> None:
            try:
                self._send(job)
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
            raise PrinterError(f"did not answer within {self.timeout:g} s")
        problem = outcome[0]
        if problem is not None:
            raise _not_printed(problem) from problem

    def _send(self, job: Callable[[Any], None]) -> None:
        assert self._open is not None
        try:
            printer = self._open()
        except Exception as exc:
            raise PrinterError(REACH, detail=_os_words(exc)) from exc
        job(printer)


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

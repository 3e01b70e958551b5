"""The python-escpos side of receipt printing: opening a printer, and the code pages.

Imported by :mod:`pos.services.printing` only when it is needed (a receipt is sent, a
currency sign is checked), never at start-up: python-escpos loads its printer profiles
and pulls in PIL, qrcode and more on import, about half a second.
"""

from __future__ import annotations

from typing import IO

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network

from pos.services.printing import is_device_path


class FilePrinter(File):
    """python-escpos's ``File`` opens with ``"wb"``, so every receipt would overwrite the
    one before it: a regular file is appended to, a device is written as it is."""

    device: IO[bytes] | None
    """The open file (python-escpos's property, which has no types)."""

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


def network_printer(host: str, port: int, timeout: float) -> Network:
    """A network printer at ``host:port`` (connected by python-escpos)."""
    return Network(host, port=port, timeout=timeout)


def file_printer(path: str) -> FilePrinter:
    """A device or a file at ``path`` (a regular file is appended to)."""
    return FilePrinter(devfile=path)


def can_encode(text: str) -> bool:
    """Whether a code page of python-escpos's default profile has every character."""
    encoder = Dummy().magic.encoder
    return all(encoder.find_suitable_encoding(char) is not None for char in text)

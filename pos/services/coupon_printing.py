"""Coupon codes on the receipt printer (issue 22): one slip per code, with its deal, how
many sales it is good for and its last day, and the code as an EAN-13 barcode a till's
scanner reads back (python-escpos; the printer draws the bars, the digits beneath).

Codes are issued (saved) first and printed after: a printer that is missing or fails
prints nothing more and says so; the codes stay issued and ``pos coupons print`` prints
them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pos.domain.coupons import Coupon
from pos.domain.text import plural
from pos.services.printing import FEED_LINES, ReceiptPrinter, send_to

BARCODE_HEIGHT = 80
"""Dots: tall enough for a hand scanner at a slant."""
BARCODE_WIDTH = 3
"""The narrowest bar, in dots (2 to 6): 3 fits an EAN-13 on 58 mm paper."""


def slip_lines(coupon: Coupon, store_name: str) -> list[str]:
    """The text above a coupon's barcode."""
    until = f"Until {coupon.expires.isoformat()}" if coupon.expires else "No end date"
    return [
        store_name,
        "COUPON",
        coupon.rule,
        f"Good for {plural(coupon.uses, 'sale')}. {until}",
    ]


def write_coupons(printer: Any, coupons: Sequence[Coupon], store_name: str) -> None:
    """One slip per coupon, each cut off.

    Raises:
        PrinterError: the printer could not be reached or refused the job.
    """

    def write(device: Any) -> None:
        for coupon in coupons:
            device.set(align="center")
            device.text("\n".join(slip_lines(coupon, store_name)) + "\n\n")
            device.barcode(
                coupon.code,
                "EAN13",
                height=BARCODE_HEIGHT,
                width=BARCODE_WIDTH,
                pos="BELOW",
                function_type="A",
            )
            device.set(align="left")
            device.text("\n" * FEED_LINES)
            device.cut()

    send_to(printer, write)


def print_coupons(printer: ReceiptPrinter, coupons: Sequence[Coupon], store_name: str) -> None:
    """Print ``coupons`` on ``printer``, blocking until printed, failed or timed out.

    Raises:
        PrinterError: not printed (no printer set up, not reached, a fault).
    """
    printer.run(lambda device: write_coupons(device, coupons, store_name))

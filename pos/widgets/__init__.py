"""Reusable widgets: they display what they are given and post intent messages up.

Each module is imported when one of its names is first asked for (PEP 562): the login
screen's credentials do not bring the cart table and the totals in with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pos.widgets.lazy import lazy_attributes

if TYPE_CHECKING:
    from pos.widgets.cart_table import CartTable
    from pos.widgets.entry_line import EntryLine
    from pos.widgets.key_bar import KeyBar
    from pos.widgets.message_line import MessageLine
    from pos.widgets.till_header import TillHeader
    from pos.widgets.too_small import TooSmall
    from pos.widgets.totals import TotalsPanel

_MODULES = {
    "CartTable": "pos.widgets.cart_table",
    "EntryLine": "pos.widgets.entry_line",
    "KeyBar": "pos.widgets.key_bar",
    "MessageLine": "pos.widgets.message_line",
    "TillHeader": "pos.widgets.till_header",
    "TooSmall": "pos.widgets.too_small",
    "TotalsPanel": "pos.widgets.totals",
}

__all__ = [
    "CartTable",
    "EntryLine",
    "KeyBar",
    "MessageLine",
    "TillHeader",
    "TooSmall",
    "TotalsPanel",
]


__getattr__ = lazy_attributes(__name__, _MODULES, globals())

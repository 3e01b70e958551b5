"""Reusable widgets: they display what they are given and post intent messages up."""

from pos.widgets.cart_table import CartTable
from pos.widgets.entry_line import EntryLine
from pos.widgets.message_line import MessageLine
from pos.widgets.till_header import TillHeader
from pos.widgets.too_small import TooSmall
from pos.widgets.totals import TotalsPanel

__all__ = ["CartTable", "EntryLine", "MessageLine", "TillHeader", "TooSmall", "TotalsPanel"]

"""Gift vouchers on a store's server (issue 22): the server holds every voucher of the
store and is the authority on its balance.

* A sale that sells vouchers pushes them with it (``vouchers``); the server keeps each once
  (by its code), at its full value.
* A store's till claims each redemption on the server at payment, before it takes any
  other money or commits the sale: one server transaction, a conditional update of the
  balance and a ``voucher_use`` row under the sale's uuid (unique per voucher, so a claim
  repeated after a crash takes nothing twice): :func:`claim`.
* The sale's push carries its redemptions (``voucher_uses``); one the server granted is
  there already and is skipped. One the till took while the server was down (within
  ``offline_voucher_limit``) is taken now: as much as the voucher still holds, and what it
  could not cover is kept in ``voucher_overspend`` for the server's report.
* A refund put back onto vouchers pushes its (negative) uses the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import psycopg

from pos.db.vouchers import VoucherTaken
from pos.domain.money import format_money
from pos.domain.vouchers import Voucher

CLAIM_TIMEOUT = 3
"""Seconds a claim waits for the server to answer the connection (then: offline)."""


class StoreOffline(Exception):
    """The store's server cannot be reached: nothing was claimed."""


# -- the server's side --------------------------------------------------------------------


def receive(
    cur: psycopg.Cursor[Any],
    ref: str,
    issued: Sequence[dict[str, Any]],
    uses: Sequence[dict[str, Any]],
) -> None:
    """A pushed sale's (or refund's) vouchers and uses, in the push's transaction."""
    for row in issued:
        cur.execute(
            "INSERT INTO voucher (code, value, balance, expires, sale, till, issued_at, voided) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO NOTHING",
            (
                row["code"],
                row["value"],
                row["value"],
                row["expires"],
                row["sale"],
                row["till"],
                row["issued_at"],
                row["voided"],
            ),
        )
    for use in uses:
        _use(cur, ref, use)


def _use(cur: psycopg.Cursor[Any], ref: str, use: dict[str, Any]) -> None:
    code, amount = use["code"], int(use["amount"])
    cur.execute("SELECT id, balance, value FROM voucher WHERE code = %s FOR UPDATE", (code,))
    found = cur.fetchone()
    if found is None:  # a voucher the server never had: all of it is an overspend
        _overspend(cur, code, ref, use, amount)
        return
    voucher_id, balance, value = int(found[0]), int(found[1]), int(found[2])
    cur.execute("SELECT 1 FROM voucher_use WHERE voucher_id = %s AND ref = %s", (voucher_id, ref))
    if cur.fetchone() is not None:
        return  # claimed at payment (or pushed before): taken once
    taken = min(amount, balance) if amount > 0 else max(amount, balance - value)
    if taken:
        cur.execute("UPDATE voucher SET balance = balance - %s WHERE id = %s", (taken, voucher_id))
        cur.execute(
            "INSERT INTO voucher_use (voucher_id, ref, amount, till, at, claimed) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (voucher_id, ref, taken, use["till"], use["at"], use["claimed"]),
        )
    if amount > 0 and taken < amount:
        _overspend(cur, code, ref, use, amount - taken)


def _overspend(
    cur: psycopg.Cursor[Any], code: str, ref: str, use: dict[str, Any], amount: int
) -> None:
    cur.execute(
        "INSERT INTO voucher_overspend (code, ref, till, at, amount) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (code, ref) DO NOTHING",
        (code, ref, use["till"], use["at"], amount),
    )


# -- a till's claim at payment ------------------------------------------------------------


def _connect(url: str) -> psycopg.Connection[Any]:
    try:
        conn = psycopg.connect(url, connect_timeout=CLAIM_TIMEOUT)
        conn.execute("SET lock_timeout = '5s'")
        conn.execute("SET statement_timeout = '10s'")
    except psycopg.OperationalError as exc:
        raise StoreOffline(str(exc).strip().splitlines()[0] if str(exc).strip() else "") from exc
    return conn


def look_up(url: str, code: str) -> Voucher | None:
    """The voucher ``code`` as the server holds it now, or None.

    Raises:
        StoreOffline: the server cannot be reached.
    """
    try:
        with _connect(url) as conn:
            row = conn.execute(
                "SELECT code, value, balance, expires, voided FROM voucher WHERE code = %s",
                (code,),
            ).fetchone()
    except psycopg.OperationalError as exc:
        raise StoreOffline(str(exc)) from exc
    if row is None:
        return None
    return Voucher(row[0], int(row[1]), int(row[2]), date.fromisoformat(row[3]), bool(row[4]))


def claim(url: str, till: str, ref: str, uses: Sequence[tuple[str, int]], at: str) -> list[Voucher]:
    """Take each ``(code, amount)`` off its voucher on the server, in one server
    transaction, under ``ref`` (the sale's uuid); returns the vouchers as they are after.
    A claim already made under ``ref`` is not made again (a retry after a crash).

    Raises:
        VoucherTaken: a voucher is unknown, voided or holds less than its amount now:
            nothing was claimed.
        StoreOffline: the server cannot be reached: nothing was claimed.
    """
    after: list[Voucher] = []
    try:
        with _connect(url) as conn, conn.transaction(), conn.cursor() as cur:
            for code, amount in uses:
                cur.execute(
                    "SELECT id, value, balance, expires, voided FROM voucher WHERE code = %s "
                    "FOR UPDATE",
                    (code,),
                )
                row = cur.fetchone()
                if row is None:
                    raise VoucherTaken(code, f"Voucher ...{code[-4:]} is not known at the store")
                vid, value, balance, expires, voided = row
                cur.execute(
                    "SELECT amount FROM voucher_use WHERE voucher_id = %s AND ref = %s", (vid, ref)
                )
                if cur.fetchone() is None:
                    if voided or int(balance) < amount:
                        raise VoucherTaken(
                            code,
                            f"Sale NOT saved: voucher ...{code[-4:]} was just used on another "
                            f"till (or voided) and no longer holds {format_money(amount)}. Its "
                            "payment is taken off: scan it again for what it holds now, or take "
                            "another payment",
                        )
                    cur.execute(
                        "UPDATE voucher SET balance = balance - %s WHERE id = %s", (amount, vid)
                    )
                    cur.execute(
                        "INSERT INTO voucher_use (voucher_id, ref, amount, till, at, claimed) "
                        "VALUES (%s, %s, %s, %s, %s, 1)",
                        (vid, ref, amount, till, at),
                    )
                    balance = int(balance) - amount
                after.append(
                    Voucher(
                        code, int(value), int(balance), date.fromisoformat(expires), bool(voided)
                    )
                )
    except psycopg.OperationalError as exc:
        raise StoreOffline(str(exc)) from exc
    return after

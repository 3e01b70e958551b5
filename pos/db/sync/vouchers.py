"""Gift vouchers on a store's server (issue 22): the server holds every voucher of the
store and is the authority on its balance.

* A sale that sells vouchers pushes them with it (``vouchers``); the server keeps each once
  (by its code), at its full value.
* A store's till claims each redemption on the server at payment, before it takes any
  other money or commits the sale: one server transaction, a conditional update of the
  balance and a ``voucher_use`` row under the sale's uuid (unique per voucher): :func:`claim`.
  A claim under a sale's uuid says what that sale takes off each voucher *now*: a repeated
  claim (after a crash) takes nothing twice, one with another amount (the first commit
  failed, the cart changed, it was paid again) takes or gives back the difference, and a
  voucher the sale no longer uses gets back what was claimed off it under that uuid.
* The sale's push carries its redemptions (``voucher_uses``), the amounts it committed: the
  server's uses under its uuid are set to them the same way (one the server granted is
  there already and is left as it is). What the till took while the server was down (within
  ``offline_voucher_limit``) is taken now: as much as the voucher still holds, and what it
  could not cover is kept in ``voucher_overspend`` for the server's report.
* A refund put back onto vouchers pushes its (negative) uses the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any

import psycopg

from pos.db.vouchers import VoucherTaken
from pos.domain.money import format_money
from pos.domain.vouchers import Voucher

log = logging.getLogger(__name__)

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
    """A pushed sale's (or refund's) vouchers and uses, in the push's transaction. A
    voucher whose code another till's voucher holds already is recorded in
    ``voucher_collision`` (:func:`_collision`), never dropped silently."""
    for row in issued:
        cur.execute(
            "INSERT INTO voucher (code, value, balance, expires, sale, till, issued_at, voided) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (code) DO NOTHING RETURNING id",
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
        if cur.fetchone() is None:
            _collision(cur, row)
    used: set[int] = set()
    for use in uses:
        used |= _use(cur, ref, use)
    _give_back_others(cur, ref, used)  # a sale's claims off vouchers it did not keep


def _collision(cur: psycopg.Cursor[Any], row: dict[str, Any]) -> None:
    """The server holds a voucher under ``row``'s code already: unless it is this very
    voucher, two tills drew the same code (1 in 10^12 a pair). The first keeps the code;
    the second is recorded for the server's report (the manager gives its customer a new
    voucher for its value) and logged."""
    cur.execute("SELECT sale, till FROM voucher WHERE code = %s", (row["code"],))
    found = cur.fetchone()
    if found is None or (found[0] == row["sale"] and found[1] == row["till"]):
        return
    cur.execute(
        "INSERT INTO voucher_collision (code, sale, till, at, value, held_by) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (code, sale) DO NOTHING",
        (row["code"], row["sale"], row["till"], row["issued_at"], row["value"], found[1]),
    )
    log.warning(
        "vouchers: %s sold voucher ...%s (%s) whose code %s's voucher holds already: "
        "recorded for the report (give that customer a new voucher for its value)",
        row["till"],
        str(row["code"])[-4:],
        format_money(int(row["value"])),
        found[1],
    )


def _use(cur: psycopg.Cursor[Any], ref: str, use: dict[str, Any]) -> set[int]:
    """Set the use of ``use["code"]`` under ``ref`` to the pushed amount (what a claim
    put there already is not taken again). Returns the voucher's id (empty: unknown)."""
    code, amount = use["code"], int(use["amount"])
    cur.execute("SELECT id, balance, value FROM voucher WHERE code = %s FOR UPDATE", (code,))
    found = cur.fetchone()
    if found is None:  # a voucher the server never had: all of it is an overspend
        _overspend(cur, code, ref, use, amount)
        return set()
    voucher_id, balance, value = int(found[0]), int(found[1]), int(found[2])
    old = _old_use(cur, voucher_id, ref)
    more = amount - old
    # take what it still holds; give back (a refund, or less than claimed) up to its value
    taken = min(more, balance) if more > 0 else max(more, balance - value)
    if taken:
        cur.execute("UPDATE voucher SET balance = balance - %s WHERE id = %s", (taken, voucher_id))
        _set_use(cur, voucher_id, ref, old, old + taken, (use["till"], use["at"], use["claimed"]))
    if amount > 0 and taken < more:
        _overspend(cur, code, ref, use, more - taken)
    return {voucher_id}


def _old_use(cur: psycopg.Cursor[Any], voucher_id: int, ref: str) -> int:
    """What the voucher's use under ``ref`` holds now (0: none)."""
    cur.execute(
        "SELECT amount FROM voucher_use WHERE voucher_id = %s AND ref = %s", (voucher_id, ref)
    )
    row = cur.fetchone()
    return 0 if row is None else int(row[0])


def _set_use(
    cur: psycopg.Cursor[Any],
    voucher_id: int,
    ref: str,
    old: int,
    new: int,
    who: tuple[str, str, int],
) -> None:
    """The voucher's use under ``ref`` from ``old`` to ``new`` (0: no use), with
    ``who`` = (till, at, claimed); its balance is changed by the caller."""
    if not old:
        cur.execute(
            "INSERT INTO voucher_use (voucher_id, ref, amount, till, at, claimed) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (voucher_id, ref, new, *who),
        )
    elif not new:
        cur.execute("DELETE FROM voucher_use WHERE voucher_id = %s AND ref = %s", (voucher_id, ref))
    else:
        cur.execute(
            "UPDATE voucher_use SET amount = %s, till = %s, at = %s, claimed = %s "
            "WHERE voucher_id = %s AND ref = %s",
            (new, *who, voucher_id, ref),
        )


def _give_back_others(cur: psycopg.Cursor[Any], ref: str, keep: set[int]) -> None:
    """Give back what was claimed under ``ref`` (a sale's uuid) off the vouchers not in
    ``keep`` (the sale no longer pays by them) and drop those uses."""
    cur.execute(
        "SELECT u.voucher_id, u.amount FROM voucher_use u JOIN voucher v ON v.id = u.voucher_id "
        "WHERE u.ref = %s AND u.amount > 0 ORDER BY u.voucher_id FOR UPDATE OF v",
        (ref,),
    )
    for voucher_id, amount in cur.fetchall():
        if int(voucher_id) in keep:
            continue
        cur.execute(
            "UPDATE voucher SET balance = LEAST(value, balance + %s) WHERE id = %s",
            (int(amount), int(voucher_id)),
        )
        cur.execute("DELETE FROM voucher_use WHERE voucher_id = %s AND ref = %s", (voucher_id, ref))


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
    """Set what the sale ``ref`` (its uuid) takes off each voucher to ``(code, amount)``,
    in one server transaction; returns the vouchers as they are after. What an earlier
    claim under ``ref`` took is counted: the same amount again takes nothing (a retry after
    a crash), another amount takes or gives back the difference (taking is conditional:
    never below zero), and a voucher claimed before under ``ref`` but not in ``uses`` gets
    its claim back (the cart changed and was paid again).

    Raises:
        VoucherTaken: a voucher is unknown, voided or holds less than its amount now:
            nothing was claimed.
        StoreOffline: the server cannot be reached: nothing was claimed.
    """
    wanted: dict[str, int] = {}
    for code, amount in uses:
        wanted[code] = wanted.get(code, 0) + amount
    after: list[Voucher] = []
    try:
        with _connect(url) as conn, conn.transaction(), conn.cursor() as cur:
            used: set[int] = set()
            for code, amount in wanted.items():
                cur.execute(
                    "SELECT id, value, balance, expires, voided FROM voucher WHERE code = %s "
                    "FOR UPDATE",
                    (code,),
                )
                row = cur.fetchone()
                if row is None:
                    raise VoucherTaken(code, f"Voucher ...{code[-4:]} is not known at the store")
                vid, value, balance, expires, voided = row
                used.add(int(vid))
                old = _old_use(cur, int(vid), ref)
                more = amount - old
                if more > 0:  # conditional: never below zero, never off a voided one
                    cur.execute(
                        "UPDATE voucher SET balance = balance - %s "
                        "WHERE id = %s AND balance >= %s AND voided = 0",
                        (more, vid, more),
                    )
                    if cur.rowcount != 1:
                        raise VoucherTaken(
                            code,
                            f"Sale NOT saved: voucher ...{code[-4:]} was just used on another "
                            f"till (or voided) and no longer holds {format_money(amount)}. Its "
                            "payment is taken off: scan it again for what it holds now, or take "
                            "another payment",
                        )
                elif more < 0:  # less than claimed before under this sale: the rest back
                    cur.execute(
                        "UPDATE voucher SET balance = balance - %s WHERE id = %s", (more, vid)
                    )
                if more:
                    _set_use(cur, int(vid), ref, old, amount, (till, at, 1))
                    balance = int(balance) - more
                after.append(
                    Voucher(
                        code, int(value), int(balance), date.fromisoformat(expires), bool(voided)
                    )
                )
            _give_back_others(cur, ref, used)
    except psycopg.OperationalError as exc:
        raise StoreOffline(str(exc)) from exc
    return after

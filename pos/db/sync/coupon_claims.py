"""Coupon uses on the store's server (issue 22): claimed by a till at payment, settled when
the sale is pushed (psycopg 3).

The server is the authority on a store's coupons. A till claims the uses a sale needs
before any money is taken, in one server transaction under the sale's uuid
(:func:`claim`): each by a conditional update of ``coupon_code.uses_left``, all or none,
recorded in ``coupon_claim`` (unique per sale and code), so a claim made again under the
same sale (a retry, the same cart after a crash) takes nothing twice. When the sale
arrives through the outbox, :func:`settle` marks its claims sold and takes nothing again;
a code the sale used without a claim (the server was out of reach) is taken then, and if
it was gone the overuse is recorded (the sale happened: it is never refused). A claim
that no sale followed is given back: a till's own at its next start
(:func:`release_old_sessions`), anyone's after :data:`HOLD_MINUTES`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

HOLD_MINUTES = 30
"""How long a claim waits for its sale before it is given back (a sale arrives within
seconds of its claim unless the till went offline in between: then its push finds the
claim given back and takes the use again, or records an overuse)."""

CLAIM_OPTIONS: dict[str, Any] = {
    "connect_timeout": 2,  # libpq's shortest
    "tcp_user_timeout": 3_000,
}
"""The payment screen waits for a claim: a few seconds at most, then the till is offline
(and statements 3 s, a row another till holds 2 s: set once connected, so the URL's own
``options``, a schema's search path, stay)."""


Unavailable = (psycopg.Error,)
"""What a claim raises when the server cannot answer it (unreachable, too slow, not at
the schema): the till goes on as offline."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A code the server would not give a use of, and why (for the payment screen)."""

    code: str
    why: str


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection for one claim (short timeouts: :data:`CLAIM_OPTIONS`).

    Raises:
        psycopg.OperationalError: the server cannot be reached (the till is offline).
    """
    conn = psycopg.connect(url, autocommit=True, **CLAIM_OPTIONS)
    try:
        conn.execute("SET statement_timeout = '3s'")
        conn.execute("SET lock_timeout = '2s'")
    except BaseException:
        conn.close()
        raise
    return conn


def claim(
    conn: psycopg.Connection[Any],
    *,
    till: str,
    session: str,
    sale_uuid: str,
    codes: Sequence[str],
    today: date,
) -> list[Refusal]:
    """Hold one use of each of ``codes`` for sale ``sale_uuid``, in one transaction: what
    this sale held already stays held (nothing taken twice), what it held and no longer
    uses is given back. All or nothing: if any code cannot be used, nothing changes and
    the refusals say which and why.

    Raises:
        psycopg.OperationalError: the server went away (nothing was claimed).
    """
    refusals: list[Refusal] = []
    with conn.transaction(), conn.cursor() as cur:
        release_stale(cur)
        cur.execute(
            "SELECT code, status FROM coupon_claim WHERE sale_uuid = %s FOR UPDATE", (sale_uuid,)
        )
        had = {str(code): str(status) for code, status in cur.fetchall()}
        dropped = sorted(c for c, status in had.items() if status == "held" and c not in codes)
        _give_back(cur, sale_uuid, dropped)
        for code in sorted(set(codes)):  # in one order: two sales of the same codes never deadlock
            if had.get(code) in ("held", "sold", "offline"):
                cur.execute(
                    "UPDATE coupon_claim SET session = %s, at = now() "
                    "WHERE sale_uuid = %s AND code = %s AND status = 'held'",
                    (session, sale_uuid, code),
                )
                continue
            why = _take(cur, code, today)
            if why is not None:
                refusals.append(Refusal(code, why))
                continue
            cur.execute(
                "INSERT INTO coupon_claim (sale_uuid, code, till, session, status) "
                "VALUES (%s, %s, %s, %s, 'held') ON CONFLICT (sale_uuid, code) DO UPDATE "
                "SET till = excluded.till, session = excluded.session, at = now(), "
                "status = 'held', note = NULL",
                (sale_uuid, code, till, session),
            )
        if refusals:
            raise psycopg.Rollback  # all or nothing: the held ones stay as they were
    return refusals


def _take(cur: psycopg.Cursor[Any], code: str, today: date) -> str | None:
    """Take one use of ``code``; None if taken, else why not."""
    cur.execute(
        "UPDATE coupon_code SET uses_left = uses_left - 1 WHERE code = %s AND uses_left > 0 "
        "AND voided = 0 AND (expires IS NULL OR expires >= %s) RETURNING id",
        (code, today.isoformat()),
    )
    if cur.fetchone() is not None:
        return None
    cur.execute("SELECT uses_left, voided, expires FROM coupon_code WHERE code = %s", (code,))
    row = cur.fetchone()
    if row is None:
        return "unknown to the store"
    if row[1]:
        return "voided"
    if row[2] is not None and str(row[2]) < today.isoformat():
        return f"expired on {row[2]}"
    return "used up"


def _give_back(cur: psycopg.Cursor[Any], sale_uuid: str, codes: Iterable[str]) -> None:
    for code in codes:
        cur.execute(
            "UPDATE coupon_claim SET status = 'released' "
            "WHERE sale_uuid = %s AND code = %s AND status = 'held' RETURNING code",
            (sale_uuid, code),
        )
        if cur.fetchone() is not None:
            _one_back(cur, code)


def _one_back(cur: psycopg.Cursor[Any], code: str) -> None:
    cur.execute(
        "UPDATE coupon_code SET uses_left = uses_left + 1 WHERE code = %s AND uses_left < uses",
        (code,),
    )


def release_stale(cur: psycopg.Cursor[Any], minutes: int = HOLD_MINUTES) -> int:
    """Give back every claim held longer than ``minutes`` with no sale. Returns how many."""
    cur.execute(
        "UPDATE coupon_claim SET status = 'released' WHERE status = 'held' "
        "AND at < now() - make_interval(mins => %s) RETURNING code",
        (minutes,),
    )
    codes = [str(code) for (code,) in cur.fetchall()]
    for code in codes:
        _one_back(cur, code)
    return len(codes)


def held_by(conn: psycopg.Connection[Any], till: str, session: str) -> list[str]:
    """The sales (uuids) with claims ``till`` holds from an earlier session (a run of the
    till that has ended)."""
    rows = conn.execute(
        "SELECT DISTINCT sale_uuid FROM coupon_claim WHERE till = %s AND status = 'held' "
        "AND session <> %s",
        (till, session),
    ).fetchall()
    return [str(uuid) for (uuid,) in rows]


def release_old_sessions(
    conn: psycopg.Connection[Any], till: str, session: str, sales: Iterable[str]
) -> int:
    """Give back the claims ``till`` held in an earlier session for ``sales`` (sales it
    never saved: it died between the claim and its commit, or the cart was voided). A
    claim taken over by this session meanwhile (the same cart paid again) stays."""
    released = 0
    with conn.transaction(), conn.cursor() as cur:
        for uuid in sales:
            cur.execute(
                "UPDATE coupon_claim SET status = 'released' WHERE sale_uuid = %s "
                "AND till = %s AND status = 'held' AND session <> %s RETURNING code",
                (uuid, till, session),
            )
            for (code,) in cur.fetchall():
                _one_back(cur, str(code))
                released += 1
    return released


def settle(
    cur: psycopg.Cursor[Any], till: str, sale_uuid: str, coupons: Sequence[Mapping[str, Any]]
) -> None:
    """A pushed sale's coupons (its ``sale_coupon`` rows), in the push's transaction: a
    claim held for it is sold; a code used without a claim (offline) or whose claim was
    given back is taken now, and if it is gone the overuse is recorded with why; a claim
    held for a code the sale did not use is given back."""
    cur.execute(
        "SELECT code, status FROM coupon_claim WHERE sale_uuid = %s FOR UPDATE", (sale_uuid,)
    )
    had = {str(code): str(status) for code, status in cur.fetchall()}
    used = [str(c["code"]) for c in coupons]
    _give_back(cur, sale_uuid, [c for c, s in had.items() if s == "held" and c not in used])
    for code in used:
        status = had.get(code)
        if status == "held":
            cur.execute(
                "UPDATE coupon_claim SET status = 'sold' WHERE sale_uuid = %s AND code = %s",
                (sale_uuid, code),
            )
            continue
        if status in ("sold", "offline", "over"):
            continue  # settled before (cannot be: a sale lands once)
        # no claim, or one given back: the sale happened, so the use is taken if it is
        # there and an overuse noted if not (whatever today is now: the till checked)
        cur.execute(
            "UPDATE coupon_code SET uses_left = uses_left - 1 WHERE code = %s "
            "AND uses_left > 0 AND voided = 0 RETURNING id",
            (code,),
        )
        note = None
        if cur.fetchone() is None:
            cur.execute("SELECT voided FROM coupon_code WHERE code = %s", (code,))
            row = cur.fetchone()
            note = "unknown to the store" if row is None else "voided" if row[0] else "used up"
        cur.execute(
            "INSERT INTO coupon_claim (sale_uuid, code, till, session, status, note) "
            "VALUES (%s, %s, %s, '', %s, %s) ON CONFLICT (sale_uuid, code) DO UPDATE "
            "SET status = excluded.status, note = excluded.note",
            (sale_uuid, code, till, "offline" if note is None else "over", note),
        )

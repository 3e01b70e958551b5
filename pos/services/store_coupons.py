"""A store's till asks its server for the coupon uses a sale needs (issue 22, part 2).

The server is the authority on a store's coupons (:mod:`pos.db.sync.coupon_claims`): at
payment, before any money is taken, the till claims the uses under the sale's uuid, on a
connection of its own with short timeouts (the payment screen waits a few seconds at
most). A server that cannot be reached, or that the sync worker already finds out of
reach, means offline: the till decides alone (each code once per till until its sale
reaches the server).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from pos.db.sync import coupon_claims
from pos.db.sync.coupon_claims import Refusal, Unavailable

log = logging.getLogger(__name__)


class StoreCoupons:
    """Claims coupon uses on the store's server for this till.

    Args:
        url: The store's server.
        till: This till's name.
        session: This run of the till (claims of an earlier run with no sale are given
            back at its next start).
        reachable: Whether the sync worker last reached the server (False: do not wait
            for a connection that will fail).
    """

    def __init__(
        self, url: str, till: str, session: str, reachable: Callable[[], bool] = lambda: True
    ) -> None:
        self.url = url
        self.till = till
        self.session = session
        self.reachable = reachable
        self._conn: Any = None

    def claim(self, sale_uuid: str, codes: Sequence[str], today: date) -> list[Refusal] | None:
        """Hold a use of each code for the sale on the server (all or none); the refusals
        (empty: all held), or None when the server cannot be asked now (offline)."""
        if not self.reachable():
            return None
        while True:
            kept = self._conn is not None and not self._conn.closed
            try:
                if not kept:
                    self._conn = coupon_claims.connect(self.url)
                return coupon_claims.claim(
                    self._conn,
                    till=self.till,
                    session=self.session,
                    sale_uuid=sale_uuid,
                    codes=list(codes),
                    today=today,
                )
            except Unavailable as exc:
                self.close()
                if not kept:  # a kept connection may only have gone stale: once more
                    log.warning("coupons: the store's server cannot be asked (%s)", exc)
                    return None

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

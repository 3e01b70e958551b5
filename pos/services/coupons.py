"""Coupon codes (issue 22): issuing, looking up and voiding them (``pos coupons``).

Codes are drawn here, with :mod:`secrets` (a guessable code is a free discount), for the
store's number (the ``store_number`` setting); the database keeps them unique and a
taken code is drawn again. Each issue and each void is one transaction with its audit
entry. Only a coupon rule (``"coupon": true``) gets codes.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date

from pos.auth.service import AuditSink, anchor_audit
from pos.config import DbTarget
from pos.db.coupons import CodesExhausted, CouponRepository, Issue
from pos.db.database import open_database
from pos.db.migrations import SCHEMA_VERSION
from pos.db.repositories import DiscountRepository
from pos.domain.clock import Clock
from pos.domain.coupons import (
    MAX_ISSUE,
    MAX_USES,
    RANDOM_DIGITS,
    Coupon,
    CouponRefused,
    check_code,
    check_usable,
    is_coupon_code,
    make_code,
    parse_expiry,
)
from pos.domain.discounts import Rule


def products_in_coupon_range_at(path: DbTarget, version: int) -> list[str]:
    """For ``pos db check``: the products whose barcode is in the coupon range (added
    before coupons, v19), each a warning that says what to do; only on a database at this
    version (the check never upgrades one)."""
    if version != SCHEMA_VERSION:
        return []
    database = open_database(path, check=False)
    try:
        found = CouponRepository(database).products_in_range()
    finally:
        database.close()
    return [
        f"product {barcode} ({name}) has a barcode in the coupon range (99...): it still "
        "sells while no coupon has that code, but give it another barcode"
        for barcode, name in found
    ]


class CouponError(ValueError):
    """A coupon command was refused; nothing changed. The message says what to do."""


def random_digits() -> str:
    """:data:`RANDOM_DIGITS` digits from the operating system's random source."""
    return "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))


class CouponService:
    """Issue, list, show and void coupon codes.

    Args:
        coupons: The codes.
        rules: The discount rules (a code is for a coupon rule).
        clock: Today, for expiry dates (the shop's local date).
        store_number: The store's number in its codes.
        audit: Where issues and voids are logged (None: not logged).
        actor: Who is doing it, for the audit log.
        draw: The random digits of a new code (tests fix them).
    """

    def __init__(
        self,
        coupons: CouponRepository,
        rules: DiscountRepository,
        clock: Clock,
        store_number: str,
        audit: AuditSink | None = None,
        actor: str | None = None,
        draw: Callable[[], str] = random_digits,
    ) -> None:
        self._coupons = coupons
        self._rules = rules
        self._clock = clock
        self._store = store_number
        self._audit = audit
        self._actor = actor
        self._draw = draw

    def today(self) -> date:
        """The shop's local date."""
        return self._clock.now().astimezone().date()

    def coupon_rule(self, name: str) -> Rule:
        """The coupon rule called ``name`` (any case).

        Raises:
            CouponError: no such rule, or it is not a coupon rule.
        """
        rule = self._rules.get(name)
        if rule is None:
            raise CouponError(f"no discount rule called {name!r} (pos discounts list shows them)")
        if not rule.coupon:
            raise CouponError(
                f'rule {rule.name!r} is not a coupon rule: set "coupon": true on it first '
                "(in the rule file or the rule editor)"
            )
        return rule

    def issue(
        self, rule_name: str, count: int, uses: int = 1, expires: str | None = None
    ) -> list[Coupon]:
        """Make ``count`` new codes for the coupon rule ``rule_name``, each good for
        ``uses`` sales until ``expires`` (``YYYY-MM-DD``, today or later; None: never).

        Raises:
            CouponError: a bad rule, count, number of uses or date (nothing issued).
            StorageError: the write failed (nothing issued).
        """
        if not 1 <= count <= MAX_ISSUE:
            raise CouponError(f"--count must be 1 to {MAX_ISSUE:,} codes at a time")
        if not 1 <= uses <= MAX_USES:
            raise CouponError(f"--uses must be 1 to {MAX_USES:,} sales per code")
        last_day: date | None = None
        if expires is not None:
            try:
                last_day = parse_expiry(expires, self.today())
            except ValueError as exc:
                raise CouponError(str(exc)) from None
        rule = self.coupon_rule(rule_name)
        batch = Issue(rule.name, count, uses, last_day, self._clock.now(), self._actor)

        def audited(made: list[Coupon]) -> None:
            if self._audit is not None:
                self._audit.append(
                    "coupons_issued",
                    self._actor,
                    {
                        "rule": rule.name,
                        "count": len(made),
                        "uses": uses,
                        "expires": last_day.isoformat() if last_day else None,
                        "first": made[0].code,
                        "last": made[-1].code,
                    },
                )

        try:
            made = self._coupons.issue(batch, self._new_code, audited)
        except CodesExhausted as exc:
            raise CouponError(f"could not find free codes ({exc}); void old batches") from exc
        if self._audit is not None:
            anchor_audit(self._audit)
        return made

    def _new_code(self) -> str:
        return make_code(self._store, self._draw())

    def listed(self, rule_name: str | None = None) -> list[Coupon]:
        """The codes (of one rule, or all), newest first."""
        return self._coupons.listed(rule_name)

    def show(self, code: str) -> tuple[Coupon, list[str]]:
        """One code, and the sales that used it (their ids).

        Raises:
            CouponError: not a coupon code, or no such code.
        """
        coupon = self._find(code)
        return coupon, self._coupons.used_in(coupon.code)

    def void(self, code: str) -> Coupon:
        """Void a code: it is good for nothing from now on (sales already made keep it).

        Raises:
            CouponError: not a coupon code, or no such code.
        """
        self._find(code)

        def audited(coupon: Coupon) -> None:
            if self._audit is not None:
                self._audit.append(
                    "coupon_voided",
                    self._actor,
                    {"code": coupon.code, "rule": coupon.rule, "uses_left": coupon.uses_left},
                )

        voided = self._coupons.void(code.strip(), audited)
        assert voided is not None  # found above; codes are never deleted
        if self._audit is not None:
            anchor_audit(self._audit)
        return voided

    def _find(self, code: str) -> Coupon:
        code = code.strip()
        if not is_coupon_code(code):
            raise CouponError(f"{code!r} is not a coupon code (13 digits starting 99)")
        try:
            check_code(code, self._store)
        except CouponRefused as exc:
            raise CouponError(str(exc)) from None
        coupon = self._coupons.get(code)
        if coupon is None:
            raise CouponError(f"coupon {code} was never issued here")
        return coupon

    def usable(self, code: str) -> Coupon:
        """The coupon ``code`` if it can go in a sale today.

        Raises:
            CouponRefused: tampered with, another store's, unknown, voided, expired, used
                up, or its rule is gone or no longer a coupon rule; the message says which.
        """
        if not code:
            raise CouponRefused("unknown", "No coupon code given: scan or type its 13 digits")
        if not is_coupon_code(code):
            raise CouponRefused("unknown", f"{code!r} is not a coupon code (13 digits starting 99)")
        check_code(code, self._store)
        coupon = check_usable(self._coupons.get(code), code, self.today())
        rule = self._rules.get(coupon.rule)
        if rule is None or not rule.coupon:
            raise CouponRefused(
                "no_rule", f"Coupon {code} is for {coupon.rule!r}, which is no longer a deal"
            )
        return coupon

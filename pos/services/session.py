"""Who is at the till: login, the idle lock's rules and the first-manager set-up."""

from __future__ import annotations

import logging

from pos.auth.guard import Guard
from pos.auth.service import Authenticator, Identity, LoginFailed, OverrideRefused, Session
from pos.db.errors import StorageError
from pos.db.integrity import IntegrityCheck
from pos.domain.text import sentence
from pos.services.approvals import ApprovalRefused
from pos.services.checkout import CheckoutService
from pos.services.operators import OperatorAdmin, OperatorError

log = logging.getLogger(__name__)

CLOSE_SCOPE = "till:close"
"""Who may close the till from the login screen (managers)."""


def refusal(problem: str) -> str:
    """What every login is told while the database file is damaged."""
    return f"Nobody can log in. {problem}"


class SessionService:
    """Starts sessions for the screens and keeps the open cart with its operator."""

    def __init__(
        self,
        auth: Authenticator,
        guard: Guard,
        operators: OperatorAdmin,
        checkout: CheckoutService,
        integrity: IntegrityCheck | None = None,
    ) -> None:
        self.auth = auth
        self.guard = guard
        self.operators = operators
        self.checkout = checkout
        self.integrity = integrity
        """The check of the database file: no login and no first manager (nothing is
        written) until it has passed. The login screen waits for it in the background;
        here it is the rule for every caller."""

    def _damaged(self) -> str | None:
        """Why nothing may be written (the file is damaged), or None once it passed."""
        if self.integrity is None or self.integrity.ensure():
            return None
        return refusal(self.integrity.problem)

    def needs_first_manager(self) -> bool:
        return self.operators.none_yet()

    def create_first_manager(self, number: str, name: str, pin: str) -> str | None:
        """Create the first manager; returns an error message, or None when done."""
        if (damaged := self._damaged()) is not None:
            return damaged
        if not self.operators.none_yet():
            return "There is already an operator: log in instead"
        try:
            # nobody is logged in yet: the new manager is the one setting the till up
            self.operators.add_first_manager(number, name, pin)
        except OperatorError as exc:
            return sentence(str(exc))  # (str.capitalize would lower-case "PIN")
        except StorageError as exc:
            return f"The manager was NOT saved: {exc.reason}; {exc.advice}."
        return None

    def login(self, number: str, pin: str, *, locked_by: Identity | None = None) -> Session:
        """Log in. After an idle lock with a cart open, only its operator or a manager
        may continue with it.

        The first login reads the discount rules for the open cart (start-up leaves them
        for it): a till that cannot read them does not open.

        A database that cannot be read or written (full, read-only, locked, damaged)
        refuses every login alike, right PIN or wrong, with a message saying so: the
        attempt cannot be recorded, so it cannot count either way.

        Raises:
            LoginFailed: with the message to show (also when the file is damaged).
        """
        if (damaged := self._damaged()) is not None:
            raise LoginFailed(damaged)
        try:
            self.checkout.load_rules()
        except StorageError as exc:
            raise LoginFailed(f"Cannot open the till: {exc.reason}. Try again.") from exc
        try:
            return self._login(number, pin, locked_by)
        except StorageError as exc:
            raise LoginFailed(f"Cannot log in now: {exc.reason}; {exc.advice}.") from None

    def _login(self, number: str, pin: str, locked_by: Identity | None) -> Session:
        session = self.auth.login(number, pin)
        who = session.identity
        owner = self.cart_owner()
        if owner is not None and owner != who.number and who.role != "manager":
            # the open cart belongs to someone else: after an idle lock, a log-out or a
            # restart alike, only its operator or a manager may carry on with it
            self.auth.logout(session)
            self.auth.audit.append("takeover_refused", who.number, {"cart_of": owner})
            name = locked_by.name if locked_by and locked_by.number == owner else owner
            raise LoginFailed(f"This cart belongs to {name}: they, or a manager, must log in")
        if owner is not None and owner != who.number:
            # a manager carries on with another operator's cart: on the record
            self.auth.audit.append("cart_takeover", who.number, {"cart_of": owner})
        self.guard.start(session)
        return session

    def cart_owner(self) -> str | None:
        """The operator whose cart is open: who scanned its first line."""
        for line in self.checkout.cart:
            if line.operator:
                return line.operator
        return None

    def logout(self) -> None:
        self.guard.logout()

    # ------------------------------------------------------------------ closing the till

    def close_till(self) -> None:
        """The operator logged in closes the till (they confirmed): on the record.

        Raises:
            LoginRequired: nobody is logged in (at the login a manager must approve:
                :meth:`close_till_approved`).
            ApprovalRefused: it cannot be recorded (the database cannot be used): the
                till stays open.
        """
        who = self.guard.current()
        try:
            self._closed_by(who.number)
        except StorageError as exc:
            raise ApprovalRefused(f"NOT closed: {exc.reason}; {exc.advice}") from None

    def close_till_approved(self, number: str, pin: str) -> str:
        """At the login, nobody is logged in: closing the till takes a manager's number
        and PIN (a till started from a shell would otherwise leave anyone at the shell).
        Returns the manager's number.

        Raises:
            ApprovalRefused: not a manager, wrong PIN, locked out, or the database cannot
                record it (then nothing is closed).
        """
        try:
            self.auth.grant_override(
                number, pin, requester="", scope=CLOSE_SCOPE, action={"close": "till"}
            )
            self._closed_by(number)
        except OverrideRefused as exc:
            raise ApprovalRefused(str(exc)) from None
        except StorageError as exc:
            raise ApprovalRefused(f"NOT closed: {exc.reason}; {exc.advice}") from None
        return number

    def _closed_by(self, number: str) -> None:
        self.auth.audit.append("till_closed", number, {})
        log.info("till closed by operator %s", number)

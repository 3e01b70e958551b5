"""A sale rung up through the services, as the till does it: the tests' one way to make
one (each code scanned and accepted, paid in cash, saved)."""

from __future__ import annotations

from pos.services.container import Services
from pos.services.sales import Completed


def sell(services: Services, *codes: str, cash: int | None = None) -> Completed:
    """Scan ``codes`` (each must be accepted), take ``cash`` (the amount due if None) and
    complete the sale."""
    for code in codes:
        outcome = services.checkout.submit(code)
        assert not outcome.error, outcome.message
    tender = services.sales.start()
    tender.cash(tender.due if cash is None else cash)
    return services.sales.complete(tender)

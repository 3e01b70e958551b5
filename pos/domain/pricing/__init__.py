"""The pricing engine: a pure function of the cart, the rules and the moment of the sale.

How rules combine (the contract the tests check):

1. Only active rules inside their date, weekday and hours windows count.
2. Exclusive rules are checked first, highest priority first (then by name); the
   first whose conditions hold, and which saves something, is the only discount.
3. Otherwise each unit in the cart is used by at most one item rule. Where item
   rules compete for units, the engine chooses the combination that gives the
   customer the lowest total; ties go to the higher priority, then the name (of two
   combinations that cost the same, the one with more sets of the first rule in that
   order, then of the second, and so on).
4. Within one ``group`` at most one rule applies: the one that saves most. A group may
   hold item rules and basket rules: each such group's two sides are tried in every
   combination with the others' (see :meth:`.pricer.Pricer._choose`).
5. Basket rules come last: their threshold is compared (strictly) with the subtotal
   after item discounts, and their amount is worked out on that subtotal; several
   stack unless they share a group. An item rule's own ``min_subtotal`` is compared
   with the subtotal before any discount.
6. No discount makes a line or the sale negative, and a deal that would cost more
   than the normal prices is not applied.
7. Re-pricing after a change gives the same answer as pricing from scratch.

Weighed (``kg``) lines count as one unit worth their line total. Percentages are
rounded half up per set (see :mod:`pos.domain.money`).

The modules, one question each: :mod:`.priced` (what pricing reads and returns),
:mod:`.pricer` (rules 1 to 7, incrementally), :mod:`.components` (which item rules are
priced together, and how one component is priced), :mod:`.search` (the exact search),
:mod:`.greedy` (the greedy orders), with :mod:`.units`, :mod:`.candidates` and
:mod:`.bounds` under them.
"""

from pos.domain.pricing.components import SMALL_UNITS, SMALL_WAYS
from pos.domain.pricing.priced import EMPTY, AppliedDiscount, CartView, PricedBasket
from pos.domain.pricing.pricer import MIXED_GROUPS_EXACT, Pricer, price_cart
from pos.domain.pricing.search import EXACT_WORK_LIMIT, MAX_CANDIDATES, QUICK_WORK_LIMIT

__all__ = [
    "EMPTY",
    "EXACT_WORK_LIMIT",
    "MAX_CANDIDATES",
    "MIXED_GROUPS_EXACT",
    "QUICK_WORK_LIMIT",
    "SMALL_UNITS",
    "SMALL_WAYS",
    "AppliedDiscount",
    "CartView",
    "PricedBasket",
    "Pricer",
    "price_cart",
]

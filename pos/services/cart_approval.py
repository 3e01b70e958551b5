"""How a privileged change to the open cart (a void, a price override, an error correct)
is allowed and recorded.

The operator holds the scope, or a manager approved exactly this action (the cart, the
line, the amount: :func:`cart_action`); the change, the use of its approval and its audit
entry are then one transaction. Enforced here, in the service, not only by the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pos.auth.service import Identity
from pos.db.carts import CartRepository
from pos.db.errors import StorageError
from pos.domain.cart import Cart
from pos.services.approvals import Approval, ApprovalRefused, Approvals
from pos.services.outcomes import Outcome, not_saved


def cart_action(
    cart: Cart, cart_uuid: str, scope: str, line_no: int | None = None, price: int | None = None
) -> dict[str, Any]:
    """What an approval for ``scope`` is bound to: this cart, this line, this amount."""
    action: dict[str, Any] = {"scope": scope, "cart": cart_uuid}
    line = cart.get(line_no) if line_no is not None else None
    if line is not None:
        action.update(line=line.line_no, barcode=line.barcode, qty=line.qty, total=line.total)
    else:
        action.update(total=cart.subtotal, lines=len(cart))
    if price is not None:
        action["price"] = price
    return action


def authorise(
    approvals: Approvals | None,
    actor: Identity,
    scope: str,
    action: dict[str, Any],
    approval: str | None,
) -> Approval | Outcome:
    """Leave for ``actor`` (the guard's operator, asked by the command just now): they
    hold ``scope``, or a manager approved exactly this; a refusal otherwise."""
    missing = f"This needs a manager's approval ({scope})"
    if approvals is None:
        return (
            Approval(None, None, scope, actor.number) if actor.may(scope) else Outcome.fail(missing)
        )
    try:
        return approvals.authorise(actor, scope, action, approval, missing=missing)
    except ApprovalRefused as exc:
        return Outcome.fail(str(exc))


def audited_write(
    carts: CartRepository,
    approvals: Approvals | None,
    write: Callable[[], None],
    approval: Approval,
    event: str,
    details: dict[str, Any],
) -> Outcome | None:
    """Do a privileged change, use up its approval and audit it, all in one transaction;
    None once done, or why it was not."""
    try:
        with carts.transaction():
            write()
            approval.use(**details)
            if approvals is not None:
                approvals.record(event, approval.requester, details)
    except ApprovalRefused as exc:
        return Outcome.fail(str(exc))
    except StorageError as exc:
        return not_saved(exc)
    return None

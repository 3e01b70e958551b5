"""Roles and the scopes each one holds: the one table that says who may do what."""

from __future__ import annotations

SCOPES = (
    "sale",
    "void",
    "price_override",
    "refund",
    "discounts:edit",
    "operators:edit",
    "reports",
    "day:close",
    "audit",
    "till:close",
    "cash:no_sale",
    "cash:paid",
    "cash:pickup",
    "refund:unreceipted",
    "discounts:manual",
)

ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "cashier": ("sale",),
    "supervisor": (
        "sale",
        "void",
        "price_override",
        "refund",
        "reports",
        "cash:no_sale",
        "cash:paid",
        "cash:pickup",
    ),
    "manager": SCOPES,
}

ROLES = tuple(ROLE_SCOPES)


def scopes_for(role: str) -> tuple[str, ...]:
    return ROLE_SCOPES.get(role, ())

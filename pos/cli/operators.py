"""``pos operators``: add, list, deactivate, reactivate, set-pin and unlock operators, as
the OS account that runs the command (no operator logs in at a shell)."""

from __future__ import annotations

import sys
import time

import click

from pos.auth.keys import KeyFileError, key_file_for, load_peppers, load_seal_key
from pos.auth.pins import PinHasher
from pos.auth.roles import ROLES
from pos.cli.common import (
    audit_log,
    cli_actor,
    db_option,
    db_path,
    friendly_errors,
    open_db,
    till_option,
)
from pos.config import DbTarget
from pos.db.auth_repositories import OperatorRepository, TokenStateRepository
from pos.db.database import Database
from pos.domain.clock import SystemClock
from pos.services.guarded import ShellAuthority
from pos.services.operators import OperatorAdmin, OperatorError


def _read_pin(prompt: str) -> str:
    """A PIN from a hidden prompt, or the first line of standard input when it is not a
    terminal; never from the command line (it would show in the shell history)."""
    if sys.stdin.isatty():
        first = click.prompt(prompt, hide_input=True)
        again = click.prompt("Again", hide_input=True)
        if first != again:
            raise click.ClickException("the two PINs are different")
        return str(first)
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def _operator_admin(database: Database, path: DbTarget) -> OperatorAdmin:
    token_now = lambda: int(time.time())  # noqa: E731 - the same clock tokens use
    audit = audit_log(database, path)
    try:
        pins = PinHasher().with_peppers(load_peppers(key_file_for(path)))
        seal = load_seal_key(key_file_for(path))
    except KeyFileError as exc:
        raise click.ClickException(str(exc)) from exc
    return OperatorAdmin(
        OperatorRepository(database, seal),
        TokenStateRepository(database, token_now),
        audit,
        pins,
        token_now,
        authority=ShellAuthority(cli_actor()),  # the OS account: no operator logs in
    )


@click.group("operators")
def operators_group() -> None:
    """Operators: add, list, deactivate, reactivate, set-pin, unlock."""


@operators_group.command("add")
@db_option
@till_option
@click.option("--number", required=True, help="Operator number (digits).")
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(list(ROLES)))
@click.pass_context
def operators_add(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str, name: str, role: str
) -> None:
    """Add an operator; the PIN is asked for (or read from standard input)."""
    path = db_path(ctx, db)
    pin = _read_pin("PIN")
    with friendly_errors():
        try:
            _operator_admin(open_db(ctx, path, changes="operators"), path).add(
                number, name, role, pin
            )
        except OperatorError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"added {role} {number} ({name})")


@operators_group.command("list")
@db_option
@till_option
@click.pass_context
def operators_list(ctx: click.Context, db: DbTarget | None, till: str | None) -> None:
    """Print the operators (never their PINs)."""
    path = db_path(ctx, db)
    with friendly_errors():
        rows = _operator_admin(open_db(ctx, path), path).all()
    for op in rows:
        state = "active" if op.active else "inactive"
        if op.locked_until is not None and op.locked_until > SystemClock().now():
            state += f", locked until {op.locked_until.astimezone():%H:%M}"
        changed = "" if op.sealed else "  CHANGED OUTSIDE THE TILL (cannot log in)"
        click.echo(f"{op.number:>12}  {op.role:<10}  {state:<28}  {op.name}{changed}")


def _operator_change(ctx: click.Context, db: DbTarget | None, change: str, number: str) -> None:
    path = db_path(ctx, db)
    pin = _read_pin("New PIN") if change == "set_pin" else ""
    with friendly_errors():
        # a lockout is the till's own (counted there): unlocking it is, too
        store_owned = None if change == "unlock" else "operators"
        admin = _operator_admin(open_db(ctx, path, changes=store_owned), path)
        try:
            if change == "set_pin":
                admin.set_pin(number, pin)
            elif change == "deactivate":
                admin.deactivate(number)
            elif change == "reactivate":
                admin.reactivate(number)
            else:
                admin.unlock(number)
        except OperatorError as exc:
            raise click.ClickException(str(exc)) from exc


@operators_group.command("deactivate")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_deactivate(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Deactivate an operator; every token they hold stops working at once."""
    _operator_change(ctx, db, "deactivate", number)
    click.echo(f"deactivated {number}")


@operators_group.command("reactivate")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_reactivate(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Let a deactivated operator log in again; tokens from before stay refused."""
    _operator_change(ctx, db, "reactivate", number)
    click.echo(f"reactivated {number}")


@operators_group.command("set-pin")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_set_pin(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Set a new PIN (asked for, or the first line of standard input); ends their sessions."""
    _operator_change(ctx, db, "set_pin", number)
    click.echo(f"new PIN set for {number}")


@operators_group.command("unlock")
@db_option
@till_option
@click.option("--number", required=True)
@click.pass_context
def operators_unlock(
    ctx: click.Context, db: DbTarget | None, till: str | None, number: str
) -> None:
    """Unlock an operator locked out by wrong PINs."""
    _operator_change(ctx, db, "unlock", number)
    click.echo(f"unlocked {number}")

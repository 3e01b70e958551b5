"""Queries compiled once (pos.db.prepared) give what the peewee query gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import peewee
import pytest

from pos.auth.service import OperatorRecord
from pos.db import models as m
from pos.db.auth_repositories import OperatorRepository, TokenStateRepository
from pos.db.carts import CartRepository
from pos.db.database import open_database
from pos.db.errors import StorageError, is_sqlite
from pos.db.prepared import Prepared, converter, slot
from pos.db.repositories import ProductRepository
from pos.domain.cart import CartLine
from pos.domain.catalog import Product, Unit

pytestmark = pytest.mark.backends  # each test on SQLite and on PostgreSQL


def test_slots_are_filled_at_each_run_and_fixed_values_kept(empty_db: Path) -> None:
    db = open_database(empty_db)
    try:
        db.execute_sql(
            "INSERT INTO refresh_token (token_hash, family, operator, expires_at, revoked) "
            "VALUES ('h1', 'fam-a', '1001', 10, 1), ('h2', 'fam-b', '1001', 10, 0)"
        )
        query = Prepared(
            db,
            lambda: (
                m.RefreshToken.select(m.RefreshToken.token_hash)
                .where((m.RefreshToken.family == slot("family")) & (m.RefreshToken.revoked == 1))
                .limit(5)
            ),
        )
        assert query.run(family="fam-a") == [("h1",)]
        assert query.run(family="fam-b") == []  # revoked == 1 is part of the statement
        assert not query.exists(family="fam-c")
        with pytest.raises(KeyError):
            query.run()  # a slot left unfilled is an error, never a match on the sentinel
    finally:
        db.close()


def test_operator_and_token_checks_match_the_model(empty_db: Path) -> None:
    db = open_database(empty_db)
    try:
        operators = OperatorRepository(db, seal_key=b"s" * 32)
        locked = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
        operators.add(OperatorRecord("1001", "Ann", "cashier", True, "hash"))
        operators.record_failure("1001", locked)  # the lockout starts a new count
        operators.record_failure("1001", None)
        got = operators.get("1001")
        assert got is not None
        assert (got.name, got.role, got.active, got.failed_attempts) == ("Ann", "cashier", True, 1)
        assert got.locked_until == locked  # converted as the model converts it
        assert got.sealed  # the seal is checked on the values as the model converts them
        assert operators.get("9999") is None
        tokens = TokenStateRepository(db, now=lambda: 0)
        assert not tokens.is_revoked("j1", "store/till")
        tokens.revoke_jti("j1", "store/till", 100)
        assert tokens.is_revoked("j1", "store/till")
        assert not tokens.is_revoked("j1", "store/other-till")
    finally:
        db.close()


def test_converter_uses_the_fields_python_values() -> None:
    fields = [m.Operator.number, m.Operator.locked_until]
    row = converter(fields)(("1001", "2026-03-14T10:00:00+00:00"))
    assert row["number"] == "1001"
    assert row["locked_until"] == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def test_a_failing_database_raises_storage_error(empty_db: Path) -> None:
    db = open_database(empty_db)
    query = Prepared(db, lambda: m.RevokedToken.select().where(m.RevokedToken.jti == slot("j")))
    query.run(j="x")
    db.execute_sql("DROP TABLE revoked_token")
    with pytest.raises(StorageError):
        query.run(j="x")
    db.close()
    assert isinstance(db, peewee.Database)


def test_the_scan_path_lookup_and_save_match_the_model(empty_db: Path) -> None:
    """The barcode lookup and the cart line's save, compiled once, read and write what the
    models do: a new line, then the same line with a new quantity and price."""
    db = open_database(empty_db)
    try:
        products = ProductRepository(db)
        products.upsert_many([Product("4006381333931", "Pen", 120, 2000, Unit.EACH)])
        assert products.get("4006381333931") == Product(
            "4006381333931", "Pen", 120, 2000, Unit.EACH
        )
        assert products.get("5000000000012") is None
        carts = CartRepository(db, "Till 1")
        cart = carts.open_cart("c-1", datetime(2026, 3, 14, 10, 0, tzinfo=UTC))
        line = CartLine(1, "4006381333931", "Pen", Unit.EACH, 120, 1, 2000, operator="1001")
        carts.save_line(cart.id, line)
        carts.save_line(cart.id, replace(line, qty=3, unit_price=100, fixed_price=True))
        assert carts.lines_of(cart.id) == [replace(line, qty=3, unit_price=100, fixed_price=True)]
    finally:
        db.close()


def test_a_line_save_is_one_statement_and_still_all_or_nothing(empty_db: Path) -> None:
    """On a server the save is its own transaction (no BEGIN and COMMIT round trips); on
    SQLite it takes the write lock first. Either way a failing save keeps nothing and the
    next one works; inside a larger transaction it is part of that one."""
    db = open_database(empty_db)
    begins: list[object] = []
    real_begin = db.begin

    def counted_begin(*args: object) -> None:
        begins.append(args)
        real_begin(*args)

    db.begin = counted_begin  # type: ignore[method-assign]
    try:
        carts = CartRepository(db, "Till 1")
        cart = carts.open_cart("c-1", datetime(2026, 3, 14, 10, 0, tzinfo=UTC))
        begins.clear()
        line = CartLine(1, "4006381333931", "Pen", Unit.EACH, 120, 1, 2000)
        carts.save_line(cart.id, line)
        assert len(begins) == (1 if is_sqlite(db) else 0)
        with pytest.raises(StorageError):
            carts.save_line(cart.id + 99, replace(line, line_no=2))  # no such cart
        carts.save_line(cart.id, replace(line, line_no=3))
        assert [saved.line_no for saved in carts.lines_of(cart.id)] == [1, 3]

        def save_then_fail() -> None:
            with carts.transaction():
                carts.save_line(cart.id, replace(line, line_no=4))
                raise RuntimeError("the rest of the transaction failed")

        with pytest.raises(RuntimeError):
            save_then_fail()
        assert [saved.line_no for saved in carts.lines_of(cart.id)] == [1, 3]
    finally:
        db.close()

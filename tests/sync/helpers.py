"""Selling on a store's till and reading what its file and the server hold."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from pos.services.container import Services
from tests.sales import sell as ring_up


def sell(till: Services, *codes: str) -> int:
    return ring_up(till, *codes).receipt_no


def local(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def server(url: str, sql: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return list(conn.execute(sql, args).fetchall())

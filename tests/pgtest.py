"""Running the suite on PostgreSQL: set CLICKSBOT_TEST_DATABASE to a server's admin URL
(`bash .ci/postgres start` makes a throwaway one), and every test gets a fresh database of
its own, made from a template that already has clicksbot's schema.

Every way a test opens the store goes there: the `settings` fixture carries the URL,
CLICKSBOT_DATABASE_URL is set for the command line run in a subprocess, and `Store.open` of
a file path opens the test's database instead. Tests about the SQLite file itself (backups,
the lock file, bytes on disk) are marked `sqlite_only` and skipped, each with its reason."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from clicksbot.store import Store
from clicksbot.store.dialect import describe, is_url, placeholders

ENV = "CLICKSBOT_TEST_DATABASE"
ADMIN_URL = os.environ.get(ENV, "")
_numbers = itertools.count(1)
_TEMPLATE = f"clicksbot_template_{os.getpid()}"


def enabled() -> bool:
    return bool(ADMIN_URL)


def where() -> str:
    if enabled():
        return f"PostgreSQL at {describe(ADMIN_URL)} (a fresh database per test)"
    return f"SQLite (the PostgreSQL run is skipped: {ENV} is not set; see README, Tests)"


def _url(dbname: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path="/" + dbname))


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def make_template() -> None:
    """A database with clicksbot's schema, to copy for each test (copying is much faster
    than migrating)."""
    _admin(f'DROP DATABASE IF EXISTS "{_TEMPLATE}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{_TEMPLATE}"')

    async def migrate() -> None:
        store = await Store.open(_url(_TEMPLATE))
        await store.close()

    asyncio.run(migrate())


def drop_template() -> None:
    _admin(f'DROP DATABASE IF EXISTS "{_TEMPLATE}" WITH (FORCE)')


def fresh_database() -> Iterator[str]:
    """A new database with the schema for one test, dropped after it."""
    name = f"clicksbot_t{os.getpid()}_{next(_numbers)}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{_TEMPLATE}"')
    try:
        yield _url(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def redirect(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Send every store a test opens to its PostgreSQL database."""
    monkeypatch.setenv("CLICKSBOT_DATABASE_URL", url)
    original = Store.__dict__["open"].__func__

    async def open_there(cls: type[Store], path: Path | str) -> Store:
        return await original(cls, path if is_url(path) else url)  # type: ignore[no-any-return]

    monkeypatch.setattr(Store, "open", classmethod(open_there))


# `Store.open` as clicksbot has it, for tests that open a SQLite file on purpose.
OPEN_AS_IS = Store.open


# `INSERT INTO t (...) VALUES (?, ...)` and nothing after: its head and its row.
_VALUES = re.compile(r"^(\s*INSERT\s+INTO\s+.*?\bVALUES\s*)(\([^()]*\))\s*$", re.I | re.S)


class _Raw:
    """A PostgreSQL connection with the few sqlite3 methods tests use to write rows straight
    into the database (`?` placeholders, as in the store's SQL)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._conn = psycopg.connect(url, cursor_factory=psycopg.ClientCursor)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        bound = tuple(int(p) if isinstance(p, bool) else p for p in params)
        return self._conn.execute(placeholders(sql) if bound else sql, bound or None)  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        cur = self._conn.cursor()
        values = _VALUES.match(sql)
        if values is None:
            cur.executemany(placeholders(sql), [tuple(r) for r in rows])  # type: ignore[arg-type]
            return cur
        # An INSERT of many rows goes 500 rows a statement and a transaction, as a test means
        # it (a load of rows): PostgreSQL runs statement triggers (the audience counts') once
        # a statement, and a row updated again and again in one transaction (each count)
        # leaves a chain of versions that each update walks: a load in one would be quadratic.
        listed = [tuple(r) for r in rows]
        for start in range(0, len(listed), 500):
            chunk = listed[start : start + 500]
            text = values.group(1) + ", ".join([values.group(2)] * len(chunk))
            cur.execute(placeholders(text), [v for row in chunk for v in row])  # type: ignore[arg-type]
            self._conn.commit()
        return cur

    def commit(self) -> None:
        self._conn.commit()

    def __enter__(self) -> _Raw:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        # As sqlite3's connection: commit what the block wrote, or roll it back on an error.
        # (Then closed: a test's block is its use of the connection.)
        if kind is None:
            self._conn.commit()
        else:
            self._conn.rollback()
        self._conn.close()

    def close(self) -> None:
        self._conn.close()


def connect(path: Path | str, timeout: float = 5.0, *, readonly: bool = False) -> Any:
    """What `sqlite3.connect(path)` is to a test writing or reading rows straight in the
    database: on PostgreSQL, the test's own database (where `Store.open(path)` goes)."""
    url = os.environ.get("CLICKSBOT_DATABASE_URL", "") if enabled() else ""
    if url:
        return _Raw(url)
    if readonly:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
    return sqlite3.connect(path, timeout=timeout)

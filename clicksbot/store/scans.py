"""Reads over everyone, on a connection of their own (a part of `Store`).

The store's connection runs its statements one after another on one thread, so a read of a
whole table there makes every reply's statement queued behind it wait: at a million people
the reminder clock's slots took 170-250 ms (at start and every five minutes), the outbox
figures for /metrics and /stats more, and the health check counted everyone at each look.
These reads go to a second connection to the same file, which only reads (WAL: it waits for
no writer and no writer waits for it), and sees what is committed. On PostgreSQL the pool
gives every read a connection of its own already; an in-memory database has only its one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiosqlite

from clicksbot.store.dialect import is_postgresql
from clicksbot.store.errors import StoreError


class ScanQueries:
    """Mixed into `Store`, which owns the connections."""

    _db: aiosqlite.Connection
    path: str
    _scan_line: aiosqlite.Connection | None = None
    _scan_opening: asyncio.Lock | None = None
    _scan_closed = False

    async def _scan(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read over everyone on the scan connection; return its rows.

        The statement is run and read to its end in one call on the connection's thread: run
        by one call and read by the next, another read's statement could run in between,
        and it then saw the database as it was when this one began (SQLite's read
        transaction is the connection's, open while any statement of it is), not what had
        been committed since: a reminder slot's job, created a moment before, not there."""
        if not is_postgresql(self._db) and self.path != ":memory:":
            line = await self._scan_connection()
            return [tuple(row) for row in await line.execute_fetchall(sql, params)]
        async with self._db.execute(sql, params) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def _scan_connection(self) -> aiosqlite.Connection:
        """The scan connection, opened at its first use (by one caller: two reads starting
        together must not open two, one of them never closed)."""
        async with self._scan_lock():
            if self._scan_closed:
                raise StoreError("the store is closed")
            if self._scan_line is None:
                line = await aiosqlite.connect(self.path)
                try:
                    await line.execute("PRAGMA busy_timeout=5000")
                    await line.execute("PRAGMA query_only=ON")
                except BaseException:
                    await line.close()
                    raise
                self._scan_line = line
            return self._scan_line

    def _scan_lock(self) -> asyncio.Lock:
        if self._scan_opening is None:
            self._scan_opening = asyncio.Lock()
        return self._scan_opening

    async def _close_scan_line(self) -> None:
        async with self._scan_lock():
            self._scan_closed = True
            line, self._scan_line = self._scan_line, None
        if line is not None:
            await line.close()

"""The reads every update makes, on the event loop's own thread (SQLite files only).

The store's connection runs each statement on aiosqlite's thread: a trip there and back costs
about 50 us of CPU (a queue, a thread woken, a future resolved through the event loop's wake-up
pipe), ten times the point lookup itself, and waits behind whatever that thread is running (a
transaction that queues a message for everyone, a retention batch). The reads an update makes
(the person, the question pressed, its summary, their record, their round) are lookups by
index of a few rows, answered in microseconds from the page cache. On a file database they go
on a second connection, read-only, in the loop's thread; it is in autocommit mode, so each
statement sees what was committed when it began, as a read on the store's connection outside
a transaction does, and holds no snapshot between statements (a checkpoint that empties the
log never waits for it). In WAL mode a reader is not blocked by writers; a read that finds
the database busy all the same (the log being reset, a recovery after a crash) is not waited
for on the loop's thread: it goes through the store's connection, which waits as usual.

PostgreSQL and in-memory databases have no second connection: every read goes through the
store's connection. A write method (`@writes`) reads through the store's connection too,
inside its transaction, so it sees its own writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite


class Reads:
    """Mixed into `Store` and its query classes: `_rows` runs one read-only statement."""

    _db: aiosqlite.Connection
    _loop_reader: sqlite3.Connection | None = None

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Return every row of a read-only statement (one lookup by index: see above)."""
        reader = self._loop_reader
        if reader is not None:
            try:
                return reader.execute(sql, params).fetchall()
            except sqlite3.Error:
                pass  # busy (or another thread's call): the store's connection waits, or says why
        return list(await self._db.execute_fetchall(sql, params))


def open_reader(path: str) -> sqlite3.Connection:
    """Open the read-only connection of a file database, on the calling (the loop's) thread."""
    reader = sqlite3.connect(path, isolation_level=None)  # autocommit: no snapshot kept
    try:
        reader.execute("PRAGMA busy_timeout=0")  # never wait on the loop's thread
        reader.execute("PRAGMA query_only=ON")
    except BaseException:
        reader.close()
        raise
    return reader

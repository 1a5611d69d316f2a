"""The reads and writes every update makes, on the event loop's own thread (SQLite files only).

The store's connection runs each statement on aiosqlite's thread: a trip there and back costs
about 50 us of CPU (a queue, a thread woken, a future resolved through the event loop's wake-up
pipe), ten times a lookup by index, and waits behind whatever that thread is running (a
transaction that queues a message for everyone, a retention batch). Under load these trips were
a third of the bot's CPU per update. An update's reads (the person, the question pressed, its
summary, their record, their round) are lookups by index of a few rows, and its writes a few
statements (`locking.writes_at_once`), answered in microseconds from the page cache. On a file
database they go on a second connection, in the loop's own thread, the same for both: SQLite
keeps a connection's page cache across its own writes, and drops it when another connection
wrote (a reader apart from the writer re-read its pages after every answer).

The connection is in autocommit mode between those writes: each read sees what was committed
when it began, as a read on the store's connection outside a transaction does, and holds no
snapshot (a checkpoint that empties the log never waits for it). In WAL mode readers are not
blocked by writers; a read that finds the database busy all the same (the log being reset, a
recovery after a crash) is not waited for on the loop's thread: it goes through the store's
connection, which waits as usual. PostgreSQL and in-memory databases have no such connection:
everything goes through the store's. A `@writes` method reads through the store's connection,
inside its own transaction, so it sees its own writes.
"""

from __future__ import annotations

import os
import re
import sqlite3
import struct
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from typing import Any

import aiosqlite

from clicksbot.store.dialect import Pending, RowsCursor


class Reads:
    """Mixed into `Store` and its query classes: `_rows` runs one read-only statement."""

    _db: aiosqlite.Connection
    _on_loop: LoopConnection | None = None  # see above, and locking.writes_at_once

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Return every row of a read-only statement (one lookup by index: see above)."""
        loop = self._on_loop
        if loop is not None:
            try:
                return loop.connection.execute(sql, params).fetchall()
            except sqlite3.Error:
                pass  # busy (or another thread's call): the store's connection waits, or says why
        return list(await self._db.execute_fetchall(sql, params))


class LoopCursor:
    """What a statement on the loop's connection gives back, as aiosqlite's cursor does."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _Done:
    """A statement already run: awaited, or used as `async with`, as aiosqlite's are."""

    def __init__(self, cursor: LoopCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Generator[Any, None, LoopCursor]:
        return self._cursor
        yield  # a generator that never suspends

    async def __aenter__(self) -> LoopCursor:
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        await self._cursor.close()


class LoopConnection:
    """The loop's connection (see above). For the short per-person transactions
    (`locking.writes_at_once`) it speaks the part of aiosqlite's surface those methods use.
    Every call completes at once: a method run on it never suspends, so no other coroutine
    runs in the middle of its transaction."""

    def __init__(self, connection: sqlite3.Connection, index: int | None = None) -> None:
        self.connection = connection
        # SQLite's own descriptor of the log's index (the `-shm` file), read by `log_copied`:
        # never closed here (see `_find_index`), and not read once this connection is closed.
        self._index = index

    def close(self) -> None:
        """Close the connection (and stop reading the log's index through SQLite's descriptor,
        which SQLite closes once no connection of this process uses it)."""
        self._index = None
        self.connection.close()

    def log_copied(self) -> bool | None:
        """Whether every frame of the write-ahead log is copied into the database file, as
        the log's index says (None where it cannot be read). Asked holding SQLite's write lock
        (after `begin`): a write starts the log over, and syncs its new header to disk, only
        when the log was all copied as its read snapshot began; and an empty log (none of it
        written yet, or cut to nothing) gets a new header, synced too. While frames are left
        (False), none of that happens in this write: a checkpoint that copies them meanwhile
        does not make it start the log over, and no other write comes in between. True may be
        a copy ended since the snapshot began: the caller then takes the safe way."""
        if self._index is None:
            return None
        try:
            header = os.pread(self._index, _INDEX_BYTES, 0)
        except OSError:
            return None
        if len(header) < _INDEX_BYTES:
            return None
        version, _, _, ready = _INDEX_HEADER.unpack_from(header)
        if version != _INDEX_VERSION or not ready:
            return None
        (frames,) = _FRAMES.unpack_from(header, 16)
        (copied,) = _FRAMES.unpack_from(header, 96)
        return bool(copied >= frames)

    def begin(self) -> bool:
        """Take SQLite's write lock now, or return False at once (another process, or a
        checkpoint emptying the log, holds it: the store's connection then waits for it)."""
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        return True

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Done:
        return _Done(LoopCursor(self.connection.execute(sql, params)))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.connection.execute(sql, params).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> LoopCursor:
        return LoopCursor(self.connection.executemany(sql, rows))

    async def commit(self) -> None:
        self.connection.execute("COMMIT")

    async def rollback(self) -> None:
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")


# The log's index (SQLite's wal.c, "the wal-index header"), in the machine's byte order: its
# version, a word unused, a change counter, whether it is set; the last frame in the log
# (`mxFrame`) at byte 16; the last frame copied into the database file (`nBackfill`) at 96.
_INDEX_HEADER = struct.Struct("=IIIB")
_FRAMES = struct.Struct("=I")
_INDEX_VERSION = 3007000
_INDEX_BYTES = 100


def _find_index(path: str) -> int | None:
    """SQLite's own descriptor of the log's index of the database at `path` (its `-shm`
    file, named after the database's full path with its links resolved), or None (the
    database keeps no such file, or the system lists no descriptors: Linux's /proc does).

    Not a descriptor of our own: SQLite locks the index with POSIX locks, and closing any
    descriptor of a file drops every lock the process holds on it. Closing one of ours as
    the loop's connection closed let another process take the write lock while the store's
    connection held it, and reset the index under it. SQLite's stays open while any of this
    process's connections to the file is, this one included."""
    target = os.path.realpath(path) + "-shm"
    try:
        descriptors = os.listdir("/proc/self/fd")
        wanted = os.stat(target)
    except OSError:
        return None
    found = []
    for name in descriptors:
        try:
            if os.readlink(f"/proc/self/fd/{name}") == target:
                held = os.fstat(int(name))
                if (held.st_dev, held.st_ino) == (wanted.st_dev, wanted.st_ino):
                    found.append(int(name))
        except (OSError, ValueError):
            continue
    # One descriptor per file and process is SQLite's way; more (one of someone else's, or a
    # second SQLite in the process) and which is SQLite's is not known: none is read.
    return found[0] if len(found) == 1 else None


def open_on_loop(path: str, pragmas: Sequence[str]) -> LoopConnection:
    """Open the loop's connection to a file database, on the calling (the loop's) thread, set
    as the store's own is, but that its commits never copy the log into the file: the safety
    checkpoint (store.checkpoints.SAFETY_PAGES) is the store's connection's, off this thread."""
    connection = sqlite3.connect(path, isolation_level=None)  # autocommit; BEGIN said here
    try:
        connection.execute("PRAGMA busy_timeout=0")  # never wait on the loop's thread
        for pragma in pragmas:
            connection.execute(pragma)
        connection.execute("PRAGMA wal_autocheckpoint=0")
        connection.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the index
        index = _find_index(path)
    except BaseException:
        connection.close()
        raise
    return LoopConnection(connection, index)


# A statement that only reads: a SELECT, or a WITH whose statement is no INSERT, UPDATE or
# DELETE (SQLite's CTEs may head those).
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)
_WITH = re.compile(r"\s*WITH\b", re.IGNORECASE)
_CHANGES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


def only_reads(sql: str) -> bool:
    """Whether a statement only reads (and returns rows to be read)."""
    return bool(_SELECT.match(sql) or (_WITH.match(sql) and not _CHANGES.search(sql)))


class WholeReads:
    """The store's aiosqlite connection, each read run and read to its end in one call on its
    thread (everything else is aiosqlite's own).

    aiosqlite runs a statement by one call on the connection's thread and reads its rows by
    the next. Between the two another coroutine's statement can run there, and it runs
    inside the first one's read transaction (SQLite's is the connection's, open while any of
    its statements is): a read then saw the database as it was when the other began (a
    reminder slot's job, created a moment before, was not there), and a write there failed
    at once with "database is locked" whenever another connection (the loop's, see above)
    had committed since: a reply's write was lost. Read whole, a read's transaction ends
    within its one call. A long read that must not be held in memory is `stream`ed."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self.connection, name)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if not only_reads(sql):
            return self.connection.execute(sql, params)

        async def run() -> RowsCursor:
            rows = await self.connection.execute_fetchall(sql, params)
            return RowsCursor([tuple(row) for row in rows], -1, None, None)

        return Pending(run)

    async def stream(
        self, sql: str, params: Sequence[Any], size: int
    ) -> AsyncIterator[list[tuple[Any, ...]]]:
        """A long read's rows, `size` at a time (an export's: never all in memory). Its read
        transaction lasts until it is read to its end: for a process that only reads (the
        command line's exports), not for the bot, which writes on this connection."""
        async with self.connection.execute(sql, params) as cur:
            while rows := await cur.fetchmany(size):
                yield [tuple(row) for row in rows]

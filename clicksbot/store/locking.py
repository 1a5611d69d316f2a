"""One writer at a time on the store's single connection, one transaction per method.

aiosqlite runs every statement of one connection on one thread, but coroutines interleave
between statements: without a lock, one coroutine's `commit()` could commit another's half-done
transaction, or its `rollback()` undo another's writes. A method marked `@writes` holds the
write lock from its first statement to the end of its transaction, which the decorator ends:
committed when the method returns, rolled back when it raises. Reads need no lock. On
PostgreSQL the method also holds one pooled connection throughout (`dialect.write_session`).

PostgreSQL keeps the lock too, though each write has a connection of its own: the triggers
that keep `audience_counts` update the same few rows ('all', a language, 'pledged') from
every change to a person or a pledge, in no fixed order, so concurrent transactions
deadlock. Without the lock, 1,000 people's bursts of joins, language, place and tip choices,
pledges and withdrawals (200 at once) met 270 deadlock errors in 284 s; with it, none, in
12.5 s (one writer at a time also waits on no row locks).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, cast

import aiosqlite

from clicksbot.store.dialect import write_session
from clicksbot.store.reading import LoopConnection

P = ParamSpec("P")
R = TypeVar("R")


class Locked(Protocol):
    _write_lock: asyncio.Lock
    _db: aiosqlite.Connection


S = TypeVar("S", bound=Locked)


class LoopLocked(Locked, Protocol):
    _on_loop: LoopConnection | None


L = TypeVar("L", bound=LoopLocked)


def writes(
    method: Callable[Concatenate[S, P], Awaitable[R]],
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """Run a store method that writes as one transaction, holding the store's write lock."""

    async def locked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._write_lock, write_session(self._db):
            try:
                result = await method(self, *args, **kwargs)
            except BaseException:
                await self._db.rollback()
                raise
            await self._db.commit()
            checkpointer = getattr(self, "checkpointer", None)
            if checkpointer is not None:
                checkpointer.wrote()
            return result

    functools.update_wrapper(locked, method)
    return locked


def writes_at_once(
    method: Callable[Concatenate[L, P], Awaitable[R]],
) -> Callable[Concatenate[L, P], Awaitable[R]]:
    """`writes`, for a short transaction of a few statements that awaits nothing else (the
    writes of one update: a question asked, an answer, a rating, a visit).

    On a SQLite file it runs on the loop's own connection (store.reading.LoopConnection),
    holding the store's write lock like any other write, from BEGIN IMMEDIATE to COMMIT
    without a trip to aiosqlite's thread per statement (three to five such trips were half
    of what an answer cost the database). Every statement completes at once, so the method
    never suspends and no other coroutine runs in the middle of its transaction. When SQLite's
    write lock is not free at once (another process writes, or a checkpoint empties the log),
    or this write would start the log over, nothing waits on the loop's thread: the method
    runs as `writes` does, on the store's connection, which waits. Elsewhere (PostgreSQL,
    :memory:) it is `writes`.
    """
    slow = writes(method)
    name = method.__qualname__

    async def locked(self: L, /, *args: P.args, **kwargs: P.kwargs) -> R:
        loop = self._on_loop
        checkpointer = getattr(self, "checkpointer", None)
        if loop is None or checkpointer is None:
            return await slow(self, *args, **kwargs)
        async with self._write_lock:
            work = method(self, *args, **kwargs)  # a wrong call raises here, before BEGIN
            handed = False
            try:
                if loop.begin():
                    # Asked holding SQLite's write lock: the first write after the log was
                    # copied back in full starts it over, and SQLite then syncs its header
                    # to disk (and trims it to its kept size), not on the loop's thread,
                    # where it held every update for as long as the disk took. The log's
                    # index says whether this is that write; where it cannot be read, the
                    # checkpointer does (a checkpoint under way, or one not followed by a
                    # write yet, may have copied it all).
                    copied = loop.log_copied()
                    if copied is False or (copied is None and not checkpointer.log_may_restart):
                        handed = True
                        return _at_once(self, loop, work, name)
            finally:
                if not handed:
                    cast("Coroutine[Any, Any, R]", work).close()
                    if loop.connection.in_transaction:  # begun, and left to the slow way
                        loop.connection.execute("ROLLBACK")
        return await slow(self, *args, **kwargs)

    functools.update_wrapper(locked, method)
    return locked


def _at_once(store: LoopLocked, loop: LoopConnection, work: Awaitable[R], name: str) -> R:
    """Run a write method's coroutine to its end on the loop's connection, in one go; commit
    it, or roll it back if it raises or would suspend (a method that awaits anything else
    must be `writes`)."""
    shared = store._db
    store._db = cast("aiosqlite.Connection", loop)  # for this synchronous run only
    coroutine = cast("Coroutine[Any, Any, R]", work)
    committed = False
    try:
        try:
            coroutine.send(None)
        except StopIteration as done:
            result: R = done.value
        else:
            coroutine.close()
            raise RuntimeError(f"{name} suspended inside writes_at_once")
        finally:
            store._db = shared
        loop.connection.execute("COMMIT")
        committed = True
        return result
    finally:
        if not committed and loop.connection.in_transaction:
            # Whatever went wrong (SQLite may have rolled back already): never leave the
            # loop's connection holding the write lock, which every later write would wait on.
            loop.connection.execute("ROLLBACK")

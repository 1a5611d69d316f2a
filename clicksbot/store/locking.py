"""One writer at a time on the store's single connection.

aiosqlite runs every statement of one connection on one thread, but coroutines interleave
between statements: without this, one coroutine's `commit()` could commit another's half-done
transaction, or its `rollback()` undo another's writes. Every method that writes holds the
write lock from its first statement to its commit or rollback; reads need no lock.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Locked(Protocol):
    _write_lock: asyncio.Lock


S = TypeVar("S", bound=Locked)


def writes(
    method: Callable[Concatenate[S, P], Awaitable[R]],
) -> Callable[Concatenate[S, P], Awaitable[R]]:
    """Run a store method that writes while holding the store's write lock."""

    async def locked(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with self._write_lock:
            return await method(self, *args, **kwargs)

    functools.update_wrapper(locked, method)
    return locked

"""Where a blocked event loop is: a thread that notices when the loop has not turned for a while
and prints the loop thread's stack (to stderr), for the benchmarks' `--stalls` option.

    watch = StallWatch(asyncio.get_running_loop(), threshold=0.1)
    watch.start()

A loop that waits on a database thread or the network is not blocked: only Python code (or a
C call) holding the loop's thread is shown, once per stall, with how long it lasted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any


def stamp() -> str:
    """The wall clock, to the millisecond: the harness prints its slow replies with it too."""
    now = time.time()
    return time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"


class StallWatch:
    def __init__(self, loop: asyncio.AbstractEventLoop, threshold: float = 0.1) -> None:
        self.loop = loop
        self.threshold = threshold
        self._beat = time.monotonic()
        self._thread_id = threading.get_ident()
        self.stalls: list[float] = []
        # The loop notes it turned this often: a fraction of the threshold, so that a short
        # threshold is not crossed by the beat's own interval.
        self._every = min(0.01, threshold / 4)

    def start(self) -> None:
        self.loop.call_soon(self._tick)
        threading.Thread(target=self._watch, name="stallwatch", daemon=True).start()

    def _tick(self) -> None:
        self._beat = time.monotonic()
        self.loop.call_later(self._every, self._tick)

    def _watch(self) -> None:
        shown = 0.0
        while True:
            time.sleep(self.threshold / 4)
            late = time.monotonic() - self._beat - self._every
            if late < self.threshold:
                if shown:
                    self.stalls.append(shown)
                    print(f"[stall] {stamp()} ended after >= {shown * 1000:.0f} ms",
                          file=sys.stderr)  # fmt: skip
                shown = 0.0
                continue
            if shown == 0.0:
                frame = sys._current_frames().get(self._thread_id)
                stack = "".join(traceback.format_stack(frame)[-14:]) if frame else "?"
                print(f"[stall] {stamp()} loop blocked {late * 1000:.0f} ms at:\n{stack}",
                      file=sys.stderr)  # fmt: skip
            shown = late


def log_of(connection: Any) -> str | None:
    """The write-ahead log file of an aiosqlite connection's main database (on its thread)."""
    try:
        row = connection._connection.execute("PRAGMA database_list").fetchone()
    except Exception:
        return None
    return f"{row[2]}-wal" if row and row[2] else None


def log_size(log: str | None) -> int | None:
    try:
        return os.stat(log).st_size if log else None
    except OSError:
        return None


def watch_sqlite(threshold: float = 0.1) -> None:
    """Print (to stderr) every aiosqlite call that ran for `threshold` seconds or more on its
    connection's thread, with its statement, and every call that waited that long in the
    connection's queue behind others."""
    import aiosqlite.core as core

    original = core.Connection._execute
    statements: dict[int, str] = {}
    sizes: dict[int, str] = {}  # a commit's log sizes, until its line is printed
    started = time.monotonic()

    async def timed(self: core.Connection, fn: object, *args: object, **kwargs: object) -> object:
        queued = time.perf_counter()
        ran: dict[str, float] = {}
        sql = next((a for a in args if isinstance(a, str)), "")
        owner = getattr(fn, "__self__", None)
        if not sql and owner is not None:
            sql = statements.get(id(owner), "")

        def run() -> object:
            # A commit's log file, before and after: one that starts the log over shows it
            # cut down to its kept size (journal_size_limit), with the write lock held.
            log = log_of(self) if getattr(fn, "__name__", "") == "commit" else None
            size = log_size(log)
            ran["start"] = time.perf_counter()
            try:
                result = fn(*args, **kwargs)  # type: ignore[operator]
            finally:
                ran["end"] = time.perf_counter()
                if log is not None:
                    sizes[id(ran)] = f" (log {size} -> {log_size(log)} bytes)"
            if sql and result is not None and hasattr(result, "fetchone"):
                statements[id(result)] = sql
                if len(statements) > 10_000:
                    statements.clear()
            return result

        try:
            return await original(self, run)
        finally:
            at = time.monotonic() - started
            took = ran.get("end", 0.0) - ran.get("start", 0.0)
            wait = ran.get("start", queued) - queued
            name = getattr(fn, "__name__", "?")
            if took >= threshold:
                print(f"[slow sql] {stamp()} t={at:.1f}s ran {took * 1000:.0f} ms ({name}): "
                      f"{' '.join(sql.split())[:300]}{sizes.pop(id(ran), '')}",
                      file=sys.stderr)  # fmt: skip
            sizes.pop(id(ran), None)
            if wait >= threshold:
                print(f"[slow sql] {stamp()} t={at:.1f}s waited {wait * 1000:.0f} ms in the queue "
                      f"({name}): {' '.join(sql.split())[:120]}", file=sys.stderr)  # fmt: skip

    core.Connection._execute = timed  # type: ignore[method-assign]


def _holder(frame: Any) -> str:
    """The store method a write lock is taken for: the decorator's `method` or `name`, else the
    bot's function that took it."""
    import clicksbot

    package = os.path.dirname(clicksbot.__file__) + os.sep
    while frame is not None:
        local = frame.f_locals
        method = local.get("method")
        if callable(method):
            return str(getattr(method, "__qualname__", "?"))
        if isinstance(local.get("name"), str) and frame.f_code.co_name == "locked":
            return str(local["name"])
        if frame.f_code.co_filename.startswith(package):
            return frame.f_code.co_qualname
        frame = frame.f_back
    return "?"


class _Printed(logging.Handler):
    """Prints a debug record whose message starts with `prefix` to stderr, stamped as the
    other lines are (the rest goes where the bot's logging says)."""

    def __init__(self, tag: str, prefix: str) -> None:
        super().__init__(logging.DEBUG)
        self.tag, self.prefix = tag, prefix

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.DEBUG and record.getMessage().startswith(self.prefix):
            print(f"{self.tag} {stamp()} {record.getMessage()}", file=sys.stderr)
        elif record.levelno >= logging.WARNING and not logging.getLogger().handlers:
            last = logging.lastResort  # as it would print it, had this handler not been found
            if last is not None:
                last.handle(record)


class TimedLock:
    """The store's write lock, printing (to stderr) each wait for it and each hold of it that
    lasted `threshold` seconds or more, with the holder's name (looked up only then): what a
    reply's write waited for."""

    def __init__(self, lock: asyncio.Lock, threshold: float) -> None:
        self._lock = lock
        self._threshold = threshold
        self._got = 0.0

    def locked(self) -> bool:
        return self._lock.locked()

    async def __aenter__(self) -> None:
        asked = time.perf_counter()
        await self._lock.acquire()
        self._got = got = time.perf_counter()
        if got - asked >= self._threshold:
            print(f"[write lock] {stamp()} {_holder(sys._getframe(1))} waited "
                  f"{(got - asked) * 1000:.0f} ms", file=sys.stderr)  # fmt: skip

    async def __aexit__(self, *exc: object) -> None:
        held = time.perf_counter() - self._got
        self._lock.release()
        if held >= self._threshold:
            print(f"[write lock] {stamp()} {_holder(sys._getframe(1))} held it "
                  f"{held * 1000:.0f} ms", file=sys.stderr)  # fmt: skip


def watch_store(store: Any, threshold: float = 0.1) -> Callable[[], None]:
    """Print (to stderr) what runs on the event loop's own thread in the store, which
    `watch_sqlite` does not see, when it takes `threshold` seconds or more: each read on the
    loop's connection (store.reading), each write run there (`locking._at_once`), each wait for
    and hold of the write lock (`TimedLock`). A reply held up by none of these, nor by a stall
    or a slow statement, waited on something else. The reads are watched for every store in
    the process, the lock for this one. Returns what undoes it."""
    import clicksbot.store.locking as locking
    from clicksbot.store.reading import Reads

    rows, at_once = Reads._rows, locking._at_once

    async def timed_rows(self: Any, sql: str, params: Any = ()) -> list[Any]:
        loop = self._on_loop  # as Reads._rows, timing only the read on the loop's thread
        if loop is None:
            return await rows(self, sql, params)
        began = time.perf_counter()
        try:
            return list(loop.connection.execute(sql, params).fetchall())
        except sqlite3.Error:
            pass  # to the store's connection, whose waits are watch_sqlite's
        finally:
            took = time.perf_counter() - began
            if took >= threshold:
                print(f"[slow read] {stamp()} {took * 1000:.0f} ms: "
                      f"{' '.join(sql.split())[:200]}", file=sys.stderr)  # fmt: skip
        return list(await self._db.execute_fetchall(sql, params))

    def timed_at_once(store: Any, loop: Any, work: Any, name: str) -> Any:
        began = time.perf_counter()
        try:
            return at_once(store, loop, work, name)
        finally:
            took = time.perf_counter() - began
            if took >= threshold:
                print(f"[slow write] {stamp()} {name} on the loop's thread {took * 1000:.0f} ms",
                      file=sys.stderr)  # fmt: skip

    if isinstance(store._write_lock, TimedLock):
        raise RuntimeError("the store is watched already")
    Reads._rows = timed_rows  # type: ignore[method-assign]
    locking._at_once = timed_at_once
    plain = store._write_lock
    lock = TimedLock(plain, threshold)
    checkpointer = getattr(store, "checkpointer", None)
    holders = [store] if checkpointer is None else [store, checkpointer]
    for holder in holders:
        holder._write_lock = lock
    # And a fill's transaction that held the lock long, with its size (store.delivery logs
    # it at debug level, past SLOW_FILL).
    fills = logging.getLogger("clicksbot.store.delivery")
    handler = _Printed("[slow fill]", "A fill's transaction")
    level = fills.level
    fills.addHandler(handler)
    fills.setLevel(logging.DEBUG)

    def undo() -> None:
        Reads._rows = rows  # type: ignore[method-assign]
        locking._at_once = at_once
        for holder in holders:
            holder._write_lock = plain
        fills.removeHandler(handler)
        fills.setLevel(level)

    return undo

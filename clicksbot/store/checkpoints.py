"""Copying the write-ahead log into the database file, away from the connection that replies.

In WAL mode every commit appends pages to the log, and SQLite copies them into the database
file now and then (a checkpoint). Left to itself it does so inside a commit, once the log holds
`wal_autocheckpoint` pages, on the connection that made it: after a big write (a slot's people
queued, a retention batch) the next commit then also writes back a thousand scattered pages and
waits for the disk to sync them, and every reply's read queued on that connection waits too
(900 ms at a million people, on a shared machine). So the store keeps its own checkpointer: a
second connection, on its own thread, that copies the log every CHECKPOINT_EVERY seconds in
SQLite's PASSIVE mode, which takes no lock a writer or reader needs. The store's connection
checkpoints by itself only when the log has grown past SAFETY_PAGES (the checkpointer has
fallen far behind, or is not running).

The log is also where a deleted row's old page can linger: `scrub` (store.privacy) empties it
through this connection, after a passive copy has already written most of it back.

The first write after a full copy starts the log over, and SQLite syncs the log's new header
to disk in it, holding the write lock: 10-70 ms on a busy disk. Left to whoever wrote next, that
was a reply's write as often as not (a /tip waited 60-130 ms at the start's catch-up, its one
INSERT "running" 16-68 ms). So the checkpointer starts the log over itself, right after each
full copy (`restart`, with the smallest write there is), and a reply's write only waits if it
comes within those milliseconds. A pass copies only when another connection wrote since its
last look (SQLite's `data_version`), the last copy left pages or the log's file is still to
cut: its own restarting write would otherwise call for another copy and another restart, a
disk sync a second on an idle bot.

The log's file keeps its size when the log starts over, so after a big background write (the
start's catch-up queues a million people's tips) it stays at tens of MB, and the next emptying
(the first `/forget`, a retention pass) cut it in one go, holding the write lock while the file
system freed it: 50-160 ms at a million people. Once no long background write has run for
QUIET seconds, the checkpointer cuts the file in LOG_STEP steps instead (`trim`), one a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Callable

import aiosqlite

logger = logging.getLogger(__name__)

CHECKPOINT_EVERY = 1.0  # seconds between two passive checkpoints
CATCH_UP = 0.25  # seconds after which a long background write stops for one (see `catch_up`)
SAFETY_PAGES = 100_000  # log pages (about 400 MB) after which a commit checkpoints by itself
RESTART_PAGES = 8_000  # log pages (about 32 MB) from which `catch_up` tries again at once
RESTART_TRIES = 3
# Bytes of log file kept when it starts over (more is truncated). The first commit after a
# full copy starts the log over and, past this size, cuts the file down to it, holding the
# write lock meanwhile: at a million people the log reached 185 MB during the start's
# catch-up, and cutting it to 64 MB took 34-55 ms, a reply's write waiting. Above the size
# at which a commit checkpoints by itself (SAFETY_PAGES), a write cuts the file only after
# an unusual growth: the checkpointer cuts it in steps (`trim`), `scrub` empties it
# (store.privacy), and closing removes it.
LOG_KEPT = 512 * 2**20
LOG_STEP = 8 * 2**20  # bytes by which `trim` cuts the log's file at most, each pass
LOG_SMALL = 8 * 2**20  # bytes of log file from which `trim` cuts no more
CUT_TRIES = 5  # passive copies after which `cut` leaves the rest to the emptying
QUIET = 2.0  # seconds after a long background write's last `catch_up` before `trim` starts
BUSY_MS = 5000  # how long an emptying checkpoint waits for a writer or a reader to finish


def writer_settings() -> list[str]:
    """The settings of every connection that writes the bot's data (the store's, the loop's
    writer, the lease's; the checkpointer's one write, which changes nothing, has its own:
    see `Checkpointer._start_over`)."""
    return [
        "PRAGMA secure_delete=ON",  # see Store._configure
        "PRAGMA foreign_keys=ON",
        # A commit waits for no disk sync (WAL's NORMAL): in FULL, each lease renewal synced
        # the log while holding the write lock, 170-240 ms on a busy disk every 3 s.
        "PRAGMA synchronous=NORMAL",
        # A commit does not copy the log into the file itself (it would, on the connection
        # that replies, after a thousand pages): the checkpointer does, beside it.
        f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}",
        f"PRAGMA journal_size_limit={LOG_KEPT}",
    ]


class Checkpointer:
    """A connection of its own that copies the log into the database file in the background."""

    def __init__(
        self, path: str, write_lock: asyncio.Lock, every: float = CHECKPOINT_EVERY
    ) -> None:
        self.path = path
        self._write_lock = write_lock  # the store's (see `scrub` in store.privacy)
        self.every = every
        self._db: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = asyncio.Lock()  # one checkpoint at a time on this connection
        self._queued = 0  # checkpoints waiting for it (`locked()` is False as one is handed it)
        self.passes = 0  # checkpoints made (for tests and benchmarks)
        self._last = time.monotonic()  # when the last checkpoint ended
        # Whether the next write may start the log over (see `wrote`): true from the start
        # (the log may be empty) and from the moment a checkpoint begins.
        self.log_may_restart = True
        self._running = 0  # checkpoints under way
        self._background = float("-inf")  # when a long background write last called `catch_up`
        self.trims = 0  # cuts of the log's file (for tests and benchmarks)
        self.restarts = 0  # restarting writes `restart` made (for tests and benchmarks)
        self._version: int | None = None  # SQLite's data_version at the last look (`_due`)
        self._copied_all = False  # whether the last checkpoint copied every page of the log
        self._pages = 0  # pages the log held at the last checkpoint
        self._looked = float("-inf")  # when `_run` last looked, copying or not

    @property
    def running(self) -> bool:
        """Whether the connection is open (between `start` and `stop`)."""
        return self._db is not None

    async def start(self) -> None:
        """Open the connection and start checkpointing."""
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        # Its one write (`_start_over`) does not wait for the disk to sync the log's pages (a
        # new log's header is synced all the same); its checkpoints still sync the database
        # file, as they do in any mode but OFF.
        await self._db.execute("PRAGMA synchronous=NORMAL")
        # Nor does that write copy the log itself, should it not start the log over (it holds
        # the write lock): copying is this connection's checkpoints' work, outside it.
        await self._db.execute("PRAGMA wal_autocheckpoint=0")
        self._task = asyncio.create_task(self._run(), name="clicksbot-checkpoints")

    async def stop(self) -> None:
        """Stop checkpointing and close the connection (the store's own close, last, copies
        and removes what is left of the log)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        db, self._db = self._db, None
        if db is not None:
            async with self._busy:
                await db.close()

    async def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """Checkpoint now; return SQLite's (busy, log pages, pages copied)."""
        if self._db is None:
            raise RuntimeError("the checkpointer is not started")
        self._queued += 1
        try:
            await self._busy.acquire()
        finally:
            self._queued -= 1
        try:
            db = self._db
            if db is None:  # stopped while this waited (a scrub, as the bot stops)
                raise sqlite3.OperationalError("the checkpointer has stopped")
            self.log_may_restart = True
            self._copied_all = False  # until this one says (a failed one copied who knows)
            self._running += 1
            try:
                rows = await db.execute_fetchall(f"PRAGMA wal_checkpoint({mode})")
            finally:
                self._running -= 1
                self._last = time.monotonic()
                self.passes += 1
        finally:
            self._busy.release()
        row = next(iter(rows), (1, -1, -1))
        busy, log, copied = int(row[0]), int(row[1]), int(row[2])
        self._copied_all, self._pages = not busy and log == copied, log
        if log > copied:  # frames are left to copy: the next write appends, no restart
            self.log_may_restart = False
        return busy, log, copied

    def wrote(self) -> None:
        """A write committed on the store's connection (off the loop's thread): if the log
        was to start over, it has. Until then, where the log's index cannot be read,
        `writes_at_once` keeps off the loop's thread, where the first commit after a full copy
        (or an emptying) of the log would sync the log's new header to disk and trim the file:
        170-700 ms on a busy disk, with every update waiting."""
        if not self._running:
            self.log_may_restart = False

    async def catch_up(self) -> None:
        """Checkpoint if the last one ended CATCH_UP seconds ago or more; called by a long
        background write (a slot's fill, retention, compaction) between two transactions.

        The log starts over from its beginning only when a write begins with every page of
        it already copied. A passive checkpoint takes no lock, so replies' writes can go on
        during it, and a background write that goes on for seconds, one transaction after
        another, would otherwise hardly ever leave it such a moment: waiting here gives it
        one, save for a reply's write, and the log mostly starts over instead of growing:
        here (`restart`), right after the copy.
        (It is never made to by holding the write lock: the copy ends with the disk's sync,
        which on a busy machine took 0.7 s even for a few pages.)"""
        self._background = time.monotonic()
        if self._db is None or time.monotonic() - self._last < CATCH_UP:
            return
        for _ in range(RESTART_TRIES):
            _, log, _ = await self.checkpoint()
            if log < RESTART_PAGES:
                break
        try:  # here, not in the reply's write that may come before the next transaction
            await self.restart()
        except sqlite3.Error as error:  # (another process holding SQLite's write lock): a
            # restart is only sooner, and the background write's next stop tries again
            logger.warning("Could not start the write-ahead log over: %s", error)

    def log_size(self) -> int:
        """The size of the log's file in bytes (0 when there is none)."""
        try:
            return os.path.getsize(f"{self.path}-wal")
        except OSError:
            return 0

    async def trim(self) -> bool:
        """Cut the log's file by LOG_STEP bytes at most, if it is over LOG_SMALL and every page
        of it is copied into the database file; return whether it is smaller.

        SQLite cuts the file only when a write starts the log over, down to that connection's
        `journal_size_limit`. So this makes the smallest write there is (the database's
        `user_version`, set to its own value) on this connection, with the limit LOG_STEP below
        the file's size, holding the store's write lock: cutting 8 MB took 12-17 ms of it on a
        busy disk, where cutting 56 MB at once took 68 ms. If a write came after the last full
        copy, or a reader still holds the log, the log cannot start over: this write then only
        adds a page to it, and the next pass tries again. Nor is it made while a checkpoint
        runs (it would wait for its disk sync, holding the write lock)."""
        if self._db is None or self.log_size() <= LOG_SMALL:
            return False
        size = await self._start_over(lambda size: max(size - LOG_STEP, 0) if size > LOG_SMALL
                                      else None)  # fmt: skip
        cut = size is not None and self.log_size() < size
        self.trims += cut
        return cut

    async def restart(self) -> bool:
        """Start the log over now, on this connection, if every page of it is copied and no
        write came since: `trim`'s smallest write, keeping the file's size up to LOG_KEPT as
        the store's writes do. Return whether it was made.

        Whichever write comes first after a full copy starts the log over and syncs its new
        header to disk, holding the write lock. Made here, right after the copy, it is not a
        reply's write that does, off the loop's thread behind whatever else that connection
        had queued (see `wrote`): a reply waits only if it comes meanwhile."""
        if self._db is None or not self.log_may_restart:
            return False

        def kept(size: int) -> int | None:
            # Asked holding the lock (a scrub may have emptied the log meanwhile). Nothing to
            # start over after a copy that was busy, or of an empty log (emptied by `scrub`:
            # it stays so until somebody writes, who then pays for the new header as before).
            return LOG_KEPT if self._restart_due() else None

        made = await self._start_over(kept) is not None
        self.restarts += made
        return made

    def _restart_due(self) -> bool:
        """Whether the last copy left a log to start over: all of it copied, and not empty."""
        return self.log_may_restart and self._copied_all and self._pages > 0

    async def _start_over(self, limit: Callable[[int], int | None]) -> int | None:
        """The smallest write there is (the database's `user_version`, set to its own value)
        on this connection, holding the store's write lock, with its `journal_size_limit` at
        `limit(the log file's size)` bytes (None: no write), if the log is all copied (the
        write then starts it over, and cuts its file down to the limit; if a reader still
        holds an older snapshot, it only adds a page, and the next write cannot restart the
        log either) and no copy is under way or waiting (the write would wait for its disk
        sync, holding the lock). Return the log file's size before the write, or None if
        none was made."""
        async with self._write_lock:
            if not self.log_may_restart or self._busy.locked() or self._queued:
                return None  # a write since the last full copy, or a copy under way or due
            async with self._busy:
                db, size = self._db, self.log_size()
                kept = limit(size)
                if db is None or kept is None:  # stopped meanwhile, or nothing to do
                    return None
                # Two trips to the connection's thread, not five: under load each waits for
                # the loop's turn, holding the write lock. The version is read before the
                # write's BEGIN: nothing but this sets it (the migrations keep their own table).
                rows = await db.execute_fetchall("PRAGMA user_version")
                version = int(next(iter(rows))[0])
                try:
                    # Not waiting for another process that holds SQLite's write lock (5 s,
                    # holding the store's): it is writing, so the log would not start over.
                    await db.executescript(
                        f"PRAGMA busy_timeout=0; PRAGMA journal_size_limit={kept};"
                        f"BEGIN IMMEDIATE; PRAGMA user_version={version}; COMMIT;"
                    )
                except sqlite3.OperationalError as error:
                    await db.rollback()  # (after the script: it closes what a failure left)
                    if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                        raise
                    return None  # the next pass tries again
                except BaseException:
                    # Runs after the script (one call at a time on the connection's thread):
                    # it closes a transaction only a failed script left open.
                    await db.rollback()
                    raise
                finally:
                    await db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
                self.log_may_restart = False  # it has started over, or will not until a copy
        return size

    async def cut(self) -> None:
        """Copy the log into the database file (passively, no lock held), and cut a big log's
        file down to LOG_SMALL bytes a step at a time (`trim`), copying again after each step
        for the next; give up after CUT_TRIES steps that could not be made (the writes or the
        readers went on), leaving the rest to the caller. Before an emptying: `scrub`."""
        await self.checkpoint()
        misses = 0
        while self._db is not None and self.log_size() > LOG_SMALL and misses < CUT_TRIES:
            if not await self.trim():
                misses += 1
            await self.checkpoint()

    async def _due(self) -> bool:
        """Whether a pass has anything to do: another connection wrote since the last look
        (its `data_version` changed), the last copy left pages or failed, the log is still to
        start over, or its file to cut. Not for this connection's own restarting write alone
        (see above)."""
        assert self._db is not None
        rows = await self._db.execute_fetchall("PRAGMA data_version")
        version = int(next(iter(rows))[0])
        written, self._version = version != self._version, version
        return (
            written
            or not self._copied_all
            or self._restart_due()  # (a restart that failed: tried again)
            or self.log_size() > LOG_SMALL
        )

    async def _run(self) -> None:
        while True:
            since = max(self._last, self._looked)
            await asyncio.sleep(max(0.0, since + self.every - time.monotonic()))
            if time.monotonic() - self._last < self.every:
                continue  # a `catch_up` or a scrub checkpointed meanwhile
            self._looked = time.monotonic()
            try:
                if not await self._due():
                    continue
                await self.checkpoint()
            except sqlite3.Error as error:  # the next pass tries again
                logger.warning("Could not copy the write-ahead log into the database: %s", error)
                continue
            try:
                # During a long background write the file is not cut (pages left to copy:
                # see `trim`), but the log is started over all the same.
                if time.monotonic() - self._background < QUIET or not await self.trim():
                    await self.restart()
            except sqlite3.Error as error:  # the next pass tries again
                logger.warning("Could not start the write-ahead log over: %s", error)


async def between_writes(store: object) -> None:
    """Between two transactions of a long background write: let the replies queued meanwhile
    go first, and the checkpointer catch up when it is due (see `Checkpointer.catch_up`)."""
    await asyncio.sleep(0)
    checkpointer: Checkpointer | None = getattr(store, "checkpointer", None)
    if checkpointer is not None:
        await checkpointer.catch_up()

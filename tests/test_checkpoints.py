"""The write-ahead log is copied into the database file by a connection of its own, beside the
one that replies, and long background writes stop for it between their transactions; the
retention pass empties the log once, at its end, not after every batch (issue 18: a reply
waited 0.8-0.9 s for a checkpoint run inside a fill's commit, or for a retention batch's)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Clock, Running, running, started

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.sandbox import EmulatorServer
from clicksbot.services import retention
from clicksbot.store import Store
from clicksbot.store import checkpoints as checkpoints_module
from clicksbot.store.checkpoints import (
    CHECKPOINT_EVERY,
    LOG_SMALL,
    LOG_STEP,
    QUIET,
    SAFETY_PAGES,
    between_writes,
)
from clicksbot.store.delivery import FILL_WINDOW

# Also on the loop `clicksbot run` takes (uvloop's): tests/conftest.py, both_loops.
pytestmark = pytest.mark.both_loops

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def log_sequence(log: Path) -> int:
    """The write-ahead log header's checkpoint sequence number: one more each time the log
    starts over (SQLite's file format, "WAL file format")."""
    with log.open("rb") as file:
        return int.from_bytes(file.read(16)[12:16], "big")


def in_file(path: Path, sql: str) -> int:
    """Read the database file alone, as if its log did not exist (what was copied into it)."""
    db = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(db.execute(sql).fetchone()[0])
    finally:
        db.close()


async def until(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        await asyncio.sleep(0.05)


@pytest.mark.sqlite_only("SQLite's write-ahead log and its checkpoints")
async def test_the_log_is_copied_into_the_file_by_a_connection_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None and checkpointer.running
        assert checkpointer._db is not None and checkpointer._db is not store._db
        # The store's own connection would copy the log only past SAFETY_PAGES.
        rows = await store._db.execute_fetchall("PRAGMA wal_autocheckpoint")
        assert next(iter(rows))[0] == SAFETY_PAGES
        await checkpointer.checkpoint()  # the schema, into the file
        for person in range(1, 31):
            await store.touch_user(person, "en", NOW)
        assert in_file(path, "SELECT COUNT(*) FROM users") < 30  # still in the log only
        await until(
            lambda: in_file(path, "SELECT COUNT(*) FROM users") == 30,
            CHECKPOINT_EVERY * 5,
            "the background checkpoint",
        )
    finally:
        await store.close()
    assert not checkpointer.running
    assert checkpointer._task is None
    assert not Path(f"{path}-wal").exists()  # the store's own connection closed last


@pytest.mark.sqlite_only("SQLite's write-ahead log and its checkpoints")
async def test_the_checkpointer_starts_the_log_over_itself_not_a_replys_write(
    tmp_path: Path,
) -> None:
    """The first write after a full copy starts the log over and syncs its new header to
    disk, holding the write lock (at the start's catch-up a /tip's one INSERT "ran" 16-68 ms
    for it, off the loop's thread): the checkpointer makes that write itself, right after
    its copy, so every reply's write after it stays on the loop's connection."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None and store._on_loop is not None
        await store.touch_user(42, "en", NOW)
        on_thread: list[str] = []
        await store._db.set_trace_callback(on_thread.append)
        log = Path(f"{tmp_path / 'bot.sqlite3'}-wal")
        starts: list[int] = []  # the log header's checkpoint sequence: +1 at each start over
        for n in range(3):
            made = checkpointer.restarts
            await until(lambda made=made: checkpointer.restarts > made, CHECKPOINT_EVERY * 5,
                        "the checkpointer's restart")  # fmt: skip
            assert not checkpointer.log_may_restart
            starts.append(log_sequence(log))
            await store.mark_tip_seen(42, f"t-{n}", NOW)  # a reply's write, after a full copy
            assert log_sequence(log) == starts[-1]  # it added to the log, did not restart it
        assert starts == sorted(set(starts)), starts  # the checkpointer's writes did, each time
        assert not [s for s in on_thread if "seen_tips" in s], "a reply's write left the loop"
        assert len(await store.tip_history(42)) == 3
        # A long background write's stop for the checkpointer starts it over there too (its
        # passes stopped: one under way would take the stop's turn).
        assert checkpointer._task is not None
        checkpointer._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checkpointer._task
        await a_big_write(store, 2)
        checkpointer._last = float("-inf")  # its catch-up is due
        restarts = checkpointer.restarts
        await between_writes(store)
        assert checkpointer.restarts == restarts + 1 and not checkpointer.log_may_restart
    finally:
        await store._db.set_trace_callback(None)
        await store.close()


@pytest.mark.sqlite_only("SQLite's write lock, taken by another process")
async def test_a_restart_does_not_wait_for_another_process_writing(tmp_path: Path) -> None:
    """While another process holds SQLite's write lock, the restarting write gives up at
    once (it holds the store's lock, and the log would not start over anyway), and the next
    pass makes it."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None and checkpointer._task is not None
        checkpointer._task.cancel()  # passes by hand only
        with contextlib.suppress(asyncio.CancelledError):
            await checkpointer._task
        await store.touch_user(1, "en", NOW)
        await checkpointer.checkpoint()
        other.execute("BEGIN IMMEDIATE")
        began = time.monotonic()
        assert not await checkpointer.restart()
        assert time.monotonic() - began < 1.0  # not the 5 s busy timeout
        assert checkpointer.log_may_restart and await checkpointer._due()  # to try again
        other.execute("ROLLBACK")
        assert await checkpointer.restart()
        await store.touch_user(2, "en", NOW)  # the store writes on, the timeout as it was
        rows = await checkpointer._db.execute_fetchall("PRAGMA busy_timeout")  # type: ignore[union-attr]
        assert next(iter(rows))[0] == checkpoints_module.BUSY_MS
    finally:
        other.close()
        await store.close()


@pytest.mark.sqlite_only("SQLite's write-ahead log and its checkpoints")
async def test_an_idle_bots_checkpointer_writes_nothing(tmp_path: Path) -> None:
    """Its own restarting write does not call for another copy and another restart (a disk
    sync a second, forever): with nobody writing, the checkpointer does nothing."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None
        await store.touch_user(42, "en", NOW)
        await until(lambda: checkpointer.restarts > 0, CHECKPOINT_EVERY * 5, "a restart")
        passes, restarts = checkpointer.passes, checkpointer.restarts
        log = Path(f"{path}-wal").stat()
        await asyncio.sleep(CHECKPOINT_EVERY * 3.5)
        assert (checkpointer.passes, checkpointer.restarts) == (passes, restarts)
        assert Path(f"{path}-wal").stat().st_mtime_ns == log.st_mtime_ns
        await store.touch_user(43, "en", NOW)  # somebody writes: copied, and started over
        await until(lambda: checkpointer.restarts > restarts, CHECKPOINT_EVERY * 5, "a restart")
        assert checkpointer.passes > passes
    finally:
        await store.close()
    assert in_file(path, "SELECT COUNT(*) FROM users") == 2


@pytest.mark.sqlite_only("SQLite's checkpointer (fills on PostgreSQL: test_jobs_at_scale)")
async def test_a_fill_stops_for_the_checkpointer_between_its_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints_module, "CATCH_UP", 0.0)  # every window, not 4 a second
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        people = FILL_WINDOW * 4 + 10
        await store._db.executemany(
            "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at)"
            " VALUES (?, 'en', 0, ?, ?)",
            [(n, NOW.isoformat(), NOW.isoformat()) for n in range(1, people + 1)],
        )
        await store._db.commit()
        checkpointer = store.checkpointer
        assert checkpointer is not None
        before = checkpointer.passes
        newcomer_done: list[int] = []  # checkpoints made when a newcomer's write got in

        async def newcomer() -> None:
            await asyncio.sleep(0)  # the fill's first window is under way
            await store.touch_user(10**9, "en", NOW)
            newcomer_done.append(checkpointer.passes - before)

        queued, _ = await asyncio.gather(
            store.queue_message("everyone", {"html": "Hello"}, NOW), newcomer()
        )
        assert queued is not None and queued[1] in (people, people + 1)  # (the newcomer too)
        windows = -(-people // FILL_WINDOW)
        # A passive checkpoint between each two windows (no lock held, replies go on) ...
        assert checkpointer.passes - before >= windows - 1
        # ... and a reply's write went in between windows, not after the whole fill.
        assert newcomer_done and newcomer_done[0] < windows - 1
    finally:
        await store.close()


async def test_retention_empties_the_log_once_a_pass_not_once_a_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        old = NOW - timedelta(days=800)
        inactive = retention.BATCH * 3 + 7
        for person in range(1, inactive + 1):
            await store.touch_user(person, "en", old)
        await store.touch_user(10**6, "en", NOW)  # seen lately: stays
        scrubs: list[int] = []
        real = store.scrub_log

        async def counted() -> None:
            scrubs.append(1)
            await real()

        monkeypatch.setattr(store, "scrub_log", counted)
        gone = await retention.expire(
            store, NOW - timedelta(days=365), frozenset(), stopped=lambda: False
        )
        assert gone == inactive
        assert scrubs == [1]
        assert await store.count_users() == 1
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0  # nothing of theirs left in it
    finally:
        await store.close()


async def test_a_retention_pass_stopped_early_still_empties_the_log(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        old = NOW - timedelta(days=800)
        for person in range(1, retention.BATCH * 3):
            await store.touch_user(person, "en", old)
        batches: list[int] = []

        def stopped() -> bool:  # the bot stops after the first batch
            batches.append(1)
            return len(batches) > 2

        gone = await retention.expire(store, NOW - timedelta(days=365), frozenset(), stopped)
        assert 0 < gone < retention.BATCH * 3 - 1
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        await store.close()


@pytest.mark.sqlite_only("SQLite's checkpointer")
async def test_the_bots_checkpointer_runs_beside_it_and_stops_with_it(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    async with running(server, settings, shipped_content, clock) as app:
        bot = Running(app, server.emulator, server, settings)
        person = await started(bot, "Ama")
        store = runtime_of(app).store
        assert store is not None and store.checkpointer is not None
        checkpointer = store.checkpointer
        assert checkpointer.running
        passes = checkpointer.passes
        person.send("/tip")
        await person.receive()
        await until(lambda: checkpointer.passes > passes, CHECKPOINT_EVERY * 5, "a checkpoint")
    assert not checkpointer.running
    assert checkpointer._task is None
    assert not Path(f"{settings.database}-wal").exists()


async def a_big_write(store: Store, megabytes: int) -> None:
    """Leave the log's file at about `megabytes` MB, as the start's catch-up did at 1M."""
    async with store._write_lock:  # as the store's writes do (see store.locking)
        await store._db.execute("CREATE TABLE IF NOT EXISTS bulk (b BLOB)")
        await store._db.executemany(
            "INSERT INTO bulk VALUES (zeroblob(1000000))", [() for _ in range(megabytes)]
        )
        await store._db.commit()


@pytest.mark.sqlite_only("SQLite's write-ahead log")
async def test_a_big_logs_file_is_cut_in_steps_once_no_background_write_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None
        await a_big_write(store, 30)
        assert checkpointer.log_size() > 28 * 2**20
        sizes = [checkpointer.log_size()]
        deadline = time.monotonic() + CHECKPOINT_EVERY * 10
        while sizes[-1] > LOG_SMALL:
            assert time.monotonic() < deadline, f"the log's file stayed at {sizes}"
            await asyncio.sleep(0.02)
            if checkpointer.log_size() != sizes[-1]:
                sizes.append(checkpointer.log_size())
        # Never more than one step at once (each holds the write lock for a moment) ...
        assert all(0 < a - b <= LOG_STEP for a, b in itertools.pairwise(sizes)), sizes
        assert len(sizes) >= 4  # (the file is cut in the commit, before `trim` counts it)
        await until(lambda: checkpointer.trims == len(sizes) - 1, CHECKPOINT_EVERY, "the count")
        # ... and nothing written is lost: the log was all copied before each cut.
        assert await store.count_users() == 0
        rows = await store._db.execute_fetchall("SELECT COUNT(*) FROM bulk")
        assert next(iter(rows))[0] == 30
        await store.touch_user(1, "en", NOW)  # and the store writes on
    finally:
        await store.close()
    assert in_file(path, "SELECT COUNT(*) FROM bulk") == 30
    assert in_file(path, "SELECT COUNT(*) FROM users") == 1


@pytest.mark.sqlite_only("SQLite's write-ahead log")
async def test_the_logs_file_is_not_cut_while_a_long_background_write_goes_on(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None
        await a_big_write(store, 20)
        size = checkpointer.log_size()
        passes = checkpointer.passes
        # A fill's windows stop for the checkpointer four times a second (`between_writes`).
        background_ends = time.monotonic() + QUIET + CHECKPOINT_EVERY * 2
        while time.monotonic() < background_ends:
            await between_writes(store)
            await asyncio.sleep(0.05)
        assert checkpointer.passes > passes  # the log was copied meanwhile ...
        assert checkpointer.trims == 0 and checkpointer.log_size() == size  # ... not cut
        await until(lambda: checkpointer.trims > 0, QUIET + CHECKPOINT_EVERY * 3, "a cut")
    finally:
        await store.close()


@pytest.mark.sqlite_only("SQLite's write-ahead log")
async def test_no_cut_comes_after_a_write_the_log_has_not_copied(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None and checkpointer._task is not None
        checkpointer._task.cancel()  # passes by hand only
        await a_big_write(store, 20)
        await checkpointer.checkpoint()
        await store.touch_user(1, "en", NOW)  # a reply's write, after the copy
        size = checkpointer.log_size()
        assert not await checkpointer.trim()
        assert checkpointer.log_size() == size
        await checkpointer.checkpoint()  # the next pass copies it: the cut can come
        assert await checkpointer.trim()
        assert size - LOG_STEP <= checkpointer.log_size() < size
        assert (await store.get_user(1)) is not None
    finally:
        await store.close()


@pytest.mark.sqlite_only("SQLite's write-ahead log")
async def test_a_forget_after_a_big_write_cuts_the_logs_file_in_steps_then_empties_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        checkpointer = store.checkpointer
        assert checkpointer is not None
        await store.touch_user(1, "en", NOW)
        await a_big_write(store, 70)  # the start's catch-up, say
        cuts: list[int] = []  # the bytes each cut took off the file
        trim = checkpointer.trim

        async def trim_and_see() -> bool:
            before = checkpointer.log_size()
            done = await trim()
            if done:
                cuts.append(before - checkpointer.log_size())
            return done

        checkpointer.trim = trim_and_see  # type: ignore[method-assign]
        assert await store.forget(1)
        # 70 MB down to LOG_SMALL, LOG_STEP at a time, before the emptying
        assert len(cuts) >= 7 and max(cuts) <= LOG_STEP, cuts
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0  # and then emptied, as before
        assert in_file(path, "SELECT COUNT(*) FROM users") == 0
    finally:
        await store.close()

"""An update's reads and writes on a SQLite file run in the event loop's own thread (issue 18,
point 7): no trip to aiosqlite's thread per statement, with every guarantee kept (an answer
recorded once, with its summary, its day and its badges in one transaction; a write that
finds SQLite's lock taken waits for it, off the loop's thread)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Clock, Running, running
from test_learning import ask_any

from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.sandbox import EmulatorServer
from clicksbot.store import Store

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def without_copies(store: Store) -> None:
    """Stop the checkpointer's passes, with the log started over: a write that comes after
    the log was copied in full goes to the store's thread by design (it starts the log over:
    store.locking.writes_at_once), and a pass comes about every second that somebody writes."""
    checkpointer = store.checkpointer
    assert checkpointer is not None and checkpointer._task is not None
    checkpointer._task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await checkpointer._task
    await checkpointer.checkpoint()
    await checkpointer.restart()
    assert not checkpointer.log_may_restart


async def seen_on_thread(store: Store, caught: list[str], tip: str) -> bool:
    """Mark a tip seen by person 42; return whether its write went through the store's
    connection, off the loop's thread (`caught`: the statements traced there)."""
    caught.clear()
    await store.mark_tip_seen(42, tip, NOW)
    return any("seen_tips" in s for s in caught)


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_quiz_updates_make_no_trip_to_the_database_thread(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """Questions, answers and "how sure?" ratings through the real bot: none of their
    statements goes to the store's aiosqlite connection, and all of it is recorded."""
    settings = replace(settings, ask_confidence=True)
    async with running(server, settings, shipped_content, clock) as app:
        bot = Running(app, server.emulator, server, settings)
        store = bot.app.bot_data["clicksbot.runtime"].store
        ana = bot.emulator.person("Ana")
        question = await ask_any(ana)  # the person is new: their first visit is written
        await without_copies(store)
        on_thread: list[str] = []
        await store._db.set_trace_callback(on_thread.append)
        for _ in range(3):
            await ana.press(question, 0)
            if question.raw.get("photo"):
                await ana.receive_edit()
                rating = await ana.receive()
            else:
                rating = await ana.receive_edit()
            assert rating.button_texts[-1].startswith("Skip"), rating.text
            await ana.press(rating, 1)  # "fairly sure"
            result = await ana.receive_edit()
            await ana.press(result, "Next question")
            question = await ana.receive()
            while not question.button_texts[:1] or not question.button_texts[0].startswith("A. "):
                # a badge came first
                question = await ana.receive()
        # The statements of these updates (the checkpointer's are on its own connection).
        assert [s for s in on_thread if not s.upper().startswith("PRAGMA")] == []
        await store._db.execute_fetchall("SELECT COUNT(*) FROM users")  # the tracing works
        await store._db.set_trace_callback(None)
        assert on_thread == ["SELECT COUNT(*) FROM users"]
        answered = await store._db.execute_fetchall(
            "SELECT COUNT(*), COUNT(confidence) FROM answers WHERE answered_at IS NOT NULL"
        )
        assert list(answered) == [(3, 3)]
        summaries = await store._db.execute_fetchall("SELECT SUM(answered) FROM boosters")
        assert list(summaries) == [(3,)]
        days = await store._db.execute_fetchall("SELECT COUNT(*) FROM activity_days")
        assert list(days) == [(1,)]
        badges = await store._db.execute_fetchall("SELECT badge_id FROM badges")
        assert ("first_answer",) in list(badges)


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_tips_over_days_make_no_trip_to_the_database_thread(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """A day's first /tip records the day and looks at the person's answers for their
    reminder's usual time, and the tenth tip and the third day bring their badges: none of
    those reads and writes goes to the store's aiosqlite connection (at a million people's
    start a /tip's day, written there, waited 60-130 ms behind the catch-up's work)."""
    async with running(server, settings, shipped_content, clock) as app:
        bot = Running(app, server.emulator, server, settings)
        store = bot.app.bot_data["clicksbot.runtime"].store
        ana = bot.emulator.person("Ana")
        ana.send("/start")
        await ana.receive()
        await store.set_reminder(ana.id, "08:00")  # a day's first play looks at its time
        await without_copies(store)
        on_thread: list[str] = []
        await store._db.set_trace_callback(on_thread.append)
        for _day in range(3):
            for _ in range(4):
                ana.send("/tip")
                await ana.receive()
                with contextlib.suppress(AssertionError):
                    while True:  # a badge, after the tip
                        await ana.receive(0.3)
            clock.advance(days=1)
        await store._db.set_trace_callback(None)
        # The person's statements (the outbox's and the lease's go on there, on their own clocks).
        theirs = ("activity_days", "badges", "seen_tips", "reminders", "users", "moderators",
                  "answers")  # fmt: skip
        assert [s for s in on_thread if any(table in s for table in theirs)] == []
        days = await store._db.execute_fetchall("SELECT COUNT(*) FROM activity_days")
        assert list(days) == [(3,)]
        badges = {row[0] for row in await store._db.execute_fetchall("SELECT badge_id FROM badges")}
        assert {"tips_10", "streak_3"} <= badges


@pytest.mark.sqlite_only("SQLite's write lock, taken by another process")
async def test_a_write_that_finds_the_lock_taken_waits_off_the_loop(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock: the question is asked once it lets go,
    and meanwhile the event loop goes on (nothing waits on its thread)."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        user, _ = await store.touch_user(7, "en", NOW)
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")  # another process writes
        released = threading.Event()

        def let_go() -> None:
            other.execute("COMMIT")
            released.set()

        timer = threading.Timer(0.5, let_go)
        timer.start()
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while not released.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(tick())
        asked = await store.ask(user.id, "q-1", "critical_thinking", "any", "f", (1, 0), NOW)
        await ticking
        timer.join()
        other.close()
        assert released.is_set()  # it waited for the other writer...
        assert ticks >= 10  # ...while the loop went on
        found = await store.get_asked(asked)
        assert found is not None and found.question_id == "q-1"
    finally:
        await store.close()


async def test_an_answer_that_fails_half_way_leaves_nothing(tmp_path: Path) -> None:
    """A statement that fails inside the one transaction of an answer rolls back all of it:
    the answer stays unanswered, its summary uncounted, and the next write goes through."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        user, _ = await store.touch_user(7, "en", NOW)
        asked = await store.ask(user.id, "q-1", "critical_thinking", "any", "f", (1, 0), NOW)
        with pytest.raises(sqlite3.IntegrityError):
            await store.record_answer_and_progress(
                asked, user.id, 0, True, NOW, box=1, due=None, day=NOW.date(),
                badges=["first_answer", None],  # type: ignore[list-item]
            )  # fmt: skip
        found = await store.get_asked(asked)
        assert found is not None and found.answered_at is None
        assert await store.question_summary(user.id, "q-1") is not None
        assert (await store.question_summary(user.id, "q-1")).answered == 0  # type: ignore[union-attr]
        assert (await store.learner_record(user.id)).days == ()
        awarded = await store.record_answer_and_progress(
            asked, user.id, 0, True, NOW, box=1, due=None, day=NOW.date(),
            badges=["first_answer"],
        )  # fmt: skip
        assert awarded == ("first_answer",)
        again = await store.record_answer_and_progress(
            asked, user.id, 0, True, NOW, box=1, due=None, day=None, badges=[]
        )
        assert again is None  # once only
        assert (await store.learner_record(user.id)).days == (NOW.date(),)
    finally:
        await store.close()


@pytest.mark.sqlite_only("the loop's own connection is a SQLite file's")
async def test_a_write_at_once_that_would_suspend_is_refused_and_rolled_back(
    tmp_path: Path,
) -> None:
    """A `writes_at_once` method must await nothing but its statements (no other coroutine may
    run inside its transaction): one that would suspend is stopped, its statements undone."""
    from clicksbot.store.locking import writes_at_once

    class Suspends(Store):
        @writes_at_once
        async def rename_and_wait(self, user_id: int) -> None:
            await self._db.execute("UPDATE users SET language = 'ms' WHERE id = ?", (user_id,))
            await asyncio.sleep(0)

    store = await Suspends.open(tmp_path / "bot.sqlite3")
    try:
        user, _ = await store.touch_user(7, "en", NOW)
        with pytest.raises(RuntimeError, match="suspended"):
            await store.rename_and_wait(user.id)
        found = await store.get_user(user.id)
        assert found is not None and found.language == "en"
        await store.set_language(user.id, "id", NOW)  # the store writes on as before
        found = await store.get_user(user.id)
        assert found is not None and found.language == "id"
    finally:
        await store.close()


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_the_log_starts_over_off_the_loops_thread(tmp_path: Path) -> None:
    """The first commit after the log was copied back in full starts the log over, and SQLite
    syncs its new header to disk then (170-700 ms on a busy disk): that write goes through
    the store's connection, off the loop's thread; the next ones are on the loop's again."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        assert store.checkpointer is not None and store._on_loop is not None
        await store.touch_user(42, "en", NOW)
        on_thread: list[str] = []
        await store._db.set_trace_callback(on_thread.append)
        # The log was just written: on the loop.
        assert not await seen_on_thread(store, on_thread, "t-1")
        busy, log, copied = await store.checkpointer.checkpoint("PASSIVE")
        assert (busy, log) == (0, copied)  # copied back in full: the next write restarts it
        assert await seen_on_thread(store, on_thread, "t-2"), "the restart ran on the loop"
        assert not await seen_on_thread(store, on_thread, "t-3")  # then on the loop's again
        assert len(await store.tip_history(42)) == 3
    finally:
        await store._db.set_trace_callback(None)
        await store.close()


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_a_wrong_call_leaves_no_write_open_on_the_loops_connection(tmp_path: Path) -> None:
    """A write method called wrongly raises, and leaves no transaction open on the loop's
    connection (which would hold SQLite's write lock: every later write failed, 5 s each)."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        assert store.checkpointer is not None and store._on_loop is not None
        await store.touch_user(42, "en", NOW)
        await store.mark_tip_seen(42, "t-1", NOW)
        with pytest.raises(TypeError):
            await store.mark_tip_seen(42, "t-2", NOW, "one too many")  # type: ignore[call-arg]
        assert not store._on_loop.connection.in_transaction
        began = asyncio.get_running_loop().time()
        await store.set_language(42, "ms", NOW)
        await store.mark_tip_seen(42, "t-3", NOW)
        assert asyncio.get_running_loop().time() - began < 1.0
        assert set(await store.tip_history(42)) == {"t-1", "t-3"}
    finally:
        await store.close()


async def with_a_write_to_copy(path: Path) -> Store:
    """Open a store whose checkpointer makes no passes, with person 42 and a write of theirs
    in the log, not yet copied into the file."""
    store = await Store.open(path)
    try:
        await store.touch_user(42, "en", NOW)
        await without_copies(store)
        await store.mark_tip_seen(42, "t-1", NOW)
    except BaseException:
        await store.close()
        raise
    return store


def checkpoint_elsewhere(path: Path, mode: str = "PASSIVE") -> tuple[int, int, int]:
    """Copy the log into the database file from a connection of another's (`sqlite3` at a
    shell, another process); return SQLite's (busy, log pages, pages copied)."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        busy, log, copied = other.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return int(busy), int(log), int(copied)
    finally:
        other.close()


def log_salts(path: Path) -> bytes:
    """The salts in the write-ahead log's header: new each time the log starts over."""
    with open(f"{path}-wal", "rb") as log:
        return log.read(24)[16:24]


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_a_write_while_a_checkpoint_copies_stays_on_the_loop(tmp_path: Path) -> None:
    """The checkpointer says a copy may have emptied the log (as it does while a checkpoint
    runs), but the log's index says frames are still to copy: an update's write appends to
    the log (it cannot start it over), so it stays on the loop's thread. And SQLite itself,
    driven by hand: a copy that ends inside a write's transaction does not make that write
    start the log over."""
    path = tmp_path / "bot.sqlite3"
    store = await with_a_write_to_copy(path)
    on_thread: list[str] = []
    try:
        assert store.checkpointer is not None and store._on_loop is not None
        salts = log_salts(path)
        store.checkpointer.log_may_restart = True  # as a checkpoint does when it begins
        await store._db.set_trace_callback(on_thread.append)
        assert not await seen_on_thread(store, on_thread, "t-2"), "a write left the loop"
        assert log_salts(path) == salts

        # The race: frames are left as the write begins, and a copy ends inside it.
        loop = store._on_loop
        assert loop.begin() and loop.log_copied() is False
        busy, log, copied = checkpoint_elsewhere(path)
        assert (busy, log) == (0, copied) and log > 0  # all copied, meanwhile
        assert loop.log_copied() is True  # so the rule would take the safe way, now
        loop.connection.execute("UPDATE users SET language = 'ms' WHERE id = 42")
        loop.connection.execute("COMMIT")
        assert log_salts(path) == salts  # the log did not start over: the write appended
        found = await store.get_user(42)
        assert found is not None and found.language == "ms"
    finally:
        await store._db.set_trace_callback(None)
        await store.close()


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_a_log_copied_by_another_connection_starts_over_off_the_loop(
    tmp_path: Path,
) -> None:
    """Another connection (another process's, `sqlite3` at a shell) copied the whole log:
    the checkpointer cannot know, but the log's index says so, and the write that starts the
    log over goes through the store's connection, off the loop's thread."""
    path = tmp_path / "bot.sqlite3"
    store = await with_a_write_to_copy(path)
    on_thread: list[str] = []
    try:
        assert store.checkpointer is not None and store._on_loop is not None
        salts = log_salts(path)
        busy, log, copied = checkpoint_elsewhere(path)
        assert (busy, log) == (0, copied) and log > 0
        assert not store.checkpointer.log_may_restart  # it did not see that copy
        await store._db.set_trace_callback(on_thread.append)
        assert await seen_on_thread(store, on_thread, "t-2"), "the restart ran on the loop"
        assert log_salts(path) != salts  # it started the log over
        assert not await seen_on_thread(store, on_thread, "t-3")  # then on the loop's again
        assert len(await store.tip_history(42)) == 3
    finally:
        await store._db.set_trace_callback(None)
        await store.close()


@pytest.mark.sqlite_only("the statements are caught on the loop's own connection")
async def test_the_record_an_answer_is_judged_by_reads_no_answers(tmp_path: Path) -> None:
    """The record each answer's badges are judged by (and /progress shows) counts a person's
    answers per competency from the running totals kept with each answer, not by reading
    every answer they ever gave (which grew with their history, on every answer)."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    statements: list[str] = []
    try:
        assert store._on_loop is not None
        await store.touch_user(42, "en", NOW)
        given = [("q-1", "literacy", True), ("q-2", "literacy", False),
                 ("q-3", "critical-thinking", True), ("q-4", "knowledge", None)]  # fmt: skip
        for question, competency, correct in given:
            asked = await store.ask(42, question, competency, "any", "f", (1, 0), NOW)
            if correct is not None:  # q-4 is asked, never answered
                await store.record_answer_and_progress(
                    asked, 42, 0, correct, NOW, box=1, due=None, day=None, badges=[]
                )
        store._on_loop.connection.set_trace_callback(statements.append)
        record = await store.learner_record(42)
        assert [(s.competency, s.answered, s.correct) for s in record.scores] == [
            ("critical-thinking", 1, 1),
            ("literacy", 2, 1),
        ]
        assert statements and not [s for s in statements if "answers" in s]
    finally:
        if store._on_loop is not None:
            store._on_loop.connection.set_trace_callback(None)
        await store.close()


@pytest.mark.sqlite_only("the loop's own connections are a SQLite file's")
async def test_a_log_emptied_or_an_index_not_read_keeps_writes_off_the_loop(
    tmp_path: Path,
) -> None:
    """An empty log (cut to nothing by another connection) gets a new header, synced to disk,
    with the next write; and where the log's index cannot be read, the checkpointer's word
    decides: in both, the write goes through the store's connection, off the loop's thread."""
    path = tmp_path / "bot.sqlite3"
    store = await with_a_write_to_copy(path)
    on_thread: list[str] = []
    try:
        assert store.checkpointer is not None and store._on_loop is not None
        assert checkpoint_elsewhere(path, "TRUNCATE")[0] == 0
        assert store._on_loop.log_copied() is True  # nothing in it: all copied
        await store._db.set_trace_callback(on_thread.append)
        assert await seen_on_thread(store, on_thread, "t-2"), (
            "the new header was written on the loop"
        )

        index, store._on_loop._index = store._on_loop._index, None  # the index unreadable
        store.checkpointer.log_may_restart = True
        assert await seen_on_thread(store, on_thread, "t-3")
        store.checkpointer.log_may_restart = False
        assert not await seen_on_thread(store, on_thread, "t-4")
        store._on_loop._index = index
        assert len(await store.tip_history(42)) == 4
    finally:
        await store._db.set_trace_callback(None)
        await store.close()


def shm_locks(path: Path) -> list[str]:
    """This process's POSIX locks on the database's log index (its -shm file), from Linux's
    /proc/locks: the kind (read or write) and the byte range of each."""
    inode = (path.parent / f"{path.name}-shm").stat().st_ino
    pid = str(os.getpid())
    held = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "POSIX" in fields and pid in fields and any(f.endswith(f":{inode}") for f in fields):
            held.append(" ".join(fields[-4:-3] + fields[-2:]))
    return sorted(held)


@pytest.mark.sqlite_only("the loop's own connection is a SQLite file's")
@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="Linux's /proc/locks lists locks")
async def test_closing_the_loops_connection_keeps_the_stores_locks(tmp_path: Path) -> None:
    """The loop's connection reads the log's index through SQLite's own descriptor: closing
    it must not drop the locks the store's other connections hold on the index (POSIX locks
    go with any descriptor of the file closed), which would let another process write at
    once, or reset the index under them."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        assert store._on_loop is not None and store._on_loop._index is not None
        await store.touch_user(42, "en", NOW)
        await store._db.execute("BEGIN IMMEDIATE")  # the store's connection writes
        held = shm_locks(path)
        assert held  # SQLite's, on the index: at least the lock that says it is in use
        loop, store._on_loop = store._on_loop, None
        loop.close()
        assert shm_locks(path) == held
        other = await asyncio.create_subprocess_exec(
            sys.executable, "-c",
            "import sqlite3, sys\n"
            "try:\n"
            "    sqlite3.connect(sys.argv[1], timeout=0).execute('BEGIN IMMEDIATE')\n"
            "except sqlite3.OperationalError as error:\n"
            "    print(error)\n",
            str(path), stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        said, _ = await other.communicate()
        assert b"locked" in said  # another process cannot write meanwhile
        await store._db.rollback()
    finally:
        await store.close()


@pytest.mark.sqlite_only("the statements are caught on the loop's own connection")
async def test_calibration_counts_the_rated_answers_without_reading_them(tmp_path: Path) -> None:
    """/progress's calibration (per level of confidence: answers, and right ones) is read from
    the running totals kept with each answer and rating, and gives what counting the rated
    answers gives: a skip, an unrated answer and a question never answered count nowhere."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    statements: list[str] = []
    try:
        assert store._on_loop is not None
        await store.touch_user(42, "en", NOW)
        await store.touch_user(43, "en", NOW)  # someone else's ratings are not theirs
        await store.touch_user(44, "en", NOW)  # asked once, never answered: no totals yet
        unanswered = await store.ask(44, "q-44", "literacy", "any", "f", (1, 0), NOW)
        assert await store.calibration(44) == []
        assert not await store._db.execute_fetchall(
            "SELECT 1 FROM impact_people WHERE user_id = 44"
        )  # what was tried is the case of no row, not a row of zeros
        assert not await store.rate_answer(unanswered, 44, 3, NOW)  # no rating before an answer
        assert await store.calibration(44) == []
        given = [(42, True, 3), (42, False, 3), (42, True, 3), (42, False, 1), (42, True, None),
                 (42, True, 0), (42, None, None), (43, True, 2)]  # fmt: skip
        for n, (person, correct, sure) in enumerate(given):
            asked = await store.ask(person, f"q-{n}", "literacy", "any", "f", (1, 0), NOW)
            if correct is None:
                continue  # asked, never answered
            await store.record_answer_and_progress(
                asked, person, 0, correct, NOW, box=1, due=None, day=None, badges=[]
            )
            if sure is not None:  # 0: skipped (recorded as no confidence)
                assert await store.rate_answer(asked, person, sure or None, NOW)
        counted = await store._db.execute_fetchall(
            "SELECT confidence, COUNT(*), SUM(correct) FROM answers WHERE user_id = 42"
            " AND confidence IS NOT NULL AND answered_at IS NOT NULL GROUP BY confidence"
            " ORDER BY confidence"
        )
        store._on_loop.connection.set_trace_callback(statements.append)
        rated = await store.calibration(42)
        assert [(r.confidence, r.answers, r.right) for r in rated] == [(1, 1, 0), (3, 3, 2)]
        assert [(r.confidence, r.answers, r.right) for r in rated] == [tuple(c) for c in counted]
        assert statements and not [s for s in statements if "answers" in s]
    finally:
        if store._on_loop is not None:
            store._on_loop.connection.set_trace_callback(None)
        await store.close()

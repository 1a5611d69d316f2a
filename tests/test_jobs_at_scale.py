"""The bot's long jobs beside its replies: retention, start-up with many groups, audience
sizes and a big daily-tip slot never hold the store long enough to keep a person waiting."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pgtest
import pytest
from conftest import REPO, TOKEN, Clock, running

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.handlers import groups
from clicksbot.sandbox import Emulator, EmulatorServer
from clicksbot.store import Store
from clicksbot.store import migrations as schema
from clicksbot.store.delivery import FILL_AHEAD, JobProgress
from clicksbot.store.groups import GroupSettings

FIRST = 5_000_000  # ids of the people a test writes straight into the database


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


async def populate(path: Path, people: int, seen: datetime, **columns: Any) -> None:
    """Write `people` people last seen at `seen` (with answers, tips read and, for a third, a
    pledge) straight into the database, as years of use would leave them."""
    store = await Store.open(path)
    await store.close()
    db = pgtest.connect(path)
    names = ", ".join(columns)
    marks = ", ?" * len(columns)
    db.executemany(
        "INSERT INTO users (id, language, created_at, last_seen_at, greeted_at"
        + (f", {names}" if columns else "")
        + f") VALUES (?, 'en', ?, ?, ?{marks})",
        [(FIRST + i, stamp(seen), stamp(seen), stamp(seen), *columns.values())
         for i in range(people)],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
        " option_order, asked_at, answered_at, choice, correct)"
        " VALUES (?, ?, 'C', 'any', 'f', '0,1', ?, ?, 0, 1)",
        [(FIRST + i, f"q{k}", stamp(seen), stamp(seen)) for i in range(people) for k in range(3)],
    )
    db.executemany(
        "INSERT INTO seen_tips (user_id, tip_id, seen_at) VALUES (?, 't1', ?)",
        [(FIRST + i, stamp(seen)) for i in range(people)],
    )
    db.executemany(
        "INSERT INTO pledges (user_id, version, language, country, pledged_at)"
        " VALUES (?, 1, 'en', 'MY', ?)",
        [(FIRST + i, stamp(seen)) for i in range(0, people, 3)],
    )
    db.commit()
    db.close()


def count(path: Path, sql: str, *args: Any) -> int:
    db = pgtest.connect(path, timeout=10)
    try:
        return int(db.execute(sql, args).fetchone()[0])
    finally:
        db.close()


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class LockWatch:
    """Take the store's write lock every 5 ms, as a reply's write would; keep the waits."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.waits: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            started = time.perf_counter()
            async with self.store._write_lock:
                self.waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)

    async def __aenter__(self) -> LockWatch:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@pytest.fixture
def retaining(settings: Settings) -> Settings:
    return replace(settings, retention_days=365)


# -- retention ---------------------------------------------------------------------------


async def test_a_new_person_is_answered_at_once_while_retention_forgets_thousands(
    server: EmulatorServer, retaining: Settings, shipped_content: Content, clock: Clock
) -> None:
    """While the retention pass forgets 3,000 people unseen for two years, a newcomer's /start
    is answered promptly and no write waits long for the store; then everyone inactive is
    gone, and the newcomer and the admin are still there."""
    inactive = 3000
    path = Path(retaining.database)
    await populate(path, inactive, clock() - timedelta(days=730))
    async with running(server, retaining, shipped_content, clock) as app:
        store = runtime_of(app).store
        assert store is not None
        # The pass begins 5 s after start (the real setting).
        await until(lambda: count(path, "SELECT COUNT(*) FROM users") < inactive, 30, "retention")
        async with LockWatch(store) as watch:
            newcomer = server.emulator.person("Newcomer")
            started = time.perf_counter()
            newcomer.send("/start")
            greeting = await newcomer.receive(timeout=10)
            answered = time.perf_counter() - started
            left = count(path, "SELECT COUNT(*) FROM users WHERE id >= ?", FIRST)
        assert "Newcomer" in greeting.text
        assert left > 0, "the pass ended before the newcomer came: make it longer"
        assert answered < 1.5, f"/start took {answered:.2f} s during retention"
        assert watch.waits and max(watch.waits) < 0.5, f"a write waited {max(watch.waits):.2f} s"
        await until(
            lambda: count(path, "SELECT COUNT(*) FROM users WHERE id >= ?", FIRST) == 0,
            120,
            "the end of the pass",
        )
        assert await store.get_user(newcomer.id) is not None
        assert count(path, "SELECT COUNT(*) FROM answers") == 0
        assert await store.forgotten_total("pledges") == 1000


async def test_sigterm_in_the_middle_of_retention_stops_the_bot_within_seconds(
    tmp_path: Path,
) -> None:
    """`clicksbot run` told to stop (SIGTERM) while the retention pass has thousands of people
    left stops within a few seconds, not after the pass (PTB waits for a running job); what
    it forgot stays forgotten and the rest is left whole for the next pass."""
    database = tmp_path / "bot.sqlite3"
    inactive = 20_000
    await populate(database, inactive, datetime.now(UTC) - timedelta(days=730))
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {database}\npacks_dir: {REPO / 'quizzes'}\n")
    async with EmulatorServer(Emulator(token=TOKEN)) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clicksbot", "run", "--config", str(config),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            await until(
                lambda: count(database, "SELECT COUNT(*) FROM users") < inactive - 200,
                60,
                "retention",
            )
        finally:
            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 60)
        took = time.monotonic() - stopping
    left = count(database, "SELECT COUNT(*) FROM users")
    assert process.returncode == 0, output.decode()
    assert "Traceback" not in output.decode()
    assert took < 5, f"the bot took {took:.1f} s to stop"
    assert 0 < left < inactive - 200, "the pass should have stopped in the middle"
    # Whoever is left is whole: nobody half forgotten.
    assert count(database, "SELECT COUNT(*) FROM answers") == 3 * left
    assert count(database, "SELECT COUNT(*) FROM seen_tips") == left


# -- start-up with many groups -----------------------------------------------------------


async def test_every_group_has_exactly_one_daily_job_after_start_and_restart(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """With 2,000 groups that have a daily post, start-up schedules each group's job once,
    changing a group's time replaces its job, and a restart schedules each once again."""
    path = Path(settings.database)
    store = await Store.open(path)
    await store.close()
    rng = random.Random(3)
    chats = [-100_000 - i for i in range(2000)]
    db = pgtest.connect(path)
    db.executemany(
        "INSERT INTO group_settings (chat_id, language, daily_time, time_zone, updated_at)"
        " VALUES (?, 'en', ?, 'Asia/Kuala_Lumpur', '2026-01-01T00:00:00+00:00')",
        [(chat, f"{rng.randrange(24):02d}:{rng.choice((0, 30)):02d}") for chat in chats],
    )
    db.commit()
    db.close()
    for restart in (False, True):
        async with running(server, settings, shipped_content, clock) as app:
            assert app.job_queue is not None
            runtime = runtime_of(app)
            await asyncio.wait_for(runtime.groups_scheduled.wait(), 30)
            # The groups' jobs are set aside from the collector's full passes, as start-up's
            # (the collector's generations, which `gc.get_objects` lists, hold none of them).
            jobs = {id(job) for job in runtime.group_jobs.values()}
            assert not [o for o in gc.get_objects() if id(o) in jobs]
            names = [job.name for job in app.job_queue.jobs()]
            daily = [n for n in names if n and n.startswith("group daily ")]
            assert sorted(daily) == sorted(f"group daily {chat}" for chat in chats), restart
            assert sorted(runtime.group_jobs) == sorted(chats)
            if not restart:
                groups.schedule(runtime, GroupSettings(chats[0], "en", "07:15", "Asia/Manila"))
                await asyncio.sleep(0.1)  # the replaced job leaves the scheduler
                jobs = app.job_queue.get_jobs_by_name(f"group daily {chats[0]}")
                assert len(jobs) == 1
                assert jobs[0] is runtime.group_jobs[chats[0]]


# -- audience sizes ----------------------------------------------------------------------


def audiences() -> list[dict[str, Any]]:
    kinds: list[dict[str, Any]] = [{"kind": k} for k in ("all", "subscribers", "pledged")]
    kinds += [{"kind": "unpledged"}]
    kinds += [{"kind": "language", "value": code} for code in ("en", "ms", "th")]
    kinds += [{"kind": "country", "value": code} for code in ("MY", "PH", "TH")]
    return kinds


async def sizes_are_true(store: Store) -> None:
    for audience in audiences():
        assert await store.audience_size(audience) == await store.count_audience(audience), audience


async def test_audience_sizes_stay_equal_to_the_real_counts(tmp_path: Path) -> None:
    """Through people arriving, picking languages, places and daily tips, pledging (with a
    country), withdrawing, pledging twice, becoming unreachable, writing again and being
    forgotten, every audience's kept size equals a count of its people."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    rng = random.Random(18)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    people: list[int] = []
    for step in range(1500):
        now += timedelta(minutes=2)
        action = rng.randrange(9)
        if action == 0 or not people:
            person = 1000 + step
            await store.touch_user(person, rng.choice(("en", "ms", "th")), now)
            people.append(person)
            continue
        person = rng.choice(people)
        if action == 1:
            await store.set_language(person, rng.choice(("en", "ms", "th")), now)
        elif action == 2:
            await store.set_place(person, rng.choice(("MY", "PH", "TH", None)), "Asia/Manila")
        elif action == 3:
            await store.set_tip_time(person, rng.choice(("08:00", None)))
        elif action == 4:
            pledge, _ = await store.pledge(person, rng.choice((1, 2)), "en", None, now)
            await store.set_pledge_details(pledge.id, country=rng.choice(("MY", "TH", None)))
        elif action == 5:
            await store.withdraw_pledge(person, now)
        elif action == 6:
            await store._db.execute(
                "UPDATE users SET unreachable_since = ? WHERE id = ?", (stamp(now), person)
            )
            await store._db.commit()
        elif action == 7:
            await store.touch_user(person, "en", now)  # writing again: reachable again
        else:
            await store.forget(person)
            people.remove(person)
        if step % 100 == 0:
            await sizes_are_true(store)
    await sizes_are_true(store)
    assert await store.audience_size({"kind": "all"}) > 0
    await store.close()


@pytest.mark.sqlite_only("a SQLite file at an older schema (test_postgresql upgrades PostgreSQL)")
async def test_the_migration_counts_the_audiences_of_an_existing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database from before the kept totals gets them right when it is upgraded."""
    path = tmp_path / "bot.sqlite3"
    before = [name for name, _ in schema.MIGRATIONS].index("m018_jobs_at_scale")
    monkeypatch.setattr("clicksbot.store.db.MIGRATIONS", schema.MIGRATIONS[:before])
    await populate(path, 300, datetime(2026, 11, 1, tzinfo=UTC), country="TH", tip_time="08:00",
                   time_zone="Asia/Bangkok")  # fmt: skip
    monkeypatch.undo()
    store = await Store.open(path)
    await sizes_are_true(store)
    assert await store.audience_size({"kind": "country", "value": "MY"}) == 100
    assert await store.audience_size({"kind": "subscribers"}) == 300
    await store.close()


# -- a daily-tip slot for many people ----------------------------------------------------


async def test_a_big_slot_is_queued_once_across_a_crash_while_replies_get_through(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """A slot of 6,000 subscribers is cut by a crash in the middle of queueing it; the bot
    that starts next finishes it: everyone queued exactly once, their day marked. Queueing a
    slot while the bot runs never keeps a person's /start waiting."""
    path = Path(settings.database)
    subscribers = 6000
    await populate(path, subscribers, clock(), time_zone="Asia/Kuala_Lumpur",
                   tip_time="20:00")  # fmt: skip
    store = await Store.open(path)
    day = clock().date()
    chunks = 0
    fill_chunk = store._fill_chunk

    async def crashing(job_id: int, now: datetime) -> tuple[int, bool]:
        nonlocal chunks
        chunks += 1
        if chunks > 2:  # as a crash would, after two chunks were committed
            raise RuntimeError("crash")
        return await fill_chunk(job_id, now)

    store._fill_chunk = crashing  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="crash"):
        await store.queue_tip_slot("Asia/Kuala_Lumpur", "20:00", day, clock())
    await store.close()
    queued = count(path, "SELECT COUNT(*) FROM deliveries")
    assert 0 < queued < subscribers
    assert count(path, "SELECT COUNT(*) FROM users WHERE tip_day IS NOT NULL") == queued

    async with running(server, settings, shipped_content, clock) as app:
        runtime = runtime_of(app)
        store = runtime.store
        assert store is not None and runtime.outbox is not None
        await runtime.outbox.stop()  # (these people are not in the emulator: nothing to send)
        assert runtime.daily is not None
        await asyncio.wait_for(runtime.daily.caught_up.wait(), 30)  # the catch-up after start
        await until(
            lambda: count(path, "SELECT COUNT(*) FROM jobs WHERE filling IS NOT NULL") == 0,
            30,
            "the slot finished",
        )
        assert count(path, "SELECT COUNT(*) FROM deliveries") == subscribers
        assert count(path, "SELECT COUNT(DISTINCT user_id) FROM deliveries") == subscribers
        assert count(path, "SELECT COUNT(*) FROM users WHERE tip_day IS NULL") == 0
        assert await store.queue_tip_slot("Asia/Kuala_Lumpur", "20:00", day, clock()) is None

        # Another slot, queued while a newcomer writes.
        db = pgtest.connect(path, timeout=10)
        db.execute("UPDATE users SET tip_time = '21:00', tip_day = NULL WHERE id >= ?", (FIRST,))
        db.commit()
        db.close()
        async with LockWatch(store) as watch:
            filling = asyncio.create_task(
                store.queue_tip_slot("Asia/Kuala_Lumpur", "21:00", day, clock())
            )
            await asyncio.sleep(0.01)
            newcomer = server.emulator.person("Newcomer")
            started = time.perf_counter()
            newcomer.send("/start")
            await newcomer.receive(timeout=10)
            answered = time.perf_counter() - started
            result = await filling
        # Everyone reachable: the outbox may have tried the pact notice on a few of these
        # people (not in the emulator) before it was stopped, and found them unreachable.
        reachable = count(path, "SELECT COUNT(*) FROM users WHERE unreachable_since IS NULL"
                          " AND tip_time = '21:00'")  # fmt: skip
        assert reachable > subscribers - 100
        assert result is not None and result[1] == reachable
        assert answered < 1.5, f"/start took {answered:.2f} s while a slot was queued"
        assert max(watch.waits) < 0.5, f"a write waited {max(watch.waits):.2f} s"


# -- audiences ---------------------------------------------------------------------------


async def test_a_broadcast_to_many_is_queued_ahead_of_the_outbox_and_once(
    settings: Settings, clock: Clock
) -> None:
    """A message to 20,000 people: its first FILL_AHEAD are queued at once, in short
    transactions (a reply's write never waits long), the rest as the outbox sends, everyone
    once; its progress counts everyone from the start; a queueing cut by a crash carries on
    where it stopped; a stopped one queues nobody more; a small audience among many is
    queued whole at once, without a long transaction either."""
    path = Path(settings.database)
    people = 20_000
    await populate(path, people, clock())
    db = pgtest.connect(path)
    db.execute("UPDATE users SET language = 'km' WHERE id % 1000 = 7")  # 20 Khmer speakers
    db.commit()
    db.close()
    store = await Store.open(path)
    rows = "SELECT COUNT(*) FROM deliveries d JOIN jobs j ON j.id = d.job_id WHERE j.key = ?"

    waits: list[float] = []  # a reply's writes, beside each top-up

    async def send_all(job_id: int) -> None:
        """Be the outbox: send what is pending, ask for more, until nothing is left."""
        for _ in range(100):
            waiting = await store.pending_deliveries(None, people)
            await store.deliveries_sent([(d, 1, None) for d in waiting], clock())
            progress = await store.job_progress(job_id)
            assert progress.total == people, progress  # everyone counted from the start
            async with LockWatch(store) as watch:
                more = await store.fill_ahead(clock())
            waits.extend(watch.waits)
            if not more and not progress.pending:
                return
        raise AssertionError("the fill never ended")

    try:
        async with LockWatch(store) as watch:
            result = await store.queue_message("everyone", {"text": {"en": "x"}}, clock())
        assert result is not None and result[1] == people  # what the moderator is told
        job_id = result[0]
        assert FILL_AHEAD <= count(path, rows, "everyone") < people
        assert max(watch.waits) < 0.25, f"a write waited {max(watch.waits):.2f} s"
        assert await store.queue_message("everyone", {"text": {"en": "x"}}, clock()) is None
        assert await store.fill_ahead(clock()) == 0  # enough waiting to be sent
        progress = await store.job_progress(job_id)
        assert (progress.total, progress.pending) == (people, people)
        await send_all(job_id)
        assert max(waits) < 0.25, f"a write waited {max(waits):.2f} s"
        assert count(path, rows, "everyone") == people
        assert count(path, "SELECT COUNT(DISTINCT user_id) FROM deliveries") == people
        assert await store.job_progress(job_id) == JobProgress(0, people, 0, 0)

        # Cut after two windows, as a crash would; the next leader's outbox carries on, once.
        windows = 0
        fill_chunk = store._fill_chunk

        async def crashing(job_id: int, now: datetime) -> tuple[int, bool]:
            nonlocal windows
            windows += 1
            if windows > 2:
                raise RuntimeError("crash")
            return await fill_chunk(job_id, now)

        store._fill_chunk = crashing  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="crash"):
            await store.queue_message("again", {"text": {"en": "y"}}, clock())
        del store._fill_chunk
        cut = count(path, rows, "again")
        assert 0 < cut < FILL_AHEAD
        again = int(count(path, "SELECT id FROM jobs WHERE key = 'again'"))
        await send_all(again)
        assert count(path, rows, "again") == people

        # Stopped after its first people: nobody more is queued, and the rest count as
        # not sent.
        result = await store.queue_message("stopped", {"text": {"en": "z"}}, clock())
        assert result is not None
        first = count(path, rows, "stopped")
        assert await store.cancel_job(result[0], clock()) == people
        assert await store.fill_ahead(clock()) == 0
        assert count(path, rows, "stopped") == first
        assert await store.job_progress(result[0]) == JobProgress(0, 0, 0, 0, people, True)

        khmer = await store.create_broadcast(1, {"kind": "language", "value": "km"},
                                             {"text": {"km": "z"}}, clock(), clock())  # fmt: skip
        broadcast = await store.broadcast(khmer)
        assert broadcast is not None
        async with LockWatch(store) as watch:
            queued = await store.queue_broadcast(broadcast, clock())
        assert queued is not None and queued[1] == 20
        assert count(path, rows, f"broadcast:{khmer}") == 20
        assert max(watch.waits) < 0.25, f"a write waited {max(watch.waits):.2f} s"
    finally:
        await store.close()


async def test_a_new_pact_version_is_offered_a_window_at_a_time_to_earlier_pledgers(
    settings: Settings, clock: Clock
) -> None:
    """A new pact version among 20,000 people (6,667 pledgers): the notice is queued as an
    audience is, FILL_AHEAD people at once in short transactions and the rest as the outbox
    sends, and reaches exactly those whose live pledge is to an older version and who can be
    reached (not one who withdrew, pledged to the new version already, alone or beside the
    old, or blocked the bot), each once. In one statement it held the write turn for seconds
    at a million people."""
    path = Path(settings.database)
    people = 20_000
    await populate(path, people, clock())  # a pledge to version 1 for every third person
    db = pgtest.connect(path)
    nth = f"(user_id - {FIRST}) % 90"
    db.execute(f"UPDATE pledges SET withdrawn_at = pledged_at WHERE {nth} = 0")
    db.execute(f"UPDATE pledges SET version = 2 WHERE {nth} = 3")
    db.execute(  # pledged to both versions: offered nothing
        "INSERT INTO pledges (user_id, version, language, country, pledged_at)"
        f" SELECT user_id, 2, language, country, pledged_at FROM pledges WHERE {nth} = 9"
    )
    db.execute(f"UPDATE users SET unreachable_since = created_at WHERE (id - {FIRST}) % 90 = 6")
    db.commit()
    expected = {
        int(r[0])
        for r in db.execute(
            "SELECT p.user_id FROM pledges p JOIN users u ON u.id = p.user_id"
            " WHERE p.withdrawn_at IS NULL AND u.unreachable_since IS NULL"
            " GROUP BY p.user_id HAVING MAX(p.version) < 2"
        ).fetchall()
    }
    db.close()
    assert FILL_AHEAD < len(expected) == 6667 - 4 * 223, len(expected)
    store = await Store.open(path)
    notice = {"key": "pact.updated", "params": {"version": 2}}
    queued = "SELECT user_id FROM deliveries d JOIN jobs j ON j.id = d.job_id WHERE j.key = ?"
    try:
        async with LockWatch(store) as watch:
            result = await store.queue_pact_update(2, notice, clock())
        assert result is not None and result[1] >= len(expected)
        assert max(watch.waits, default=0) < 0.25, f"a write waited {max(watch.waits):.2f} s"
        assert (
            FILL_AHEAD
            <= count(path, f"SELECT COUNT(*) FROM ({queued}) q", "pact:v2")
            < len(expected)
        )
        assert await store.queue_pact_update(2, notice, clock()) is None  # once a version
        for _ in range(100):  # be the outbox: send what is pending, ask for more
            waiting = await store.pending_deliveries(None, people)
            await store.deliveries_sent([(d, 1, None) for d in waiting], clock())
            async with LockWatch(store) as watch:
                more = await store.fill_ahead(clock())
            assert max(watch.waits, default=0) < 0.25, f"a write waited {max(watch.waits):.2f} s"
            if not more and not (await store.job_progress(result[0])).pending:
                break
        db = pgtest.connect(path)
        try:
            reached = [int(r[0]) for r in db.execute(queued, ("pact:v2",)).fetchall()]
        finally:
            db.close()
        assert len(reached) == len(set(reached)) and set(reached) == expected
    finally:
        await store.close()


async def test_a_first_pact_version_looks_at_nobody_and_is_announced_once_for_good(
    settings: Settings, clock: Clock
) -> None:
    """The bot announces its pact version at every start. With nobody pledged to an older
    one (the first version), the job is recorded without a window: a fill would look at all
    20,000 people, a transaction each 500, to find no one. Retention's purge of old jobs
    keeps it, so the notice is never queued a second time at a later start."""
    path = Path(settings.database)
    await populate(path, 20_000, clock())  # pledges to version 1
    store = await Store.open(path)
    windows = 0
    fill_chunk = store._fill_chunk

    async def counted(job_id: int, now: datetime) -> tuple[int, bool]:
        nonlocal windows
        windows += 1
        return await fill_chunk(job_id, now)

    store._fill_chunk = counted  # type: ignore[method-assign]
    notice = {"key": "pact.updated", "params": {"version": 1}}
    try:
        result = await store.queue_pact_update(1, notice, clock())
        assert result is not None and result[1] == 0 and windows == 0
        assert count(path, "SELECT COUNT(*) FROM deliveries") == 0
        await store.purge_deliveries(clock() + timedelta(days=3650))
        assert count(path, "SELECT COUNT(*) FROM jobs WHERE key = 'pact:v1'") == 1
        assert await store.queue_pact_update(1, notice, clock()) is None
    finally:
        await store.close()


@pytest.mark.usefixtures("steady_fills")  # windows of FILL_WINDOW: FILL_AHEAD in one top-up
async def test_a_top_up_that_fails_stops_neither_the_others_nor_a_stopped_job_comes_back(
    settings: Settings, clock: Clock
) -> None:
    """Two broadcasts still being queued: one whose next window fails (a database error, say)
    is logged and left for the next top-up, the other is topped up all the same; a job
    stopped while its people were being queued gets nobody more, whatever its note says."""
    path = Path(settings.database)
    people = 3 * FILL_AHEAD
    await populate(path, people, clock())
    store = await Store.open(path)
    rows = "SELECT COUNT(*) FROM deliveries d JOIN jobs j ON j.id = d.job_id WHERE j.key = ?"
    try:
        jobs = {}
        for key in ("failing", "fine", "stopped"):
            result = await store.queue_message(key, {"text": {"en": key}}, clock())
            assert result is not None
            jobs[key] = result[0]
        # As the outbox: what was queued is sent, so each job wants more.
        sent = await store.pending_deliveries(None, people)
        await store.deliveries_sent([(d, 1, None) for d in sent], clock())
        # A job stopped by an earlier version kept its note of how far it got.
        db = pgtest.connect(path)
        db.execute("UPDATE jobs SET cancelled_at = ? WHERE key = 'stopped'", (stamp(clock()),))
        db.commit()
        db.close()
        fill_chunk = store._fill_chunk

        async def failing(job_id: int, now: datetime) -> tuple[int, bool]:
            if job_id == jobs["failing"]:
                raise sqlite3.OperationalError("disk I/O error")
            return await fill_chunk(job_id, now)

        store._fill_chunk = failing  # type: ignore[method-assign]
        before = {key: count(path, rows, key) for key in jobs}
        assert await store.fill_ahead(clock()) >= FILL_AHEAD
        assert count(path, rows, "failing") == before["failing"]
        assert count(path, rows, "fine") >= before["fine"] + FILL_AHEAD
        assert count(path, rows, "stopped") == before["stopped"]
        store._fill_chunk = fill_chunk  # type: ignore[method-assign]
        assert await store.fill_ahead(clock()) >= FILL_AHEAD  # the failing one, next time
        assert count(path, rows, "failing") >= before["failing"] + FILL_AHEAD
    finally:
        await store.close()

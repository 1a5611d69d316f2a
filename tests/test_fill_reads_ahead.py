"""A slot's chunks keep the write lock short: their pages are read beside the writes first,
and one chunk of all the slots being queued waits for the lock at a time.

A daily-tip or reminder slot is queued a chunk a transaction, and a chunk's people are
scattered over the database. At a million people most of their pages are on the disk, not in
memory, and a chunk read them holding the write lock: up to 40 ms from a cold cache, 75 ms
once in the start's catch-up, every reply's write waiting behind it. So each chunk's people
are read first on the scan connection (which waits for no writer), and the chunk then finds
its pages in the system's cache. And at a slot's hour every zone's slots are queued at once:
a reply's write waited behind a chunk of each."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pgtest
import pytest

from clicksbot.services.reminders import served_by
from clicksbot.store import Store
from clicksbot.store.delivery import FILL_CHUNK

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Manila
DAY = date(2026, 3, 2)
ZONE = "Asia/Manila"
PEOPLE = 2 * FILL_CHUNK + 50
NIGHT = "08:00"  # the early reminder slot: it serves the usual times of the night
SQLITE_ONLY = "reads beside the writes are a SQLite file's (see store.scans)"
pytestmark = pytest.mark.usefixtures("steady_fills")  # chunks of FILL_CHUNK, as counted here


async def slot_of_people(
    path: Path, tip_time: str | None, played: frozenset[int] = frozenset(), times: int = 1
) -> Store:
    """A store of PEOPLE people in Manila (PEOPLE for each of `times` daily-tip times from
    `tip_time` on, an hour apart; or no daily tip), each with a reminder at 07:00; those
    `played` have played today (no reminder is due to them)."""
    store = await Store.open(path)
    await store.close()
    hours = [f"{int(tip_time[:2]) + n:02d}{tip_time[2:]}" for n in range(times)] if tip_time else []
    people = [
        (9000 + n, hours[n // PEOPLE] if hours else None) for n in range(PEOPLE * max(1, times))
    ]
    with pgtest.connect(path) as db:
        db.executemany(
            "INSERT INTO users (id, language, created_at, last_seen_at, time_zone, tip_time)"
            " VALUES (?, 'en', ?, ?, ?, ?)",
            [(uid, NOW.isoformat(), NOW.isoformat(), ZONE, at) for uid, at in people],
        )
        db.executemany(
            "INSERT INTO reminders (user_id, usual, time_zone) VALUES (?, '07:00', ?)",
            [(uid, ZONE) for uid, _ in people],
        )
        db.executemany(
            "INSERT INTO activity_days (user_id, day) VALUES (?, ?)",
            [(uid, DAY.isoformat()) for uid in sorted(played)],
        )
    return await Store.open(path)


def recording(store: Store) -> list[tuple[str, Any]]:
    """Record the store's reads beside the writes and the people each chunk queued, in order."""
    events: list[tuple[str, Any]] = []
    scan, fill_chunk = store._scan, store._fill_chunk

    async def read(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        rows = await scan(sql, params)
        events.append(("read", (sql, tuple(params), rows)))
        return rows

    async def chunk(job_id: int, now: datetime) -> tuple[int, bool]:
        before = await queued(store, job_id)
        result = await fill_chunk(job_id, now)
        events.append(("chunk", await queued(store, job_id) - before))
        return result

    store._scan = read  # type: ignore[method-assign]
    store._fill_chunk = chunk  # type: ignore[method-assign]
    return events


async def queued(store: Store, job_id: int) -> set[int]:
    async with store._db.execute(
        "SELECT user_id FROM deliveries WHERE job_id = ?", (job_id,)
    ) as cur:
        return {int(row[0]) for row in await cur.fetchall()}


def reads_before_each_chunk(events: list[tuple[str, Any]]) -> list[tuple[list[Any], set[int]]]:
    """For each chunk: the reads made since the chunk before, and the people it queued."""
    found: list[tuple[list[Any], set[int]]] = []
    reads: list[Any] = []
    for kind, what in events:
        if kind == "read":
            reads.append(what)
        else:
            found.append((reads, what))
            reads = []
    return found


def scans(path: Path, reads: list[Any]) -> list[str]:
    """The reads' plan lines that read a whole table."""
    db = sqlite3.connect(path)
    try:
        return [
            str(row[3])
            for sql, params, _ in reads
            for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)
            if str(row[3]).startswith("SCAN")
        ]
    finally:
        db.close()


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_each_chunk_of_a_daily_tip_slot_reads_its_people_ahead(tmp_path: Path) -> None:
    """Before each chunk, its people and their outbox rows are read on the scan connection,
    through indexes: the very people the chunk then queues (the slot's order: a chunk starts
    where the last ended)."""
    path = tmp_path / "bot.sqlite3"
    store = await slot_of_people(path, "07:30")
    try:
        events = recording(store)
        result = await store.queue_tip_slot(ZONE, "07:30", DAY, NOW)
        assert result is not None and result[1] == PEOPLE
        chunks = reads_before_each_chunk(events)
        assert [len(people) for _, people in chunks] == [FILL_CHUNK, FILL_CHUNK, 50]
        for reads, people in chunks:
            assert len(reads) == 1 and "deliveries" in reads[0][0]
            assert {int(row[0]) for row in reads[0][2]} == people
            assert scans(path, reads) == []
    finally:
        await store.close()


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_each_chunk_of_a_reminder_slot_reads_its_people_ahead(tmp_path: Path) -> None:
    """A reminder slot's people are listed by one read (those who played today are not);
    before each chunk, the chunk's part of the list is read again on the scan connection,
    through indexes: their reminders, rows and days, and their outbox rows. The chunk queues
    those people."""
    path = tmp_path / "bot.sqlite3"
    played = frozenset(9000 + n for n in range(0, PEOPLE, 3))
    store = await slot_of_people(path, None, played)
    try:
        events = recording(store)
        result = await store.queue_reminder_slot(ZONE, NIGHT, served_by(NIGHT), DAY, NOW, ZONE)
        assert result is not None and result[1] == PEOPLE - len(played)
        chunks = reads_before_each_chunk(events)
        listed = [9000 + n for n in range(PEOPLE) if 9000 + n not in played]
        assert len(chunks) == 2 and len(listed) > FILL_CHUNK
        for number, (reads, people) in enumerate(chunks):
            if number == 0:
                reads = reads[1:]  # the slot's list
            part = tuple(listed[number * FILL_CHUNK : (number + 1) * FILL_CHUNK])
            outbox = [args for sql, args, _ in reads if "FROM deliveries" in sql]
            due = [args[: len(part)] for sql, args, _ in reads if "FROM reminders" in sql]
            assert outbox == [part] and due == [part]
            assert people == set(part)
            assert scans(path, reads) == []
    finally:
        await store.close()


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_a_slot_whose_read_ahead_fails_is_queued_all_the_same(tmp_path: Path) -> None:
    """The read ahead is only a head start: when the scan connection cannot read (busy, say),
    each chunk reads for itself, and the slot is queued in full."""
    store = await slot_of_people(tmp_path / "bot.sqlite3", "07:30")
    try:

        async def busy(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
            raise sqlite3.OperationalError("database is locked")

        store._scan = busy  # type: ignore[method-assign]
        result = await store.queue_tip_slot(ZONE, "07:30", DAY, NOW)
        assert result is not None and result[1] == PEOPLE
        assert len(await queued(store, result[0])) == PEOPLE
    finally:
        await store.close()


async def test_a_reply_waits_for_one_chunk_however_many_slots_are_queued_at_once(
    tmp_path: Path,
) -> None:
    """Twelve slots come at once (every zone's at the hour, as their jobs fire together): a
    reply's write made meanwhile waits for the chunk holding the write lock at most (chunks
    that end while it waits), not for a chunk of each slot."""
    times = 12
    store = await slot_of_people(tmp_path / "bot.sqlite3", "07:30", times=times)
    try:
        ended: list[int] = []
        first = asyncio.Event()
        fill_chunk = store._fill_chunk

        async def chunk(job_id: int, now: datetime) -> tuple[int, bool]:
            result = await fill_chunk(job_id, now)
            ended.append(job_id)
            first.set()
            return result

        store._fill_chunk = chunk  # type: ignore[method-assign]
        slots = [
            asyncio.create_task(store.queue_tip_slot(ZONE, f"{7 + n:02d}:30", DAY, NOW))
            for n in range(times)
        ]
        await first.wait()
        waited = []
        for person in range(5):  # five newcomers, one after another, as the slots go on
            assert await store.get_user(1 + person) is None
            before = len(ended)
            await store._add_user(1 + person, "en", NOW)  # the write of their first reply
            waited.append(len(ended) - before)
        done = await asyncio.gather(*slots)
        assert [r[1] for r in done if r] == [PEOPLE] * times
        assert max(waited) <= 1, waited
    finally:
        await store.close()


async def test_a_reply_waits_for_one_fill_write_when_the_slots_open_their_jobs_at_once(
    tmp_path: Path,
) -> None:
    """At a slot's hour every zone's slots open their jobs together: a reply's write made as
    they begin waits for one of the fills' writes at most (an opening or a chunk), not for
    every slot's opening."""
    times = 12
    store = await slot_of_people(tmp_path / "bot.sqlite3", "07:30", times=times)
    try:
        ended: list[str] = []
        create_fill, fill_chunk = store._create_fill, store._fill_chunk

        async def opened(*args: Any) -> int | None:
            result = await create_fill(*args)
            ended.append("open")
            return result

        async def chunk(job_id: int, now: datetime) -> tuple[int, bool]:
            result = await fill_chunk(job_id, now)
            ended.append("chunk")
            return result

        store._create_fill = opened  # type: ignore[method-assign]
        store._fill_chunk = chunk  # type: ignore[method-assign]
        slots = [
            asyncio.create_task(store.queue_tip_slot(ZONE, f"{7 + n:02d}:30", DAY, NOW))
            for n in range(times)
        ]
        await asyncio.sleep(0)  # every slot's job is on its way to being opened
        assert await store.get_user(1) is None
        before = len(ended)
        await store._add_user(1, "en", NOW)  # the write of a newcomer's first reply
        waited = ended[before:]
        done = await asyncio.gather(*slots)
        assert [r[1] for r in done if r] == [PEOPLE] * times
        assert len(waited) <= 1, waited
    finally:
        await store.close()

"""A slot's chunk reads its people's pages beside the writes before it takes the write lock.

A daily-tip or reminder slot is queued a chunk a transaction, and a chunk's people are
scattered over the database. At a million people most of their pages are on the disk, not in
memory, and a chunk read them holding the write lock: up to 30 ms from a cold cache, 75 ms
once in the start's catch-up, every reply's write waiting behind it. So each chunk's people
and their rows in the outbox are read first on the scan connection (which waits for no
writer), and the chunk then finds its pages in the system's cache."""

from __future__ import annotations

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
AHEAD_OUTBOX = "SELECT COUNT(*) FROM deliveries WHERE user_id IN ("
AHEAD_DUE = "SELECT COUNT(*) FROM reminders r JOIN users u"


async def slot_of_people(path: Path, tip_time: str | None, played: set[int]) -> Store:
    """A store of PEOPLE people in Manila, each with a daily tip at `tip_time` (or none) and
    a reminder at 07:00; those `played` have played today (no reminder is due to them)."""
    store = await Store.open(path)
    await store.close()
    with pgtest.connect(path) as db:
        db.executemany(
            "INSERT INTO users (id, language, created_at, last_seen_at, time_zone, tip_time)"
            " VALUES (?, 'en', ?, ?, ?, ?)",
            [(9000 + n, NOW.isoformat(), NOW.isoformat(), ZONE, tip_time) for n in range(PEOPLE)],
        )
        db.executemany(
            "INSERT INTO reminders (user_id, usual, time_zone) VALUES (?, '07:00', ?)",
            [(9000 + n, ZONE) for n in range(PEOPLE)],
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
        done = await fill_chunk(job_id, now)
        events.append(("chunk", await queued(store, job_id) - before))
        return done

    store._scan = read  # type: ignore[method-assign]
    store._fill_chunk = chunk  # type: ignore[method-assign]
    return events


async def queued(store: Store, job_id: int) -> set[int]:
    async with store._db.execute(
        "SELECT user_id FROM deliveries WHERE job_id = ?", (job_id,)
    ) as cur:
        return {int(row[0]) for row in await cur.fetchall()}


def reads_before_each_chunk(events: list[tuple[str, Any]]) -> list[tuple[list[Any], set[int]]]:
    """Each chunk's people, with the reads made since the chunk before."""
    found: list[tuple[list[Any], set[int]]] = []
    reads: list[Any] = []
    for kind, what in events:
        if kind == "read":
            reads.append(what)
        else:
            found.append((reads, what))
            reads = []
    return found


@pytest.mark.sqlite_only("PostgreSQL has no connection beside the writes to read ahead on")
async def test_each_chunk_of_a_daily_tip_slot_reads_its_people_ahead(tmp_path: Path) -> None:
    """Before each chunk, its people and their outbox rows are read on the scan connection:
    the very people the chunk then queues (the slot's order: a chunk starts where the last
    ended)."""
    store = await slot_of_people(tmp_path / "bot.sqlite3", "07:30", set())
    try:
        events = recording(store)
        result = await store.queue_tip_slot(ZONE, "07:30", DAY, NOW)
        assert result is not None and result[1] == PEOPLE
        chunks = reads_before_each_chunk(events)
        assert [len(people) for _, people in chunks] == [FILL_CHUNK, FILL_CHUNK, 50]
        for reads, people in chunks:
            ahead = [rows for sql, _, rows in reads if "deliveries" in sql]
            assert len(ahead) == 1, reads
            assert {int(row[0]) for row in ahead[0]} == people
    finally:
        await store.close()


@pytest.mark.sqlite_only("PostgreSQL has no connection beside the writes to read ahead on")
async def test_each_chunk_of_a_reminder_slot_reads_its_people_ahead(tmp_path: Path) -> None:
    """A reminder slot's people are listed by one read (those who played today are not);
    before each chunk, the chunk's part of the list is read again on the scan connection:
    their reminders, rows and days, and their outbox rows. The chunk queues those people."""
    played = {9000 + n for n in range(0, PEOPLE, 3)}
    store = await slot_of_people(tmp_path / "bot.sqlite3", None, played)
    try:
        events = recording(store)
        result = await store.queue_reminder_slot(ZONE, NIGHT, served_by(NIGHT), DAY, NOW, ZONE)
        assert result is not None and result[1] == PEOPLE - len(played)
        chunks = reads_before_each_chunk(events)
        listed = [9000 + n for n in range(PEOPLE) if 9000 + n not in played]
        assert len(chunks) == 2 and len(listed) > FILL_CHUNK
        for number, (reads, people) in enumerate(chunks):
            part = tuple(listed[number * FILL_CHUNK : (number + 1) * FILL_CHUNK])
            outbox = [args for sql, args, _ in reads if sql.startswith(AHEAD_OUTBOX)]
            due = [args[: len(part)] for sql, args, _ in reads if sql.startswith(AHEAD_DUE)]
            assert outbox == [part]
            assert due == [part]
            assert people == set(part)
    finally:
        await store.close()

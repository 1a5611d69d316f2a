"""A fill's transactions follow the disk's pace: each holds the write lock about FILL_HOLD.

A daily-tip slot, a reminder slot or an audience is queued a chunk (or window) of people a
transaction, and every reply's write waits for the one under way. A chunk of 100 people held
the write lock 18-25 ms at a million people on one machine and 41-82 ms on a slower one, where
a /tip then waited up to 68 ms. So on SQLite each transaction's size follows how long the
last one's statements took. Here the disk is made slow for real: a trigger on the outbox has
every queued row cost 0.4 ms (0.2 ms for an audience's), inside the transaction."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from clicksbot.store import Store, delivery
from clicksbot.store.delivery import (
    FILL_CHUNK,
    FILL_HOLD,
    FILL_LEAST,
    FILL_WINDOW_LEAST,
    FillPace,
)

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Manila
DAY = date(2026, 3, 2)
ZONE = "Asia/Manila"
SQLITE_ONLY = "the pace is SQLite's: on PostgreSQL the sizes stay as they are"


def test_the_next_size_is_what_fits_in_the_hold_at_the_last_ones_pace() -> None:
    pace = FillPace(FILL_CHUNK, FILL_LEAST)
    assert pace.size == FILL_LEAST  # a new store's first chunk: the pace is not known
    pace.went(10, 10, FILL_HOLD / 10)  # quick: no more than twice as many next
    assert pace.size == 20
    pace.went(20, 20, FILL_HOLD / 10)
    pace.went(40, 40, FILL_HOLD / 10)
    pace.went(80, 80, FILL_HOLD / 10)
    assert pace.size == FILL_CHUNK  # never above the largest
    pace.went(100, 100, 1.5 * FILL_HOLD)  # half as long again as it should
    assert pace.size == 66
    pace.went(66, 66, FILL_HOLD)  # just right
    assert pace.size == 66
    pace.went(66, 66, 10 * FILL_HOLD)  # one stall (a checkpoint beside it): half, no less
    assert pace.size == 33
    pace.went(33, 5, 10 * FILL_HOLD)  # a slot's last few: its fixed costs, not the pace
    assert pace.size == 33
    pace.went(33, 0, 1.0)  # nobody queued: says nothing
    assert pace.size == 33
    for _ in range(5):
        pace.went(pace.size, pace.size, 10 * FILL_HOLD)
    assert pace.size == FILL_LEAST  # and never below the least


async def slow_store(path: Path, people: int, tip_time: str | None, row_cost: float) -> Store:
    """A store of `people` people in Manila (with a daily tip at `tip_time`), whose outbox
    rows each cost `row_cost` seconds to insert, in the writer's transaction."""
    store = await Store.open(path)  # the schema, then the people beside it
    await store.close()
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO users (id, language, created_at, last_seen_at, time_zone, tip_time)"
            " VALUES (?, 'en', ?, ?, ?, ?)",
            [(9000 + n, NOW.isoformat(), NOW.isoformat(), ZONE, tip_time) for n in range(people)],
        )
    db.close()
    store = await Store.open(path)
    await slow_outbox(store, row_cost)
    return store


async def slow_outbox(store: Store, row_cost: float) -> None:
    """Make each outbox row cost `row_cost` seconds to insert (0: as usual again)."""
    await store._db.execute("DROP TRIGGER IF EXISTS temp.slow_outbox")
    if row_cost:
        await store._db.create_function("pause", 0, lambda: time.sleep(row_cost))
        await store._db.execute(
            "CREATE TEMP TRIGGER slow_outbox AFTER INSERT ON main.deliveries"
            " BEGIN SELECT pause(); END"
        )
    await store._db.commit()


def chunk_sizes(store: Store) -> list[int]:
    """Record how many people each of the store's fill transactions queued, in order."""
    sizes: list[int] = []
    fill_chunk = store._fill_chunk

    async def chunk(job_id: int, now: datetime) -> tuple[int, bool]:
        count, done = await fill_chunk(job_id, now)
        sizes.append(count)
        return count, done

    store._fill_chunk = chunk  # type: ignore[method-assign]
    return sizes


def queued(path: Path, job_id: int) -> list[int]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT user_id FROM deliveries WHERE job_id = ?", (job_id,))
        people = [int(row[0]) for row in rows]
    db.close()
    return people


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_a_slot_on_a_slow_disk_is_queued_in_chunks_that_hold_the_lock_briefly(
    tmp_path: Path,
) -> None:
    """At 0.4 ms a row a chunk of 100 holds the lock over 40 ms: the next ones take what fits
    in FILL_HOLD (about 35 people; fewer if this machine is slow besides), starting from
    FILL_LEAST, and everyone is queued once. The pace stays with the store: the next slot
    starts where it left off, and once the disk is quick again its chunks grow, each at most
    twice the last."""
    path = tmp_path / "bot.sqlite3"
    people = 600
    store = await slow_store(path, people, "07:30", 0.0004)
    try:
        sizes = chunk_sizes(store)
        result = await store.queue_tip_slot(ZONE, "07:30", DAY, NOW)
        assert result is not None
        job_id, count = result
        assert count == people
        assert sorted(queued(path, job_id)) == list(range(9000, 9000 + people))
        assert sizes[0] == FILL_LEAST  # the first, before the pace is known
        fits = int(FILL_HOLD / 0.0004)  # 37
        assert all(FILL_LEAST <= size <= fits for size in sizes[:-1]), sizes
        assert len(sizes) > people // fits, sizes
        paced = store._fill_paces["tip"].size
        assert FILL_LEAST <= paced <= fits

        await slow_outbox(store, 0)
        sizes.clear()
        later = DAY.replace(day=3)
        result = await store.queue_tip_slot(ZONE, "07:30", later, NOW.replace(day=3))
        assert result is not None and result[1] == people
        assert sizes[0] == paced  # the pace the last slot left
        assert all(b <= 2 * a for a, b in pairwise(sizes[:-1])), sizes
        assert max(sizes) > paced, sizes
    finally:
        await store.close()


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_a_fill_transaction_that_held_the_lock_long_is_logged_with_its_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Past SLOW_FILL a fill's transaction is logged (at debug level: benchmarks/stallwatch
    prints it) with how many people it took, so that a slow reply's wait is told apart: a
    slow disk, or a size learnt wrong."""
    monkeypatch.setattr(delivery, "SLOW_FILL", 0.0)  # every transaction, here
    caplog.set_level(logging.DEBUG, logger="clicksbot.store.delivery")
    store = await slow_store(tmp_path / "bot.sqlite3", 200, "07:30", 0.0004)
    try:
        sizes = chunk_sizes(store)
        assert await store.queue_tip_slot(ZONE, "07:30", DAY, NOW) is not None
        lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("A fill")]
        assert [int(line.split(" of ")[1].split()[0]) for line in lines] == sizes
        assert lines[0].startswith(f"A fill's transaction (tip) of {FILL_LEAST} people")
        assert "holding the write lock; the next takes" in lines[0]
    finally:
        await store.close()


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_an_audience_on_a_slow_disk_is_queued_in_smaller_windows(tmp_path: Path) -> None:
    """The same for an audience's windows (people next to each other by id): at 0.2 ms a row
    a window of 500 would hold the lock 100 ms; they look at about 75 people, and at least
    FILL_WINDOW_LEAST. Everybody is queued once."""
    path = tmp_path / "bot.sqlite3"
    people = 1500
    store = await slow_store(path, people, None, 0.0002)
    try:
        sizes = chunk_sizes(store)
        result = await store.queue_message("everyone", {"html": "Hello"}, NOW)
        assert result is not None
        job_id, count = result
        assert count == people
        assert sorted(queued(path, job_id)) == list(range(9000, 9000 + people))
        fits = max(FILL_WINDOW_LEAST, int(FILL_HOLD / 0.0002))  # 75
        assert all(FILL_WINDOW_LEAST <= size <= fits for size in sizes[:-1]), sizes
        assert len(sizes) > people // fits, sizes
        assert store._fill_paces["tip"].size == FILL_LEAST  # slots' chunks: a pace of their own
    finally:
        await store.close()


@pytest.mark.sqlite_only(SQLITE_ONLY)
async def test_a_reply_waits_for_a_paced_chunk_not_a_whole_one(tmp_path: Path) -> None:
    """What a person sees: while a slot of 1,000 people is queued on the slow disk, a
    reply's write (here taking the write lock every 5 ms, as replies would) waits about
    FILL_HOLD, not the 40 ms or more a chunk of FILL_CHUNK holds at that pace (measured
    here: waits of 10-18 ms paced, 50-59 ms in chunks of 100)."""
    path = tmp_path / "bot.sqlite3"
    store = await slow_store(path, 1000, "07:30", 0.0004)
    waits: list[float] = []
    filled = False

    async def replies() -> None:
        while not filled:
            asked = time.perf_counter()
            async with store._write_lock:
                waits.append(time.perf_counter() - asked)
            await asyncio.sleep(0.005)

    try:
        replying = asyncio.create_task(replies())
        result = await store.queue_tip_slot(ZONE, "07:30", DAY, NOW)
        filled = True
        await replying
        assert result is not None and result[1] == 1000
        waits.sort()
        assert len(waits) > 10, waits
        assert waits[int(len(waits) * 0.9)] < 2 * FILL_HOLD, waits
    finally:
        await store.close()

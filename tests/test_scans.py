"""Reads over everyone go to a connection of their own (store.scans): on the store's connection
every reply's statement waited behind them (at a million people, 170-250 ms for the reminder
slots at start and every five minutes; the outbox figures at each /metrics scrape)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pgtest
import pytest

from clicksbot.store import Store

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def populated(path: Path, people: int = 50) -> Store:
    store = await Store.open(path)
    for n in range(people):
        await store.touch_user(7000 + n, "en", NOW - timedelta(days=n))
        await store.set_place(7000 + n, "PH", "Asia/Manila")
        await store.set_tip_time(7000 + n, "07:30")
        await store.set_reminder(7000 + n, "19:00")
    return store


SCANS = {
    "count_users": lambda s: s.count_users(),
    "delivery_stats": lambda s: s.delivery_stats(NOW),
    "tip_slots": lambda s: s.tip_slots(),
    "reminder_times": lambda s: s.reminder_times("Asia/Kuala_Lumpur"),
    "inactive_people": lambda s: s.inactive_people(NOW, frozenset()),
    "compact_deliveries": lambda s: s.compact_deliveries(NOW - timedelta(days=2)),
}


@pytest.mark.sqlite_only("the scan connection is SQLite's (PostgreSQL's pool has many)")
async def test_reads_over_everyone_leave_the_replies_connection_alone(tmp_path: Path) -> None:
    """Each of them issues nothing on the store's connection, and sees what is committed."""
    store = await populated(tmp_path / "bot.sqlite3")
    on_store: list[str] = []
    await store._db.set_trace_callback(on_store.append)
    try:
        for name, call in SCANS.items():
            on_store.clear()
            result = await call(store)
            assert not on_store, f"{name} read on the store's connection: {on_store}"
            if name == "count_users":
                assert result == 50
            if name == "tip_slots":
                assert result == [("Asia/Manila", "07:30")]
            if name == "reminder_times":
                assert result == [("Asia/Manila", "07:30")]  # the tip's time wins
            if name == "inactive_people":
                assert len(result) == 49  # all but the one seen at NOW
    finally:
        await store._db.set_trace_callback(None)
        await store.close()


@pytest.mark.sqlite_only("the scan connection is SQLite's (PostgreSQL's pool has many)")
async def test_a_reply_does_not_wait_for_a_long_read_over_everyone(tmp_path: Path) -> None:
    """While a read over everyone runs for a good while, a person's reads and writes on the
    store's connection are answered at once."""
    store = await populated(tmp_path / "bot.sqlite3")
    try:
        await store.count_users()  # opens the scan connection
        line = store._scan_line
        assert line is not None
        # A slow read there: SQLite's recursive count to 3 million (~0.3 s and more).
        slow = asyncio.create_task(
            line.execute_fetchall(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                " WHERE i < 3000000) SELECT COUNT(*) FROM n"
            )
        )
        await asyncio.sleep(0.05)
        began = time.perf_counter()
        assert await store.get_user(7001) is not None
        await store.touch_user(7001, "en", NOW)
        took = time.perf_counter() - began
        assert not slow.done()
        assert took < 0.1, took
        await slow
    finally:
        await store.close()


@pytest.mark.sqlite_only("the scan connection is SQLite's (PostgreSQL's pool has many)")
async def test_a_read_over_everyone_sees_what_was_committed_before_it(tmp_path: Path) -> None:
    """Two reads on the scan connection at once: the second sees what was committed before
    it began, though the first, begun earlier, is still being read. (Run by one call and
    read by the next, a read let the other's statement run in between, inside its own read
    transaction: a reminder slot's job, just created, was not there.)"""
    store = await populated(tmp_path / "bot.sqlite3")
    try:
        await store.count_users()  # opens the scan connection
        # A slow read of a table (a million seeks into users, a good part of a second): its
        # read transaction opens at its start.
        slow = asyncio.create_task(
            store._scan(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                " WHERE i < 1000000) SELECT COUNT(*) FROM n JOIN users u"
                " ON u.id = 7000 + n.i % 50"
            )
        )
        await asyncio.sleep(0.05)  # it runs
        await store.touch_user(4242, "en", NOW)  # committed on the store's connection
        seen = await store._scan("SELECT id FROM users WHERE id = ?", (4242,))
        assert seen == [(4242,)]
        assert (await slow)[0][0] == 1_000_000
    finally:
        await store.close()


def test_no_two_parts_of_the_store_define_the_same_method() -> None:
    """The store is made of mixins; a method two of them define, neither extending the other,
    silently takes one of them for everything (after a merge, every update's read went to the
    impact report's `_rows`, which opens a connection per call)."""
    parts = [c for c in Store.__mro__ if c not in (Store, object)]
    seen: dict[str, type] = {}
    clashes = []
    for part in parts:
        for name, member in vars(part).items():
            if not callable(member) or name.startswith("__"):
                continue
            other = seen.get(name)
            if other is not None and not (issubclass(other, part) or issubclass(part, other)):
                clashes.append(f"{name}: {other.__name__} and {part.__name__}")
            seen.setdefault(name, part)
    assert not clashes, clashes


@pytest.mark.sqlite_only("the scan connection is SQLite's (PostgreSQL's pool has many)")
async def test_retention_reads_a_persons_rows_before_its_write(tmp_path: Path) -> None:
    """A retention batch first reads, on the scan connection, the rows its deletions go
    through (the inactive are the coldest rows: at a million people one deletion waited up
    to 225 ms on the disk, holding the write lock); then deletes them all."""
    store = await populated(tmp_path / "bot.sqlite3", people=5)
    try:
        await store.count_users()  # opens the scan connection
        line = store._scan_line
        assert line is not None
        read: list[str] = []
        await line.set_trace_callback(read.append)
        people = [7001, 7002]
        left = list(people)
        while left:
            taken, _ = await store.forget_some(left, 0.02)
            left = left[taken:]
        await line.set_trace_callback(None)
        for table in ("users", "answers", "deliveries", "pledges", "reminders", "seen_tips"):
            assert any(f"FROM {table} WHERE" in sql for sql in read), (table, read)
        assert [await store.get_user(p) for p in people] == [None, None]
        assert await store.count_users() == 3
    finally:
        await store.close()


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="no PostgreSQL server: set CLICKSBOT_TEST_DATABASE=postgresql://... "
    "(`bash .ci/postgres start` prints one)",
)
async def test_retention_on_postgresql_lets_a_newcomer_in_between_two_people(
    tmp_path: Path,
) -> None:
    """On PostgreSQL a retention batch commits each person: a newcomer's /start waits for
    one person's deletion, not the batch's, however long the batch's budget. Here the
    batch is held between its first and second person."""
    store = await populated(tmp_path / "bot.sqlite3", people=3)
    between, go_on = asyncio.Event(), asyncio.Event()
    forget = store._forget_one
    calls = 0

    async def held(user_id: int, before: datetime | None) -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:
            between.set()
            await go_on.wait()
        return await forget(user_id, before)

    store._forget_one = held  # type: ignore[method-assign]
    try:
        batch = asyncio.create_task(store.forget_some([7000, 7001, 7002], 60.0))
        await asyncio.wait_for(between.wait(), 10)
        await asyncio.wait_for(store.touch_user(9000, "en", NOW), 5)  # not behind the batch
        assert await store.get_user(7000) is None  # the first is gone, committed
        go_on.set()
        assert await batch == (3, 3)
        assert await store.count_users() == 1
    finally:
        go_on.set()
        await store.close()


async def test_retention_keeps_who_came_back_after_the_list_was_read(tmp_path: Path) -> None:
    """The pass reads its list of the inactive, then forgets them batch by batch; someone on
    the list who writes to the bot meanwhile, or becomes a moderator, is kept (checked in
    the deletion's own transaction), and counted as taken, not forgotten."""
    store = await populated(tmp_path / "bot.sqlite3", people=5)
    try:
        before = NOW - timedelta(hours=12)  # all but 7000 are inactive
        people = await store.inactive_people(before, frozenset())
        assert sorted(people) == [7001, 7002, 7003, 7004]
        await store.touch_user(7002, "en", NOW)  # came back
        assert await store.add_moderator(7003, 7000, NOW)  # made a moderator
        left, forgotten = list(people), 0
        while left:
            taken, known = await store.forget_some(left, 60.0, before)
            left, forgotten = left[taken:], forgotten + known
        assert forgotten == 2
        assert {p for p in people if await store.get_user(p) is not None} == {7002, 7003}
    finally:
        await store.close()

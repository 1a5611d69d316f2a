"""A reminder slot queues exactly its people, and finds them through indexes: at a million
people, reading every reminder for each of a day's slots held the write lock 250 ms a slot
(hundreds of slots at start), and every reply waited behind it.

The slot's people are checked against the plain rule (the one statement the store used
before, over every reminder), on a mix of people chosen to touch each of its edges."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pgtest
import pytest

from clicksbot.services.reminders import served_by
from clicksbot.store import Store
from clicksbot.store.delivery import FILL_CHUNK

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Kuala Lumpur and Manila
DAY = date(2026, 3, 2)
DEFAULT = "Asia/Kuala_Lumpur"
NIGHT = "08:00"  # the early slot: it serves the usual times of the night (04:00 to 08:00)
ZONES = [DEFAULT, "Asia/Manila", None]
SLOTS = ["08:00", "19:00", "12:15"]

# A plan's line for a read of a whole table that grows with people.
WHOLE = ("SCAN u", "SCAN r", "SCAN users", "SCAN reminders", "SCAN deliveries", "SCAN a")

# The rule, over every reminder (the store's statement before it read through indexes).
RULE = (
    "SELECT r.user_id FROM reminders r JOIN users u ON u.id = r.user_id"
    " WHERE COALESCE(u.time_zone, ?) = ? AND COALESCE(u.tip_time, r.usual) BETWEEN ? AND ?"
    " AND (u.tip_time IS NULL OR u.tip_time != ?) AND u.unreachable_since IS NULL"
    " AND (r.last_day IS NULL OR r.last_day < ? OR r.last_day > ?)"
    " AND NOT EXISTS (SELECT 1 FROM activity_days a WHERE a.user_id = r.user_id AND a.day = ?)"
)


async def populate(store: Store, path: Path, people: int = 400) -> None:
    rng = random.Random(22)
    times = ["04:00", "05:30", "07:45", "08:00", "12:15", "19:00", "20:45"]
    played, unreachable = [], []
    moved: list[tuple[str | None, int]] = []
    retimed: list[tuple[str | None, int]] = []
    for n in range(people):
        uid = 5000 + n
        await store.touch_user(uid, "en", NOW)
        zone = rng.choice(ZONES)
        if zone is not None:
            await store.set_place(uid, None, zone)
        if rng.random() < 0.5:
            await store.set_tip_time(uid, rng.choice(times))
        if rng.random() < 0.8:
            last = rng.choice([None, date(2026, 3, 1), DAY, date(2026, 3, 3)])
            await store.set_reminder(uid, rng.choice(times), last)
            if rng.random() < 0.25:  # moved after: the reminder goes with them
                moved.append((rng.choice(ZONES), uid))
            if rng.random() < 0.25:  # a tip time changed after, or dropped: it follows too
                retimed.append((rng.choice([None, *times]), uid))
        if rng.random() < 0.1:
            played.append(uid)
        if rng.random() < 0.05:
            unreachable.append(uid)
    with pgtest.connect(path) as db:
        db.executemany(
            "INSERT INTO activity_days (user_id, day) VALUES (?, ?)",
            [(uid, DAY.isoformat()) for uid in played],
        )
        db.executemany(
            "UPDATE users SET unreachable_since = ? WHERE id = ?",
            [(NOW.isoformat(), uid) for uid in unreachable],
        )
        # However a zone changes (to none, too), the reminder's copy of it follows.
        db.executemany("UPDATE users SET time_zone = ? WHERE id = ?", moved)
        db.executemany("UPDATE users SET tip_time = ? WHERE id = ?", retimed)


def by_rule(path: Path, zone: str, slot: str) -> set[int]:
    low, high = served_by(slot)
    args = (DEFAULT, zone, low, high, slot, DAY.isoformat(), DAY.isoformat(), DAY.isoformat())
    with pgtest.connect(path) as db:
        return {int(row[0]) for row in db.execute(RULE, args).fetchall()}


async def queued(store: Store, job_id: int) -> set[int]:
    async with store._db.execute(
        "SELECT user_id FROM deliveries WHERE job_id = ?", (job_id,)
    ) as cur:
        return {int(row[0]) for row in await cur.fetchall()}


async def test_a_slot_queues_the_people_the_rule_says(tmp_path: Path) -> None:
    """In the default zone (people without a zone are in it) and another; at the early
    slot that serves the night's usual times (04:00 to 08:00) and at ordinary ones; people
    whose daily tip comes at the slot left to their tip, those who played that day, who
    were reminded that day, or are unreachable left out; each queued person's last day set."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    try:
        await populate(store, path)
        total = 0
        for zone in (DEFAULT, "Asia/Manila"):
            for slot in SLOTS:
                expected = by_rule(path, zone, slot)
                result = await store.queue_reminder_slot(
                    zone, slot, served_by(slot), DAY, NOW, DEFAULT
                )
                assert result is not None
                job_id, count = result
                assert await queued(store, job_id) == expected, (zone, slot)
                assert count == len(expected)
                for uid in expected:
                    reminder = await store.reminder(uid)
                    assert reminder is not None and reminder.last_day == DAY
                assert by_rule(path, zone, slot) == set()  # nobody twice in a day
                total += count
        assert total > 20  # the mix reaches every part
    finally:
        await store.close()


# The reminder slots, by the same rule: every reminder with its person's zone and time.
SLOTS_RULE = (
    "SELECT DISTINCT COALESCE(u.time_zone, ?), COALESCE(u.tip_time, r.usual)"
    " FROM reminders r JOIN users u ON u.id = r.user_id ORDER BY 1, 2"
)


async def test_the_reminder_slots_are_those_the_rule_says(tmp_path: Path) -> None:
    """The zones and times read at start from the reminders alone (each keeps its person's
    zone and tip time: m024, m027) are those of the people, however zones and tip times
    changed after the reminder was set, to none too."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)

    def by_rule() -> list[tuple[str, str]]:
        with pgtest.connect(path) as db:
            return [tuple(row) for row in db.execute(SLOTS_RULE, (DEFAULT,)).fetchall()]

    try:
        await populate(store, path)
        assert len(by_rule()) > 10
        assert await store.reminder_times(DEFAULT) == by_rule()
        # One person alone in a zone: their slot follows each change of their tip time.
        lone, zone = 9000, "Asia/Almaty"
        await store.touch_user(lone, "en", NOW)
        await store.set_place(lone, None, zone)
        await store.set_tip_time(lone, "06:40")
        await store.set_reminder(lone, "21:00")
        for tip, slot in (("06:40", "06:40"), ("07:10", "07:10"), (None, "21:00")):
            await store.set_tip_time(lone, tip)
            times = await store.reminder_times(DEFAULT)
            assert [t for t in times if t[0] == zone] == [(zone, slot)]
            assert times == by_rule()
    finally:
        await store.close()


@pytest.mark.sqlite_only("SQLite's EXPLAIN QUERY PLAN")
async def test_the_reminder_slots_read_no_person(tmp_path: Path) -> None:
    """Read at every start: at a million people, joined with users it read every person
    (on PostgreSQL 0.7-1.2 s, on three processes at once, beside the first replies)."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    statements: list[str] = []
    scan = await store._scan_connection()  # the slots are read there
    await scan.set_trace_callback(statements.append)
    try:
        await store.reminder_times(DEFAULT)
    finally:
        await scan.set_trace_callback(None)
        await store.close()
    [sql] = [sql for sql in statements if "reminders" in sql]
    db = sqlite3.connect(path)
    try:
        plan = [str(row[3]) for row in db.execute("EXPLAIN QUERY PLAN " + sql)]
    finally:
        db.close()
    assert not any("users" in line for line in plan), plan


@pytest.mark.sqlite_only("SQLite's EXPLAIN QUERY PLAN")
async def test_a_slot_reads_no_whole_table(tmp_path: Path) -> None:
    """Every statement of a slot's queueing reads its people through an index: no SCAN of
    users, reminders or deliveries, in the default zone or another, with or without
    statistics."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    await populate(store, path, people=300)
    statements: list[str] = []
    scan = await store._scan_connection()  # the slot's people are read there
    await store._db.set_trace_callback(statements.append)
    await scan.set_trace_callback(statements.append)
    try:
        for zone in (DEFAULT, "Asia/Manila"):
            for slot in SLOTS:
                await store.queue_reminder_slot(zone, slot, served_by(slot), DAY, NOW, DEFAULT)
    finally:
        await store._db.set_trace_callback(None)
        await scan.set_trace_callback(None)
        await store.close()
    assert any(" UNION " in sql and "reminders" in sql for sql in statements)
    db = sqlite3.connect(path)
    try:
        for analyze in (False, True):
            if analyze:
                db.execute("ANALYZE")
            scans = [
                f"{sql}\n    -> {row[3]}"
                for sql in statements
                if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "SELECT"))
                for row in db.execute("EXPLAIN QUERY PLAN " + sql)
                if str(row[3]).startswith(WHOLE)
            ]
            assert not scans, "\n".join(scans)
    finally:
        db.close()


@pytest.mark.usefixtures("steady_fills")  # chunks of FILL_CHUNK, as counted here
async def test_a_big_slot_is_queued_a_chunk_a_transaction_and_a_cut_one_is_finished(
    tmp_path: Path,
) -> None:
    """A slot's people are found by one read and queued FILL_CHUNK a transaction, each
    checked again (someone who played after the read is left out); a slot cut after two
    chunks (as by a crash) is finished by `finish_fills`: everyone due queued once."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    people = 2 * FILL_CHUNK + 50
    try:
        await store.close()
        with pgtest.connect(path) as db:
            db.executemany(
                "INSERT INTO users (id, language, created_at, last_seen_at, time_zone,"
                " tip_time) VALUES (?, 'en', ?, ?, ?, ?)",
                [(9000 + n, NOW.isoformat(), NOW.isoformat(), "Asia/Manila",
                  "07:30" if n % 2 else None) for n in range(people)],
            )  # fmt: skip
            db.executemany(
                "INSERT INTO reminders (user_id, usual, time_zone) VALUES (?, ?, ?)",
                [(9000 + n, "07:00" if n % 2 else "06:30", "Asia/Manila") for n in range(people)],
            )
        store = await Store.open(path)
        expected = by_rule(path, "Asia/Manila", NIGHT)
        assert len(expected) == people
        late = max(expected)  # plays between the read and their chunk
        listed = store._listed

        async def read_then_play(job_id: int) -> list[int] | None:
            found = await listed(job_id)
            with pgtest.connect(path) as db:
                db.execute(
                    "INSERT INTO activity_days (user_id, day) VALUES (?, ?)",
                    (late, DAY.isoformat()),
                )
            return found

        chunks = 0
        fill_chunk = store._fill_chunk

        async def crashing(job_id: int, now: datetime) -> tuple[int, bool]:
            nonlocal chunks
            chunks += 1
            if chunks > 2:
                raise RuntimeError("crash")
            return await fill_chunk(job_id, now)

        store._listed = read_then_play  # type: ignore[method-assign]
        store._fill_chunk = crashing  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="crash"):
            await store.queue_reminder_slot(
                "Asia/Manila", NIGHT, served_by(NIGHT), DAY, NOW, DEFAULT
            )
        del store._fill_chunk, store._listed
        async with store._db.execute("SELECT id FROM jobs WHERE kind = 'reminder'") as cur:
            (job_id,) = [int(row[0]) for row in await cur.fetchall()]
        assert len(await queued(store, job_id)) == 2 * FILL_CHUNK
        finished = await store.finish_fills(NOW)
        assert finished == [(job_id, people - 2 * FILL_CHUNK - 1)]
        assert await queued(store, job_id) == expected - {late}
        assert by_rule(path, "Asia/Manila", NIGHT) == set()  # each marked reminded
        assert (
            await store.queue_reminder_slot(
                "Asia/Manila", NIGHT, served_by(NIGHT), DAY, NOW, DEFAULT
            )
            is None
        )
    finally:
        await store.close()

"""An outbox row always has its person and its job, on both stores: SQLite's foreign keys,
and on PostgreSQL the checks and cascades per statement that replace them there (m023), so
that queueing a message for everyone checks its people once a statement, not once a row."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pgtest
import pytest

from clicksbot.store import Store
from clicksbot.store.delivery import FILL_WINDOW, FILL_WINDOW_POSTGRESQL
from clicksbot.store.dialect import FROM_USERS_SQL

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@contextmanager
def connected(folder: Path, store: Store) -> Iterator[Any]:
    """The test's database, straight (foreign keys on, as the store has them on SQLite):
    what the block wrote is committed, or rolled back if it raised."""
    with contextlib.closing(pgtest.connect(folder / "clicksbot.sqlite3")) as db:
        if not store.is_postgresql:
            db.execute("PRAGMA foreign_keys=ON")
        with db:
            yield db


async def test_rows_need_their_person_and_job_and_go_with_them(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        window = FILL_WINDOW_POSTGRESQL if store.is_postgresql else FILL_WINDOW
        people = [1000 + i for i in range(window + 7)]  # more than one window
        for person in people:
            await store.touch_user(person, "en", NOW)
        queued = await store.queue_message("all:1", {"html": "Hello"}, NOW)
        assert queued is not None and queued[1] == len(people)
        job = queued[0]

        # A row for a person, or a job, the store does not have is refused.
        with pytest.raises(sqlite3.IntegrityError):
            await store.queue_notice("notice:nobody", 999, {"html": "x"}, NOW)
        for sql, args in (
            ("INSERT INTO deliveries (job_id, user_id, updated_at) VALUES (?, ?, 'x')",
             (job + 1000, people[0])),
            ("UPDATE deliveries SET user_id = ? WHERE job_id = ? AND user_id = ?",
             (999, job, people[0])),
            ("UPDATE users SET id = ? WHERE id = ?", (999, people[0])),
        ):  # fmt: skip
            with (
                pytest.raises(Exception, match="(?i)foreign key"),
                connected(tmp_path, store) as db,
            ):
                db.execute(sql, args)
        assert (await store.job_progress(job)).pending == len(people)

        # A forgotten person's rows go with them; a deleted job's rows go with it.
        assert await store.forget(people[0])
        assert (await store.job_progress(job)).pending == len(people) - 1
        with connected(tmp_path, store) as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job,))
        with connected(tmp_path, store) as db:
            (left,) = db.execute("SELECT COUNT(*) FROM deliveries").fetchone()
        assert left == 0
    finally:
        await store.close()


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="PostgreSQL only: two instances writing at once (SQLite has one writer at a time); "
    "set CLICKSBOT_TEST_DATABASE=postgresql://... (`bash .ci/postgres start` prints one)",
)
async def test_two_instances_filling_one_job_queue_each_person_once(tmp_path: Path) -> None:
    """A leader's last fill and its successor's, at once on one job: they take turns window by
    window (the job's row is locked), so each person is queued once and neither fails."""
    first = await Store.open(tmp_path / "clicksbot.sqlite3")
    second = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        people = [1000 + i for i in range(3 * FILL_WINDOW_POSTGRESQL + 11)]
        with connected(tmp_path, first) as db:
            db.executemany(
                "INSERT INTO users (id, language, created_at, last_seen_at) VALUES (?, 'en', ?, ?)",
                [(p, NOW.isoformat(), NOW.isoformat()) for p in people],
            )
        job = await first._open_audience_job("all:2", "message", {"html": "Hi"}, {"kind": "all"},
                                             NOW)  # fmt: skip
        assert job is not None
        counts = await asyncio.gather(first._fill(job, NOW), second._fill(job, NOW))
        assert sum(counts) == len(people)
        progress = await second.job_progress(job)
        assert progress.pending == progress.total == len(people)
    finally:
        await first.close()
        await second.close()


@pytest.mark.skipif(
    not pgtest.enabled(),
    reason="PostgreSQL only: SQLite checks every row by its foreign keys; "
    "set CLICKSBOT_TEST_DATABASE=postgresql://... (`bash .ci/postgres start` prints one)",
)
async def test_the_check_stands_aside_only_for_the_statement_that_reads_its_people(
    tmp_path: Path,
) -> None:
    """An audience's window reads its people from users itself, so the check of the outbox's
    people (m023) stands aside for it (m026): for that one statement, never the next."""
    store = await Store.open(tmp_path / "clicksbot.sqlite3")
    try:
        await store.touch_user(1000, "en", NOW)
        queued = await store.queue_message("all:3", {"html": "Hello"}, NOW)
        assert queued is not None and queued[1] == 1
        for person in range(1001, 1051):  # not in the job yet
            await store.touch_user(person, "en", NOW)
        insert = "INSERT INTO deliveries (job_id, user_id, updated_at)"
        window = f"{insert} SELECT ?, id, 'x' FROM users WHERE id > ? AND id <= ?"
        seeks = "SELECT idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'users'"
        for stand_aside, most in ((False, 60), (True, 5)):  # each rolled back
            with contextlib.suppress(RuntimeError), connected(tmp_path, store) as db:
                if stand_aside:
                    db.execute(FROM_USERS_SQL)
                db.execute(window, (queued[0], 1000, 1050))
                (looked,) = db.execute(seeks).fetchone()
                assert (looked >= 50) is not stand_aside and looked <= most, looked
                raise RuntimeError("roll back")
        with (
            pytest.raises(Exception, match="(?i)foreign key"),
            connected(tmp_path, store) as db,
        ):
            db.execute(FROM_USERS_SQL)
            db.execute(window, (queued[0], 1000, 1050))
            db.execute(f"{insert} VALUES (?, ?, 'x')", (queued[0], 999))  # nobody: refused
        with connected(tmp_path, store) as db:
            db.execute(FROM_USERS_SQL)  # and nothing after it, committed
        with (
            pytest.raises(Exception, match="(?i)foreign key"),
            connected(tmp_path, store) as db,
        ):
            db.execute(f"{insert} VALUES (?, ?, 'x')", (queued[0], 999))  # a new transaction
        assert (await store.job_progress(queued[0])).pending == 1  # all of it rolled back
    finally:
        await store.close()

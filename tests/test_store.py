"""The store: migrations, pragmas, refusal of newer databases, and the users repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
import pytest

from clicksbot.store import Store, StoreError
from clicksbot.store.migrations import MIGRATIONS

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.mark.sqlite_only("WAL mode and the file's own table")
async def test_migrations_apply_once_and_pragmas_are_set(tmp_path: Path) -> None:
    """A new database gets every migration, in WAL mode; reopening it changes nothing."""
    path = tmp_path / "db" / "bot.sqlite3"
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    assert "users" in await store.table_names()
    await store.close()
    store = await Store.open(path)
    assert await store.schema_version() == len(MIGRATIONS)
    await store.close()
    async with aiosqlite.connect(path) as db:
        async with db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with db.execute("SELECT COUNT(*) FROM schema_migrations") as cur:
            assert (await cur.fetchone())[0] == len(MIGRATIONS)  # type: ignore[index]


@pytest.mark.sqlite_only("a PRAGMA (PostgreSQL always enforces foreign keys)")
async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    """PRAGMA foreign_keys is on for the store's connection."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    async with store._db.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1  # type: ignore[index]
    await store.close()


@pytest.mark.sqlite_only("writes into the file (test_postgresql has its own)")
async def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    """A database migrated by a newer clicksbot is refused with a message saying what to do."""
    path = tmp_path / "bot.sqlite3"
    store = await Store.open(path)
    await store.close()
    async with aiosqlite.connect(path) as db:
        await db.execute(
            "INSERT INTO schema_migrations VALUES (?, 'm999_future', '2030-01-01')",
            (len(MIGRATIONS) + 1,),
        )
        await db.commit()
    with pytest.raises(StoreError, match="newer clicksbot"):
        await Store.open(path)


@pytest.mark.sqlite_only("a file that is not SQLite")
async def test_not_a_database(tmp_path: Path) -> None:
    """A file that is not SQLite is refused clearly."""
    path = tmp_path / "bot.sqlite3"
    path.write_text("hello, I am not a database" * 100)
    with pytest.raises(StoreError, match="not a clicksbot database"):
        await Store.open(path)


async def test_users_are_created_once_and_remember_their_language() -> None:
    """touch_user creates a person once; later calls update last seen; a chosen language sticks."""
    store = await Store.open(":memory:")
    user, new = await store.touch_user(5, "ms", NOW)
    assert new and user.language == "ms" and not user.language_chosen
    later = NOW + timedelta(hours=1)
    user, new = await store.touch_user(5, "en", later)
    assert not new and user.language == "ms" and user.last_seen_at == later
    user, _ = await store.touch_user(5, "en", later + timedelta(seconds=5))
    assert user.last_seen_at == later  # moved at most once a minute
    await store.set_language(5, "en", later)
    user = await store.get_user(5)
    assert user is not None and user.language == "en" and user.language_chosen
    assert await store.get_user(6) is None
    assert await store.count_users() == 1
    await store.close()


async def test_concurrent_writers_never_commit_each_others_half_transactions(
    tmp_path: Path,
) -> None:
    """Fan-outs queued while other coroutines write: every job has all its deliveries."""
    import asyncio

    store = await Store.open(tmp_path / "bot.sqlite3")
    now = datetime(2026, 11, 24, tzinfo=UTC)
    try:
        for user_id in range(1, 201):
            await store.touch_user(user_id, "en", now)

        async def fan_out(i: int) -> None:
            await store.queue_message(f"m{i}", {"text": {"en": "hi"}}, now)

        async def chatter(i: int) -> None:
            await store.set_language(1 + i % 200, "ms", now)
            await store.mark_tip_seen(1 + i % 200, f"t{i}", now)

        await asyncio.gather(*(fan_out(i) for i in range(20)), *(chatter(i) for i in range(200)))
        pending = await store.pending_deliveries(None, 10_000)
        assert len(pending) == 20 * 200
        assert len({d.job_id for d in pending}) == 20
    finally:
        await store.close()

"""The store's connection reads each statement to its end in one call (store.reading.WholeReads).

aiosqlite runs a statement by one call on the connection's thread and reads its rows by the
next; a write another coroutine ran there in between ran inside the read's transaction, and
failed at once with "database is locked" whenever the loop's connection had committed since:
with a few people's reads going on, half of the writes of this test were lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clicksbot.store import Store
from clicksbot.store.reading import only_reads

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.sqlite_only("the store's aiosqlite connection and the loop's are SQLite's")
async def test_writes_beside_reads_and_the_loops_commits_all_go_through(tmp_path: Path) -> None:
    """Reads on the store's connection (a group's settings), answers committed on the loop's
    connection, and writes on the store's connection (a language chosen), all at once: every
    write goes through, and every read sees its row."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for uid in range(1, 41):
            await store.touch_user(uid, "en", NOW)
        await store.set_group_settings(-100, "en", "09:00", "Asia/Manila", NOW)
        stop = asyncio.Event()
        reads = 0

        async def read() -> None:
            nonlocal reads
            while not stop.is_set():
                settings = await store.group_settings(-100)
                assert settings is not None and settings.time_zone == "Asia/Manila"
                reads += 1

        async def answer() -> None:  # the loop's connection commits, again and again
            n = 0
            while not stop.is_set():
                n += 1
                await store.mark_tip_seen(1 + n % 40, f"t{n % 5}", NOW)
                await asyncio.sleep(0)

        others = [asyncio.create_task(read()) for _ in range(3)]
        others.append(asyncio.create_task(answer()))
        try:
            for n in range(600):
                await store.set_language(1 + n % 40, "ms" if n % 2 else "en", NOW)
        finally:
            stop.set()
            await asyncio.gather(*others)
        assert reads > 100
        assert (await store.get_user(40)).language == "ms"  # type: ignore[union-attr]
        assert (await store.get_user(39)).language == "en"  # type: ignore[union-attr]
    finally:
        await store.close()


def test_reads_are_told_from_writes() -> None:
    assert only_reads("SELECT 1")
    assert only_reads("  select id FROM users")
    assert only_reads("WITH RECURSIVE n(i) AS (SELECT 1) SELECT i FROM n")
    assert not only_reads("WITH gone AS (SELECT 1) DELETE FROM users WHERE id IN gone")
    assert not only_reads("INSERT INTO users (id) SELECT 1")
    assert not only_reads("UPDATE users SET language = 'en'")
    assert not only_reads("PRAGMA wal_checkpoint(PASSIVE)")

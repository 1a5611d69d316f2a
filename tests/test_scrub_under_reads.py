"""Emptying the write-ahead log after a forget, while another handler's read is still open on
the same connection: SQLite refuses the checkpoint at once ("database table is locked"), and
the forget must neither fail nor leave the log unscrubbed once the read ends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from clicksbot.store import Store

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def test_a_forget_during_an_open_read_still_empties_the_log(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for person in range(1, 200):
            await store.touch_user(person, "en", NOW)
        released = asyncio.Event()

        async def slow_reader() -> None:
            # A read left open across an await, as a handler's cursor is while it works.
            async with store._db.execute("SELECT id FROM users ORDER BY id") as cur:
                assert await cur.fetchone() is not None
                await asyncio.sleep(0.05)
            released.set()

        reader = asyncio.create_task(slow_reader())
        await asyncio.sleep(0.01)  # the read is open now
        assert await store.forget(7)
        await reader
        assert released.is_set()
        assert await store.get_user(7) is None
        wal = tmp_path / "bot.sqlite3-wal"
        assert not wal.exists() or wal.stat().st_size == 0
    finally:
        await store.close()

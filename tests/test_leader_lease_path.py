"""The lease's own path: on PostgreSQL a renewal never waits behind the store's work (its
write lock, its pooled connections), on SQLite it takes its turn among the store's writes;
each lease action is one statement, and on PostgreSQL a lease row locked by a client that
hangs holds a renewal up for seconds, never for hours."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pgtest
import psycopg
import pytest
from pgtest import OPEN_AS_IS

from clicksbot.store import Store
from clicksbot.store.dialect import IDLE_IN_TRANSACTION_MS, LEASE_LOCK_MS
from clicksbot.store.leases import LEADER

needs_server = pytest.mark.skipif(
    not pgtest.enabled(),
    reason="no PostgreSQL server: set CLICKSBOT_TEST_DATABASE=postgresql://... "
    "(`bash .ci/postgres start` prints one)",
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "bot.sqlite3")
    try:
        yield opened
    finally:
        await opened.close()


async def test_on_sqlite_a_renewal_takes_its_turn_in_the_write_lock(tmp_path: Path) -> None:
    """SQLite: a renewal waits for the store's write under way, then goes next (first come,
    first served), rather than looking for a gap between writes with SQLite's busy handler,
    which a fill of a million people, thousands of transactions back to back, left none of."""
    store = await OPEN_AS_IS(tmp_path / "turns.sqlite3")
    try:
        assert await store.hold_lease(LEADER, "a", 10) is not None
        async with store._write_lock:  # a write under way
            renewal = asyncio.create_task(store.hold_lease(LEADER, "a", 10))
            await asyncio.sleep(0.3)
            assert not renewal.done()  # it waits its turn
            queued = asyncio.create_task(store.touch_user(7, "en", datetime.now(UTC)))
            await asyncio.sleep(0)
        renewed = await asyncio.wait_for(renewal, 5)
        assert renewed is not None and renewed.holder == "a"
        assert not queued.done()  # the write queued after it goes after it
        await queued
        seen = await asyncio.wait_for(store.lease(LEADER), 5)  # a read waits for nothing
        assert seen is not None and seen.holder == "a"
    finally:
        await store.close()


async def test_a_renewal_does_not_wait_for_the_stores_writes(store: Store) -> None:
    if not store.is_postgresql:
        pytest.skip("on SQLite a renewal takes its turn in the write lock (the test above)")
    assert await store.hold_lease(LEADER, "a", 10) is not None
    async with contextlib.AsyncExitStack() as held:
        await held.enter_async_context(store._write_lock)  # a long write in progress
        if store.is_postgresql:  # and every pooled connection in use
            pool: Any = store._db._pool  # type: ignore[attr-defined]
            for _ in range(pool.max_size):
                await held.enter_async_context(pool.connection())
        started = time.monotonic()
        renewed = await asyncio.wait_for(store.hold_lease(LEADER, "a", 10), 5)
        assert renewed is not None and renewed.holder == "a"
        assert await asyncio.wait_for(store.hold_lease(LEADER, "b", 10), 5) is None
        seen = await asyncio.wait_for(store.lease(LEADER), 5)
        assert seen is not None and seen.holder == "a"
        assert time.monotonic() - started < 5


@needs_server
async def test_a_lease_row_locked_by_a_hung_client_holds_a_renewal_up_for_seconds(
    store: Store, store_url: str
) -> None:
    assert await store.hold_lease(LEADER, "a", 10) is not None
    hung = await psycopg.AsyncConnection.connect(store_url)
    try:
        await hung.execute("SELECT * FROM leases FOR UPDATE")  # and then nothing, in a transaction
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="lock timeout"):
            await store.hold_lease(LEADER, "a", 10)
        assert time.monotonic() - started < LEASE_LOCK_MS / 1000 + 2
    finally:
        await hung.close()
    assert await store.hold_lease(LEADER, "a", 10) is not None  # a new connection: fine
    async with store._db.execute("SHOW idle_in_transaction_session_timeout") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == f"{IDLE_IN_TRANSACTION_MS // 60_000}min"


@pytest.mark.sqlite_only("the SQLite file's migration lock")
async def test_two_instances_starting_at_once_migrate_once(tmp_path: Path) -> None:
    """Two stores opening one new file at the same moment: one applies the migrations, the
    other waits for it and finds them applied (without the lock, it failed)."""
    for attempt in range(5):
        path = tmp_path / f"bot{attempt}.sqlite3"
        stores = await asyncio.gather(
            pgtest.OPEN_AS_IS(path), pgtest.OPEN_AS_IS(path), return_exceptions=True
        )
        opened = [s for s in stores if isinstance(s, Store)]
        for s in opened:
            await s.close()
        assert len(opened) == 2, [s for s in stores if not isinstance(s, Store)]

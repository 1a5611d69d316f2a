"""One coroutine's rollback undoes another's write on the shared connection (before 3ae2c47)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from clicksbot.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_rollback_elsewhere_does_not_undo_a_sent_record(tmp_path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    await store.touch_user(1, "en", NOW)
    await store.touch_user(2, "en", NOW)
    await store.queue_notice("k", 2, {"key": "x"}, NOW)
    (row,) = await store.pending_deliveries(None, 10)
    # A second notice with the same key (a re-pledge) rolls back; meanwhile the outbox records.
    await asyncio.gather(store.queue_notice("k", 2, {"key": "x"}, NOW),
                         store.delivery_sent(row, 42, NOW))  # fmt: skip
    assert await store.pending_deliveries(None, 10) == []  # recorded as sent
    await store.close()

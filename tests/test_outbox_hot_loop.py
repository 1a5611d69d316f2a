"""Outbox: a read error in the middle of a pass spins the loop instead of waiting."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime
from types import SimpleNamespace

from clicksbot.delivery.compose import Letter
from clicksbot.delivery.limiter import Pacer
from clicksbot.delivery.outbox import Outbox
from clicksbot.render import Reply
from clicksbot.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_failing_read_mid_pass_waits_before_trying_again(tmp_path, caplog) -> None:
    caplog.set_level(logging.CRITICAL)
    store = await Store.open(tmp_path / "db.sqlite3")
    for uid in range(1, 11):
        await store.touch_user(uid, "en", NOW)
    await store.queue_message("m1", {"text": {"en": "hi"}}, NOW)

    class Bot:
        async def send_message(self, chat_id, text, **kwargs):
            return SimpleNamespace(message_id=1)

    class Composer:
        async def compose(self, row):
            return Letter(Reply("hello"))

    read, reads = store.pending_deliveries, 0

    async def failing_read(after, limit):
        nonlocal reads
        reads += 1
        if reads > 1:
            raise sqlite3.DatabaseError("disk I/O error")
        return await read(after, limit)

    store.pending_deliveries = failing_read  # type: ignore[method-assign]
    outbox = Outbox(store, Bot(), Composer(), Pacer(0), lambda: NOW, batch=5)
    outbox.start()
    await asyncio.sleep(1)
    await outbox.stop()
    await store.close()
    assert reads < 20, f"{reads} reads of the table in one second"

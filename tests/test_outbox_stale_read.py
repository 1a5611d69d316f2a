"""Outbox: a send that finishes while the loop is reading the table is sent a second time."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from types import SimpleNamespace

from clicksbot.delivery.compose import Letter
from clicksbot.delivery.limiter import Pacer
from clicksbot.delivery.outbox import Outbox
from clicksbot.render import Reply
from clicksbot.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def test_a_row_finishing_during_a_read_is_not_sent_again(tmp_path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    for uid in range(1, 21):
        await store.touch_user(uid, "en", NOW)
    await store.queue_message("m1", {"text": {"en": "hi"}}, NOW)
    sent: Counter[int] = Counter()

    class Bot:
        async def send_message(self, chat_id, text, **kwargs):
            await asyncio.sleep(0.01)  # a round trip to Telegram
            sent[chat_id] += 1
            return SimpleNamespace(message_id=sent.total())

    class Composer:
        async def compose(self, row):
            return Letter(Reply("hello"))

    read = store.pending_deliveries

    async def slow_read(after, limit):  # the SELECT ran; fetchall/close still to come
        rows = await read(after, limit)
        await asyncio.sleep(0.05)
        return rows

    store.pending_deliveries = slow_read  # type: ignore[method-assign]
    outbox = Outbox(store, Bot(), Composer(), Pacer(0), lambda: NOW, in_flight=8)
    outbox.start()
    await asyncio.sleep(1)
    await outbox.stop()
    await store.close()
    assert set(sent) == set(range(1, 21))
    assert {u: n for u, n in sent.items() if n > 1} == {}

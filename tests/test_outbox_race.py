"""Outbox: a row that finishes while the loop re-reads the table is sent a second time."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime
from types import SimpleNamespace

from clicksbot.delivery.compose import Letter
from clicksbot.delivery.limiter import Pacer
from clicksbot.delivery.outbox import Outbox
from clicksbot.render import Reply
from clicksbot.store import Store

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeBot:
    def __init__(self) -> None:
        self.sent: Counter[int] = Counter()

    async def send_message(self, chat_id, text, **kwargs):
        await asyncio.sleep(random.uniform(0, 0.003))  # a network round trip
        self.sent[chat_id] += 1
        return SimpleNamespace(message_id=self.sent.total())


class FakeComposer:
    async def compose(self, row):
        return Letter(Reply("hello"))


async def test_nobody_gets_a_broadcast_twice(tmp_path) -> None:
    random.seed(1)
    store = await Store.open(tmp_path / "db.sqlite3")
    people = 400
    for uid in range(1, people + 1):
        await store.touch_user(uid, "en", NOW)
    await store.queue_message("m1", {"text": {"en": "hi"}}, NOW)
    bot = FakeBot()
    outbox = Outbox(store, bot, FakeComposer(), Pacer(0), lambda: NOW, in_flight=8, batch=50)
    outbox.start()
    try:
        for _ in range(2000):
            await asyncio.sleep(0.01)
            if bot.sent.total() >= people and outbox.idle:
                break
        await asyncio.sleep(0.3)
    finally:
        await outbox.stop()
        await store.close()
    twice = {u: n for u, n in bot.sent.items() if n > 1}
    assert len(bot.sent) == people
    assert not twice, f"{len(twice)} people got the message more than once: {twice}"

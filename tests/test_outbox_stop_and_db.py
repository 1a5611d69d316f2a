from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from datetime import UTC, datetime
from types import SimpleNamespace

from telegram.error import RetryAfter

from clicksbot.delivery.compose import Letter
from clicksbot.delivery.limiter import Pacer
from clicksbot.delivery.outbox import Outbox
from clicksbot.render import Reply
from clicksbot.store import Store

NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


class Composer:
    async def compose(self, row):
        return Letter(Reply("hello"))


async def people(store: Store, n: int) -> None:
    for uid in range(1, n + 1):
        await store.touch_user(uid, "en", NOW)


async def test_stop_returns_within_its_timeout_during_a_429_pause(tmp_path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    await people(store, 3)
    await store.queue_message("m", {"text": {"en": "hi"}}, NOW)
    pacer = Pacer(0)

    class Bot:
        calls = 0

        async def send_message(self, chat_id, text, **kw):
            await pacer._wait_turn(chat_id)  # what ExtBot does through the rate limiter
            Bot.calls += 1
            if Bot.calls == 1:
                raise RetryAfter(120)  # Telegram: wait two minutes
            return SimpleNamespace(message_id=1)

    outbox = Outbox(store, Bot(), Composer(), pacer, lambda: NOW, in_flight=1)
    outbox.start()
    await asyncio.sleep(0.2)
    started = time.monotonic()
    try:
        await asyncio.wait_for(outbox.stop(timeout=0.5), 5)
    finally:
        took = time.monotonic() - started
        await store.close()
    assert took < 2, took


async def test_a_sent_message_is_not_sent_again_when_the_database_fails(tmp_path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    await people(store, 1)
    await store.queue_message("m", {"text": {"en": "hi"}}, NOW)
    sent: Counter[int] = Counter()

    class Bot:
        async def send_message(self, chat_id, text, **kw):
            await asyncio.sleep(0.01)
            sent[chat_id] += 1
            return SimpleNamespace(message_id=sent.total())

    broken = True

    async def locked(*a, **k):
        raise sqlite3.OperationalError("database is locked")

    real_sent, real_failed = store.delivery_sent, store.delivery_failed

    async def delivery_sent(*a, **k):
        return await (locked if broken else real_sent)(*a, **k)

    async def delivery_failed(*a, **k):
        return await (locked if broken else real_failed)(*a, **k)

    store.delivery_sent = delivery_sent  # type: ignore[method-assign]
    store.delivery_failed = delivery_failed  # type: ignore[method-assign]
    outbox = Outbox(store, Bot(), Composer(), Pacer(0), lambda: NOW)
    outbox.start()
    await asyncio.sleep(1)  # another process holds the write lock for a second
    broken = False
    await asyncio.sleep(0.3)
    await outbox.stop()
    await store.close()
    assert sent[1] == 1, f"one person got the same message {sent[1]} times"

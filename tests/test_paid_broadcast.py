"""Paid broadcasts: with `allow_paid_broadcast` a broadcast goes faster than Telegram's free 30
messages a second, each message marked so; without it, the free limit holds."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO, TOKEN, pace_as

from clicksbot.app import build_application, polling
from clicksbot.config import Secret, Settings
from clicksbot.content import Content
from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.sandbox.emulator import Call
from clicksbot.store import Store


async def test_the_emulator_takes_paid_messages_past_the_free_limit_and_no_others() -> None:
    """As Telegram: messages with allow_paid_broadcast may go past 30 a second; the others
    are refused with 429 once the free burst is spent."""
    emulator = Emulator(token=TOKEN, limits=Limits())
    people = [emulator.person(f"P{i}") for i in range(260)]
    emulator.started.update(p.id for p in people)

    async def send(person_id: int, paid: bool) -> int:
        params: dict[str, object] = {"chat_id": person_id, "text": "Check before you share"}
        if paid:
            params["allow_paid_broadcast"] = True
        status, _ = await emulator.call(TOKEN, "sendMessage", params)
        return status

    began = time.monotonic()
    paid = [await send(p.id, True) for p in people[:200]]
    assert time.monotonic() - began < 1  # 200 in under a second: far past 30 a second
    assert paid == [200] * 200
    free = [await send(p.id, False) for p in people[200:]]
    assert free.count(200) <= 31 and 429 in free  # the free burst, then "retry after"


def _settings(tmp_path: Path, paid: bool) -> Settings:
    return Settings(
        token=Secret(TOKEN),
        database=tmp_path / "clicksbot.sqlite3",
        packs_dir=REPO / "quizzes",
        admins=frozenset({42}),
        flood_burst=1000,
        checkup_offer=False,
        allow_paid_broadcast=paid,
    )


@pytest.mark.parametrize(("paid", "people"), [(True, 400), (False, 100)])
async def test_a_broadcast_goes_past_30_a_second_only_when_paid(
    tmp_path: Path, shipped_content: Content, paid: bool, people: int
) -> None:
    """With allow_paid_broadcast the broadcast reaches everyone faster than 30 messages a
    second, every message carrying the flag, and Telegram (the emulator, at its real limits)
    refuses none; without it, no message carries the flag and the pace stays within 30."""
    settings = _settings(tmp_path, paid)
    emulator = Emulator(token=TOKEN, limits=Limits(per_chat_burst=60))
    readers = [emulator.person(f"R{i}") for i in range(people)]
    ids = {r.id for r in readers}
    emulator.started.update(ids)  # they met the bot before
    store = await Store.open(settings.database)
    for reader in readers:
        await store.touch_user(reader.id, "en", datetime.now(UTC))
    await store.close()

    async with EmulatorServer(emulator) as server:
        app = build_application(settings, shipped_content, base_url=server.api_url)
        pace_as(app, emulator.limits)
        async with polling(app, poll_timeout=1):
            admin = emulator.person("Admin", user_id=42)
            admin.send("/start")
            await admin.receive()
            admin.send("/broadcast")
            await admin.receive()
            admin.send("Check before you share")
            await admin.press(await admin.receive(), "No button")
            await admin.receive()  # "Preview"
            await admin.receive()  # the preview
            await admin.press(await admin.receive(), "Everyone")
            await admin.press(await admin.receive(), "Send now")

            def calls() -> list[Call]:
                return [c for c in emulator.sent("sendMessage") if int(c.params["chat_id"]) in ids]

            first = last = None
            deadline = time.monotonic() + 120
            while len(calls()) < people:
                assert time.monotonic() < deadline, f"{len(calls())} of {people} sent"
                if first is None and calls():
                    first = time.monotonic()
                await asyncio.sleep(0.005)
            last = time.monotonic()
            assert first is not None
    sent = [c for c in emulator.sent("sendMessage") if int(c.params["chat_id"]) in ids]
    pace = (people - 1) / (last - first)
    load = os.getloadavg()[0]
    print(
        f"paid={paid}: {people} messages at {pace:.0f}/s ({os.cpu_count()} cores, load {load:.1f})"
    )
    refused = [c for c in emulator.calls if c.error is not None and c.error.error_code == 429]
    assert refused == []
    if paid:
        assert all(c.params.get("allow_paid_broadcast") in (True, "true", "True") for c in sent)
        assert pace > 30
    else:
        assert not any(c.params.get("allow_paid_broadcast") for c in sent)
        assert pace <= 31

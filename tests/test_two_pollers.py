"""Telegram refuses two pollers, and so does the emulator: a test catches two leaders."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from conftest import TOKEN, Running, started


async def test_a_second_poller_ends_the_first_with_409(bot: Running) -> None:
    """As on Telegram, a getUpdates from a second instance ends the long poll under way with
    409 "Conflict: terminated by other getUpdates request"; the emulator counts each, so a
    test with two instances that both poll sees it (tests/test_leader_takeover.py asserts
    there are none)."""
    await started(bot, "Alice")  # the bot leads and polls
    assert bot.emulator.conflicts == []
    url = f"{bot.server.api_url}{TOKEN}/getUpdates"
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 10
        while not bot.emulator.conflicts:  # the bot's long poll, ended by this one
            assert time.monotonic() < deadline
            async with http.post(url, json={"timeout": 0, "offset": -1}) as reply:
                assert reply.status == 200
            await asyncio.sleep(0.3)
    alice = bot.emulator.person("Alice")
    alice.send("/help")  # the bot polls on after the conflict
    assert (await alice.receive(timeout=10)).text

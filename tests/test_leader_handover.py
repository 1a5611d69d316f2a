"""Two instances of the bot in one process on one database: one leads, the other stands by
and takes over at its next look once the leader stops cleanly (it gives its lease up); a
standby refuses webhook posts (503) so that Telegram sends them again, to the leader."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import aiohttp
from conftest import Clock, running
from test_operations import free_port

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.sandbox import EmulatorServer
from clicksbot.webhook import SECRET_HEADER, WebhookServer


async def test_a_clean_stop_hands_over_at_the_next_look(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    emulator = server.emulator
    async with running(server, settings, shipped_content, clock) as first:
        alice = emulator.person("Alice")
        alice.send("/start")
        await alice.receive()
        leader = runtime_of(first).leadership
        assert leader is not None and leader.leading and leader.term is not None
        async with running(server, settings, shipped_content, clock) as second:
            standby = runtime_of(second).leadership
            assert standby is not None and not standby.leading
            assert runtime_of(second).outbox is None  # nothing of the leader's work runs
            polls = len(emulator.poll_times)
            await asyncio.sleep(2.5)  # a standby polls never: only the leader's polls count
            await leader.stop()  # as at SIGTERM: its work stops, the lease is given up
            stopped = time.monotonic()
            assert not leader.leading
            while not standby.leading:
                assert time.monotonic() - stopped < settings.standby_check_seconds + 2
                await asyncio.sleep(0.05)
            assert standby.term == leader.term + 1
            assert polls > 0 and emulator.conflicts == []
            bob = emulator.person("Bob")
            bob.send("/start")
            assert (await bob.receive(timeout=10)).text  # the new leader answers
            assert runtime_of(second).outbox is not None


async def test_a_standby_refuses_webhook_posts() -> None:
    port = free_port()
    receiver = WebhookServer(
        cast(Any, None), "127.0.0.1", port, "hook", "s3cret", accepting=lambda: False
    )
    await receiver.start()
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/hook", json={"update_id": 1},
                headers={SECRET_HEADER: "s3cret"},
            ) as reply,
        ):  # fmt: skip
            assert reply.status == 503
            assert "standby" in await reply.text()
    finally:
        await receiver.stop()

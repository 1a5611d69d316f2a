"""A leader whose PostgreSQL stops answering (a frozen network, not a refused connection)
stops leading at its deadline, before the standby can take over: never two leaders at once.

The leader's connections go through a TCP proxy the test freezes: it accepts and then neither
forwards nor answers, as a dead link does. Real psycopg, the real settings (a 10 s lease
renewed every 3 s, a standby looking every 2 s). On a cancelled statement psycopg asks the
server to cancel it and waits for the answer (up to seconds more on a hung link): the leader
must not wait for that. Skipped without a PostgreSQL server."""

from __future__ import annotations

import asyncio
import contextlib
import time
from urllib.parse import urlsplit, urlunsplit

import pgtest
import pytest

from clicksbot.config import Settings
from clicksbot.leader import Leadership
from clicksbot.store import Store

pytestmark = pytest.mark.skipif(
    not pgtest.enabled(),
    reason="no PostgreSQL server: set CLICKSBOT_TEST_DATABASE=postgresql://... "
    "(`bash .ci/postgres start` prints one)",
)

LEASE = Settings.leader_lease_seconds
RENEW = Settings.leader_renew_seconds
STANDBY = Settings.standby_check_seconds


class FreezingProxy:
    """A TCP proxy to PostgreSQL that can be frozen: bytes stop, connections hang."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.frozen = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while self.frozen:  # a black hole: accepted, never answered
                await asyncio.sleep(0.05)
            up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                while self.frozen:
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def test_a_leader_on_a_frozen_database_stops_before_the_standby_leads(
    store_url: str,
) -> None:
    parts = urlsplit(store_url)
    assert parts.hostname is not None and parts.port is not None
    proxy = FreezingProxy(parts.hostname, parts.port)
    port = await proxy.start()
    through = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}"))
    a = await Store.open(through)
    b = await Store.open(store_url)
    events: list[tuple[str, str, float]] = []

    def recorder(name: str) -> tuple[object, object]:
        async def lead(term: int) -> None:
            events.append((name, "lead", time.monotonic()))

        async def step_down(hurry: bool) -> None:
            events.append((name, "down", time.monotonic()))

        return lead, step_down

    lead_a, down_a = recorder("a")
    lead_b, down_b = recorder("b")
    leader = Leadership(a, lead=lead_a, step_down=down_a, lease=LEASE, renew=RENEW,  # type: ignore[arg-type]
                        standby=STANDBY, holder="a")  # fmt: skip
    standby = Leadership(b, lead=lead_b, step_down=down_b, lease=LEASE, renew=RENEW,  # type: ignore[arg-type]
                         standby=STANDBY, holder="b")  # fmt: skip
    try:
        leader.start()
        await leader.first_look.wait()
        assert leader.leading
        standby.start()
        await standby.first_look.wait()
        assert not standby.leading
        await asyncio.sleep(RENEW + 1)  # a renewal or two, then the network freezes
        deadline = leader.fence_at
        proxy.frozen = True
        frozen_at = time.monotonic()
        both = 0
        while time.monotonic() - frozen_at < 20 and not standby.leading:
            if leader.leading and standby.leading:
                both += 1
            if leader.leading:
                assert time.monotonic() < deadline + 0.5, "the leader missed its deadline"
            await asyncio.sleep(0.02)
        assert both == 0
        assert standby.leading, "the standby did not take over within 20 s"
        assert not leader.leading
        took_over = time.monotonic() - frozen_at
        assert took_over <= 15, f"the standby took over after {took_over:.1f} s"
        down = next(t for who, what, t in events if (who, what) == ("a", "down"))
        led = next(t for who, what, t in events if (who, what) == ("b", "lead"))
        assert down < led
        assert down <= deadline + 0.5  # at its deadline, not seconds after it
    finally:
        proxy.frozen = False
        await standby.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(leader.stop(), 30)
        await proxy.stop()
        await b.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(a.close(), 30)

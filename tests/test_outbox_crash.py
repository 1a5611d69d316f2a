"""A fan-out survives `kill -9`: the next start finishes it, nobody dropped, nobody twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import REPO

from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.store import Store

TOKEN = "123:abcCrashTestToken"
PEOPLE = 60
RATE = 20  # messages a second: the fan-out takes 3 s, time enough to kill it half-way


async def test_a_sender_killed_half_way_resumes_without_duplicates(tmp_path: Path) -> None:
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    people = [emulator.person(f"P{i}") for i in range(PEOPLE)]
    ids = {p.id for p in people}
    emulator.started.update(ids)  # they met the bot before (a bot cannot write first)

    # Everyone is subscribed to a slot that began a minute ago (UTC), so the bot's start-up
    # catch-up queues the fan-out at once.
    now = datetime.now(UTC)
    slot = (now - timedelta(minutes=1)).strftime("%H:%M")
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    for person in people:
        await store.touch_user(person.id, "en", now)
        await store.set_place(person.id, None, "Etc/UTC")
        await store.set_tip_time(person.id, slot)
    await store.close()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {db}\npacks_dir: {REPO / 'quizzes'}\nlog_level: INFO\n"
        f"send_rate: {RATE}\nsend_in_flight: 1\n"
    )

    def received() -> Counter[int]:
        return Counter(
            int(c.params["chat_id"])
            for c in emulator.sent("sendMessage")
            if int(c.params["chat_id"]) in ids
        )

    log = tmp_path / "bot.log"
    with log.open("a") as log_file:
        async with EmulatorServer(emulator) as server:
            env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
            command = [sys.executable, "-m", "clicksbot", "run", "--config", str(config)]

            async def start() -> asyncio.subprocess.Process:
                return await asyncio.create_subprocess_exec(
                    *command, env=env, stdout=asyncio.subprocess.DEVNULL,
                    stderr=log_file,
                )  # fmt: skip

            async def until(condition: object, timeout: float = 30) -> None:
                deadline = time.monotonic() + timeout
                while not condition():  # type: ignore[operator]
                    assert time.monotonic() < deadline, (
                        f"timed out: {received().total()} sent; the bot said:\n{log.read_text()}"
                    )
                    await asyncio.sleep(0.01)

            first = await start()
            await until(lambda: received().total() >= PEOPLE // 3)
            first.send_signal(signal.SIGKILL)  # no goodbye: mid-send, mid-write
            await first.wait()
            at_kill = received().total()
            assert 0 < at_kill < PEOPLE

            second = await start()
            try:
                await until(lambda: len(received()) == PEOPLE)
                await asyncio.sleep(0.5)  # anything more would show up now
            finally:
                second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.wait(), 30)

    counts = received()
    assert set(counts) == ids  # nobody dropped
    twice = [chat for chat, n in counts.items() if n > 1]
    assert len(twice) <= 1, twice  # at most the one message in flight at the kill
    store = await Store.open(db)
    try:
        figures = await store.delivery_stats(now - timedelta(hours=1))
    finally:
        await store.close()
    assert (figures.pending, figures.sent_since, figures.failed_since) == (0, PEOPLE, 0)

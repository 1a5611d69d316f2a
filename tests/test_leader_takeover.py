"""Two instances on one database: the leader is killed with -9 mid-broadcast and mid-dialogue,
and the standby takes over within 15 s, finishes the broadcast (nobody lost, at most the
in-flight messages twice) and carries the dialogue on.

Both are `clicksbot run` in subprocesses, at the real settings (a 10 s lease renewed every
3 s, a standby looking every 2 s, the outbox at 25 messages a second), against the emulator
at Telegram's global pace, which also refuses two pollers at once (409 Conflict, counted in
`emulator.conflicts`). On PostgreSQL (the deployment this is for), and on one SQLite file
that two processes share.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pgtest
import pytest
from conftest import REPO

from clicksbot.config import Settings
from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.store import Store

TOKEN = "123:abcLeaderTakeoverToken"
PEOPLE = 200  # 8 s at 25 a second: the kill comes a quarter of the way in
STARTUP = 60.0  # seconds a fresh process may take to answer (a loaded machine)
TAKEOVER = 15.0  # the promise: seconds from the leader's death to the standby polling
IN_FLIGHT = Settings.send_in_flight
TEXT = "Check before you share: the flood photo is from 2019"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(condition: Callable[[], bool], what: str, logs: list[Path],
                timeout: float = 30) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            said = "\n".join(f"--- {log.name}\n{log.read_text()}" for log in logs)
            raise AssertionError(f"timed out: {what}; the bots said:\n{said}")
        await asyncio.sleep(0.02)


async def role(port: int) -> int:
    """The status of an instance's /healthz/leader: 200 leads, 503 stands by."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz/leader") as reply,
    ):
        return reply.status


async def takeover(tmp_path: Path, capsys: pytest.CaptureFixture[str], store_name: str) -> None:
    emulator = Emulator(token=TOKEN, limits=Limits(per_chat_burst=60))
    readers = [emulator.person(f"Reader{i}") for i in range(PEOPLE)]
    ids = {p.id for p in readers}
    emulator.started.update(ids)  # they met the bot before (a bot cannot write first)
    ana = emulator.person("Ana")
    admin = emulator.person("Admin", user_id=42)

    db = tmp_path / "bot.sqlite3"  # on PostgreSQL, CLICKSBOT_DATABASE_URL wins (pgtest)
    store = await Store.open(db)
    now = datetime.now(UTC)
    for person in readers:
        await store.touch_user(person.id, "en", now)
    await store.close()

    ports = {"a": free_port(), "b": free_port()}
    logs = {name: tmp_path / f"{name}.log" for name in ports}
    for name, port in ports.items():
        (tmp_path / f"{name}.yaml").write_text(
            f"database: {db}\npacks_dir: {REPO / 'quizzes'}\nlog_level: INFO\n"
            f"admins: [42]\nflood_burst: 1000\ncheckup_offer: false\nhealth_port: {port}\n"
        )

    def received() -> Counter[int]:
        return Counter(
            int(c.params["chat_id"])
            for c in emulator.sent("sendMessage")
            if int(c.params["chat_id"]) in ids and str(c.params.get("text", "")) == TEXT
        )

    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}

        @asynccontextmanager
        async def instance(name: str) -> AsyncIterator[asyncio.subprocess.Process]:
            command = [sys.executable, "-m", "clicksbot", "run",
                       "--config", str(tmp_path / f"{name}.yaml")]  # fmt: skip
            with logs[name].open("a") as log_file:
                process = await asyncio.create_subprocess_exec(
                    *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=log_file
                )
                try:
                    yield process
                finally:
                    if process.returncode is None:
                        process.send_signal(signal.SIGTERM)
                        await asyncio.wait_for(process.wait(), 30)

        async with instance("a") as first:
            admin.send("/start")
            await admin.receive(timeout=STARTUP)  # a leads: it answers
            assert await role(ports["a"]) == 200
            async with instance("b"):
                await until(lambda: "Standby: " in logs["b"].read_text(), "b stands by",
                            list(logs.values()), timeout=STARTUP)  # fmt: skip
                assert await role(ports["b"]) == 503

                # Ana commits to the pact and is asked the name for her certificate.
                ana.send("/start")
                await ana.receive()
                ana.send("/pact")
                await ana.press(await ana.receive(), "I commit")
                await ana.receive()  # thanks
                assert "name" in (await ana.receive()).text.lower()

                # The admin sends a broadcast to everyone.
                admin.send("/broadcast")
                await admin.receive()
                admin.send(TEXT)
                await admin.press(await admin.receive(), "No button")
                assert "Preview" in (await admin.receive()).text
                await admin.receive()  # the preview itself
                await admin.press(await admin.receive(), "Everyone")
                await admin.press(await admin.receive(), "Send now")

                await until(lambda: received().total() >= PEOPLE // 4, "a quarter sent",
                            list(logs.values()))  # fmt: skip
                first.send_signal(signal.SIGKILL)  # no goodbye: mid-send, mid-write
                killed = time.monotonic()
                await first.wait()
                at_kill = received().total()
                assert at_kill < PEOPLE, "the broadcast ended before the kill: more people"

                # Ana answers the question the dead leader asked.
                ana.send("Ana Santos")
                await until(
                    lambda: any(t > killed for t in emulator.poll_times), "the standby polls",
                    list(logs.values()), timeout=60,
                )  # fmt: skip
                took = min(t for t in emulator.poll_times if t > killed) - killed
                countries = await ana.receive(timeout=STARTUP)
                while countries.text == TEXT:  # she is one of everyone, too
                    countries = await ana.receive(timeout=STARTUP)
                buttons = countries.button_texts
                assert any("Philippines" in b or "🇵🇭" in b for b in buttons), countries.text
                assert await role(ports["b"]) == 200

                await until(lambda: len(received()) == PEOPLE, "everyone has the broadcast",
                            list(logs.values()), timeout=120)  # fmt: skip
                await asyncio.sleep(1.0)  # anything more would show up now
                finished = time.monotonic() - killed

    counts = received()
    lost = PEOPLE - len(counts)
    twice = sum(n - 1 for n in counts.values() if n > 1)
    with capsys.disabled():
        print(
            f"\n[{store_name}] standby took over {took:.1f} s after kill -9 (promise: "
            f"{TAKEOVER:.0f} s); broadcast to {PEOPLE}: {at_kill} sent before the kill, "
            f"finished {finished:.1f} s after it, {lost} lost, {twice} sent twice "
            f"(in flight: {IN_FLIGHT}); conflicts seen by the emulator: "
            f"{len(emulator.conflicts)}"
        )
    b_log = logs["b"].read_text()
    assert took <= TAKEOVER, b_log
    assert lost == 0
    assert twice <= IN_FLIGHT, counts
    assert emulator.conflicts == [], "two instances polled at once"
    assert "Leader: this instance" in b_log and TOKEN.split(":")[1] not in b_log
    assert TOKEN.split(":")[1] not in logs["a"].read_text()


async def test_standby_takes_over_on_postgresql(
    tmp_path: Path, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two instances on one PostgreSQL database."""
    if not store_url:
        pytest.skip(
            f"needs a PostgreSQL server: set {pgtest.ENV} (see README, Tests); the same "
            "takeover runs on a SQLite file in test_standby_takes_over_on_a_sqlite_file"
        )
    await takeover(tmp_path, capsys, "PostgreSQL")


@pytest.mark.sqlite_only("two processes on one SQLite file (the PostgreSQL run has its own)")
async def test_standby_takes_over_on_a_sqlite_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two instances on one SQLite file, on one machine."""
    await takeover(tmp_path, capsys, "SQLite")

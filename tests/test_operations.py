"""Running it for years: backups while it writes, restores while nothing runs."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TOKEN, Clock, Running

from clicksbot.app import Webhook, build_application, polling, receiving, runtime_of
from clicksbot.cli import main
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.store import Store, StoreError
from clicksbot.store.files import RunLock, backup, restore


@pytest.mark.sqlite_only("SQLite's online backup")
async def test_a_backup_taken_during_writes_restores_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    writing = True

    async def writer() -> None:
        user = 1
        while writing:
            await store.touch_user(user, "en", now)
            await store.mark_tip_seen(user, "en-source-t01", now)
            user += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    await asyncio.sleep(0.2)
    copy = tmp_path / "backups" / "copy.sqlite3"
    await asyncio.to_thread(backup, db, copy)  # while the writer goes on
    await asyncio.sleep(0.1)
    writing = False
    await task
    users_now = await store.count_users()
    await store.close()
    check = sqlite3.connect(copy)
    saved = check.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    tips = check.execute("SELECT COUNT(*) FROM seen_tips").fetchone()[0]
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    assert 0 < saved < users_now and tips in (saved, saved - 1)  # a moment's state, whole
    restore(copy, db)
    again = await Store.open(db)
    assert await again.count_users() == saved
    await again.close()


@pytest.mark.sqlite_only("SQLite's backup, restore and lock file")
async def test_backup_and_restore_commands_and_the_running_bot(
    bot: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`clicksbot backup` works while the bot runs; `restore` is refused until it stops; a
    second bot on the same database may run (it stands by), a move may not."""
    alice = bot.emulator.person("Alice")
    alice.send("/start")
    await alice.receive()
    config = tmp_path / "ops.yaml"
    config.write_text(f"database: {bot.settings.database}\n")
    target = tmp_path / "b.sqlite3"
    assert await asyncio.to_thread(main, ["backup", str(target), "--config", str(config)]) == 0
    assert "backed up" in capsys.readouterr().out
    assert await asyncio.to_thread(main, ["restore", str(target), "--config", str(config)]) == 2
    assert "clicksbot is running on it" in capsys.readouterr().err
    standby = RunLock(bot.settings.database)  # a second bot may run beside it, standing by
    standby.acquire()
    standby.release()
    with pytest.raises(StoreError, match="clicksbot is running on this database"):
        RunLock(bot.settings.database, exclusive=True).acquire()
    runtime = runtime_of(bot.app)
    assert runtime.lock is not None
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_text("hello")
    runtime.lock.release()  # as if the bot had stopped
    assert await asyncio.to_thread(main, ["restore", str(bad), "--config", str(config)]) == 2
    assert "not a clicksbot database" in capsys.readouterr().err


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode_with_the_emulator_posting_updates(
    settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """The emulator posts updates to the bot's webhook with the secret token; with a wrong
    one, the bot's server refuses them (403) and the bot does nothing."""
    emulator = Emulator(token=TOKEN, limits=Limits(per_chat_burst=60))
    async with EmulatorServer(emulator) as server:
        app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
        port = free_port()
        hook = Webhook(f"http://127.0.0.1:{port}/tg", "127.0.0.1", port)
        async with receiving(app, webhook=hook):
            assert emulator.webhook is not None and emulator.webhook["secret_token"] == hook.secret
            alice = emulator.person("Alice")
            alice.send("/start")
            assert "Hi Alice" in (await alice.receive()).text
            alice.send("/help")
            assert "What I can do" in (await alice.receive()).text
            assert {status for _, status in emulator.webhook_deliveries} == {200}
            emulator.webhook["secret_token"] = "not-the-secret"  # someone else posting
            alice.send("/help")
            await alice.expect_silence(0.5)
            assert emulator.webhook_deliveries[-1][1] == 403
    assert emulator.refused == []


async def test_healthz_and_metrics(
    settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    import aiohttp

    port = free_port()
    object.__setattr__(settings, "health_port", port)
    emulator = Emulator(token=TOKEN, limits=Limits(per_chat_burst=60))
    async with EmulatorServer(emulator) as server:
        app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
        async with polling(app, poll_timeout=1), aiohttp.ClientSession() as http:
            alice = emulator.person("Alice")
            alice.send("/start")
            await alice.receive()
            base = f"http://127.0.0.1:{port}"
            async with http.get(f"{base}/healthz") as reply:
                assert reply.status == 200
                assert await reply.json() == {
                    "status": "ok", "database": "ok", "telegram": "ok", "role": "leader"
                }  # fmt: skip
            async with http.get(f"{base}/healthz/leader") as reply:
                assert reply.status == 200 and (await reply.json())["role"] == "leader"
            async with http.get(f"{base}/metrics") as reply:
                text = await reply.text()
            assert 'clicksbot_updates_total{kind="message"} 1.0' in text
            assert "clicksbot_replies_total 1.0" in text
            assert "clicksbot_outbox_pending 0.0" in text
            assert "clicksbot_handler_seconds_count 1.0" in text
            health = runtime_of(app).health
            assert health is not None
            health._telegram_ok_at = 0.0  # forget the last good check
            emulator.fail("getMe", 502, times=5)
            async with http.get(f"{base}/healthz") as reply:
                assert reply.status == 503 and (await reply.json())["telegram"] == "unreachable"


async def test_sigterm_mid_broadcast_loses_and_repeats_nothing(tmp_path: Path) -> None:
    """SIGTERM while a fan-out goes: the messages on their way finish and are recorded, so the
    next start completes it with no one dropped and no one twice."""
    import os
    import signal
    import sys
    from collections import Counter
    from datetime import timedelta

    from conftest import REPO

    token = "123:abcGracefulToken"
    emulator = Emulator(token=token, limits=Limits(enforce=False))
    people = [emulator.person(f"P{i}") for i in range(60)]
    ids = {p.id for p in people}
    emulator.started.update(ids)
    now = datetime.now(UTC)
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    for person in people:
        await store.touch_user(person.id, "en", now)
        await store.set_place(person.id, None, "Etc/UTC")
        await store.set_tip_time(person.id, (now - timedelta(minutes=1)).strftime("%H:%M"))
    await store.close()
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {db}\npacks_dir: {REPO / 'quizzes'}\nsend_rate: 20\n")

    def received() -> Counter[int]:
        return Counter(int(c.params["chat_id"]) for c in emulator.sent("sendMessage")
                       if int(c.params["chat_id"]) in ids)  # fmt: skip

    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": token, "CLICKSBOT_API_URL": server.api_url}
        command = [sys.executable, "-m", "clicksbot", "run", "--config", str(config)]
        for _ in range(2):
            process = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )  # fmt: skip
            deadline = asyncio.get_running_loop().time() + 30
            target = 20 if not received() else len(ids)
            while len(received()) < target:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGTERM)  # mid-way the first time
            assert await asyncio.wait_for(process.wait(), 30) == 0
    counts = received()
    assert set(counts) == ids and set(counts.values()) == {1}


def test_json_log_lines_never_hold_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    import json
    import logging

    from clicksbot import logs

    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    try:
        logs.configure("INFO", ["999:SecretTok"], json_lines=True)
        try:
            raise RuntimeError("https://api.telegram.org/bot999:SecretTok/getMe failed")
        except RuntimeError:
            logging.getLogger("clicksbot.test").exception("Update %s failed", 7)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
        root.setLevel(level)
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["level"] == "ERROR" and line["message"] == "Update 7 failed"
    assert "SecretTok" not in json.dumps(line) and "[token]" in line["traceback"]

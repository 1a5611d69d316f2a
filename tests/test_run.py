"""`clicksbot run` as an operator starts it, against a Bot API server on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from conftest import REPO

from clicksbot.app import new_event_loop
from clicksbot.sandbox import Emulator, EmulatorServer

TOKEN = "123:abcSecretPartOfTheToken"

try:
    import uvloop  # noqa: F401
except ImportError:
    UVLOOP = False
else:
    UVLOOP = True


async def test_run_answers_start_and_help_and_never_prints_the_token(tmp_path: Path) -> None:
    """With CLICKSBOT_TOKEN and CLICKSBOT_API_URL set, the bot answers /start and /help;
    its output (at DEBUG, the most talkative level) never holds the token; SIGTERM stops it."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {REPO / 'quizzes'}\nlog_level: DEBUG\n"
    )
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server:
        env = {
            **os.environ,
            "CLICKSBOT_EVENT_LOOP": "",  # the default: uvloop's where installed
            "CLICKSBOT_TOKEN": TOKEN,
            "CLICKSBOT_API_URL": server.api_url,
            "PYTHONUNBUFFERED": "1",
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clicksbot", "run", "--config", str(config),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            alice = emulator.person("Alice")
            alice.start()
            greeting = await alice.receive(timeout=30)
            assert "Hi Alice!" in greeting.text
            alice.send("/help")
            assert "/language" in (await alice.receive(timeout=10)).text
            alice.send("my secret diary entry")  # what people write stays out of the log
            await alice.receive(timeout=10)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    text = output.decode()
    assert process.returncode == 0, text
    assert "Traceback" not in text
    assert "SecretPartOfTheToken" not in text
    assert "secret diary" not in text and "Alice" not in text
    assert "getUpdates" in text or "Application" in text  # it did log, at DEBUG
    # It runs on uvloop's event loop where uvloop is installed (clicksbot.app.new_event_loop).
    assert ("on uvloop's event loop" if UVLOOP else "on asyncio's event loop") in text
    assert emulator.refused == []


async def test_a_refused_token_or_unreachable_server_ends_in_one_line(tmp_path: Path) -> None:
    """A wrong token, or no Bot API server, ends `run` with one line, exit 2, and no token."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {REPO / 'quizzes'}\n")
    async with EmulatorServer(Emulator(token=TOKEN)) as server:
        for api_url in (server.api_url, "http://127.0.0.1:9/bot"):
            env = {
                **os.environ,
                "CLICKSBOT_EVENT_LOOP": "",
                "CLICKSBOT_TOKEN": "999:WrongSecretNeverPrinted",
                "CLICKSBOT_API_URL": api_url,
            }
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "clicksbot", "run", "--config", str(config),
                env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, err = await asyncio.wait_for(process.communicate(), 60)
            text = (out + err).decode()
            assert process.returncode == 2, text
            # PTB logs its failed attempts (token masked); the program ends in one plain line.
            assert "WrongSecretNeverPrinted" not in text and "999:" not in text
            assert err.decode().strip().splitlines()[-1].startswith("clicksbot: ")


async def test_clicksbot_event_loop_asyncio_runs_the_bot_on_asyncio_s_loop(tmp_path: Path) -> None:
    """CLICKSBOT_EVENT_LOOP=asyncio (the way back from uvloop) runs the bot on asyncio's own
    loop, and it answers; any other value than uvloop or asyncio stops `run` in one line."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {REPO / 'quizzes'}\n")
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
        wrong = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clicksbot", "run", "--config", str(config),
            env={**env, "CLICKSBOT_EVENT_LOOP": " Tokio"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(wrong.communicate(), 60)
        assert wrong.returncode == 2, (out + err).decode()
        assert err.decode().strip().splitlines()[-1] == (
            "clicksbot: CLICKSBOT_EVENT_LOOP may be uvloop or asyncio (or unset: uvloop where "
            "installed), not ' Tokio'"
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clicksbot", "run", "--config", str(config),
            env={**env, "CLICKSBOT_EVENT_LOOP": "asyncio", "PYTHONUNBUFFERED": "1"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            alice = emulator.person("Alice")
            alice.start()
            assert "Hi Alice!" in (await alice.receive(timeout=30)).text
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    text = output.decode()
    assert process.returncode == 0, text
    assert "on asyncio's event loop" in text


def test_the_bot_runs_on_asyncio_s_own_loop_where_uvloop_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without uvloop (Windows, another Python), `run` gets asyncio's loop, not an error."""
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    loop = new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio.")
        assert loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"
    finally:
        loop.close()

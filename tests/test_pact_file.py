"""`pact_file` is the pact the running bot shows and certifies; a missing or broken one stops
the start with one line naming the file, its line and key."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import REPO, TOKEN, Clock, Running

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.sandbox import Emulator, EmulatorServer

CUSTOM = """\
version: 3
languages:
  en:
    title: Riverside School Pact
    intro: Our class promises, written by us.
    commitments:
      - "Ask the school librarian before I share a rumour."
      - "Name my sources when I post."
      - "Be kind in the group chat."
    closing: Signed by the Riverside media club.
"""


@pytest.fixture
async def custom_bot(
    server: EmulatorServer,
    settings: Settings,
    shipped_content: Content,
    clock: Clock,
    tmp_path: Path,
) -> AsyncIterator[Running]:
    """The bot started from settings whose `pact_file` names a pact of the school's own."""
    pact_file = tmp_path / "our-pact.yaml"
    pact_file.write_text(CUSTOM)
    custom = dataclasses.replace(settings, pact_file=pact_file)
    app = build_application(custom, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        yield Running(app, server.emulator, server, custom)


async def test_pact_shows_the_text_of_pact_file_and_pledges_its_version(
    custom_bot: Running,
) -> None:
    """/pact shows the configured pact's title, intro and commitments, never the shipped one;
    committing records the configured version, which the certificate states."""
    person = custom_bot.emulator.person("Rin")
    person.send("/start")
    await person.receive()
    person.send("/pact")
    shown = await person.receive()
    assert "Riverside School Pact" in shown.text and "Our class promises" in shown.text
    assert "MIL CLICKS" not in shown.text  # nothing of the shipped pact
    await person.press(shown, "Read the commitments")
    shown = await person.receive_edit()
    assert "Ask the school librarian before I share a rumour." in shown.text
    assert "Signed by the Riverside media club." in shown.text
    assert "MIL CLICKS" not in shown.text  # the shipped pact's words are not used
    await person.press(shown, "I commit")
    assert "You have taken the pact" in (await person.receive()).text
    store = runtime_of(custom_bot.app).store
    assert store is not None
    pledge = await store.live_pledge(person.id)
    assert pledge is not None and pledge.version == 3


async def test_the_running_bot_reads_pact_file(tmp_path: Path) -> None:
    """`clicksbot run` with `pact_file` in its config shows that pact at /pact."""
    pact_file = tmp_path / "our-pact.yaml"
    pact_file.write_text(CUSTOM)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {REPO / 'quizzes'}\n"
        "pact_file: our-pact.yaml\n"  # relative to the config file
    )
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "clicksbot", "run", "--config", str(config),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            person = emulator.person("Sam")
            person.send("/start")
            await person.receive(timeout=30)
            person.send("/pact")
            shown = await person.receive(timeout=10)
        finally:
            process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, output.decode()
    assert "Riverside School Pact" in shown.text and "MIL CLICKS" not in shown.text


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": "http://127.0.0.1:9/bot"}
    return subprocess.run(
        [sys.executable, "-m", "clicksbot", *args],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["run", "chat"])
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (None, "{pact}: not found"),
        ("version: 1\nlanguages:\n  ms: {}\n", "{pact}:3: languages: must hold the pact"),
        (
            CUSTOM.replace('      - "Be kind in the group chat."\n', "").replace(
                '      - "Name my sources when I post."\n', ""
            ),
            "{pact}:7: languages.en.commitments: must be a list of 3 to 10 commitments",
        ),
        ("version: [\n", "{pact}:1: not valid YAML"),
        (
            CUSTOM.replace("version: 3", "version: &v 3"),
            "{pact}:1: aliases and anchors are not allowed: write the text out",
        ),
    ],
    ids=["missing", "no-english", "too-few", "not-yaml", "alias"],
)
def test_a_missing_or_broken_pact_file_stops_the_start_in_one_line(
    tmp_path: Path, command: str, body: str | None, problem: str
) -> None:
    """One line naming the config, `pact_file`, the pact file, its line and key; exit 2."""
    pact = tmp_path / "pact.yaml"
    if body is not None:
        pact.write_text(body)
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {REPO / 'quizzes'}\npact_file: {pact}\n"
    )
    result = cli(command, "--config", str(config))
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"clicksbot: config error: {config}: pact_file: ")
    assert problem.format(pact=pact) in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert not (tmp_path / "bot.sqlite3").exists()  # nothing started

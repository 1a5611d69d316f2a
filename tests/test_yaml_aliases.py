"""YAML aliases and anchors are refused in every file people write: packs, the pact, campaigns
and the config. A few hundred bytes of nested aliases (a "billion laughs") must not hang the
bot, and an alias inside its own anchor must not end in a traceback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

from clicksbot.content.pact import DEFAULT_PACT, PactError, load_pact
from clicksbot.store import Store

REFUSED = "aliases and anchors are not allowed: write the text out"
TOKEN = "123:abcYamlTestToken"


def laughs(key: str = "a") -> str:
    """Nine levels of nine aliases each: 9**9 (387 million) strings once expanded."""
    lines = [f'{key}: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join([f'*{before}'] * 9)}]")
    return "\n".join(lines) + "\n"


RECURSIVE = "id: &a [*a]\n"


def cli(*args: str, cwd: Path = REPO, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run the real command line; a hang fails the test instead of stalling the suite."""
    env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": "http://127.0.0.1:9/bot"}
    return subprocess.run(
        [sys.executable, "-m", "clicksbot", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def test_a_billion_laughs_is_a_few_hundred_bytes() -> None:
    assert len(laughs().encode()) <= 400


@pytest.mark.parametrize("body", [laughs("id"), RECURSIVE], ids=["laughs", "recursive"])
def test_validate_refuses_aliases_at_once_with_one_line(tmp_path: Path, body: str) -> None:
    """`clicksbot validate` reports the pack in one line naming file and line, and exits 1."""
    pack = tmp_path / "en" / "laughs.yaml"
    pack.parent.mkdir()
    pack.write_text(body)
    started = time.monotonic()
    result = cli("validate", str(pack))
    assert time.monotonic() - started < 20
    assert result.returncode == 1, result.stdout + result.stderr
    problems = [line for line in result.stdout.splitlines() if REFUSED in line]
    assert len(problems) == 1 and "laughs.yaml:1: (yaml): " + REFUSED in problems[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_run_refuses_a_laughing_pack_before_starting(tmp_path: Path) -> None:
    """`clicksbot run` names the pack and its line, and exits 2, without hanging."""
    packs = tmp_path / "packs" / "en"
    packs.mkdir(parents=True)
    (packs / "laughs.yaml").write_text(laughs("id"))
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path / 'bot.sqlite3'}\npacks_dir: {packs.parent}\n")
    result = cli("run", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert "laughs.yaml:1: (yaml): " + REFUSED in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("body", [laughs("version"), RECURSIVE], ids=["laughs", "recursive"])
def test_a_pact_file_with_aliases_is_refused(tmp_path: Path, body: str) -> None:
    path = tmp_path / "pact.yaml"
    path.write_text(body)
    started = time.monotonic()
    with pytest.raises(PactError) as refused:
        load_pact(path)
    assert time.monotonic() - started < 5
    assert str(refused.value) == f"{path}:1: {REFUSED}"


def test_an_anchor_deep_inside_the_pact_is_refused_at_its_line(tmp_path: Path) -> None:
    text = DEFAULT_PACT.read_text().replace("version: 1", "version: 1\nshared: &s [x]")
    path = tmp_path / "pact.yaml"
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "&s" in row)
    with pytest.raises(PactError, match=f":{line}: {REFUSED}"):
        load_pact(path)


@pytest.mark.parametrize("body", [laughs("name"), RECURSIVE], ids=["laughs", "recursive"])
def test_campaign_add_refuses_aliases_with_one_line(tmp_path: Path, body: str) -> None:
    """`clicksbot campaign add` names the campaign file and its line, and exits 1."""
    database = tmp_path / "bot.sqlite3"

    async def create() -> None:
        await (await Store.open(database)).close()

    asyncio.run(create())
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {database}\npacks_dir: {REPO / 'quizzes'}\n")
    campaign = tmp_path / "haze.yaml"
    campaign.write_text(body)
    result = cli("campaign", "add", str(campaign), "--config", str(config))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines() == [f"clicksbot: {campaign}:1: {REFUSED}"]


@pytest.mark.parametrize("body", [laughs("admins"), RECURSIVE], ids=["laughs", "recursive"])
def test_a_config_file_with_aliases_is_refused(tmp_path: Path, body: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(body)
    result = cli("stats", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"clicksbot: config error: {config}: line 1: {REFUSED}"
    ]

"""Where clicksbot keeps its files: the database beside the config file, nothing of it for git,
and no reference to a document that is not there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from clicksbot.config import load_settings


def test_the_default_database_sits_beside_the_config_file(tmp_path: Path) -> None:
    """A config file without `database` puts the database beside it, wherever clicksbot
    starts, as a relative `database` would; without a config file, in the current folder."""
    folder = tmp_path / "school"
    folder.mkdir()
    config = folder / "config.yaml"
    config.write_text(f"packs_dir: {REPO / 'quizzes'}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "clicksbot", "chat", "--config", "../school/config.yaml"],
        input="/start\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=elsewhere,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (folder / "clicksbot.sqlite3").exists()
    assert f"Database: {folder / 'clicksbot.sqlite3'}" in result.stdout
    assert not list(elsewhere.iterdir())  # nothing left in the folder it was started from
    assert load_settings(config, env={}, require_token=False).database == (
        folder / "clicksbot.sqlite3"
    )


def test_without_a_config_file_the_database_is_in_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_settings(None, env={}, require_token=False).database == (
        tmp_path / "clicksbot.sqlite3"
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_ignores_the_database_its_journals_its_lock_and_chat_files() -> None:
    names = [
        "clicksbot.sqlite3",
        "clicksbot.sqlite3-wal",
        "clicksbot.sqlite3.lock",
        "chat-files/mil-clicks-pact.png",
    ]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *names],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 128:
        pytest.skip(f"not a git checkout: {result.stderr.strip()}")
    assert result.stdout.split() == names


def test_documents_named_in_the_code_exist() -> None:
    """A docstring or message that points at a document (`see X.md`) points at a real one."""
    missing = []
    for path in (REPO / "clicksbot").rglob("*.py"):
        for name in re.findall(r"[\w./-]+\.md\b", path.read_text(encoding="utf-8")):
            if not any((REPO / folder / name).exists() for folder in ("", "docs")):
                missing.append(f"{path.relative_to(REPO)}: {name}")
    assert missing == []

"""`clicksbot chat`: a teacher talks to the real bot in a terminal, no token, no Telegram."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO

from clicksbot.i18n import Catalogs

MALAY = Catalogs.load().languages.index("ms") + 1  # its button's number in the chat


def test_chat_shows_replies_and_numbered_buttons(tmp_path: Path) -> None:
    """Typed commands reach the bot; replies show with formatting; typing a number presses."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database: bot.sqlite3\npacks_dir: {REPO / 'quizzes'}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSBOT_")}
    result = subprocess.run(
        [sys.executable, "-m", "clicksbot", "chat", "--config", str(config), "--name", "Siti"],
        input=f"/start\n{MALAY}\n/help\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Hi Siti!" in out
    assert "[1] ✅ English" in out and f"[{MALAY}] Melayu" in out
    assert "*clicksbot*" in out  # bold shown readably
    after_press = out.split(f"you> {MALAY}", 1)[1]
    assert "Bahasa Melayu" in after_press or "Melayu" in after_press
    assert "/language" in out.split("you> /help", 1)[1]
    assert (tmp_path / "bot.sqlite3").exists()  # the same database `run` would use
    assert "Traceback" not in result.stderr

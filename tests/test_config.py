"""Config: the file and the environment become one Settings; every mistake is one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from clicksbot.config import ConfigError, Settings, load_settings

TOKEN = "123:abc"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_config_documents_every_key_with_its_default(tmp_path: Path) -> None:
    """config.example.yaml names every key, and loads to the built-in defaults."""
    example = REPO / "config.example.yaml"
    settings = load_settings(example, env={"CLICKSBOT_TOKEN": TOKEN})
    defaults = Settings()
    assert settings.api_url == defaults.api_url
    assert settings.database == REPO / "clicksbot.sqlite3"
    assert settings.packs_dir == REPO / "quizzes"
    assert (settings.default_language, settings.default_timezone) == ("en", "UTC")
    assert settings.admins == frozenset() and settings.log_level == "INFO"
    assert (settings.send_rate, settings.send_in_flight) == (25, 8)
    assert settings.late_tip_grace_minutes == 120 and settings.pact_file is None
    text = example.read_text()
    from clicksbot.config import KEYS

    for key in KEYS:
        assert f"\n{key}:" in text, key


def test_environment_wins_over_the_file(tmp_path: Path) -> None:
    """CLICKSBOT_TOKEN and CLICKSBOT_API_URL override the file's token and api_url."""
    path = write(tmp_path, "token: 1:fromfile\napi_url: https://example.org/bot\n")
    env = {"CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": "http://127.0.0.1:9999/bot"}
    settings = load_settings(path, env=env)
    assert settings.token.value == TOKEN
    assert settings.api_url == "http://127.0.0.1:9999/bot"
    assert settings.file_url == "http://127.0.0.1:9999/file/bot"
    assert load_settings(path, env={}).token.value == "1:fromfile"


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    """database and packs_dir are found next to the config file, wherever clicksbot starts."""
    path = write(tmp_path, "database: data/bot.sqlite3\npacks_dir: packs\nadmins: [7, 8]\n")
    settings = load_settings(path, env={"CLICKSBOT_TOKEN": TOKEN})
    assert settings.database == tmp_path / "data" / "bot.sqlite3"
    assert settings.packs_dir == tmp_path / "packs"
    assert settings.admins == frozenset({7, 8})


def test_the_token_never_shows(tmp_path: Path) -> None:
    """The token is a secret: repr and str of the settings never hold it."""
    settings = load_settings(None, env={"CLICKSBOT_TOKEN": "123:supersecret"})
    assert "supersecret" not in repr(settings) and "supersecret" not in str(settings.token)


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("", "token", "missing"),
        ("token: nonsense\n", "token", "not a bot token"),
        ("token: 1:a\napi_url: ftp://x\n", "api_url", "http(s) URL"),
        ("token: 1:a\ndefault_language: English\n", "default_language", "language code"),
        ("token: 1:a\ndefault_timezone: Asia/Nowhere\n", "default_timezone", "unknown time zone"),
        ("token: 1:a\nadmins: [me]\n", "admins", "list of Telegram user ids"),
        ("token: 1:a\nlog_level: LOUD\n", "log_level", "one of DEBUG"),
        ("token: 1:a\ndatabse: x\n", "databse", "unknown key"),
        ("token: 1:a\ndatabase: [1]\n", "database", "path"),
        ("- a list\n", "(file)", "mapping"),
        ("token: [unclosed\n", "line 1", "is never closed"),
        ("token: 1:a\ndefault_timezone: 2021-02-30\n", "line 2", "looks like a date but is not"),
    ],
)
def test_each_mistake_names_file_key_and_expectation(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    """A wrong or missing key raises one error naming the file, the key and what is expected."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    """A config file that is not there is named, with what to do."""
    with pytest.raises(ConfigError, match="not found; copy config.example.yaml"):
        load_settings(tmp_path / "nope.yaml", env={})


def test_cli_ends_with_one_line_and_exit_code_2(tmp_path: Path) -> None:
    """`clicksbot run` with a broken config prints one line, no traceback, and exits 2."""
    path = write(tmp_path, "token: 1:a\nadmins: lots\n")
    result = subprocess.run(
        [sys.executable, "-m", "clicksbot", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "admins" in lines[0] and str(path) in lines[0]
    assert "Traceback" not in result.stderr

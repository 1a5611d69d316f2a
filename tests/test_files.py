"""The files that hold people's data: their owner's only whatever the umask, and backups that
leave nothing half-made behind."""

from __future__ import annotations

import asyncio
import configparser
import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import REPO, TOKEN
from permissions import can_drop_capabilities, plain_user_prefix

from clicksbot.sandbox import Emulator, EmulatorServer
from clicksbot.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def in_umask(umask: int, *command: str) -> list[str]:
    """A command line that runs `clicksbot …` under this umask."""
    return ["sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", sys.executable, "-m",
            "clicksbot", *command]  # fmt: skip


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o277], ids=["000", "022", "277"])
@pytest.mark.sqlite_only("the file, its journals and lock")
async def test_the_database_its_journals_lock_and_backups_are_the_owners_only(
    tmp_path: Path, umask: int
) -> None:
    """With any umask, `clicksbot run` makes its folders 0700 and the database, its -wal and
    -shm and its lock file 0600; `clicksbot backup` makes its folders 0700 and the copy 0600."""
    database = tmp_path / "data" / "deep" / "bot.sqlite3"
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {database}\npacks_dir: {REPO / 'quizzes'}\n")
    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server:
        env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
        process = await asyncio.create_subprocess_exec(
            *in_umask(umask, "run", "--config", str(config)),
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            person = emulator.person("Uma")
            person.send("/start")
            await person.receive(timeout=30)
            files = [database, *(database.with_name(database.name + s) for s in
                                 ("-wal", "-shm", ".lock"))]  # fmt: skip
            assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
            for folder in (database.parent, database.parent.parent):
                assert oct(mode(folder)) == "0o700", folder
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()
    target = tmp_path / "backups" / "daily" / "copy.sqlite3"
    result = subprocess.run(
        in_umask(umask, "backup", str(target), "--config", str(config)),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert oct(mode(target)) == "0o600"
    assert [oct(mode(f)) for f in (target.parent, target.parent.parent)] == ["0o700"] * 2
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]


def test_the_systemd_units_set_an_owner_only_umask() -> None:
    for unit in ("clicksbot.service", "backup.service"):
        parser = configparser.ConfigParser(strict=False, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read(REPO / "deploy" / unit)
        assert parser["Service"].get("UMask") == "0077", unit


def partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.partial-*"))


def backup_cli(
    tmp_path: Path, database: Path, target: Path, prefix: list[str]
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {database}\n")
    return subprocess.run(
        [*prefix, "-m", "clicksbot", "backup", str(target), "--config", str(config)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def a_database_with_people(path: Path, people: int) -> None:
    async def create() -> None:
        store = await Store.open(path)
        now = datetime.now(UTC)
        for user in range(1, people + 1):
            await store.touch_user(user, "en", now)
        await store.close()

    asyncio.run(create())


@pytest.mark.skipif(not can_drop_capabilities(), reason="cannot run as a plain user")
@pytest.mark.sqlite_only("SQLite's online backup")
def test_a_backup_into_a_read_only_folder_fails_in_one_line_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "bot.sqlite3"
    a_database_with_people(database, 10)
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o555)
    try:
        result = backup_cli(tmp_path, database, folder / "copy.sqlite3", plain_user_prefix())
    finally:
        folder.chmod(0o700)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"clicksbot: {folder}: not writable by this user (Permission denied); choose a folder "
        "the bot's user can write to"
    ]
    assert list(folder.iterdir()) == [] and partials(tmp_path) == []


@pytest.mark.sqlite_only("SQLite's online backup")
def test_a_backup_whose_copy_fails_its_check_leaves_nothing(tmp_path: Path) -> None:
    """A database damaged in one of its data pages opens, and copies, but the copy fails the
    integrity check: no backup, no half-made file, and one line saying so."""
    database = tmp_path / "bot.sqlite3"
    a_database_with_people(database, 3000)
    data = bytearray(database.read_bytes())
    page = 4096
    damaged = len(data) // page - 3  # a page of the users table, not the schema
    data[damaged * page + 8 : (damaged + 1) * page] = b"\x55" * (page - 8)
    database.write_bytes(bytes(data))
    target = tmp_path / "backups" / "copy.sqlite3"
    result = backup_cli(tmp_path, database, target, [sys.executable])
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"clicksbot: {database}: the copy failed its check (")
    assert "no backup was written" in line and "Traceback" not in result.stderr
    assert not target.exists() and partials(tmp_path) == []


@pytest.mark.sqlite_only("SQLite's online backup")
def test_a_good_backup_leaves_only_the_backup(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    a_database_with_people(database, 10)
    target = tmp_path / "backups" / "copy.sqlite3"
    for _ in range(2):  # the second replaces the first
        assert backup_cli(tmp_path, database, target, [sys.executable]).returncode == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]

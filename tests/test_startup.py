"""A database the bot cannot use stops every command that opens it with one line naming the
file and what to do, exit code 2, and no traceback: a folder it cannot write in, a damaged
file, another program's SQLite file (which is left exactly as it was)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO
from permissions import can_drop_capabilities, plain_user_prefix

from clicksbot.store import Store

TOKEN = "123:abcStartupToken"

# Every command that opens the database, as an operator types it (the config is added).
COMMANDS = [
    ["run"],
    ["chat"],
    ["stats"],
    ["audit"],
    ["campaign", "list"],
    ["campaign", "pause", "1"],
    ["export", "pledges"],
    ["backup", "{tmp}/backups/copy.sqlite3"],
]
IDS = [" ".join(c[:2]).replace("{tmp}/backups/", "") for c in COMMANDS]


def cli(
    args: list[str], tmp: Path, database: Path, *, plain_user: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real command line with a config naming `database`."""
    config = tmp / "config.yaml"
    config.write_text(f"database: {database}\npacks_dir: {REPO / 'quizzes'}\n")
    env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": "http://127.0.0.1:9/bot"}
    return subprocess.run(
        [*(plain_user_prefix() if plain_user else [sys.executable]), "-m", "clicksbot",
         *(a.format(tmp=tmp) for a in args), "--config", str(config)],
        capture_output=True, text=True, env=env, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def assert_one_line(result: subprocess.CompletedProcess[str], database: Path, *parts: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"clicksbot: {database}: "), lines[0]
    for part in parts:
        assert part in lines[0], lines[0]
    assert TOKEN.split(":")[1] not in output


def a_clicksbot_database(path: Path) -> None:
    async def create() -> None:
        await (await Store.open(path)).close()

    asyncio.run(create())


def another_programs_database(path: Path) -> None:
    """A valid SQLite database of an accounting program: tables of its own, no clicksbot."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total REAL);"
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO invoices VALUES (1, 'Acme', 99.5);"
        "INSERT INTO customers VALUES (1, 'Acme');"
    )
    db.commit()
    db.close()


def garbage(path: Path) -> None:
    path.write_bytes(b"These are not the bytes of a database.\n" * 200)


def damaged_schema(path: Path) -> None:
    """A clicksbot database whose first page (the schema) was overwritten on disk."""
    a_clicksbot_database(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = bytes((i * 7) & 0xFF for i in range(100, 4096))
    path.write_bytes(bytes(data))


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file in a folder: its content's hash, its mode and its modification time."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


@pytest.mark.sqlite_only("another program's SQLite file")
@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_another_programs_database_is_refused_and_left_as_it_was(
    tmp_path: Path, args: list[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "accounts.db"
    another_programs_database(database)
    before = snapshot(folder)
    result = cli(args, tmp_path, database)
    assert_one_line(
        result, database, "not a clicksbot database", "invoices", "point `database` at another"
    )
    assert snapshot(folder) == before  # not a byte, not a mode, no lock or journal beside it


@pytest.mark.parametrize("damage", [garbage, damaged_schema], ids=["garbage", "damaged-schema"])
@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
@pytest.mark.sqlite_only("a damaged SQLite file")
def test_a_damaged_database_is_refused_in_one_line(
    tmp_path: Path, args: list[str], damage: Callable[[Path], None]
) -> None:
    database = tmp_path / "bot.sqlite3"
    damage(database)
    result = cli(args, tmp_path, database)
    assert_one_line(result, database, "damaged", "clicksbot restore")
    assert not (tmp_path / "backups").exists() or not any((tmp_path / "backups").iterdir())


needs_permissions = pytest.mark.skipif(
    not can_drop_capabilities(), reason="cannot run a child without root's file powers"
)


@pytest.mark.sqlite_only("the SQLite file's folder")
@needs_permissions
@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_read_only_folder_is_said_in_one_line(tmp_path: Path, args: list[str]) -> None:
    """The database is there, but its folder cannot be written (SQLite writes its -wal and
    -shm files beside it)."""
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "bot.sqlite3"
    a_clicksbot_database(database)
    folder.chmod(0o555)
    try:
        result = cli(args, tmp_path, database, plain_user=True)
    finally:
        folder.chmod(0o700)
    assert_one_line(result, database, f"the folder {folder} is not writable", "make the folder")


@pytest.mark.sqlite_only("the SQLite file's folder")
@needs_permissions
@pytest.mark.parametrize("args", [["run"], ["chat"]], ids=["run", "chat"])
def test_a_new_database_in_a_read_only_folder_is_said_in_one_line(
    tmp_path: Path, args: list[str]
) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o555)
    database = folder / "bot.sqlite3"
    try:
        result = cli(args, tmp_path, database, plain_user=True)
    finally:
        folder.chmod(0o700)
    assert_one_line(result, database, f"the folder {folder} is not writable")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("make", [another_programs_database, garbage], ids=["foreign", "garbage"])
@pytest.mark.sqlite_only("SQLite's restore")
def test_restoring_from_a_file_that_is_no_backup_is_refused_in_one_line(
    tmp_path: Path, make: Callable[[Path], None]
) -> None:
    database = tmp_path / "bot.sqlite3"
    a_clicksbot_database(database)
    before = database.read_bytes()
    bogus = tmp_path / "bogus.sqlite3"
    make(bogus)
    result = cli(["restore", str(bogus)], tmp_path, database)
    assert_one_line(result, bogus, "not a clicksbot database")
    assert database.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "restoring" in p.name) == []

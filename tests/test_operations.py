"""Running it for years: one bot per database, backups while it writes, restores."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Running

from clicksbot.app import runtime_of
from clicksbot.cli import main
from clicksbot.store import Store, StoreError
from clicksbot.store.files import RunLock, backup, restore


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


async def test_backup_and_restore_commands_and_the_running_bot(
    bot: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`clicksbot backup` works while the bot runs; `restore` is refused until it stops; a
    second bot on the same database is refused."""
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
    with pytest.raises(StoreError, match="another clicksbot is using this database"):
        RunLock(bot.settings.database).acquire()
    runtime = runtime_of(bot.app)
    assert runtime.lock is not None
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_text("hello")
    runtime.lock.release()  # as if the bot had stopped
    assert await asyncio.to_thread(main, ["restore", str(bad), "--config", str(config)]) == 2
    assert "not a clicksbot database" in capsys.readouterr().err

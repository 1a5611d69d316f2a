"""The database file itself: one bot per database (a lock file), online backups, restores."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

from clicksbot.store.db import StoreError


class RunLock:
    """Held by a running bot for its database: a second bot, or a restore, is refused.

    An advisory lock (flock) on `<database>.lock`; the system releases it when the process
    ends however it ends, so a crash never leaves it stuck.
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"{self.path.with_suffix('')}: another clicksbot is using this database; stop "
                "it first (one bot per database)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def held_elsewhere(self) -> bool:
        """Whether a running bot holds the lock (for `restore`)."""
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


def backup(database: Path, target: Path) -> int:
    """Copy the database consistently with SQLite's online backup API, even while the bot
    writes; return the number of bytes written."""
    if not database.exists():
        raise StoreError(f"{database}: no database to back up")
    if target.exists() and target.is_dir():
        target = target / database.name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=1024)  # in steps: the bot keeps writing meanwhile
        finally:
            copy.close()
    finally:
        source.close()
    _check(partial)
    partial.replace(target)  # a backup is either whole or not there
    return target.stat().st_size


def restore(backup_file: Path, database: Path) -> None:
    """Put a backup in place of the database; refused while a bot runs on it."""
    if not backup_file.is_file():
        raise StoreError(f"{backup_file}: no such backup file")
    _check(backup_file)
    if RunLock(database).held_elsewhere():
        raise StoreError(f"{database}: clicksbot is running on it; stop the bot, then restore")
    for suffix in ("-wal", "-shm"):  # the old database's journal must not be replayed
        stale = database.with_name(database.name + suffix)
        if stale.exists():
            stale.unlink()
    partial = database.with_name(database.name + ".restoring")
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
    partial.replace(database)


def _check(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("PRAGMA integrity_check").fetchone()
            db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a clicksbot database ({exc})") from None
    if row is None or row[0] != "ok":
        raise StoreError(f"{path}: the copy is damaged ({row[0] if row else 'no answer'})")

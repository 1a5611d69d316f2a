"""The database file itself: made readable by its owner only, checked before it is used, one
bot per database (a lock file), online backups, restores."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from clicksbot.store.errors import StoreError

logger = logging.getLogger(__name__)

# What the bot writes holds people's data: its owner (the bot's user) alone may read it,
# whatever the umask of the process. SQLite gives the -wal, -shm and -journal files the mode of
# the database file, so making that one 0600 covers them.
FILE_MODE = 0o600
FOLDER_MODE = 0o700
SIDE_FILES = ("-wal", "-shm", "-journal")
_CORRUPT = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_CANNOT_WRITE = (
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_IOERR,
)


def make_folder(path: Path) -> None:
    """Create a folder and its missing parents, each 0700; folders already there stay as
    they are."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, FOLDER_MODE)  # the umask may have taken bits off


def create_private(path: Path) -> bool:
    """Create an empty file readable by its owner only, unless it exists; return whether it
    was created."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return True


def _temporary(target: Path, kind: str) -> Path:
    """Create `<target>.<kind>-<random>` beside the target, readable by its owner only."""
    fd, name = tempfile.mkstemp(prefix=f"{target.name}.{kind}-", dir=target.parent)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return Path(name)


def _remove(path: Path) -> None:
    """Remove a file and any journal SQLite left beside it."""
    for name in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


def _uri(path: Path, mode: str) -> str:
    return f"{path.absolute().as_uri()}?mode={mode}"


def explain(path: Path, exc: sqlite3.Error | OSError) -> str:
    """Say in one line why SQLite (or the system) could not use the database, and what to do."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _CORRUPT:
        return (
            f"{path}: not a clicksbot database: damaged, or not a SQLite file ({exc}); "
            "restore a backup with `clicksbot restore FILE`, or point `database` at another file"
        )
    if primary in _CANNOT_WRITE or isinstance(exc, OSError):
        folder = path.parent
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            return (
                f"{path}: the folder {folder} is not writable by this user, and the database "
                "needs to write beside it (its -wal, -shm and lock files); make the folder "
                "writable by the bot's user, or point `database` at a file in another folder"
            )
        if path.exists() and not os.access(path, os.R_OK | os.W_OK):
            return (
                f"{path}: this user cannot read and write it; give the file to the bot's user "
                "(chown, chmod 600), or point `database` at another file"
            )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"{path}: cannot use the database ({reason}); check the file and its folder"


def check_database(path: Path) -> bool:
    """Check, reading only, that a file is a clicksbot database; return False when it is
    empty (a new one). Another program's SQLite file is refused and left as it was."""
    try:
        db = sqlite3.connect(_uri(path, "ro"), uri=True)
        try:
            tables = {
                row[0]
                for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not row[0].startswith("sqlite_")
            }
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreError(explain(path, exc)) from None
    if tables and "schema_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:4]) + (", …" if len(tables) > 4 else "")
        raise StoreError(
            f"{path}: not a clicksbot database: it is another program's, with tables {shown}; "
            "clicksbot left it as it was: point `database` at another file"
        )
    return bool(tables)


def prepare(path: Path) -> None:
    """Make the database's folder (0700) and file (0600) if they are missing, and check the
    file is a clicksbot database before anything writes to it."""
    try:
        make_folder(path.parent)
        create_private(path)
    except OSError as exc:
        raise StoreError(explain(path, exc)) from None
    check_database(path)
    _tighten(path)


def _tighten(path: Path) -> None:
    """Make a database file left readable to others by an earlier version owner-only."""
    for name in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        try:
            info = name.stat()
            if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(name, FILE_MODE)
                logger.warning("%s was readable by others; it is now its owner's only", name)
        except OSError:
            continue


def lock_for_migrating(database: Path) -> int:
    """Take `<database>.migrate.lock` exclusively (flock, waiting for it) and return its
    descriptor (closing it releases the lock): two processes starting at once on a database
    that needs migrating apply each migration once, the second finding them applied.
    Blocking: call it from a thread."""
    path = database.with_name(database.name + ".migrate.lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
    except OSError as exc:
        raise StoreError(explain(database, exc)) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        os.close(fd)
        raise StoreError(explain(database, exc)) from None
    return fd


class RunLock:
    """Held by each running bot on its database: a restore or a move waits for them all.

    An advisory lock (flock) on `<database>.lock`; the system releases it when the process
    ends however it ends, so a crash never leaves it stuck. Running bots share it (several
    may run on one file: one leads, the others stand by, see clicksbot.leader); `exclusive`
    (a restore, `migrate-store`) is refused while any bot holds it.
    """

    def __init__(self, database: Path, *, exclusive: bool = False) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self.exclusive = exclusive
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            make_folder(self.path.parent)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        except OSError as exc:
            raise StoreError(explain(self.database, exc)) from None
        try:
            os.fchmod(fd, FILE_MODE)
            fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"{self.database}: clicksbot is running on this database; stop it first"
                if self.exclusive
                else f"{self.database}: it is being restored or moved; try again once done"
            ) from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(explain(self.database, exc)) from None
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


@contextlib.contextmanager
def _partial(target: Path, kind: str) -> Iterator[Path]:
    """A temporary file beside `target`, 0600, removed with its journals unless it was moved
    into place; an error creating it is said as one line."""
    try:
        make_folder(target.parent)
        partial = _temporary(target, kind)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StoreError(
                f"{target.parent}: not writable by this user ({exc.strerror}); choose a folder "
                "the bot's user can write to"
            ) from None
        raise StoreError(f"{target}: cannot be written ({exc.strerror})") from None
    try:
        yield partial
    finally:
        _remove(partial)  # after a rename there is nothing left to remove


def _copy(source: Path, copy: Path, *, pages: int = -1) -> None:
    """Copy a database with SQLite's online backup API, reading the source only."""
    try:
        reader = sqlite3.connect(_uri(source, "ro"), uri=True)
        try:
            writer = sqlite3.connect(copy)
            try:
                reader.backup(writer, pages=pages)
                # One self-contained file: read later, it needs no -wal or -shm beside it.
                writer.execute("PRAGMA journal_mode=DELETE")
            finally:
                writer.close()
        finally:
            reader.close()
    except sqlite3.Error as exc:
        raise StoreError(explain(source, exc)) from None


def backup(database: Path, target: Path) -> int:
    """Copy the database consistently with SQLite's online backup API, even while the bot
    writes; return the number of bytes written. The copy is readable by its owner only; on
    any failure nothing is left behind."""
    if not database.exists():
        raise StoreError(f"{database}: no database to back up")
    check_database(database)
    if target.exists() and target.is_dir():
        target = target / database.name
    with _partial(target, "partial") as partial:
        _copy(database, partial, pages=1024)  # in steps: the bot keeps writing meanwhile
        problem = _damage(partial)
        if problem:
            raise StoreError(
                f"{database}: the copy failed its check ({problem}), so no backup was written; "
                "the database may be damaged: keep your last good backup, and see "
                "`clicksbot restore`"
            )
        try:
            partial.replace(target)  # a backup is either whole or not there
        except OSError as exc:
            raise StoreError(f"{target}: cannot be written ({exc.strerror})") from None
    return target.stat().st_size


def restore(backup_file: Path, database: Path) -> None:
    """Put a backup in place of the database; refused while a bot runs on it."""
    if not backup_file.is_file():
        raise StoreError(f"{backup_file}: no such backup file")
    _check(backup_file)
    if RunLock(database).held_elsewhere():
        raise StoreError(f"{database}: clicksbot is running on it; stop the bot, then restore")
    with _partial(database, "restoring") as partial:
        _copy(backup_file, partial)
        for suffix in ("-wal", "-shm"):  # the old database's journal must not be replayed
            stale = database.with_name(database.name + suffix)
            if stale.exists():
                stale.unlink()
        partial.replace(database)


def _check(path: Path) -> None:
    """Check a backup before it is restored: a clicksbot database, whole."""
    if not check_database(path):
        raise StoreError(f"{path}: not a clicksbot database (it is empty); choose another backup")
    problem = _damage(path)
    if problem:
        raise StoreError(f"{path}: the backup is damaged ({problem}); choose another backup")


def _damage(path: Path) -> str | None:
    """Return what SQLite's integrity check finds wrong with a database (in brief), if any."""
    try:
        db = sqlite3.connect(_uri(path, "ro"), uri=True)
        try:
            rows = [str(row[0]) for row in db.execute("PRAGMA integrity_check(20)")]
        finally:
            db.close()
    except sqlite3.Error as exc:
        return str(exc)
    if rows == ["ok"]:
        return None
    lines = [
        line.strip()
        for row in rows
        for line in row.splitlines()
        if line.strip() and not line.startswith("***")
    ]
    more = f", and {len(lines) - 1} more" if len(lines) > 1 else ""
    return (lines[0][:120] if lines else "no answer") + more

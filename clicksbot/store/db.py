"""The SQLite store: connection, migrations and the repositories' queries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from clicksbot.store.migrations import MIGRATIONS

logger = logging.getLogger(__name__)


class StoreError(Exception):
    """The database cannot be used as it is; the message says why and what to do."""


@dataclass(frozen=True)
class User:
    """A person who has talked to the bot (we keep no names: only what the bot needs)."""

    id: int
    language: str
    language_chosen: bool
    created_at: datetime
    last_seen_at: datetime


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


class Store:
    """One open database; create it with `await Store.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) the database and bring its schema up to date."""
        target = str(path)
        if target != ":memory:":
            Path(target).parent.mkdir(parents=True, exist_ok=True)
        try:
            db = await aiosqlite.connect(target)
        except Exception as exc:  # sqlite3 raises OperationalError for paths it cannot open
            raise StoreError(f"{target}: cannot open the database: {exc}") from None
        store = cls(db, target)
        try:
            await store._configure()
            await store._migrate()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        """Close the connection (pending writes are already committed)."""
        await self._db.close()

    async def _configure(self) -> None:
        try:
            if self.path != ":memory:":
                await self._db.execute("PRAGMA journal_mode=WAL")
            await self._db.execute("PRAGMA foreign_keys=ON")
            await self._db.execute("PRAGMA busy_timeout=5000")
            await self._db.execute("PRAGMA synchronous=NORMAL")
        except aiosqlite.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a clicksbot database ({exc})") from None

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with self._db.execute("SELECT id, name FROM schema_migrations") as cur:
            applied = {row[0]: row[1] for row in await cur.fetchall()}
        newest = max(applied, default=0)
        if newest > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: this database was written by a newer clicksbot (schema {newest}, "
                f"this version knows {len(MIGRATIONS)}); upgrade clicksbot or point `database` "
                "at another file"
            )
        for number, (name, sql) in enumerate(MIGRATIONS, start=1):
            if number in applied:
                continue
            logger.info("Applying database migration %s", name)
            await self._db.executescript(
                "BEGIN;\n" + sql + f"\nINSERT INTO schema_migrations (id, name, applied_at)"
                f" VALUES ({number}, '{name}', '{_ts(datetime.now(UTC))}');\nCOMMIT;"
            )

    async def schema_version(self) -> int:
        """Return the number of the newest migration applied."""
        async with self._db.execute("SELECT MAX(id) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    async def table_names(self) -> list[str]:
        """Return the names of the tables that hold data (for audits and tests)."""
        async with self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    # -- users ---------------------------------------------------------------------------

    async def get_user(self, user_id: int) -> User | None:
        """Return the person with this Telegram id, if the bot knows them."""
        async with self._db.execute(
            "SELECT id, language, language_chosen, created_at, last_seen_at"
            " FROM users WHERE id = ?",
            (user_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return User(row[0], row[1], bool(row[2]), _dt(row[3]), _dt(row[4]))

    async def touch_user(self, user_id: int, language: str, now: datetime) -> tuple[User, bool]:
        """Record that a person was seen, creating them with `language` if new.

        Return the person and whether they were new.
        """
        cur = await self._db.execute(
            "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at)"
            " VALUES (?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
            (user_id, language, _ts(now), _ts(now)),
        )
        created = cur.rowcount == 1
        if not created:
            await self._db.execute(
                "UPDATE users SET last_seen_at = ? WHERE id = ?", (_ts(now), user_id)
            )
        await self._db.commit()
        user = await self.get_user(user_id)
        if user is None:  # deleted between the two statements: only possible with a second writer
            raise StoreError(f"{self.path}: user {user_id} vanished while being recorded")
        return user, created

    async def set_language(self, user_id: int, language: str, now: datetime) -> None:
        """Remember the interface language a person chose."""
        await self._db.execute(
            "UPDATE users SET language = ?, language_chosen = 1, last_seen_at = ? WHERE id = ?",
            (language, _ts(now), user_id),
        )
        await self._db.commit()

    async def count_users(self) -> int:
        """Return how many people the bot knows."""
        async with self._db.execute("SELECT COUNT(*) FROM users") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

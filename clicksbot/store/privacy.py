"""What the store holds about a person: all of it for /mydata, none of it after /forget."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from clicksbot.store import marks
from clicksbot.store.locking import Locked, writes
from clicksbot.store.stamps import to_text

logger = logging.getLogger(__name__)

# Every table, with the columns that hold a person's Telegram id. A table that holds nobody's
# id says so with (); a test checks this list against the schema, so none can be forgotten.
PERSONAL: dict[str, tuple[str, ...]] = {
    "users": ("id", "referred_by"),
    "seen_tips": ("user_id",),
    "answers": ("user_id",),
    "activity_days": ("user_id",),
    "badges": ("user_id",),
    "pledges": ("user_id", "via"),
    "deliveries": ("user_id",),
    "moderators": ("user_id", "granted_by"),
    "audit_log": ("actor",),
    "campaigns": ("created_by",),
    "broadcasts": ("created_by",),
    "jobs": (),  # keys of invitation notices name a person: see forget()
    "forgotten_totals": (),  # keys "friends:<id>" name an inviter: see forget()
    "schema_migrations": (),
    "group_settings": (),  # chats, not people
    "group_questions": (),
    "group_answers": ("user_id",),
    "group_members": ("user_id",),
    "salts": (),
    "forgotten_marks": ("inviter",),  # digests, never ids: see clicksbot/store/marks.py
    "progress_messages": ("chat_id",),
    "rounds": ("user_id",),
    "checkups": ("user_id",),
    "reminders": ("user_id",),
    "dialogues": ("chat_id", "user_id"),
}
# Where a person's own data is (for /mydata): the rows that are theirs, not others' rows
# that merely mention them.
OWN: dict[str, str] = {
    "users": "id",
    "seen_tips": "user_id",
    "answers": "user_id",
    "activity_days": "user_id",
    "badges": "user_id",
    "pledges": "user_id",
    "deliveries": "user_id",
    "moderators": "user_id",
    "group_answers": "user_id",
    "group_members": "user_id",
    "rounds": "user_id",
    "checkups": "user_id",
    "reminders": "user_id",
    "dialogues": "user_id",
}
# Columns of a person's own rows that name somebody else: /mydata says who they are to the
# person ("a friend"), never their Telegram id.
OTHERS: dict[tuple[str, str], str] = {
    ("users", "referred_by"): "friend",
    ("pledges", "via"): "friend",
    ("moderators", "granted_by"): "admin",
}


@dataclass(frozen=True)
class Someone:
    """Another person named in one's own data, by what they are to them, not by id."""

    role: str  # "friend" (who invited them) or "admin" (who made them a moderator)


async def scrub(store: Locked) -> None:
    """Copy the write-ahead log into the database file and empty it, so that rows just deleted
    leave no copy on disk: the log holds the pages as they were before, and with secure_delete
    the file's own copy is zeroed.

    A reader (`clicksbot backup`, say) can hold the log for a moment; SQLite then waits up to
    the busy timeout, and a log it still could not empty is emptied by the next scrub."""
    async with store._write_lock, store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
        row = await cur.fetchone()
    if row is not None and row[0]:
        logger.warning("The write-ahead log is in use; deleted data is scrubbed from it later")


class PrivacyQueries:
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def personal_data(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Return every row that is this person's, table by table."""
        data: dict[str, list[dict[str, Any]]] = {}
        for table, column in OWN.items():
            async with self._db.execute(
                f"SELECT * FROM {table} WHERE {column} = ?", (user_id,)
            ) as cur:
                names = [d[0] for d in cur.description]
                rows = [dict(zip(names, row, strict=True)) for row in await cur.fetchall()]
            for row in rows:
                for name in names:
                    role = OTHERS.get((table, name))
                    if role is not None and row[name] is not None:
                        row[name] = Someone(role)
            if rows:
                data[table] = rows
        return data

    async def _tally(self, key: str, count: int) -> None:
        if count:
            await self._db.execute(
                "INSERT INTO forgotten_totals (key, count) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET count = count + excluded.count",
                (key, count),
            )

    async def _count(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, args) as cur:
            return [tuple(row) for row in await cur.fetchall()]

    async def forget(self, user_id: int) -> bool:
        """Delete everything about a person; keep only anonymous totals, and the marks that
        keep a return from counting them twice (see store.marks). Return whether the bot
        knew them. Nothing of theirs stays on disk, not even in the write-ahead log."""
        known = await self._forget(user_id)
        if known:
            await scrub(self)
        return known

    @writes
    async def _forget(self, user_id: int) -> bool:
        known = await self._count("SELECT referred_by FROM users WHERE id = ?", user_id)
        if not known:
            return False
        (inviter,) = known[0]
        for (count,) in await self._count(
            "SELECT COUNT(*) FROM answers WHERE user_id = ? AND answered_at IS NOT NULL",
            user_id,
        ):
            await self._tally("answers", int(count))
        # Their pledge stays counted, once, under the country of their newest live pledge; a
        # mark takes it out again if they come back (they count again if they pledge again).
        live = await self._count(
            "SELECT country FROM pledges WHERE user_id = ? AND withdrawn_at IS NULL"
            " ORDER BY version DESC, id DESC LIMIT 1",
            user_id,
        )
        pledged = bool(live)
        key = await marks.salt(self._db, create=pledged or inviter is not None)
        if pledged:
            assert key is not None
            (country,) = live[0]
            await self._tally("pledges", 1)
            if country:
                await self._tally(f"pledges:{country}", 1)
            await self._db.execute(
                "INSERT INTO forgotten_marks (kind, mark, country) VALUES ('pledge', ?, ?)",
                (marks.mark(key, "pledge", user_id), country),
            )
        if inviter is not None:
            assert key is not None
            await self._tally(f"friends:{inviter}", 1)
            if pledged:
                await self._tally(f"friends_pledged:{inviter}", 1)
            # Which notices their inviter had: a return through the same link sends none again.
            told = [
                what
                for what in ("joined", "pledged")
                if await self._count("SELECT 1 FROM jobs WHERE key = ?", f"invite:{what}:{user_id}")
            ]
            await self._db.execute(
                "INSERT INTO forgotten_marks (kind, mark, inviter, told, pledged)"
                " VALUES ('friend', ?, ?, ?, ?)",
                (
                    marks.mark(key, "friend", inviter, user_id),
                    inviter,
                    ",".join(told),
                    int(pledged),
                ),
            )
        for (count,) in await self._count(
            "SELECT COUNT(*) FROM deliveries WHERE user_id = ? AND state = 'sent'", user_id
        ):
            await self._tally("messages_sent", int(count))
        for (count,) in await self._count(
            "SELECT COUNT(*) FROM users WHERE referred_by = ?", user_id
        ):
            await self._tally("invitations", int(count))
        # Others' rows that mention them lose the mention.
        for sql in (
            "UPDATE users SET referred_by = NULL WHERE referred_by = ?",
            "UPDATE pledges SET via = NULL WHERE via = ?",
            "UPDATE moderators SET granted_by = 0 WHERE granted_by = ?",
            "UPDATE audit_log SET actor = NULL WHERE actor = ?",
            "UPDATE campaigns SET created_by = NULL WHERE created_by = ?",
            "UPDATE broadcasts SET created_by = 0 WHERE created_by = ?",
            "DELETE FROM moderators WHERE user_id = ?",
            "DELETE FROM group_answers WHERE user_id = ?",
            "DELETE FROM group_members WHERE user_id = ?",
            "DELETE FROM forgotten_marks WHERE inviter = ?",
            "DELETE FROM progress_messages WHERE chat_id = ?",
        ):
            await self._db.execute(sql, (user_id,))
        await self._db.execute(
            "UPDATE audit_log SET target = NULL WHERE target = ?", (str(user_id),)
        )
        await self._db.execute(
            "DELETE FROM jobs WHERE key IN (?, ?)",
            (f"invite:joined:{user_id}", f"invite:pledged:{user_id}"),
        )
        await self._db.execute(
            "DELETE FROM forgotten_totals WHERE key IN (?, ?)",
            (f"friends:{user_id}", f"friends_pledged:{user_id}"),
        )
        # Their own rows: the rest goes with the user (ON DELETE CASCADE).
        await self._db.execute("DELETE FROM users WHERE id = ?", (user_id,))
        return True

    async def forgotten_total(self, key: str) -> int:
        """Return an anonymous total left by forgotten people."""
        async with self._db.execute(
            "SELECT count FROM forgotten_totals WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    @writes
    async def purge_deliveries(self, before: datetime) -> int:
        """Delete finished outbox rows (and emptied jobs) older than `before`: the outbox's
        history of who was sent what is kept no longer than people's other data."""
        cur = await self._db.execute(
            "DELETE FROM deliveries WHERE state != 'pending' AND updated_at < ?",
            (to_text(before),),
        )
        await self._db.execute(
            # Invitation notices stay: their keys are how an inviter is told once per friend.
            "DELETE FROM jobs WHERE created_at < ? AND key NOT LIKE 'invite:%' AND NOT EXISTS"
            " (SELECT 1 FROM deliveries d WHERE d.job_id = jobs.id)"
            " AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.job_id = jobs.id)",
            (to_text(before),),
        )
        return cur.rowcount

    async def inactive_people(self, before: datetime, keep: frozenset[int]) -> list[int]:
        """Return who was last seen before `before` (moderators and `keep` excepted)."""
        async with self._db.execute(
            "SELECT id FROM users WHERE last_seen_at < ?"
            " AND id NOT IN (SELECT user_id FROM moderators) ORDER BY id",
            (to_text(before),),
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall() if int(r[0]) not in keep]

"""The store's queries for the discernment checkup (a part of `Store`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from clicksbot.store.errors import StoreError
from clicksbot.store.locking import writes
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class CheckupCounts:
    """What a finished checkup keeps: how many real and false items were shown, and how many
    of each the person judged real."""

    n_real: int
    n_fake: int
    hits: int  # real items judged real
    false_alarms: int  # false items judged real


@dataclass(frozen=True)
class Checkup:
    """A checkup a person started: its items in the order shown, the answers so far (one
    letter each, r or f) while under way, and the counts once finished."""

    id: int
    user_id: int
    language: str
    items: tuple[str, ...]
    answers: str
    started_at: datetime
    finished_at: datetime | None
    counts: CheckupCounts | None


_CHECKUP = (
    "SELECT id, user_id, language, items, answers, started_at, finished_at, n_real, n_fake,"
    " hits, false_alarms FROM checkups"
)


def _checkup(row: Any) -> Checkup:
    counts = None if row[6] is None else CheckupCounts(row[7], row[8], row[9], row[10])
    return Checkup(
        row[0], row[1], row[2], tuple(row[3].split(",")) if row[3] else (), row[4],
        from_text(row[5]), from_text(row[6]) if row[6] else None, counts,
    )  # fmt: skip


class CheckupQueries:
    """Checkups and their offers; mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def checkups(self, user_id: int) -> list[Checkup]:
        """Return a person's checkups, finished or not, oldest first."""
        async with self._db.execute(
            _CHECKUP + " WHERE user_id = ? ORDER BY started_at, id", (user_id,)
        ) as cur:
            return [_checkup(row) for row in await cur.fetchall()]

    async def get_checkup(self, checkup_id: int) -> Checkup | None:
        """Return a checkup by the id its buttons carry."""
        async with self._db.execute(_CHECKUP + " WHERE id = ?", (checkup_id,)) as cur:
            row = await cur.fetchone()
        return None if row is None else _checkup(row)

    @writes
    async def start_checkup(
        self, user_id: int, language: str, items: tuple[str, ...], now: datetime
    ) -> int:
        """Start a checkup of these items; one left unfinished before is dropped (a person
        has at most one under way). Return the id its buttons carry."""
        await self._db.execute(
            "DELETE FROM checkups WHERE user_id = ? AND finished_at IS NULL", (user_id,)
        )
        cur = await self._db.execute(
            "INSERT INTO checkups (user_id, language, items, started_at) VALUES (?, ?, ?, ?)",
            (user_id, language, ",".join(items), to_text(now)),
        )
        if cur.lastrowid is None:
            raise StoreError("the checkup could not be recorded")
        return cur.lastrowid

    @writes
    async def answer_checkup(self, checkup_id: int, user_id: int, before: str, after: str) -> bool:
        """Record the answers so far, if they still are `before` (a double tap, or a press
        on an old message, records nothing); return whether they were recorded."""
        cur = await self._db.execute(
            "UPDATE checkups SET answers = ? WHERE id = ? AND user_id = ?"
            " AND finished_at IS NULL AND answers = ?",
            (after, checkup_id, user_id, before),
        )
        return cur.rowcount == 1

    @writes
    async def finish_checkup(
        self, checkup_id: int, user_id: int, before: str, counts: CheckupCounts, now: datetime
    ) -> bool:
        """End a checkup whose answers so far are `before`: keep its counts, forget the
        answers one by one. Return whether it was ended now (not by an earlier press)."""
        cur = await self._db.execute(
            "UPDATE checkups SET answers = '', finished_at = ?, n_real = ?, n_fake = ?,"
            " hits = ?, false_alarms = ?"
            " WHERE id = ? AND user_id = ? AND finished_at IS NULL AND answers = ?",
            (
                to_text(now), counts.n_real, counts.n_fake, counts.hits, counts.false_alarms,
                checkup_id, user_id, before,
            ),
        )  # fmt: skip
        return cur.rowcount == 1

    @writes
    async def drop_checkup(self, checkup_id: int, user_id: int) -> None:
        """Delete an unfinished checkup (left too long, or its items are gone from the packs)."""
        await self._db.execute(
            "DELETE FROM checkups WHERE id = ? AND user_id = ? AND finished_at IS NULL",
            (checkup_id, user_id),
        )

    async def checkup_offered_at(self, user_id: int) -> datetime | None:
        """Return when a checkup was last offered to a person unasked, if ever."""
        async with self._db.execute(
            "SELECT checkup_offered_at FROM users WHERE id = ?", (user_id,)
        ) as cur:
            row = await cur.fetchone()
        return from_text(row[0]) if row and row[0] else None

    @writes
    async def mark_checkup_offered(self, user_id: int, now: datetime) -> None:
        """Record that a checkup was offered to a person now."""
        await self._db.execute(
            "UPDATE users SET checkup_offered_at = ? WHERE id = ?", (to_text(now), user_id)
        )

    async def answers_since(self, user_id: int, since: datetime, enough: int) -> int:
        """Return how many questions a person answered after `since`, counting no further
        than `enough` (the caller only needs to know whether there were that many)."""
        async with self._db.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM answers WHERE user_id = ?"
            " AND answered_at > ? LIMIT ?) AS recent",
            (user_id, to_text(since), enough),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

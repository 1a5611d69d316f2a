"""The store's queries for rounds of questions with a score (a part of `Store`).

A person has at most one round on the go: starting another replaces it, and a command ends
it. The round lists the rows of `answers` it put to the person, in order; the answers
themselves are ordinary answers (they count in /progress as any other), so a round needs no
copy of them, and a bot restarted in the middle of a round carries on from here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from clicksbot.store.locking import writes_at_once
from clicksbot.store.reading import Reads
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class Round:
    """A person's round on the go: its topic, its size and the questions asked so far."""

    user_id: int
    topic: str  # a competency, or "any"
    english: bool  # asked in English: the person's language has none on the topic
    size: int
    asked: tuple[int, ...]  # rows of `answers`, in the order asked
    started_at: datetime


def round_of(row: Any) -> Round:
    """Read a round from its row (user_id, topic, english, size, asked, started_at)."""
    asked = tuple(int(i) for i in str(row[4]).split(",") if i)
    return Round(int(row[0]), str(row[1]), bool(row[2]), int(row[3]), asked, from_text(row[5]))


class RoundQueries(Reads):
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def current_round(self, user_id: int) -> Round | None:
        """Return the person's round on the go, if any."""
        rows = await self._rows(  # read on every answer
            "SELECT user_id, topic, english, size, asked, started_at FROM rounds WHERE user_id = ?",
            (user_id,),
        )
        row = next(iter(rows), None)
        return None if row is None else round_of(row)

    @writes_at_once
    async def start_round(
        self, user_id: int, topic: str, english: bool, size: int, now: datetime
    ) -> None:
        """Begin a round for a person, in place of any round they had on the go."""
        await self._db.execute(
            "INSERT INTO rounds (user_id, topic, english, size, asked, started_at)"
            " VALUES (?, ?, ?, ?, '', ?) ON CONFLICT (user_id) DO UPDATE SET"
            " topic = excluded.topic, english = excluded.english, size = excluded.size,"
            " asked = '', started_at = excluded.started_at",
            (user_id, topic, int(english), size, to_text(now)),
        )

    @writes_at_once
    async def end_round(self, user_id: int) -> bool:
        """End a person's round (finished, or left); return whether they had one."""
        cur = await self._db.execute("DELETE FROM rounds WHERE user_id = ?", (user_id,))
        return cur.rowcount == 1

    async def round_marks(self, user_id: int, asked: tuple[int, ...]) -> tuple[bool | None, ...]:
        """Return, for each asked row in order, whether it was answered right (None: not
        answered, or gone)."""
        if not asked:
            return ()
        marks = ", ".join("?" for _ in asked)
        async with self._db.execute(
            f"SELECT id, correct FROM answers WHERE user_id = ? AND id IN ({marks})",
            (user_id, *asked),
        ) as cur:
            found = {
                int(r[0]): (None if r[1] is None else bool(r[1])) for r in await cur.fetchall()
            }
        return tuple(found.get(i) for i in asked)

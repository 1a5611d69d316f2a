"""The store's queries for the live progress messages of fan-outs (a part of `Store`).

Which message shows which job's progress, to whom, and what it last said: kept here rather
than only in memory, so a bot restarted in the middle of a fan-out carries on editing the
same message through to its summary.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from clicksbot.store.locking import writes
from clicksbot.store.stamps import to_text


@dataclass(frozen=True)
class ProgressMessage:
    """A fan-out whose progress someone is shown."""

    job_id: int
    chat_id: int  # the moderator who started it
    what: str  # "broadcast:<id>" or "campaign:<id>"
    message_id: int | None  # None until the first message is sent
    shown: str  # the text on screen: an edit that changes nothing is not sent


class ProgressQueries:
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    @writes
    async def watch_progress(self, job_id: int, chat_id: int, what: str, now: datetime) -> None:
        """Start showing a job's progress to a chat (once per job)."""
        await self._db.execute(
            "INSERT INTO progress_messages (job_id, chat_id, what, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
            (job_id, chat_id, what, to_text(now)),
        )

    @writes
    async def progress_shown(self, job_id: int, message_id: int, shown: str) -> None:
        """Remember which message shows a job's progress, and what it says now."""
        await self._db.execute(
            "UPDATE progress_messages SET message_id = ?, shown = ? WHERE job_id = ?",
            (message_id, shown, job_id),
        )

    async def progress_messages(self) -> list[ProgressMessage]:
        """Return the progress messages not finished yet (to carry on after a restart)."""
        async with self._db.execute(
            "SELECT job_id, chat_id, what, message_id, shown FROM progress_messages ORDER BY job_id"
        ) as cur:
            return [ProgressMessage(r[0], r[1], r[2], r[3], r[4]) for r in await cur.fetchall()]

    @writes
    async def end_progress(self, job_id: int) -> None:
        """Forget a progress message once its summary is shown."""
        await self._db.execute("DELETE FROM progress_messages WHERE job_id = ?", (job_id,))

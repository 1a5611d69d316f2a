"""The store's queries for conversations under way: their step and their draft (a part of
`Store`).

A conversation is keyed by its name and the chat and person it is with. Its step is written by
the bot's persistence (clicksbot.persistence) after each update; its draft by the handler that
gathers it, in the same update, before the next question is asked. Both go with the row when
the conversation ends.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from clicksbot.store.locking import writes
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class Dialogue:
    """A conversation's step as stored, and when it last moved."""

    chat_id: int
    user_id: int
    state: object
    updated_at: datetime


class DialogueQueries:
    """Conversations under way; mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def dialogues(self, name: str) -> list[Dialogue]:
        """Return the conversations of this name that are at a step."""
        async with self._db.execute(
            "SELECT chat_id, user_id, state, updated_at FROM dialogues"
            " WHERE name = ? AND state IS NOT NULL",
            (name,),
        ) as cur:
            rows = await cur.fetchall()
        return [Dialogue(row[0], row[1], json.loads(row[2]), from_text(row[3])) for row in rows]

    @writes
    async def expire_dialogues(self, name: str, before: datetime) -> int:
        """Delete the conversations of this name that last moved before `before` (they timed
        out while no bot was running); return how many."""
        cur = await self._db.execute(
            "DELETE FROM dialogues WHERE name = ? AND updated_at < ?", (name, to_text(before))
        )
        return cur.rowcount

    @writes
    async def set_dialogue_state(
        self, name: str, chat_id: int, user_id: int, state: object, now: datetime
    ) -> None:
        """Record a conversation's step; None: it ended, and its row (draft too) goes."""
        if state is None:
            await self._db.execute(
                "DELETE FROM dialogues WHERE name = ? AND chat_id = ? AND user_id = ?",
                (name, chat_id, user_id),
            )
            return
        # Only for a person the bot knows: one forgotten meanwhile is not written back.
        await self._db.execute(
            "INSERT INTO dialogues (name, chat_id, user_id, state, updated_at)"
            " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)"
            " ON CONFLICT (name, chat_id, user_id)"
            " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (name, chat_id, user_id, json.dumps(state), to_text(now), user_id),
        )

    async def dialogue_draft(self, name: str, chat_id: int, user_id: int) -> dict[str, Any]:
        """Return what a conversation has gathered so far ({} if nothing)."""
        async with self._db.execute(
            "SELECT draft FROM dialogues WHERE name = ? AND chat_id = ? AND user_id = ?",
            (name, chat_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return {}
        draft: dict[str, Any] = json.loads(row[0])
        return draft

    @writes
    async def save_dialogue_draft(
        self, name: str, chat_id: int, user_id: int, draft: dict[str, Any], now: datetime
    ) -> None:
        """Keep what a conversation has gathered so far (JSON-able values only)."""
        await self._db.execute(
            "INSERT INTO dialogues (name, chat_id, user_id, draft, updated_at)"
            " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)"
            " ON CONFLICT (name, chat_id, user_id)"
            " DO UPDATE SET draft = excluded.draft, updated_at = excluded.updated_at",
            (name, chat_id, user_id, json.dumps(draft), to_text(now), user_id),
        )

    @writes
    async def drop_dialogue_drafts(self, user_id: int) -> None:
        """Forget what a person's conversations have gathered (cancelled, or stopped)."""
        await self._db.execute(
            "DELETE FROM dialogues WHERE user_id = ? AND state IS NULL", (user_id,)
        )
        await self._db.execute("UPDATE dialogues SET draft = NULL WHERE user_id = ?", (user_id,))

"""The store's queries for group chats (a part of `Store`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from clicksbot.store.locking import writes
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class GroupSettings:
    chat_id: int
    language: str
    daily_time: str | None
    time_zone: str


@dataclass(frozen=True)
class GroupFigures:
    """A group's participation and accuracy per competency (no one's own answers)."""

    players: int
    answers: int
    by_competency: dict[str, tuple[int, int]]  # competency -> (answers, correct)


class GroupQueries:
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def group_settings(self, chat_id: int) -> GroupSettings | None:
        async with self._db.execute(
            "SELECT chat_id, language, daily_time, time_zone FROM group_settings WHERE chat_id = ?",
            (chat_id,),
        ) as cur:
            row = await cur.fetchone()
        return GroupSettings(row[0], row[1], row[2], row[3]) if row else None

    async def all_group_settings(self) -> list[GroupSettings]:
        async with self._db.execute(
            "SELECT chat_id, language, daily_time, time_zone FROM group_settings"
            " WHERE daily_time IS NOT NULL"
        ) as cur:
            return [GroupSettings(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()]

    @writes
    async def set_group_settings(
        self, chat_id: int, language: str, daily_time: str | None, time_zone: str, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO group_settings (chat_id, language, daily_time, time_zone, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (chat_id) DO UPDATE SET language ="
            " excluded.language, daily_time = excluded.daily_time, time_zone ="
            " excluded.time_zone, updated_at = excluded.updated_at",
            (chat_id, language, daily_time, time_zone, to_text(now)),
        )

    @writes
    async def post_group_question(
        self, chat_id: int, question_id: str, competency: str, now: datetime
    ) -> int:
        cur = await self._db.execute(
            "INSERT INTO group_questions (chat_id, question_id, competency, asked_at)"
            " VALUES (?, ?, ?, ?)",
            (chat_id, question_id, competency, to_text(now)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def group_question(self, row_id: int) -> tuple[int, str, int | None] | None:
        """Return (chat id, question id, message id once posted) of a group's question."""
        async with self._db.execute(
            "SELECT chat_id, question_id, message_id FROM group_questions WHERE id = ?",
            (row_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return int(row[0]), str(row[1]), (int(row[2]) if row[2] is not None else None)

    @writes
    async def set_group_question_message(self, row_id: int, message_id: int) -> None:
        """Remember which message of the group shows a posted question."""
        await self._db.execute(
            "UPDATE group_questions SET message_id = ? WHERE id = ?", (message_id, row_id)
        )

    async def latest_group_question(self, chat_id: int) -> tuple[int, datetime] | None:
        """Return (row id, when) of the question posted last in a group, if any."""
        async with self._db.execute(
            "SELECT id, asked_at FROM group_questions WHERE chat_id = ?"
            " ORDER BY asked_at DESC, id DESC LIMIT 1",
            (chat_id,),
        ) as cur:
            row = await cur.fetchone()
        return (int(row[0]), from_text(row[1])) if row else None

    async def group_question_tally(self, row_id: int) -> tuple[int | None, int, int]:
        """Return (message id, answers, right answers) of a question posted in a group."""
        async with self._db.execute(
            "SELECT q.message_id, COUNT(a.user_id), COALESCE(SUM(a.correct), 0)"
            " FROM group_questions q LEFT JOIN group_answers a ON a.group_question_id = q.id"
            " WHERE q.id = ? GROUP BY q.id",
            (row_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None, 0, 0
        return (int(row[0]) if row[0] is not None else None), int(row[1]), int(row[2])

    async def group_questions_asked(self, chat_id: int) -> dict[str, int]:
        """Return how many times each question was posted in a group."""
        async with self._db.execute(
            "SELECT question_id, COUNT(*) FROM group_questions WHERE chat_id = ?"
            " GROUP BY question_id",
            (chat_id,),
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    @writes
    async def answer_group_question(
        self,
        row_id: int,
        user_id: int,
        chat_id: int,
        competency: str,
        correct: bool,
        now: datetime,
    ) -> bool:
        """Record a member's answer once; return False if they had answered already."""
        cur = await self._db.execute(
            "INSERT INTO group_answers"
            " (group_question_id, user_id, chat_id, competency, correct, answered_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (row_id, user_id, chat_id, competency, int(correct), to_text(now)),
        )
        return cur.rowcount == 1

    async def group_answer(self, row_id: int, user_id: int) -> bool | None:
        """Return whether a member answered a group's question right (None: not answered)."""
        async with self._db.execute(
            "SELECT correct FROM group_answers WHERE group_question_id = ? AND user_id = ?",
            (row_id, user_id),
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else bool(row[0])

    @writes
    async def join_leaderboard(self, chat_id: int, user_id: int, name: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO group_members (chat_id, user_id, display_name, joined_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, user_id)"
            " DO UPDATE SET display_name = excluded.display_name",
            (chat_id, user_id, name, to_text(now)),
        )

    @writes
    async def leave_leaderboard(self, chat_id: int, user_id: int) -> bool:
        cur = await self._db.execute(
            "DELETE FROM group_members WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )
        return cur.rowcount == 1

    async def leaderboard(self, chat_id: int, limit: int = 10) -> tuple[list[tuple[str, int]], int]:
        """Return (name, right answers) of the members who chose to appear, best first, and
        how many others played without appearing."""
        async with self._db.execute(
            "SELECT m.display_name, COALESCE(SUM(a.correct), 0) AS score FROM group_members m"
            " LEFT JOIN group_answers a ON a.chat_id = m.chat_id AND a.user_id = m.user_id"
            " WHERE m.chat_id = ? GROUP BY m.chat_id, m.user_id ORDER BY score DESC, m.joined_at"
            " LIMIT ?",
            (chat_id, limit),
        ) as cur:
            shown = [(str(r[0]), int(r[1])) for r in await cur.fetchall()]
        async with self._db.execute(
            "SELECT COUNT(DISTINCT user_id) FROM group_answers WHERE chat_id = ? AND user_id"
            " NOT IN (SELECT user_id FROM group_members WHERE chat_id = ?)",
            (chat_id, chat_id),
        ) as cur:
            row = await cur.fetchone()
        return shown, int(row[0]) if row else 0

    async def group_figures(self, chat_id: int) -> GroupFigures:
        async with self._db.execute(
            "SELECT competency, COUNT(*), SUM(correct), COUNT(DISTINCT user_id)"
            " FROM group_answers WHERE chat_id = ? GROUP BY competency",
            (chat_id,),
        ) as cur:
            rows = await cur.fetchall()
        async with self._db.execute(
            "SELECT COUNT(DISTINCT user_id), COUNT(*) FROM group_answers WHERE chat_id = ?",
            (chat_id,),
        ) as cur:
            total = await cur.fetchone()
        assert total is not None
        return GroupFigures(
            int(total[0]), int(total[1]), {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}
        )

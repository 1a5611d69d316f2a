"""The store's queries for the per-question summary behind spaced boosters, and for how sure
people were of their answers (a part of `Store`).

`boosters` holds one row per (person, question) asked: times answered and answered right,
when last asked, and the question's Leitner box and due day. `Store.ask` and
`Store.record_answer` keep it in the same write as the row of `answers` they write, so the
pick of the next question reads one row per question and never the person's whole history.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import aiosqlite

from clicksbot.store.impact import COLUMNS, CONFIDENCE_LEVELS, unpack
from clicksbot.store.reading import Reads
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class Summary:
    """What the bot keeps of one question a person was asked."""

    question_id: str
    answered: int  # times answered
    answered_right: int  # of them, right
    last_asked: datetime
    box: int  # 0: in no box; 1-4: a Leitner box; 5: mastered
    due: date | None  # the local day its booster is due; None: none due


@dataclass(frozen=True)
class Rated:
    """How often a person said they were this sure (1 guessing, 2 fairly sure, 3 sure), and
    how often they were right then."""

    confidence: int
    answers: int
    right: int


def summary_of(row: Any) -> Summary:
    # The pick reads one of these per question: no more work per row than needed.
    return Summary(
        row[0],
        row[1],
        row[2],
        from_text(row[3]),
        row[4],
        date.fromisoformat(row[5]) if row[5] else None,
    )


_COLUMNS = "question_id, answered, answered_right, last_asked, box, due_day"


# impact_people's totals by confidence level, each packed as answers * 2**32 + right ones.
_SURE = ", ".join(COLUMNS[str(level)] for level in CONFIDENCE_LEVELS)


class BoosterQueries(Reads):
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    async def question_summaries(self, user_id: int) -> dict[str, Summary]:
        """Return, per question ever put to a person, its summary (one row each)."""
        rows = await self._rows(f"SELECT {_COLUMNS} FROM boosters WHERE user_id = ?", (user_id,))
        return {r[0]: summary_of(r) for r in rows}

    async def question_picks(self, user_id: int) -> list[tuple[str, int, str, str | None]]:
        """Return, per question ever put to a person, what the pick of their next question
        reads of it, as stored: its id, times answered, when it was last asked (text that
        sorts in time order) and the day its booster is due (YYYY-MM-DD; None: none due).
        Not made into summaries: a keen learner's hundreds of rows took longer to make into
        objects than to read."""
        return await self._rows(
            "SELECT question_id, answered, last_asked, due_day FROM boosters WHERE user_id = ?",
            (user_id,),
        )

    async def question_summary(self, user_id: int, question_id: str) -> Summary | None:
        """Return the summary of one question put to a person, if it was."""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM boosters WHERE user_id = ? AND question_id = ?",
            (user_id, question_id),
        )
        row = next(iter(rows), None)
        return summary_of(row) if row else None

    async def due_boosters(self, user_id: int, today: date) -> list[Summary]:
        """Return the questions whose booster is due by `today` (a local day), oldest asked
        first."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM boosters WHERE user_id = ? AND due_day <= ?"
            " ORDER BY last_asked, question_id",
            (user_id, today.isoformat()),
        ) as cur:
            return [summary_of(r) for r in await cur.fetchall()]

    async def upcoming_boosters(self, user_id: int, after: date) -> list[Summary]:
        """Return the questions whose booster falls due after `after`, soonest first."""
        async with self._db.execute(
            f"SELECT {_COLUMNS} FROM boosters WHERE user_id = ? AND due_day > ?"
            " ORDER BY due_day, question_id",
            (user_id, after.isoformat()),
        ) as cur:
            return [summary_of(r) for r in await cur.fetchall()]

    async def calibration(self, user_id: int) -> list[Rated]:
        """Return, per level of confidence a person gave (lowest first), their answers and
        right ones. Read from impact_people's running totals (migration m020: kept by
        triggers in the answer's and the rating's own transaction), one row, where counting
        the person's rated answers read every answer they ever rated, at each /progress. An
        answer's `correct` is set with its `answered_at`, in one statement, so the totals
        count the answers the old count did: the rated ones that were answered. A person has no
        row until their first answer or active day (after /start, or back after /forget). The
        totals stay right because an answer is deleted only with its person, whose row goes
        with them."""
        rows = await self._rows(f"SELECT {_SURE} FROM impact_people WHERE user_id = ?", (user_id,))
        packed = next(iter(rows), (0,) * len(CONFIDENCE_LEVELS))  # no row: nothing answered
        return [
            Rated(level, *unpack(int(value)))
            for level, value in zip(CONFIDENCE_LEVELS, packed, strict=True)
            if value
        ]

    async def badges_earned_at(self, user_id: int, moment: datetime) -> list[str]:
        """Return the ids of the badges a person earned at this moment (an answer's)."""
        rows = await self._rows(
            "SELECT badge_id FROM badges WHERE user_id = ? AND earned_at = ? ORDER BY badge_id",
            (user_id, to_text(moment)),
        )
        return [str(r[0]) for r in rows]

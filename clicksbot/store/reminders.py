"""The store's queries for the streak reminder (a part of `Store`).

Only people who turned the reminder on have a row: their usual time and the day they were
last reminded. Turning it off deletes the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from clicksbot.store.delivery import DeliveryQueries
from clicksbot.store.locking import writes, writes_at_once
from clicksbot.store.reading import Reads
from clicksbot.store.stamps import from_text, to_text

REMINDER = "reminder"  # the kind of a reminder slot's job
# Who of a slot's people is due: reachable, not reminded that day (a day later than today was
# written by a clock that ran ahead), and has not played that day.
_DUE = (
    " AND u.unreachable_since IS NULL"
    " AND (r.last_day IS NULL OR r.last_day < ? OR r.last_day > ?)"
    " AND NOT EXISTS (SELECT 1 FROM activity_days a WHERE a.user_id = r.user_id"
    " AND a.day = ?)"
)


@dataclass(frozen=True)
class Reminder:
    """A person's streak reminder: the usual time it is worked out from, and the last day
    it was sent (at most one a day)."""

    user_id: int
    usual: str  # "HH:MM" local
    last_day: date | None


class ReminderQueries(DeliveryQueries, Reads):
    """Mixed into `Store`, which owns the connection."""

    async def reminder(self, user_id: int) -> Reminder | None:
        """Return a person's reminder, if they turned it on."""
        rows = await self._rows(
            "SELECT user_id, usual, last_day FROM reminders WHERE user_id = ?", (user_id,)
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        return Reminder(row[0], row[1], date.fromisoformat(row[2]) if row[2] else None)

    @writes
    async def set_reminder(self, user_id: int, usual: str, last_day: date | None = None) -> None:
        """Turn a person's reminder on at their usual "HH:MM" (or move it there); `last_day`
        says they were already reminded that day."""
        await self._db.execute(
            "INSERT INTO reminders (user_id, usual, last_day) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET usual = excluded.usual",
            (user_id, usual, last_day.isoformat() if last_day else None),
        )

    async def reminded_on(self, user_id: int, day: date) -> bool:
        """Return whether a reminder went out (or is on its way) to a person on a local day,
        by the outbox's own record: turning the reminder off and on again keeps it one a day."""
        async with self._db.execute(
            "SELECT 1 FROM deliveries d JOIN jobs j ON j.id = d.job_id"
            " WHERE d.user_id = ? AND j.kind = ? AND j.key LIKE ?"
            " AND d.state IN ('pending', 'sent') LIMIT 1",
            (user_id, REMINDER, f"remind:{day.isoformat()}:%"),
        ) as cur:
            return await cur.fetchone() is not None

    @writes_at_once
    async def move_reminder(self, user_id: int, usual: str) -> None:
        """Move the usual time of a reminder that is on (nothing if it is off)."""
        await self._db.execute("UPDATE reminders SET usual = ? WHERE user_id = ?", (usual, user_id))

    @writes
    async def delete_reminder(self, user_id: int) -> bool:
        """Turn a person's reminder off, keeping nothing of it; return whether it was on."""
        cur = await self._db.execute("DELETE FROM reminders WHERE user_id = ?", (user_id,))
        return cur.rowcount == 1

    async def answer_times(self, user_id: int, since: datetime) -> list[datetime]:
        """Return when a person answered questions, from `since` on."""
        rows = await self._rows(
            "SELECT answered_at FROM answers WHERE user_id = ? AND answered_at >= ?"
            " ORDER BY answered_at",
            (user_id, to_text(since)),
        )
        return [from_text(row[0]) for row in rows]

    async def played_on(self, user_id: int, day: date) -> bool:
        """Return whether a person read a tip or answered a question on this local day."""
        rows = await self._rows(
            "SELECT 1 FROM activity_days WHERE user_id = ? AND day = ?", (user_id, day.isoformat())
        )
        return bool(rows)

    async def reminder_times(self, default_zone: str) -> list[tuple[str, str]]:
        """Return every (time zone, "HH:MM") that somebody's reminder is worked out from:
        their daily-tip time if they have one, else their usual time."""
        # A reminder keeps its person's zone and tip time (m024, m027): read it alone.
        rows = await self._scan(
            "SELECT DISTINCT COALESCE(time_zone, ?), COALESCE(tip_time, usual)"
            " FROM reminders ORDER BY 1, 2",
            (default_zone,),
        )
        return [(row[0], row[1]) for row in rows]

    async def queue_reminder_slot(
        self,
        time_zone: str,
        slot: str,
        times: tuple[str, str],
        day: date,
        now: datetime,
        default_zone: str,
    ) -> tuple[int, int] | None:
        """Queue the reminders of one slot on one local day; return (job id, people queued).

        Queued: people in `time_zone` whose reminder time (daily-tip time, else usual time)
        is within `times` (the range of times the slot serves), who have not played on `day`
        and were not reminded on it. People whose daily tip comes at this very time are left
        out: the tip carries their reminder (see `claim_reminder`). Return None when the slot
        and day were queued before. A last day later than today was written by a clock that
        ran ahead and was put right: it does not silence the reminders, as for daily tips.

        The slot's people are found by one read, beside the replies (at a million people it
        took 50-150 ms, and a reply's write waited as long while it was part of the write),
        then queued a chunk at a time (see store.delivery's FILL_HOLD), each chunk its own
        short transaction that checks again that each is still due and marks them reminded;
        the job keeps how far it got, so a slot that a crash cut is finished by
        `finish_fills` (see store.delivery).
        """
        key = f"remind:{day.isoformat()}:{time_zone}:{slot}"
        today = max(day, now.astimezone(ZoneInfo(time_zone)).date()).isoformat()
        fill = {"reminder": {"zone": time_zone, "slot": slot, "times": list(times),
                             "day": day.isoformat(), "upto": today, "default": default_zone},
                "after": None}  # fmt: skip
        payload = {"day": day.isoformat(), "zone": time_zone}
        job_id = await self._open_fill(key, REMINDER, fill, now, payload)
        if job_id is None:
            return None
        return job_id, await self._fill(job_id, now, fill=fill)

    async def _listed(self, job_id: int) -> list[int] | None:
        """A reminder slot's people still due, by id (see `queue_reminder_slot`)."""
        # Read to its end in one call (see store.scans), on the connection that made the job.
        rows = list(
            await self._db.execute_fetchall("SELECT filling FROM jobs WHERE id = ?", (job_id,))
        )
        fill = json.loads(rows[0][0]) if rows and rows[0][0] else {}
        if "reminder" not in fill:
            return await super()._listed(job_id)
        slot = fill["reminder"]
        time_zone, times = slot["zone"], tuple(slot["times"])
        day, today = slot["day"], slot["upto"]
        # Parts each read through an index, so a slot costs its own people, not every
        # reminder: people with a daily tip by their tip's slot (users_by_tip_slot), the
        # others by their zone and usual time (reminders_by_zone: a reminder keeps its
        # person's zone, m024). A person without a time zone is in the default one.
        # People whose tip comes within the slot's times, but not at the slot itself (whose
        # tip carries the reminder): only the early slot, which serves the night's times,
        # has any. At other slots the part could find nobody, yet read the slot's tips (at
        # a million people 15-46 ms a slot, on PostgreSQL, hundreds of slots at start).
        by_tip = times != (slot["slot"], slot["slot"])
        args = (day, today, day)
        parts: list[tuple[str, tuple[str, ...]]] = []
        if by_tip:
            parts.append((
                " FROM users u JOIN reminders r ON r.user_id = u.id"
                " WHERE u.time_zone = ? AND u.tip_time BETWEEN ? AND ? AND u.tip_time != ?" + _DUE,
                (time_zone, *times, slot["slot"], *args),
            ))  # fmt: skip
        parts.append((
            " FROM reminders r JOIN users u ON u.id = r.user_id"
            " WHERE r.time_zone = ? AND r.usual BETWEEN ? AND ? AND u.tip_time IS NULL"
            " AND u.time_zone = r.time_zone" + _DUE,  # never at another zone's hour
            (time_zone, *times, *args),
        ))  # fmt: skip
        if time_zone == slot["default"]:
            if by_tip:
                parts.append((
                    " FROM users u JOIN reminders r ON r.user_id = u.id"
                    " WHERE u.time_zone IS NULL AND u.tip_time BETWEEN ? AND ?"
                    " AND u.tip_time != ?" + _DUE,
                    (*times, slot["slot"], *args),
                ))  # fmt: skip
            parts.append((
                " FROM reminders r JOIN users u ON u.id = r.user_id"
                " WHERE r.time_zone IS NULL AND r.usual BETWEEN ? AND ?"
                " AND u.tip_time IS NULL AND u.time_zone IS NULL" + _DUE,
                (*times, *args),
            ))  # fmt: skip
        after = -(2**63) if fill["after"] is None else int(fill["after"])
        found = await self._scan(
            " UNION ".join(f"SELECT r.user_id{part} AND r.user_id > ?" for part, _ in parts)
            + " ORDER BY 1",
            tuple(a for _, part_args in parts for a in (*part_args, after)),
        )
        return [int(r[0]) for r in found]

    def _listed_reads(
        self, fill: dict[str, Any], people: list[int]
    ) -> list[tuple[str, tuple[Any, ...]]]:
        """A reminder chunk's pages, read ahead (see store.delivery `_warm_chunk`): the
        people's reminders, rows and days (what `_queue_listed` reads), and the outbox's."""
        reads = super()._listed_reads(fill, people)
        if "reminder" not in fill:
            return reads
        slot = fill["reminder"]
        marks = ", ".join("?" * len(people))
        due = (
            "SELECT COUNT(*) FROM reminders r JOIN users u ON u.id = r.user_id"
            f" WHERE r.user_id IN ({marks}){_DUE}"
        )
        return [*reads, (due, (*people, slot["day"], slot["upto"], slot["day"]))]

    async def _queue_listed(
        self, job_id: int, fill: dict[str, Any], people: list[int], now: datetime
    ) -> int:
        """Queue a chunk of a reminder slot's people, those still due, and mark them reminded
        that day (in the caller's transaction: see store.delivery)."""
        if "reminder" not in fill:
            return await super()._queue_listed(job_id, fill, people, now)
        slot = fill["reminder"]
        marks = ", ".join("?" * len(people))
        cur = await self._db.execute(
            "INSERT INTO deliveries (job_id, user_id, updated_at)"
            " SELECT ?, r.user_id, ? FROM reminders r JOIN users u ON u.id = r.user_id"
            f" WHERE r.user_id IN ({marks}){_DUE} ON CONFLICT DO NOTHING",
            (job_id, to_text(now), *people, slot["day"], slot["upto"], slot["day"]),
        )
        # Whoever was queued is reminded that day (a new job: its rows are this slot's).
        await self._db.execute(
            "UPDATE reminders SET last_day = ? WHERE user_id IN"
            f" (SELECT user_id FROM deliveries WHERE job_id = ? AND user_id IN ({marks}))",
            (slot["day"], job_id, *people),
        )
        return max(cur.rowcount, 0)

    @writes
    async def claim_reminder(self, user_id: int, day: date) -> bool:
        """Take a person's one reminder of a local day (for one that rides on their daily
        tip); return False if they had it already, or have none."""
        cur = await self._db.execute(
            "UPDATE reminders SET last_day = ? WHERE user_id = ?"
            " AND (last_day IS NULL OR last_day != ?)",
            (day.isoformat(), user_id, day.isoformat()),
        )
        return cur.rowcount == 1

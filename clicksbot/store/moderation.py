"""The store's queries for moderators, the audit log, audiences, campaigns and broadcasts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import aiosqlite

from clicksbot.store.delivery import DeliveryQueries, audience_filter, still_to_queue
from clicksbot.store.dialect import for_update
from clicksbot.store.locking import writes
from clicksbot.store.reading import Reads
from clicksbot.store.stamps import from_text, to_text


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: int | None
    action: str
    target: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class Campaign:
    """A tip campaign as stored."""

    id: int
    name: str
    status: str
    audience: dict[str, Any]
    tips: tuple[str, ...]
    start_day: date
    send_time: str
    time_zone: str
    repeat: str
    position: int
    last_run_at: datetime | None
    origin: str
    created_by: int | None


@dataclass(frozen=True)
class Broadcast:
    """A broadcast as stored."""

    id: int
    created_by: int
    audience: dict[str, Any]
    payload: dict[str, Any]
    send_at: datetime
    status: str
    job_id: int | None


_CAMPAIGN = (
    "SELECT id, name, status, audience, tips, start_day, send_time, time_zone, repeat, position,"
    " last_run_at, origin, created_by FROM campaigns"
)
_BROADCAST = "SELECT id, created_by, audience, payload, send_at, status, job_id FROM broadcasts"


def _campaign(r: Any) -> Campaign:
    return Campaign(
        r[0], r[1], r[2], json.loads(r[3]), tuple(json.loads(r[4])), date.fromisoformat(r[5]),
        r[6], r[7], r[8], r[9], from_text(r[10]) if r[10] else None, r[11], r[12],
    )  # fmt: skip


def _broadcast(r: Any) -> Broadcast:
    return Broadcast(r[0], r[1], json.loads(r[2]), json.loads(r[3]), from_text(r[4]), r[5], r[6])


class ModerationQueries(DeliveryQueries, Reads):
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock

    # -- moderators and the audit log ----------------------------------------------------

    @writes
    async def add_moderator(self, user_id: int, granted_by: int, now: datetime) -> bool:
        """Make a person a moderator; return False if they were one already."""
        cur = await self._db.execute(
            "INSERT INTO moderators (user_id, granted_by, granted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO NOTHING",
            (user_id, granted_by, to_text(now)),
        )
        return cur.rowcount == 1

    @writes
    async def remove_moderator(self, user_id: int) -> bool:
        """Take the moderator role back; return False if they did not have it."""
        cur = await self._db.execute("DELETE FROM moderators WHERE user_id = ?", (user_id,))
        return cur.rowcount == 1

    async def is_moderator(self, user_id: int) -> bool:
        """Whether a person is a moderator (a lookup by key, on the loop's connection)."""
        return bool(await self._rows("SELECT 1 FROM moderators WHERE user_id = ?", (user_id,)))

    async def moderators(self) -> list[tuple[int, int, datetime]]:
        """Return (user id, granted by, when) for every moderator."""
        async with self._db.execute(
            "SELECT user_id, granted_by, granted_at FROM moderators ORDER BY granted_at"
        ) as cur:
            return [(r[0], r[1], from_text(r[2])) for r in await cur.fetchall()]

    @writes
    async def audit(
        self,
        actor: int | None,
        action: str,
        target: str | None,
        details: dict[str, Any],
        now: datetime,
    ) -> None:
        """Write one line to the audit log."""
        await self._db.execute(
            "INSERT INTO audit_log (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            (to_text(now), actor, action, target, json.dumps(details, ensure_ascii=False)),
        )

    async def audit_entries(self, limit: int = 100) -> list[AuditEntry]:
        """Return the newest audit lines, oldest first."""
        async with self._db.execute(
            "SELECT id, at, actor, action, target, details FROM audit_log ORDER BY id DESC LIMIT ?",
            (limit,),
        ) as cur:
            rows = list(await cur.fetchall())
        return [
            AuditEntry(r[0], from_text(r[1]), r[2], r[3], r[4], json.loads(r[5]))
            for r in reversed(rows)
        ]

    # -- audiences -----------------------------------------------------------------------

    async def audience_size(self, audience: dict[str, Any]) -> int:
        """Return how many people an audience reaches, from the totals the database keeps
        (migration m018's triggers): one row read, however many people there are."""
        audience_filter(audience)  # an unknown kind is refused, as when queueing
        return await self._kept_audience_size(audience)

    async def count_audience(self, audience: dict[str, Any]) -> int:
        """Count the people of an audience row by row (slow at scale: for checks and tests)."""
        where, args = audience_filter(audience)
        async with self._db.execute(f"SELECT COUNT(*) FROM users WHERE {where}", args) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    @writes
    async def cancel_job(self, job_id: int, now: datetime) -> int:
        """Stop a fan-out: its pending rows are cancelled (those on their way still arrive),
        and an audience's people not queued yet never will be; return how many messages
        will not go out (those not queued yet counted as the job's cancelled)."""
        async with self._db.execute(
            f"SELECT filling FROM jobs WHERE id = ?{for_update(self._db)}", (job_id,)
        ) as cur:
            row = await cur.fetchone()
        unqueued = still_to_queue(row[0]) if row else 0
        await self._db.execute(
            "UPDATE jobs SET cancelled_at = ?, filling = NULL, cancelled = cancelled + ?"
            " WHERE id = ? AND cancelled_at IS NULL",
            (to_text(now), unqueued, job_id),
        )
        cur = await self._db.execute(
            "UPDATE deliveries SET state = 'cancelled', updated_at = ?"
            " WHERE job_id = ? AND state = 'pending'",
            (to_text(now), job_id),
        )
        return cur.rowcount + unqueued

    # -- campaigns -----------------------------------------------------------------------

    @writes
    async def create_campaign(
        self,
        name: str,
        audience: dict[str, Any],
        tips: list[str],
        start_day: date,
        send_time: str,
        time_zone: str,
        repeat: str,
        origin: str,
        created_by: int | None,
        now: datetime,
        status: str = "active",
    ) -> int:
        cur = await self._db.execute(
            "INSERT INTO campaigns (name, status, audience, tips, start_day, send_time, time_zone,"
            " repeat, origin, created_by, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name, status, json.dumps(audience), json.dumps(tips), start_day.isoformat(),
                send_time, time_zone, repeat, origin, created_by, to_text(now), to_text(now),
            ),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def campaign(self, campaign_id: int) -> Campaign | None:
        async with self._db.execute(f"{_CAMPAIGN} WHERE id = ?", (campaign_id,)) as cur:
            row = await cur.fetchone()
        return _campaign(row) if row else None

    async def campaigns(self, *statuses: str) -> list[Campaign]:
        """Return campaigns, of the given statuses if any, oldest first."""
        where = f" WHERE status IN ({', '.join('?' * len(statuses))})" if statuses else ""
        async with self._db.execute(f"{_CAMPAIGN}{where} ORDER BY id", statuses) as cur:
            return [_campaign(r) for r in await cur.fetchall()]

    @writes
    async def set_campaign_status(
        self, campaign_id: int, status: str, now: datetime, *, last_run_at: datetime | None = None
    ) -> bool:
        """Change a campaign's status (and, on resume, the occurrence it counts from)."""
        allowed = {"paused": ("active",), "active": ("paused",), "cancelled": ("active", "paused")}
        before = allowed.get(status, ())
        if not before:
            raise ValueError(f"cannot set a campaign {status}")
        marks = ", ".join("?" * len(before))
        extra, args = "", cast(tuple[str, ...], ())
        if last_run_at is not None:
            extra, args = ", last_run_at = ?", (to_text(last_run_at),)
        cur = await self._db.execute(
            f"UPDATE campaigns SET status = ?, updated_at = ?{extra}"
            f" WHERE id = ? AND status IN ({marks})",
            (status, to_text(now), *args, campaign_id, *before),
        )
        return cur.rowcount == 1

    async def run_campaign_step(
        self, campaign: Campaign, occurrence: datetime, now: datetime
    ) -> tuple[int, int] | None:
        """Queue the campaign's next step for the occurrence; move it on by one, atomically.

        Return (job id, people queued), or None if the campaign moved meanwhile (a step is
        queued once: the job key names the campaign and the step). The step's job is created
        with the move; its people are then queued a chunk a transaction (see `_fill`).
        """
        job_id = await self._open_campaign_step(campaign, occurrence, now)
        if job_id is None:
            return None
        return job_id, await self._queue_audience(job_id, now)

    @writes
    async def _open_campaign_step(
        self, campaign: Campaign, occurrence: datetime, now: datetime
    ) -> int | None:
        if campaign.position >= len(campaign.tips):
            return None
        step = campaign.position
        done = step + 1 == len(campaign.tips)
        cur = await self._db.execute(
            "UPDATE campaigns SET position = position + 1, last_run_at = ?, status = ?,"
            " updated_at = ? WHERE id = ? AND position = ? AND status = 'active'",
            (to_text(occurrence), "done" if done else "active", to_text(now), campaign.id,
             step),
        )  # fmt: skip
        if cur.rowcount != 1:
            await self._db.rollback()
            return None
        payload = {"tip": campaign.tips[step], "campaign": campaign.name}
        job_id = await self._new_audience_job(
            f"campaign:{campaign.id}:{step}", "campaign", payload, campaign.audience, now
        )
        if job_id is None:
            await self._db.rollback()
        return job_id

    # -- broadcasts ----------------------------------------------------------------------

    @writes
    async def create_broadcast(
        self,
        created_by: int,
        audience: dict[str, Any],
        payload: dict[str, Any],
        send_at: datetime,
        now: datetime,
    ) -> int:
        cur = await self._db.execute(
            "INSERT INTO broadcasts (created_by, audience, payload, send_at, status, created_at)"
            " VALUES (?, ?, ?, ?, 'scheduled', ?)",
            (created_by, json.dumps(audience), json.dumps(payload, ensure_ascii=False),
             to_text(send_at), to_text(now)),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        async with self._db.execute(f"{_BROADCAST} WHERE id = ?", (broadcast_id,)) as cur:
            row = await cur.fetchone()
        return _broadcast(row) if row else None

    async def due_broadcasts(self, now: datetime) -> list[Broadcast]:
        async with self._db.execute(
            f"{_BROADCAST} WHERE status = 'scheduled' AND send_at <= ? ORDER BY send_at",
            (to_text(now),),
        ) as cur:
            return [_broadcast(r) for r in await cur.fetchall()]

    async def queue_broadcast(self, broadcast: Broadcast, now: datetime) -> tuple[int, int] | None:
        """Queue a scheduled broadcast for its audience, once; return (job id, people). Its
        job is created with its new status; its people are then queued a chunk a transaction
        (see `_fill`), so a broadcast to a million people never holds up a reply."""
        job_id = await self._open_broadcast(broadcast, now)
        if job_id is None:
            return None
        return job_id, await self._queue_audience(job_id, now)

    @writes
    async def _open_broadcast(self, broadcast: Broadcast, now: datetime) -> int | None:
        cur = await self._db.execute(
            "UPDATE broadcasts SET status = 'queued' WHERE id = ? AND status = 'scheduled'",
            (broadcast.id,),
        )
        if cur.rowcount != 1:
            await self._db.rollback()
            return None
        job_id = await self._new_audience_job(
            f"broadcast:{broadcast.id}", "broadcast", broadcast.payload, broadcast.audience,
            now,
        )  # fmt: skip
        if job_id is None:
            await self._db.rollback()
            return None
        await self._db.execute(
            "UPDATE broadcasts SET job_id = ? WHERE id = ?", (job_id, broadcast.id)
        )
        return job_id

    async def scheduled_broadcasts(self) -> list[Broadcast]:
        """Return the broadcasts waiting for their time, soonest first."""
        async with self._db.execute(
            f"{_BROADCAST} WHERE status = 'scheduled' ORDER BY send_at, id"
        ) as cur:
            return [_broadcast(r) for r in await cur.fetchall()]

    @writes
    async def cancel_broadcasts_by(self, created_by: int) -> list[int]:
        """Cancel every broadcast a person scheduled that has not gone out; return their ids."""
        async with self._db.execute(
            "SELECT id FROM broadcasts WHERE created_by = ? AND status = 'scheduled' ORDER BY id",
            (created_by,),
        ) as cur:
            ids = [int(r[0]) for r in await cur.fetchall()]
        await self._db.executemany(
            "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
            [(i,) for i in ids],
        )
        return ids

    @writes
    async def cancel_broadcast(self, broadcast_id: int) -> bool:
        """Cancel a broadcast that has not gone out yet."""
        cur = await self._db.execute(
            "UPDATE broadcasts SET status = 'cancelled' WHERE id = ? AND status = 'scheduled'",
            (broadcast_id,),
        )
        return cur.rowcount == 1

"""The clock of campaigns and scheduled broadcasts.

A campaign sends its tips one step per occurrence of its schedule (a local time in a time zone:
daily, on weekdays, weekly or once, from a start day). The database holds where each campaign
is: the next step and the occurrence it last went out for, so a restart neither repeats nor
skips a step; a step missed while the bot was down goes out when it is back. A JobQueue job
looks twice a minute; tests call `tick` after moving their clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from clicksbot.store import Store
from clicksbot.store.moderation import Campaign

if TYPE_CHECKING:
    from clicksbot.delivery.outbox import Outbox

logger = logging.getLogger(__name__)

REPEATS = ("daily", "weekdays", "weekly", "once")
INTERVAL = 30.0  # seconds between the JobQueue's looks


def occurs_on(repeat: str, start: date, day: date) -> bool:
    """Return whether a schedule has an occurrence on a local day."""
    if day < start:
        return False
    if repeat == "daily":
        return True
    if repeat == "weekdays":
        return day.weekday() < 5
    if repeat == "weekly":
        return day.weekday() == start.weekday()
    if repeat == "once":
        return day == start
    raise ValueError(f"unknown repeat {repeat!r}")


def latest_occurrence(
    repeat: str, start: date, send_time: str, time_zone: str, now: datetime
) -> datetime | None:
    """Return the latest occurrence at or before `now`, or None if there is none yet."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    at = time.fromisoformat(send_time)
    day = local.date()
    for _ in range(8):  # any schedule has an occurrence within a week once it started
        if occurs_on(repeat, start, day):
            moment = datetime.combine(day, at, tzinfo=zone)
            if moment <= local:
                return moment
        day -= timedelta(days=1)
        if day < start:
            return None
    return None


def next_occurrence(
    repeat: str, start: date, send_time: str, time_zone: str, now: datetime
) -> datetime | None:
    """Return the first occurrence after `now` (None for a "once" that has passed)."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    at = time.fromisoformat(send_time)
    day = max(local.date(), start)
    for _ in range(8):
        if occurs_on(repeat, start, day):
            moment = datetime.combine(day, at, tzinfo=zone)
            if moment > local:
                return moment
        day += timedelta(days=1)
    return None


def due(campaign: Campaign, now: datetime) -> datetime | None:
    """Return the occurrence a campaign's next step is due for, if one is due now."""
    if campaign.status != "active" or campaign.position >= len(campaign.tips):
        return None
    moment = latest_occurrence(
        campaign.repeat, campaign.start_day, campaign.send_time, campaign.time_zone, now
    )
    if moment is None or (campaign.last_run_at is not None and moment <= campaign.last_run_at):
        return None
    return moment


# What pause, resume and cancel make of a campaign.
ACTIONS = {"pause": "paused", "resume": "active", "cancel": "cancelled"}


async def change(store: Store, campaign: Campaign, action: str, now: datetime) -> bool:
    """Pause, resume or cancel a campaign; return False if its status does not allow it.

    A resumed campaign carries on at its next occurrence: those during the pause are not
    caught up.
    """
    last_run = None
    if action == "resume":
        last_run = latest_occurrence(
            campaign.repeat, campaign.start_day, campaign.send_time, campaign.time_zone, now
        )
    return await store.set_campaign_status(campaign.id, ACTIONS[action], now, last_run_at=last_run)


class Campaigns:
    """Queues campaign steps and scheduled broadcasts when their time comes."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        clock: Callable[[], datetime],
        on_queued: Callable[[str, int, int, int | None], Awaitable[None]] | None = None,
        may_send: Callable[[int], Awaitable[bool]] | None = None,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock
        # told (what, job id, people, who started it) of each fan-out, to show its progress
        self.on_queued = on_queued
        # whether a person may send to many (a moderator or an admin), asked when a
        # scheduled broadcast's time comes: the role may have been taken back meanwhile
        self.may_send = may_send
        self.stopped = False  # this instance stepped down: queue nothing more

    def stop(self) -> None:
        """Queue nothing more (a leader stepping down; the next leader's tick carries on)."""
        self.stopped = True

    async def tick(self) -> int:
        """Queue whatever is due; return how many fan-outs were queued."""
        now = self.clock()
        queued = 0
        for campaign in await self.store.campaigns("active"):
            if self.stopped:
                return queued
            moment = due(campaign, now)
            if moment is None:
                continue
            result = await self.store.run_campaign_step(campaign, moment, now)
            if result is None:
                continue
            job_id, people = result
            queued += 1
            logger.info("Campaign %d step %d: %d people queued (job %d)", campaign.id,
                        campaign.position + 1, people, job_id)  # fmt: skip
            if self.on_queued is not None:
                await self.on_queued(f"campaign:{campaign.id}", job_id, people,
                                     campaign.created_by)  # fmt: skip
        for broadcast in await self.store.due_broadcasts(now):
            if self.stopped:
                return queued
            if self.may_send is not None and not await self.may_send(broadcast.created_by):
                await self._refuse(broadcast.id, now)
                continue
            result = await self.store.queue_broadcast(broadcast, now)
            if result is None:
                continue
            job_id, people = result
            queued += 1
            logger.info("Broadcast %d: %d people queued (job %d)", broadcast.id, people, job_id)
            if self.on_queued is not None:
                await self.on_queued(f"broadcast:{broadcast.id}", job_id, people,
                                     broadcast.created_by)  # fmt: skip
        if queued:
            self.outbox.wake()
        return queued

    async def _refuse(self, broadcast_id: int, now: datetime) -> None:
        """Cancel a broadcast whose author may no longer send to many, and log it."""
        if await self.store.cancel_broadcast(broadcast_id):
            logger.warning("Broadcast %d not sent: its author is no longer a moderator",
                           broadcast_id)  # fmt: skip
            await self.store.audit(None, "broadcast_cancel", f"broadcast:{broadcast_id}",
                                   {"reason": "author_not_moderator"}, now)  # fmt: skip

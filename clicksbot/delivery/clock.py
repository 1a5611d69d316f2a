"""The clock of daily tips: one scheduled job per (time zone, local time) slot, never per person.

The database is the truth: the slots are read from the subscribers at start and a job is made
for each with PTB's JobQueue (APScheduler, which follows daylight-saving changes through
zoneinfo). When a slot's time comes, every subscriber due then is queued in the outbox in one
statement. A slot that passed while the bot was down is queued at start if it is at most
`grace` late; the jobs table makes sure a slot is queued once per local day, whoever sees it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from clicksbot.store import Store

if TYPE_CHECKING:
    from telegram.ext import CallbackContext, JobQueue

    from clicksbot.delivery.outbox import Outbox

logger = logging.getLogger(__name__)

# A job may fire a moment before its second; the slot it means is the one about to begin.
EARLY = timedelta(seconds=30)
SAFETY_LOOK = 300.0  # seconds between looks for slots a job missed


def parse_slot_time(value: str) -> time:
    """Return the `time` of an "HH:MM" slot."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def latest_occurrence(time_zone: str, tip_time: str, now: datetime) -> datetime:
    """Return the latest moment, at or before `now`, when it was `tip_time` in `time_zone`."""
    zone = ZoneInfo(time_zone)
    local_now = now.astimezone(zone)
    moment = datetime.combine(local_now.date(), parse_slot_time(tip_time), tzinfo=zone)
    if moment > local_now:
        moment = datetime.combine(
            local_now.date() - timedelta(days=1), parse_slot_time(tip_time), tzinfo=zone
        )
    return moment


class DailyTips:
    """Keeps one JobQueue job per slot and queues each slot's subscribers when it comes."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        job_queue: JobQueue[Any],
        clock: Callable[[], datetime],
        grace: timedelta,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.job_queue = job_queue
        self.clock = clock
        self.grace = grace
        self._scheduled: set[tuple[str, str]] = set()

    async def start(self) -> None:
        """Make a job for every slot in the database, then queue the slots missed while down."""
        for time_zone, tip_time in await self.store.tip_slots():
            self.schedule(time_zone, tip_time)
        # A safety net: if a slot's job failed (a locked database, say) or fired before the
        # scheduler ran, the next look queues it, within grace; the jobs table prevents twice.
        self.job_queue.run_repeating(
            self._look, interval=SAFETY_LOOK, first=SAFETY_LOOK, name="daily tips: look again"
        )
        queued = await self.tick()
        logger.info("Daily tips: %d slots scheduled, %d queued at start", len(self._scheduled),
                    queued)  # fmt: skip

    def schedule(self, time_zone: str, tip_time: str) -> None:
        """Make sure the slot has its job (a new subscriber may bring a new slot)."""
        if (time_zone, tip_time) in self._scheduled:
            return
        self._scheduled.add((time_zone, tip_time))
        at = parse_slot_time(tip_time).replace(tzinfo=ZoneInfo(time_zone))
        self.job_queue.run_daily(
            self._fire,
            at,
            data=(time_zone, tip_time),
            name=f"daily tip {tip_time} {time_zone}",
            job_kwargs={"misfire_grace_time": int(self.grace.total_seconds()) or 1},
        )

    async def _look(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        await self.tick()

    async def _fire(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        assert context.job is not None
        time_zone: str
        tip_time: str
        time_zone, tip_time = context.job.data  # type: ignore[misc]
        if await self.queue_slot(time_zone, tip_time, self.clock(), early=EARLY):
            self.outbox.wake()

    async def queue_slot(
        self, time_zone: str, tip_time: str, now: datetime, early: timedelta = timedelta(0)
    ) -> int:
        """Queue the latest occurrence of a slot if it is due, within grace and not yet queued.

        Return how many people were queued.
        """
        moment = latest_occurrence(time_zone, tip_time, now + early)
        if now - moment > self.grace:
            return 0
        queued = await self.store.queue_tip_slot(time_zone, tip_time, moment.date(), self.clock())
        if queued is None:
            return 0
        job_id, people = queued
        logger.info("Daily tip %s %s on %s: %d people queued (job %d)", tip_time, time_zone,
                    moment.date(), people, job_id)  # fmt: skip
        return people

    async def tick(self) -> int:
        """Queue every slot whose time has come and is not queued yet; return people queued.

        Run at start (to catch up after downtime); tests run it after moving their clock.
        """
        now = self.clock()
        queued = 0
        for time_zone, tip_time in await self.store.tip_slots():
            queued += await self.queue_slot(time_zone, tip_time, now)
        if queued:
            self.outbox.wake()
        return queued

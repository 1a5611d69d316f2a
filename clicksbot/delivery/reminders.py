"""The clock of streak reminders: one scheduled job per (time zone, local time) slot, never per
person, as for daily tips (see clicksbot.delivery.clock).

The slots are worked out from the database at start (each reminder's time, moved or skipped
for quiet hours by clicksbot.services.reminders) and looked at again every few minutes, since
usual times follow people's habits. When a slot's time comes, everyone due then who has not
played that day is queued in the outbox in one statement; the jobs table queues a slot once
per local day, and each person's last day keeps them to one reminder a day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from clicksbot.delivery.clock import EARLY, SAFETY_LOOK, latest_occurrence, parse_slot_time
from clicksbot.services.reminders import quiet, served_by, slot_of
from clicksbot.store import Store

if TYPE_CHECKING:
    from telegram.ext import CallbackContext, JobQueue

    from clicksbot.delivery.outbox import Outbox

logger = logging.getLogger(__name__)


class Reminders:
    """Keeps one JobQueue job per reminder slot and queues each slot's people when it comes."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        job_queue: JobQueue[Any],
        clock: Callable[[], datetime],
        grace: timedelta,
        default_zone: str,
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.job_queue = job_queue
        self.clock = clock
        self.grace = grace
        self.default_zone = default_zone
        self._scheduled: set[tuple[str, str]] = set()

    async def slots(self) -> set[tuple[str, str]]:
        """Return every (time zone, "HH:MM") at which somebody's reminder may go."""
        found = set()
        for time_zone, usual in await self.store.reminder_times(self.default_zone):
            slot = slot_of(usual)
            if slot is not None:
                found.add((time_zone, slot))
        return found

    async def start(self) -> None:
        """Make a job for every slot in the database, then queue the slots missed while down."""
        for time_zone, slot in sorted(await self.slots()):
            self.schedule(time_zone, slot)
        self.job_queue.run_repeating(
            self._look, interval=SAFETY_LOOK, first=SAFETY_LOOK, name="reminders: look again"
        )
        queued = await self.tick()
        logger.info("Reminders: %d slots scheduled, %d queued at start", len(self._scheduled),
                    queued)  # fmt: skip

    def schedule(self, time_zone: str, slot: str) -> None:
        """Make sure the slot has its job (a reminder turned on may bring a new slot)."""
        if (time_zone, slot) in self._scheduled:
            return
        self._scheduled.add((time_zone, slot))
        self.job_queue.run_daily(
            self._fire,
            parse_slot_time(slot).replace(tzinfo=ZoneInfo(time_zone)),
            data=(time_zone, slot),
            name=f"reminder {slot} {time_zone}",
            job_kwargs={"misfire_grace_time": int(self.grace.total_seconds()) or 1},
        )

    async def _look(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        await self.tick()

    async def _fire(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        assert context.job is not None
        time_zone: str
        slot: str
        time_zone, slot = context.job.data  # type: ignore[misc]
        if await self.queue_slot(time_zone, slot, self.clock(), early=EARLY):
            self.outbox.wake()

    async def queue_slot(
        self, time_zone: str, slot: str, now: datetime, early: timedelta = timedelta(0)
    ) -> int:
        """Queue the latest occurrence of a slot if it is due, within grace, not in quiet
        hours now, and not yet queued. Return how many people were queued."""
        moment = latest_occurrence(time_zone, slot, now + early)
        if now - moment > self.grace or quiet((now + early).astimezone(moment.tzinfo).time()):
            return 0
        queued = await self.store.queue_reminder_slot(
            time_zone, slot, served_by(slot), moment.date(), self.clock(), self.default_zone
        )
        if queued is None:
            return 0
        job_id, people = queued
        logger.info("Reminder %s %s on %s: %d people queued (job %d)", slot, time_zone,
                    moment.date(), people, job_id)  # fmt: skip
        return people

    async def tick(self) -> int:
        """Schedule new slots and queue every slot whose time has come; return people queued.

        Run at start, every few minutes after; tests run it after moving their clock.
        """
        now = self.clock()
        queued = 0
        for time_zone, slot in sorted(await self.slots()):
            self.schedule(time_zone, slot)
            queued += await self.queue_slot(time_zone, slot, now)
        if queued:
            self.outbox.wake()
        return queued

"""The clock of streak reminders: one scheduled job per (time zone, local time) slot, never per
person, as for daily tips (see clicksbot.delivery.clock).

The slots are worked out from the database at start (each reminder's time, moved or skipped
for quiet hours by clicksbot.services.reminders) and looked at again every few minutes, since
usual times follow people's habits. When a slot's time comes, everyone due then who has not
played that day is queued in the outbox (found by one read, then queued a chunk a
transaction: see store.reminders); the jobs table queues a slot once per local day, and each
person's last day keeps them to one reminder a day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from clicksbot.delivery.clock import SlotClock, latest_occurrence
from clicksbot.services.reminders import quiet, served_by, slot_of
from clicksbot.store import Store

if TYPE_CHECKING:
    from telegram.ext import JobQueue

    from clicksbot.delivery.outbox import Outbox

logger = logging.getLogger(__name__)


class Reminders(SlotClock):
    """Queues each reminder slot's people (those who have not played that day) when it comes."""

    label = "Reminders"
    job_name = "reminder"

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        job_queue: JobQueue[Any],
        clock: Callable[[], datetime],
        grace: timedelta,
        default_zone: str,
    ) -> None:
        super().__init__(store, outbox, job_queue, clock, grace)
        self.default_zone = default_zone

    async def slots(self) -> set[tuple[str, str]]:
        """Return every (time zone, "HH:MM") at which somebody's reminder may go."""
        found = set()
        for time_zone, usual in await self.store.reminder_times(self.default_zone):
            slot = slot_of(usual)
            if slot is not None:
                found.add((time_zone, slot))
        return found

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

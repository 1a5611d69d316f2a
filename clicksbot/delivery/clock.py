"""The clock of daily tips: one scheduled job per (time zone, local time) slot, never per person.

The database is the truth: the slots are read from the subscribers once the bot polls, and a
job is made for each with PTB's JobQueue (APScheduler, which follows daylight-saving changes
through zoneinfo). When a slot's time comes, every subscriber due then is queued in the
outbox. A slot that passed while the bot was down is queued at start if it is at most `grace`
late; the jobs table makes sure a slot is queued once per local day, whoever sees it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from time import monotonic
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clicksbot.store import Store

if TYPE_CHECKING:
    from telegram.ext import CallbackContext, JobQueue

    from clicksbot.delivery.outbox import Outbox

logger = logging.getLogger(__name__)

# A job may fire a moment before its second; the slot it means is the one about to begin.
EARLY = timedelta(seconds=30)
SAFETY_LOOK = 300.0  # seconds between looks for slots a job missed
SLOTS_AT_ONCE = 25  # slots looked at (and their jobs made) between two looks at the updates
REST_MOST = 0.25  # seconds, at most, of rest between two parts of a look


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


def _zone_infos(names: Iterable[str]) -> dict[str, ZoneInfo]:
    """Load these time zones (a file each, from tzdata), leaving out a name that is none."""
    zones = {}
    for name in names:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            zones[name] = ZoneInfo(name)
    return zones


class SlotClock:
    """One JobQueue job per (time zone, local time) slot, never per person: the slots come
    from the database at start, a look every few minutes catches what a job missed, and each
    kind of clock says what its slots are and how a slot is queued."""

    label = "Slots"  # for the log and the look-again job
    job_name = "slot"  # each slot's job is named "<job_name> HH:MM <time zone>"

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
        # The slots' zones, loaded off the loop's thread (see `tick`) and held here: ZoneInfo
        # keeps a zone in its cache only while something holds it.
        self._zones: dict[str, ZoneInfo] = {}
        # Set when this instance stepped down: schedule and queue nothing more (an event, so
        # that a rest between parts of a look ends at once).
        self._stop = asyncio.Event()
        self.caught_up = asyncio.Event()  # set once what came due while down is queued

    def stop(self) -> None:
        """Schedule and queue nothing more (a leader stepping down; a job running finishes
        its current slot at most)."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    async def slots(self) -> Iterable[tuple[str, str]]:
        """Return every (time zone, "HH:MM") slot in the database."""
        raise NotImplementedError

    async def queue_slot(
        self, time_zone: str, slot: str, now: datetime, early: timedelta = timedelta(0)
    ) -> int:
        """Queue a slot's latest occurrence if it is due; return how many people were queued."""
        raise NotImplementedError

    async def start(self) -> None:
        """Start the clock: its slots' jobs are made, and the slots missed while down queued,
        by a job once the bot polls (see `_catch_up`)."""
        # A safety net: if a slot's job failed (a locked database, say) or fired before the
        # scheduler ran, the next look queues it, within grace; the jobs table prevents twice.
        self.job_queue.run_repeating(
            self._look,
            interval=SAFETY_LOOK,
            first=SAFETY_LOOK,
            name=f"{self.label.lower()}: look again",
        )
        # The slots' jobs are made, and what was missed while the bot was down is queued, by a
        # job, once the bot polls: at a million people the slots are thousands (5,600 in the
        # benchmark's mix: 1.1 s of making jobs) and a slot may hold many people; neither
        # may keep the first poll waiting (issue 18). A slot due meanwhile is queued by it.
        self.job_queue.run_once(
            self._catch_up,
            when=0.0,
            name=f"{self.label.lower()}: catch up",
            job_kwargs={"misfire_grace_time": None},  # however busy the start: never skipped
        )

    async def catch_up(self) -> int:
        """Queue what came due while the bot was down; return people queued."""
        return await self.tick()

    async def _catch_up(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        try:
            queued = await self.catch_up()
            # The slots' jobs live as long as the bot, like start-up's objects: set aside from
            # the collector's full passes, which would otherwise walk them (see app.py).
            gc.freeze()
        finally:
            self.caught_up.set()
        logger.info("%s: %d slots scheduled, %d people queued at start", self.label,
                    len(self._scheduled), queued)  # fmt: skip

    def schedule(self, time_zone: str, slot: str) -> None:
        """Make sure the slot has its job (a new subscriber or reminder may bring one)."""
        if self.stopped or (time_zone, slot) in self._scheduled:
            return
        self._scheduled.add((time_zone, slot))
        self.job_queue.run_daily(
            self._fire,
            parse_slot_time(slot).replace(tzinfo=ZoneInfo(time_zone)),
            data=(time_zone, slot),
            name=f"{self.job_name} {slot} {time_zone}",
            job_kwargs={"misfire_grace_time": int(self.grace.total_seconds()) or 1},
        )

    async def _look(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        await self.tick()

    async def _fire(self, context: CallbackContext) -> None:  # type: ignore[type-arg]
        assert context.job is not None
        time_zone: str
        slot: str
        time_zone, slot = context.job.data  # type: ignore[misc]
        if self.stopped:
            return
        if await self.queue_slot(time_zone, slot, self.clock(), early=EARLY):
            self.outbox.wake()

    async def tick(self) -> int:
        """Schedule new slots and queue every slot whose time has come and is not queued yet;
        return people queued. Run at start and every few minutes after; tests run it after
        moving their clock."""
        queued = 0
        began = monotonic()
        made = len(self._scheduled)
        slots = sorted(await self.slots())
        # The first ZoneInfo of a zone reads its file, on the loop's thread: at a million
        # people's start (46 zones in the benchmark, the disk busy with the catch-up's
        # checkpoints) one read held every update 44 ms. They are read beside the loop first.
        new = {time_zone for time_zone, _ in slots} - self._zones.keys()
        if new:
            self._zones.update(await asyncio.to_thread(_zone_infos, new))
        for n, (time_zone, slot) in enumerate(slots, start=1):
            if self.stopped:
                break
            self.schedule(time_zone, slot)
            # The clock read again for each slot: one whose time passed while the look went
            # through the others (seconds, at a million people) is queued now, not missed.
            queued += await self.queue_slot(time_zone, slot, self.clock())
            if n % SLOTS_AT_ONCE == 0:
                if len(self._scheduled) > made:
                    # The jobs just made live as long as the bot: set aside from the
                    # collector's full passes as they are made, not only once the look is
                    # done. At a million people the start's look makes thousands, and each
                    # full pass meanwhile walked all made so far: 40-60 ms with every update
                    # waiting, several in the first seconds.
                    gc.freeze()
                    made = len(self._scheduled)
                # Thousands of slots (at a million people, seconds of work at start): a rest
                # as long as the part took (at most REST_MOST), so that updates are answered
                # between parts and the look has the bot (its thread, the store) about half
                # the time at most. A stop ends the rest at once.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), min(REST_MOST, monotonic() - began))
                began = monotonic()
        if queued:
            self.outbox.wake()
        return queued


class DailyTips(SlotClock):
    """Queues each daily-tip slot's subscribers when it comes."""

    label = "Daily tips"
    job_name = "daily tip"

    async def catch_up(self) -> int:
        """Finish the slots a stop or crash left half queued, then catch up as every clock."""
        for job_id, people in await self.store.finish_fills(self.clock()):
            logger.info("Daily tip job %d: %d more people queued after a restart", job_id,
                        people)  # fmt: skip
        return await super().catch_up()

    async def slots(self) -> Iterable[tuple[str, str]]:
        return await self.store.tip_slots()

    async def queue_slot(
        self, time_zone: str, slot: str, now: datetime, early: timedelta = timedelta(0)
    ) -> int:
        """Queue the latest occurrence of a slot if it is due, within grace and not yet queued.

        Return how many people were queued.
        """
        moment = latest_occurrence(time_zone, slot, now + early)
        if now - moment > self.grace:
            return 0
        queued = await self.store.queue_tip_slot(time_zone, slot, moment.date(), self.clock())
        if queued is None:
            return 0
        job_id, people = queued
        logger.info("Daily tip %s %s on %s: %d people queued (job %d)", slot, time_zone,
                    moment.date(), people, job_id)  # fmt: skip
        return people

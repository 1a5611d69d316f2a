"""Live progress of a fan-out for the moderator who started it: one message, edited a few
times a minute (sent, remaining, unreachable, failed, rate, time left, a stop button), then
a summary once nothing is pending.

The message appears at once (a "sending" view, whatever the counts), is edited every
`interval` seconds, and sooner when the time left says the end is near, so the summary
follows the last message closely. Which message shows which job, and what it says, is in
the store: a bot restarted in the middle carries on editing the same message (`resume`)
while its outbox carries on sending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from clicksbot.i18n import Catalogs, Translator
from clicksbot.render import Reply, esc
from clicksbot.render.moderation import progress_text
from clicksbot.store import Store
from clicksbot.store.delivery import JobProgress

if TYPE_CHECKING:
    from telegram.ext import CallbackContext, ExtBot, Job, JobQueue

logger = logging.getLogger(__name__)

INTERVAL = 15.0  # seconds between edits: a few a minute, well inside Telegram's limits
SECOND_LOOK = 2.0  # seconds to the next look while no rate is known yet
SOONEST = 1.0  # seconds: never two edits of one message closer than this
RATE_AFTER = 1.0  # seconds of sending before a rate (and a time left) is shown


@dataclass
class Watch:
    """One fan-out being watched, in this process."""

    job_id: int
    chat_id: int
    what: str  # "broadcast:<id>" or "campaign:<id>"
    message_id: int | None = None
    shown: str = ""  # the text on screen: an edit that changes nothing is not sent
    title: str = ""
    # Where the rate counts from: this process's start of watching, and what was done then
    # (None: not looked yet; after a restart the first look sets it).
    started: float = field(default_factory=time.monotonic)
    base: int | None = 0
    looked: bool = False  # in this process: the first look shows "sending", never the summary
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next: Job[Any] | None = None


class Progress:
    """Sends and edits the progress messages, on the JobQueue."""

    def __init__(
        self,
        store: Store,
        bot: ExtBot[Any],
        job_queue: JobQueue[Any],
        catalogs: Catalogs,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.bot = bot
        self.job_queue = job_queue
        self.catalogs = catalogs
        self.clock = clock
        self.interval = INTERVAL
        self._watches: dict[int, Watch] = {}
        self.stopped = False  # this instance stepped down: no more looks

    def stop(self) -> None:
        """Schedule no more looks (a leader stepping down; the next leader resumes them)."""
        self.stopped = True

    async def watch(self, what: str, job_id: int, people: int, chat_id: int | None) -> None:
        """Start showing a fan-out's progress to the moderator who started it."""
        if chat_id is None:  # started from the command line: the log says it
            return
        await self.store.watch_progress(job_id, chat_id, what, self.clock())
        self._start(Watch(job_id, chat_id, what))

    async def resume(self) -> int:
        """Carry on showing the fan-outs a restart cut (their messages are edited again);
        return how many."""
        found = await self.store.progress_messages()
        for row in found:
            if row.job_id not in self._watches:
                self._start(
                    Watch(row.job_id, row.chat_id, row.what, row.message_id, row.shown, base=None)
                )
        return len(found)

    def refresh(self, job_id: int) -> None:
        """Look at a fan-out now (it was stopped, say), rather than at its next time."""
        watch = self._watches.get(job_id)
        if watch is not None:
            self._schedule(watch, 0.0)

    def _start(self, watch: Watch) -> None:
        self._watches[watch.job_id] = watch
        self._schedule(watch, 0.0)

    def _schedule(self, watch: Watch, delay: float) -> None:
        if self.stopped:
            return
        if watch.next is not None:
            watch.next.schedule_removal()
        watch.next = self.job_queue.run_once(
            self._update,
            when=delay,
            data=watch,
            name=f"progress {watch.job_id}",
            # However late the scheduler starts (a look planned during start-up), still look.
            job_kwargs={"misfire_grace_time": None},
        )

    async def _title(self, t: Translator, what: str) -> str:
        kind, _, raw_id = what.partition(":")
        if kind == "campaign":
            campaign = await self.store.campaign(int(raw_id))
            if campaign is not None:
                return t(
                    "sending.campaign",
                    name=esc(campaign.name),
                    step=campaign.position,
                    steps=len(campaign.tips),
                )
        return t("sending.broadcast", id=raw_id)

    async def _update(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert context.job is not None
        watch: Watch = context.job.data  # type: ignore[assignment]
        if watch.next is context.job:
            watch.next = None
        if self._watches.get(watch.job_id) is not watch:
            return  # finished meanwhile
        async with watch.lock:
            await self._look(watch)

    async def _look(self, watch: Watch) -> None:
        progress = await self.store.job_progress(watch.job_id)
        if watch.base is None:
            watch.base, watch.started = progress.processed, time.monotonic()
        elapsed = time.monotonic() - watch.started
        done_here = progress.processed - watch.base
        rate = done_here / elapsed if elapsed >= RATE_AFTER and done_here > 0 else 0.0
        user = await self.store.get_user(watch.chat_id)
        t = self.catalogs.get(user.language if user else "en")
        if not watch.title:
            watch.title = await self._title(t, watch.what)
        # The first view says "sending" even if all went out already: then the summary.
        final = progress.pending == 0 and watch.looked
        watch.looked = True
        reply = progress_text(t, watch.title, watch.job_id, progress, rate, final=final)
        if reply.text != watch.shown:
            await self._show(watch, reply)
        if final:
            await self.store.end_progress(watch.job_id)
            self._watches.pop(watch.job_id, None)
            return
        self._schedule(watch, self._next_look(progress, rate, elapsed))

    def _next_look(self, progress: JobProgress, rate: float, elapsed: float) -> float:
        """Seconds to the next look: the interval, or sooner near the end or at the start."""
        if rate > 0:
            left = progress.pending / rate
            return max(SOONEST, min(self.interval, left + SOONEST / 2))
        if progress.pending == 0 or elapsed < self.interval:
            return min(self.interval, SECOND_LOOK)
        return self.interval

    async def _show(self, watch: Watch, reply: Reply) -> None:
        try:
            if watch.message_id is None:
                message = await self.bot.send_message(
                    watch.chat_id,
                    reply.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply.keyboard,
                )
                watch.message_id = message.message_id
            else:
                await self.bot.edit_message_text(
                    reply.text,
                    watch.chat_id,
                    watch.message_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=reply.keyboard,
                )
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                logger.info("Progress of job %d not shown: %s", watch.job_id, exc.message)
                return
        except TelegramError as exc:
            logger.info("Progress of job %d not shown: %s", watch.job_id, exc)
            return
        watch.shown = reply.text
        assert watch.message_id is not None
        await self.store.progress_shown(watch.job_id, watch.message_id, reply.text)

"""Live progress of a fan-out for the moderator who started it: one message, edited a few
times a minute (sent, remaining, unreachable, failed, rate, ETA, a stop button), then a
summary once nothing is pending."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from clicksbot.i18n import Catalogs, Translator
from clicksbot.render import Reply, esc
from clicksbot.render.moderation import progress_text
from clicksbot.store import Store

if TYPE_CHECKING:
    from telegram.ext import CallbackContext, ExtBot, JobQueue

logger = logging.getLogger(__name__)

INTERVAL = 15.0  # seconds between edits: a few a minute, well inside Telegram's limits


@dataclass
class Watch:
    """One fan-out being watched."""

    job_id: int
    chat_id: int
    what: str  # "broadcast:<id>" or "campaign:<id>"
    title: str = ""
    started: float = field(default_factory=time.monotonic)
    message_id: int | None = None
    cancelled: bool = False
    shown: str = ""  # the text on screen: an edit that changes nothing is not sent


class Progress:
    """Sends and edits the progress messages, on the JobQueue."""

    def __init__(
        self, store: Store, bot: ExtBot[Any], job_queue: JobQueue[Any], catalogs: Catalogs
    ) -> None:
        self.store = store
        self.bot = bot
        self.job_queue = job_queue
        self.catalogs = catalogs
        self.interval = INTERVAL
        self._watches: dict[int, Watch] = {}

    def watch(self, what: str, job_id: int, people: int, chat_id: int | None) -> None:
        """Start showing a fan-out's progress to the moderator who started it."""
        if chat_id is None:  # started from the command line: the log says it
            return
        watch = Watch(job_id, chat_id, what)
        self._watches[job_id] = watch
        self.job_queue.run_repeating(
            self._update, interval=self.interval, first=0.0, data=watch, name=f"progress {job_id}"
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

    def cancelled(self, job_id: int) -> None:
        """Note that a fan-out was stopped (its summary says so)."""
        if job_id in self._watches:
            self._watches[job_id].cancelled = True

    async def _update(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert context.job is not None
        watch: Watch = context.job.data  # type: ignore[assignment]
        progress = await self.store.job_progress(watch.job_id)
        elapsed = max(time.monotonic() - watch.started, 1e-6)
        rate = (progress.sent + progress.unreachable + progress.failed) / elapsed
        user = await self.store.get_user(watch.chat_id)
        t = self.catalogs.get(user.language if user else "en")
        if not watch.title:
            watch.title = await self._title(t, watch.what)
        reply = progress_text(t, watch.title, watch.job_id, progress, rate, watch.cancelled)
        if reply.text != watch.shown:
            watch.shown = reply.text
            await self._show(watch, reply)
        if progress.pending == 0:
            context.job.schedule_removal()
            self._watches.pop(watch.job_id, None)

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
        except TelegramError as exc:
            logger.info("Progress of job %d not shown: %s", watch.job_id, exc)

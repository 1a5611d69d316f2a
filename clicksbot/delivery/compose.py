"""What the outbox sends to one person for one job, by the job's kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from clicksbot.content import Content
from clicksbot.i18n import SOURCE_LANGUAGE, Catalogs
from clicksbot.render import Reply, esc
from clicksbot.render.boosters import with_booster
from clicksbot.render.learning import tip_message
from clicksbot.render.moderation import broadcast_reply
from clicksbot.render.streaks import reminder_message, with_reminder
from clicksbot.services import progress, reminders
from clicksbot.services.learning import TipPick, choose_tip, due_count
from clicksbot.store import Store
from clicksbot.store.delivery import Delivery
from clicksbot.store.reminders import REMINDER

TIP, MESSAGE, NOTICE, CAMPAIGN, BROADCAST = "tip", "message", "notice", "campaign", "broadcast"


class NothingToSend(Exception):
    """This job has nothing for this person (say, no tips in any language they can read)."""


class NoLongerWanted(NothingToSend):
    """The message is not wanted any more (a reminder to someone who has played since it was
    queued): it is skipped, which is not a failure."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Letter:
    """A message for one person, and the tip it carries (recorded as read once sent)."""

    reply: Reply
    tip_id: str | None = None
    photo: str | None = None  # a Telegram file id: the reply's text is then its caption


class Composer:
    """Writes each person's message in their language, at the moment it is sent."""

    def __init__(
        self,
        store: Store,
        content: Content,
        catalogs: Catalogs,
        bot_username: str,
        *,
        clock: Callable[[], datetime] = _utcnow,
        default_timezone: str = "UTC",
    ):
        self.store = store
        self.content = content
        self.catalogs = catalogs
        self.bot_username = bot_username
        self.clock = clock
        self.default_timezone = default_timezone

    async def compose(self, delivery: Delivery) -> Letter:
        t = self.catalogs.get(delivery.language)
        if delivery.kind == TIP:
            chosen = await choose_tip(self.store, self.content, delivery.user_id, delivery.language)
            if chosen is None:
                raise NothingToSend("no tips in the packs")
            tip, restarted = chosen
            pick = TipPick(tip, restarted, [])
            reply = tip_message(t, pick, self.bot_username, daily=True)
            if await self._booster_due(delivery.user_id):
                reply = with_booster(t, reply)
            if await reminders.rides_on_tip(self.store, delivery.user_id, self.clock()):
                reply = with_reminder(t, reply, await self._streak(delivery.user_id))
            return Letter(reply, tip.id)
        if delivery.kind == MESSAGE:
            texts = delivery.payload.get("text", {})
            text = (
                texts.get(delivery.language)
                or texts.get(SOURCE_LANGUAGE)
                or next(iter(texts.values()), None)
            )
            if not text:
                raise NothingToSend("the message has no text")
            return Letter(Reply(esc(text)))
        if delivery.kind == CAMPAIGN:
            step = self.content.tip(str(delivery.payload.get("tip")))
            if step is None:
                raise NothingToSend(f"tip {delivery.payload.get('tip')!r} is not in the packs")
            name = str(delivery.payload.get("campaign", ""))
            reply = tip_message(t, TipPick(step, False, []), self.bot_username, campaign=name)
            return Letter(reply, step.id)
        if delivery.kind == BROADCAST:
            return Letter(broadcast_reply(delivery.payload), photo=delivery.payload.get("photo"))
        if delivery.kind == NOTICE:
            # An interface text by key, with numbers only: names never travel through jobs.
            key = str(delivery.payload.get("key", ""))
            params = {k: int(v) for k, v in delivery.payload.get("params", {}).items()}
            count = params.get("count")
            text = t.plural(key, count, **params) if count is not None else t(key, **params)
            return Letter(Reply(text))
        if delivery.kind == REMINDER:
            day = date.fromisoformat(str(delivery.payload.get("day")))
            zone = str(delivery.payload.get("zone"))
            if not await reminders.still_wanted(
                self.store, delivery.user_id, day, self.clock(), zone
            ):
                raise NoLongerWanted("played since, turned off, or quiet hours now")
            return Letter(reminder_message(t, await self._streak(delivery.user_id)))
        raise NothingToSend(f"unknown kind of job {delivery.kind!r}")

    async def _booster_due(self, user_id: int) -> bool:
        user = await self.store.get_user(user_id)
        if user is None:
            return False
        due = await due_count(self.store, self.content, user, self.clock(), self.default_timezone)
        return due > 0

    async def _streak(self, user_id: int) -> progress.Stats:
        user = await self.store.get_user(user_id)
        if user is None:
            raise NothingToSend("the person is gone")
        return await progress.stats(self.store, user, self.clock(), self.default_timezone)

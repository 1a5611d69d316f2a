"""What the outbox sends to one person for one job, by the job's kind."""

from __future__ import annotations

from dataclasses import dataclass

from clicksbot.content import Content
from clicksbot.i18n import SOURCE_LANGUAGE, Catalogs
from clicksbot.render import Reply, esc
from clicksbot.render.learning import tip_message
from clicksbot.render.moderation import broadcast_reply
from clicksbot.services.learning import TipPick, choose_tip
from clicksbot.store import Store
from clicksbot.store.delivery import Delivery

TIP, MESSAGE, NOTICE, CAMPAIGN, BROADCAST = "tip", "message", "notice", "campaign", "broadcast"


class NothingToSend(Exception):
    """This job has nothing for this person (say, no tips in any language they can read)."""


@dataclass(frozen=True)
class Letter:
    """A message for one person, and the tip it carries (recorded as read once sent)."""

    reply: Reply
    tip_id: str | None = None
    photo: str | None = None  # a Telegram file id: the reply's text is then its caption


class Composer:
    """Writes each person's message in their language, at the moment it is sent."""

    def __init__(self, store: Store, content: Content, catalogs: Catalogs, bot_username: str):
        self.store = store
        self.content = content
        self.catalogs = catalogs
        self.bot_username = bot_username

    async def compose(self, delivery: Delivery) -> Letter:
        t = self.catalogs.get(delivery.language)
        if delivery.kind == TIP:
            chosen = await choose_tip(self.store, self.content, delivery.user_id, delivery.language)
            if chosen is None:
                raise NothingToSend("no tips in the packs")
            tip, restarted = chosen
            pick = TipPick(tip, restarted, [])
            return Letter(tip_message(t, pick, self.bot_username, daily=True), tip.id)
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
        raise NothingToSend(f"unknown kind of job {delivery.kind!r}")

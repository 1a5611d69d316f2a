"""Flood control: someone sending many messages or presses at once is slowed down politely.

A token bucket per person (burst `flood_burst`, refilled at `flood_rate` a second) runs before
every other handler (the first group); an update over the limit is dropped with PTB's
ApplicationHandlerStop, after telling the person once per spell to slow down. Handling stays
cheap for them, so nobody can make the bot slow for others, nor make it exceed Telegram's
per-chat limit with its replies.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import FLOOD_GROUP

# Buckets forgotten in one update at most: after a quiet spell that follows a crowd, the
# crowd's buckets go over the next updates rather than all in one.
FORGET_AT_ONCE = 256


class FloodGuard:
    """Per-person token buckets, kept for the people who wrote lately.

    A bucket untouched for longer than it takes to refill from empty (`burst / rate`, and a
    second more) is full again, just like a new one: it is forgotten. The buckets are kept in
    the order they were last touched, so forgetting looks only at the oldest ones and each
    update costs the same with ten people or a million.
    """

    def __init__(
        self, burst: int, rate: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = rate
        self.forget_after = burst / rate + 1.0  # seconds: surely full again by then
        self._monotonic = monotonic
        # person -> (tokens, when), the least recently touched first
        self._buckets: OrderedDict[int, tuple[float, float]] = OrderedDict()
        self._warned: set[int] = set()

    def __len__(self) -> int:
        """Return how many people's buckets are kept."""
        return len(self._buckets)

    def allow(self, person: int) -> bool:
        """Take a token for this person; False if they have none left."""
        now = self._monotonic()
        buckets = self._buckets
        tokens, when = buckets.pop(person, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - when) * self.rate)
        self._forget(now)
        if tokens >= 1:
            buckets[person] = (tokens - 1, now)
            if tokens >= self.burst / 2:
                self._warned.discard(person)  # they slowed down: warn again next time
            return True
        buckets[person] = (tokens, now)
        return False

    def _forget(self, now: float) -> None:
        """Drop the oldest buckets that are full again (at most FORGET_AT_ONCE)."""
        buckets = self._buckets
        for _ in range(FORGET_AT_ONCE):
            if not buckets:
                return
            person, (_, when) = next(iter(buckets.items()))
            if now - when < self.forget_after:
                return
            del buckets[person]
            # Their next update finds a full bucket, which ends a spell anyway.
            self._warned.discard(person)

    def first_warning(self, person: int) -> bool:
        """Whether this is the first dropped update of a spell (the one to answer)."""
        if person in self._warned:
            return False
        self._warned.add(person)
        return True


async def guard(update: Update, context: BotContext) -> None:
    flood = context.runtime.flood
    person = update.effective_user
    if flood is None or person is None or flood.allow(person.id):
        return
    user = await context.store.get_user(person.id)
    t = context.catalogs.get(user.language if user else context.settings.default_language)
    try:
        if update.callback_query is not None:  # a press must be answered, or it spins
            await update.callback_query.answer(t("flood.slow_down"))
        elif flood.first_warning(person.id) and update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, t("flood.slow_down"))
    except TelegramError:
        pass  # the press may be too old; nothing else to do for a flood
    raise ApplicationHandlerStop


def register(app: BotApplication) -> None:
    """Run the guard before every other handler."""
    app.add_handler(TypeHandler(Update, guard), group=FLOOD_GROUP)

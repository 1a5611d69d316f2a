"""Flood control: someone sending many messages or presses at once is slowed down politely.

A token bucket per person (burst `flood_burst`, refilled at `flood_rate` a second) runs before
every other handler (the first group); an update over the limit is dropped with PTB's
ApplicationHandlerStop, after telling the person once per spell to slow down. Handling stays
cheap for them, so nobody can make the bot slow for others, nor make it exceed Telegram's
per-chat limit with its replies.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from clicksbot.context import BotApplication, BotContext
from clicksbot.handlers.common import FLOOD_GROUP

FORGET_AFTER = 600.0  # seconds: buckets of people who stopped are dropped


class FloodGuard:
    """Per-person token buckets."""

    def __init__(
        self, burst: int, rate: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = burst
        self.rate = rate
        self._monotonic = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}  # person -> (tokens, when)
        self._warned: set[int] = set()

    def allow(self, person: int) -> bool:
        """Take a token for this person; False if they have none left."""
        now = self._monotonic()
        tokens, when = self._buckets.get(person, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - when) * self.rate)
        if len(self._buckets) > 50_000:
            self._buckets = {p: b for p, b in self._buckets.items() if now - b[1] < FORGET_AFTER}
        if tokens >= 1:
            self._buckets[person] = (tokens - 1, now)
            if tokens >= self.burst / 2:
                self._warned.discard(person)  # they slowed down: warn again next time
            return True
        self._buckets[person] = (tokens, now)
        return False

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

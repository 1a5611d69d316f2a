"""Pacing of everything the bot sends, on PTB's rate-limiter hook.

Telegram allows about 30 messages a second in all and one a second in a private chat. Replies to
people (the chat in front of a handler) are never held back: someone waiting for an answer comes
first. Calls made by the outbox (`rate_limit_args=Lane.OUTBOX`) are spaced out so the total,
replies included, stays at the configured rate, and two outbox messages to one chat are at
least `per_chat` seconds apart. A 429 from Telegram stops every outbox send for `retry_after`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any

from telegram._utils.types import JSONDict
from telegram.ext import BaseRateLimiter

PER_CHAT_INTERVAL = 1.0
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0  # Telegram: about 20 messages a minute to one group


class Lane(Enum):
    """How a call is paced: the outbox's calls wait their turn; replies do not."""

    OUTBOX = "outbox"


class Pacer(BaseRateLimiter[Lane]):
    """A steady pace for the outbox (`rate` calls a second; 0: none) that replies share."""

    def __init__(
        self,
        rate: float,
        per_chat: float = PER_CHAT_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        group_limit: int = GROUP_LIMIT,
        group_window: float = GROUP_WINDOW,
        on_reply: Callable[[], None] | None = None,
    ) -> None:
        self.on_reply = on_reply  # counts replies, for the metrics
        self.rate = rate
        self.per_chat = per_chat
        self.group_limit = group_limit
        self.group_window = group_window
        self._groups: dict[int, deque[float]] = {}  # group chat -> when its last sends went
        self._group_locks: dict[int, asyncio.Lock] = {}
        self._monotonic = monotonic
        self._next_free = 0.0  # the moment the next outbox call may start
        self._paused_until = 0.0
        self._chats: dict[int | str, float] = {}  # chat -> earliest next outbox call
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def pause(self, seconds: float) -> None:
        """Hold every outbox call for `seconds` (Telegram said "retry after")."""
        self._paused_until = max(self._paused_until, self._monotonic() + seconds)
        # Turns after the pause are spaced out again, not all at its end.
        self._next_free = max(self._next_free, self._paused_until)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Lane | None,
    ) -> bool | JSONDict | list[JSONDict]:
        chat = data.get("chat_id")
        if isinstance(chat, int) and chat < 0 and endpoint.startswith(("send", "copy", "forward")):
            await self._wait_group(chat)  # replies too: a group's limit is per minute, for all
        if rate_limit_args is Lane.OUTBOX:
            await self._wait_turn(chat)
        elif endpoint.startswith(("send", "edit", "copy", "forward")):
            if self.on_reply is not None:
                self.on_reply()
            if self.rate:
                # A reply goes at once but uses up a turn, so the total stays under the limit.
                self._next_free = max(self._next_free, self._monotonic()) + 1 / self.rate
        return await callback(*args, **kwargs)

    async def _wait_turn(self, chat: int | str | None) -> None:
        while True:
            pause_seen = self._paused_until
            start = await self._take_turn(chat)
            while (delay := start - self._monotonic()) > 0:
                await asyncio.sleep(delay)
                if self._paused_until != pause_seen:
                    break  # a pause began meanwhile: queue again behind it, in order
            else:
                return

    async def _take_turn(self, chat: int | str | None) -> float:
        """Reserve the next moment this call may go (turns in order of arrival)."""
        async with self._lock:
            now = self._monotonic()
            start = max(now, self._paused_until)
            if self.rate:
                start = max(start, self._next_free)
                self._next_free = start + 1 / self.rate
            if chat is not None and self.per_chat:
                # Waiting for one chat does not hold up the rest of the queue.
                start = max(start, self._chats.get(chat, 0.0))
                self._chats[chat] = start + self.per_chat
                if len(self._chats) > 10_000:
                    self._forget(now)
            return start

    async def _wait_group(self, chat: int) -> None:
        """Hold a message to a group until it is within `group_limit` per `group_window`."""
        lock = self._group_locks.setdefault(chat, asyncio.Lock())
        async with lock:  # in order of arrival within the group
            sent = self._groups.setdefault(chat, deque())
            while True:
                now = self._monotonic()
                while sent and now - sent[0] >= self.group_window:
                    sent.popleft()
                if len(sent) < self.group_limit:
                    sent.append(now)
                    return
                await asyncio.sleep(sent[0] + self.group_window - now)

    def _forget(self, now: float) -> None:
        self._chats = {chat: at for chat, at in self._chats.items() if at > now}

"""Pacing of everything the bot sends, on PTB's rate-limiter hook.

Telegram allows about 30 messages a second in all, a short burst and then about one a second in
one chat, and 20 a minute in one group; faster, it answers 429 "retry after N". So:

- **Replies** (the chat in front of a handler) come first. They take the next free turn of the
  overall pace ahead of any waiting fan-out, and are paced per chat (a short burst, then one a
  second). A reply that still meets 429 waits what Telegram asks and goes again, as PTB's own
  `AIORateLimiter` does, at most `MAX_RETRIES` times; then it is logged once and given up.
- **The outbox** (`rate_limit_args=Lane.OUTBOX`) sends at `rate` a second at most, in the turns
  replies leave, one message a second per chat. A 429 pauses the outbox (`pause`); the outbox
  then sends the same row again.
- **Paid broadcasts** (outbox calls with `allow_paid_broadcast`, when `paid_rate` is set) go
  at `paid_rate` a second (Telegram allows up to 1000, for a fee in Stars), apart from the
  free pace, still one message a second per chat and held by the same pauses.
- **Groups** take 20 messages a minute: a message to a group waits here for the group's window.
  Handlers never wait for it: they post to groups through `delivery.groups.GroupPoster`, whose
  own task waits, so no update slot is held.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

logger = logging.getLogger(__name__)

TELEGRAM_RATE = 30.0  # messages a second Telegram takes from one bot (without paid broadcasts)
OVERALL_BURST = 10  # messages that may go at once before the overall pace applies
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat, after its burst
CHAT_BURST = 4  # messages one private chat takes at once (Telegram allows short bursts)
GROUP_LIMIT, GROUP_WINDOW = 20, 60.0  # Telegram: about 20 messages a minute to one group
MAX_RETRIES = 5  # times a reply is sent again after 429 before it is given up
PACED = ("send", "edit", "copy", "forward")  # the calls that count as messages


class Lane(Enum):
    """How a call is paced: the outbox's calls wait behind replies."""

    OUTBOX = "outbox"


def retry_seconds(exc: RetryAfter) -> float:
    """Return how long Telegram asked to wait, in seconds."""
    value = exc.retry_after
    return value if isinstance(value, int | float) else value.total_seconds()


class _Turns:
    """The overall pace: `rate` turns a second after a burst of `burst`, given in order of
    arrival, waiting replies always before waiting outbox calls; `rate` 0: no pace."""

    def __init__(self, rate: float, burst: int, monotonic: Callable[[], float]) -> None:
        self.rate, self.burst, self._monotonic = rate, burst, monotonic
        self._tokens = float(burst)
        self._stamp = monotonic()
        self.paused_until = 0.0  # only the outbox's turns wait for a pause
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())
        self._timer: asyncio.TimerHandle | None = None

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def _open(self, lane: int, now: float) -> bool:
        return lane == 0 or now >= self.paused_until

    async def take(self, lane: int) -> None:
        """Wait for a turn: lane 0 is a reply, lane 1 the outbox."""
        now = self._monotonic()
        if not self.rate:
            if self._open(lane, now):
                return
        else:
            self._refill(now)
            ahead = any(self._waiting[: lane + 1])
            if not ahead and self._tokens >= 1 and self._open(lane, now):
                self._tokens -= 1
                return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[lane].append(turn)
        self._arm()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._tokens += 1  # given, then not used: someone else may have it
            else:
                self._waiting[lane].remove(turn)
            raise

    def _arm(self) -> None:
        if self._timer is not None or not any(self._waiting):
            return
        now = self._monotonic()
        waits = []
        if self._waiting[0]:
            waits.append(self._until_token(now))
        if self._waiting[1]:
            waits.append(max(self._until_token(now), self.paused_until - now))
        self._timer = asyncio.get_running_loop().call_later(max(0.0, min(waits)), self._give)

    def _until_token(self, now: float) -> float:
        if not self.rate:
            return 0.0
        return max(0.0, (1 - self._tokens) / self.rate)

    def _give(self) -> None:
        self._timer = None
        now = self._monotonic()
        if self.rate:
            self._refill(now)
        for lane, queue in enumerate(self._waiting):
            while queue and (not self.rate or self._tokens >= 1) and self._open(lane, now):
                turn = queue.popleft()
                if turn.done():  # its caller gave up waiting
                    continue
                turn.set_result(None)
                if self.rate:
                    self._tokens -= 1
        self._arm()


class Pacer(BaseRateLimiter[Lane]):
    """Replies first, then the outbox at `rate` a second (0: no overall pace), all within
    Telegram's overall, per-chat and per-group limits."""

    def __init__(
        self,
        rate: float,
        per_chat: float = PER_CHAT_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        group_limit: int = GROUP_LIMIT,
        group_window: float = GROUP_WINDOW,
        on_reply: Callable[[], None] | None = None,
        chat_burst: int = CHAT_BURST,
        max_retries: int = MAX_RETRIES,
        paid_rate: float = 0.0,
    ) -> None:
        self.on_reply = on_reply  # counts replies, for the metrics
        self.rate = rate
        self.paid_rate = paid_rate  # 0: no paid broadcasts (they go at the free pace)
        self.per_chat = per_chat
        self.chat_burst = chat_burst
        self.group_limit = group_limit
        self.group_window = group_window
        self.max_retries = max_retries
        self._groups: dict[int, deque[float]] = {}  # group chat -> when its last sends went
        self._group_locks: dict[int, asyncio.Lock] = {}
        self._monotonic = monotonic
        # Everything shares Telegram's overall pace (or a faster one the operator set).
        self._turns = _Turns(max(rate, TELEGRAM_RATE) if rate else 0.0, OVERALL_BURST, monotonic)
        self._next_free = 0.0  # the moment the next outbox call may start
        self._paid_turns = _Turns(paid_rate, OVERALL_BURST, monotonic)
        self._next_paid = 0.0  # the moment the next paid broadcast may start
        self._chats: dict[int | str, float] = {}  # chat -> earliest next outbox call
        self._reply_chats: dict[int | str, tuple[float, float]] = {}  # chat -> (tokens, when)
        self._lock = asyncio.Lock()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def overall_burst(self, burst: int) -> None:
        """Set how many messages may go at once before the overall pace applies."""
        self._turns.burst = burst
        self._turns._tokens = float(burst)

    @property
    def _paused_until(self) -> float:
        return self._turns.paused_until

    def pause(self, seconds: float) -> None:
        """Hold every outbox call for `seconds` (Telegram said "retry after")."""
        self._turns.paused_until = max(self._turns.paused_until, self._monotonic() + seconds)
        self._paid_turns.paused_until = self._turns.paused_until
        # Turns after the pause are spaced out again, not all at its end.
        self._next_free = max(self._next_free, self._turns.paused_until)
        self._next_paid = max(self._next_paid, self._turns.paused_until)

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
        sends = endpoint.startswith(("send", "copy", "forward"))
        if isinstance(chat, int) and chat < 0 and sends:
            await self._wait_group(chat)  # replies too: a group's limit is per minute, for all
        if rate_limit_args is Lane.OUTBOX:
            paid = bool(self.paid_rate and data.get("allow_paid_broadcast"))
            await self._wait_turn(chat, paid)
            await (self._paid_turns if paid else self._turns).take(1)
            return await callback(*args, **kwargs)
        if not endpoint.startswith(PACED):
            return await callback(*args, **kwargs)
        if self.on_reply is not None:
            self.on_reply()
        for attempt in range(self.max_retries + 1):
            if sends and isinstance(chat, int) and chat > 0:
                await self._wait_chat(chat)
            await self._turns.take(0)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self.max_retries:
                    logger.warning("A reply (%s) was given up after %d answers of 429 from "
                                   "Telegram", endpoint, attempt + 1)  # fmt: skip
                    raise
                wait = retry_seconds(exc)
                logger.info("Telegram asked a reply (%s) to wait %.0f s", endpoint, wait)
                self.pause(wait)  # the outbox makes room for the replies waiting
                await asyncio.sleep(wait + 0.1)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _wait_chat(self, chat: int) -> None:
        """Hold a reply to a private chat until its bucket has a message left."""
        now = self._monotonic()
        tokens, when = self._reply_chats.get(chat, (float(self.chat_burst), now))
        tokens = min(float(self.chat_burst), tokens + (now - when) / self.per_chat)
        if len(self._reply_chats) > 10_000:  # forget chats whose bucket is full again
            horizon = self.chat_burst * self.per_chat
            self._reply_chats = {c: b for c, b in self._reply_chats.items() if now - b[1] < horizon}
        self._reply_chats[chat] = (tokens - 1, now)  # may go below 0: the debt is waited out
        if tokens < 1:
            await asyncio.sleep((1 - tokens) * self.per_chat)

    async def _wait_turn(self, chat: int | str | None, paid: bool = False) -> None:
        while True:
            pause_seen = self._turns.paused_until
            start = await self._take_turn(chat, paid)
            while (delay := start - self._monotonic()) > 0:
                await asyncio.sleep(delay)
                if self._turns.paused_until != pause_seen:
                    break  # a pause began meanwhile: queue again behind it, in order
            else:
                return

    async def _take_turn(self, chat: int | str | None, paid: bool = False) -> float:
        """Reserve the next moment this outbox call may go (turns in order of arrival; paid
        broadcasts in their own, faster, order)."""
        async with self._lock:
            now = self._monotonic()
            start = max(now, self._turns.paused_until)
            if paid:
                start = max(start, self._next_paid)
                self._next_paid = start + 1 / self.paid_rate
            elif self.rate:
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

    def group_wait(self, chat: int) -> float:
        """Return the seconds until the group may take a message (0: now)."""
        now = self._monotonic()
        recent = [at for at in self._groups.get(chat, ()) if now - at < self.group_window]
        if len(recent) < self.group_limit:
            return 0.0
        return recent[-self.group_limit] + self.group_window - now

    def _forget(self, now: float) -> None:
        self._chats = {chat: at for chat, at in self._chats.items() if at > now}

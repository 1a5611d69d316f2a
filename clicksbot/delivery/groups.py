"""Posting to groups without holding anyone up.

A group takes about 20 messages a minute. What the bot posts to a group goes into that group's
own queue and is sent by the group's own task, when the group has room: the handler that posted
returns at once, so its update slot is free for the next person, however busy the group is.

Posts have a kind. A post of a kind that is still waiting, or being sent, takes the place of
the newer one: a rush of `/top` is one leaderboard, a rush of answers one edit of the tally.
Each post builds its message when its turn comes, so what goes out is up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram.error import TelegramError

from clicksbot.delivery.limiter import Pacer

logger = logging.getLogger(__name__)

Send = Callable[[], Awaitable[object]]


@dataclass
class _Post:
    send: Send
    due: float  # monotonic time before which it does not go
    counts: bool  # a new message (counted in the group's minute), not an edit


class GroupPoster:
    """One queue and one sending task per group with something to send."""

    def __init__(self, pacer: Pacer, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.pacer = pacer
        self._monotonic = monotonic
        self._queues: dict[int, dict[str, _Post]] = {}
        self._sending: dict[int, str] = {}  # group -> the kind being sent now
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._shown: dict[tuple[int, str], tuple[str, float]] = {}  # -> (text, when)

    def post(
        self,
        chat_id: int,
        kind: str,
        send: Send,
        *,
        delay: float = 0.0,
        edit: bool = False,
        same_as_shown: tuple[str, float] | None = None,
    ) -> bool:
        """Queue `send` for the group, not before `delay` seconds; return False when it is not
        needed: a post of the same kind was already waiting or being sent (that one will show
        what is new), or `same_as_shown` (text, seconds) says this text went to the group
        within those seconds already (it is right above)."""
        if self.busy(chat_id, kind):
            return False
        now = self._monotonic()
        if same_as_shown is not None:
            text, seconds = same_as_shown
            shown = self._shown.get((chat_id, kind))
            if shown is not None and shown[0] == text and now - shown[1] < seconds:
                return False
            if len(self._shown) > 10_000:  # forget what was shown long ago
                self._shown = {k: v for k, v in self._shown.items() if now - v[1] < 3600}
            self._shown[(chat_id, kind)] = (text, now)
        due = now + delay
        queue = self._queues.setdefault(chat_id, {})
        queue[kind] = _Post(send, due, not edit)
        if chat_id in self._tasks:
            self._wake[chat_id].set()
        else:
            self._wake[chat_id] = asyncio.Event()
            self._tasks[chat_id] = asyncio.create_task(
                self._drain(chat_id), name=f"group posts {chat_id}"
            )
        return True

    def busy(self, chat_id: int, kind: str) -> bool:
        """Whether a post of this kind is waiting or being sent in the group."""
        return kind in self._queues.get(chat_id, {}) or self._sending.get(chat_id) == kind

    @property
    def waiting(self) -> int:
        """Return how many posts wait, in all groups."""
        return sum(len(q) for q in self._queues.values())

    async def _drain(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        wake = self._wake[chat_id]
        try:
            while queue:
                now = self._monotonic()
                wait_room = self.pacer.group_wait(chat_id)
                ready = [
                    kind
                    for kind, p in queue.items()
                    if p.due <= now and (wait_room <= 0 or not p.counts)
                ]
                if not ready:
                    soonest = min(
                        max(p.due - now, wait_room if p.counts else 0.0) for p in queue.values()
                    )
                    wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), max(soonest, 0.01))
                    continue
                kind = ready[0]
                post = queue.pop(kind)
                self._sending[chat_id] = kind
                try:
                    await post.send()
                except TelegramError as exc:
                    logger.warning("A %s post to group %s failed: %s", kind.split(":")[0],
                                   chat_id, exc.message)  # fmt: skip
                except Exception:
                    logger.exception("A %s post to group %s failed", kind.split(":")[0], chat_id)
                finally:
                    del self._sending[chat_id]
        finally:
            del self._tasks[chat_id], self._wake[chat_id]
            if not queue:
                del self._queues[chat_id]

    async def stop(self) -> None:
        """Stop sending; posts still waiting are dropped (and counted in the log)."""
        left = self.waiting
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._queues.clear()
        if left:
            logger.info("%d group post(s) were still waiting at stop and were dropped", left)

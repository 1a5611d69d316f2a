"""The retention pass: forgetting the people inactive for longer than the retention period.

It runs beside the bot, so it never holds the store for long: people are forgotten a few at a
time (at most BATCH, in a write of about BUDGET seconds, through the same deletion as /forget),
each batch committed before the next is read, with a pause between batches as long as the batch
took, so a new person's first write waits a batch at most. Whatever was committed stays done
after a crash, and the next pass simply finds fewer people; a stop is noticed between batches.
The write-ahead log is emptied of the deleted rows' old pages once, when the pass ends (see
`scrub` in store.privacy: it holds the write lock until the disk has synced).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

logger = logging.getLogger(__name__)

BATCH = 50  # people read, and at most forgotten, per write
# Seconds a write may go on adding people (it ends after the person in hand). A newcomer's
# /start waits out one write: at a million people, 0.02 held the lock 30-31 ms.
BUDGET = 0.01
REST = 0.005  # seconds, at least, between two writes


class RetentionStore(Protocol):
    async def inactive_people(
        self, before: datetime, keep: frozenset[int], limit: int = -1
    ) -> list[int]: ...

    async def forget_some(
        self, people: list[int], budget: float, inactive_before: datetime | None = None
    ) -> tuple[int, int]: ...

    async def scrub_log(self) -> None: ...

    async def purge_deliveries(
        self, before: datetime, stopped: Callable[[], bool] = ...
    ) -> int: ...


async def expire(
    store: RetentionStore,
    before: datetime,
    keep: frozenset[int],
    stopped: Callable[[], bool],
) -> int:
    """Forget everyone last seen before `before` (moderators and `keep` excepted), then the
    outbox's history older than that; return how many people were forgotten. Returns early
    once `stopped()` says so: the next pass carries on from where this one ended."""
    gone = 0
    try:
        while not stopped():
            people = await store.inactive_people(before, keep, BATCH)
            if not people:
                await store.purge_deliveries(before, stopped)
                break
            while people and not stopped():
                started = time.monotonic()
                # Each checked again as it goes: who came back meanwhile stays.
                taken, known = await store.forget_some(people, BUDGET, before)
                gone += known
                people = people[taken:]
                # As long a rest as the write took: the pass never has the store more than
                # half the time, however long it is.
                await asyncio.sleep(max(REST, time.monotonic() - started))
    finally:
        if gone:  # once a pass, however it ends: see forget_some
            await store.scrub_log()
    return gone

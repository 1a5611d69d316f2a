"""Updates from different people are handled at once; one person's are handled in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    """PTB's update processor hook, keyed by person.

    Concurrency keeps one slow reply from holding up everyone else; ordering per person keeps a
    double tap or two quick commands from racing each other.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 8,
        max_waiting: int = 4096,
        observe: Callable[[object, float], None] | None = None,
    ) -> None:
        self.observe = observe  # told (update, seconds) after each update, for the metrics
        # PTB takes one of its slots before do_process_update runs; if those were the real
        # limit, one person's burst would fill them all while their updates run one by one.
        # So PTB's slots only cap how many updates may wait, and ours are taken after the
        # person's turn has come.
        super().__init__(max_waiting)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run one update after any earlier update of the same person, in a free slot."""
        key = _person(update)
        if key is None:
            async with self._slots:
                await coroutine
            if self.observe is not None:
                self.observe(update, 0.0)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                began = time.perf_counter()
                try:
                    await coroutine
                finally:
                    if self.observe is not None:
                        self.observe(update, time.perf_counter() - began)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:  # forget idle people: memory stays bounded
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _person(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None

"""Conversations kept in the store, so that a restart (even `kill -9`) carries on where people were.

PTB keeps a ConversationHandler's steps in memory and hands them to its persistence hook
(`BasePersistence`) at most every `update_interval` seconds (60 by default): a bot killed in
between forgets every step taken since. Here the hook writes to the store, and the application
calls it after *each* update (`settle`, from the update processor), before the person's next
update is taken: a step is on disk a few milliseconds after its question was sent. What a step
gathers (a broadcast's text, a campaign's name) is written by the handler itself, before it
asks the next question (see `clicksbot.handlers.moderation.common.keep_draft`).

Only the steps are kept this way. `user_data`, `chat_data` and `bot_data` are not persisted:
the bot keeps nothing in them (`bot_data` holds the runtime, which is no data).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, cast

from telegram.ext import BasePersistence, ConversationHandler, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from clicksbot.context import BotApplication, BotContext
from clicksbot.store import Store

logger = logging.getLogger(__name__)

NOTHING = PersistenceInput(bot_data=False, chat_data=False, user_data=False, callback_data=False)
# PTB's own timer: a fallback only, as `settle` writes after each update.
UPDATE_INTERVAL = 60.0


class StorePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """PTB's persistence hook, writing conversation steps to the store."""

    def __init__(
        self,
        open_store: Callable[[], Awaitable[Store]],
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(store_data=NOTHING, update_interval=UPDATE_INTERVAL)
        self._open_store = open_store  # PTB loads conversations before post_init: open early
        self._store: Store | None = None
        self._clock = clock
        self.lifetimes: dict[str, timedelta] = {}  # conversation -> its timeout
        # Conversations taken up from the store at start -> (key -> when they last moved).
        self.resumed: dict[str, dict[ConversationKey, datetime]] = {}

    async def _opened(self) -> Store:
        if self._store is None:
            self._store = await self._open_store()
        return self._store

    async def get_conversations(self, name: str) -> ConversationDict:
        """Return the steps of the conversations of this name, dropping those timed out."""
        store = await self._opened()
        lifetime = self.lifetimes.get(name)
        if lifetime is not None:
            gone = await store.expire_dialogues(name, self._clock() - lifetime)
            if gone:
                logger.info("%d %s conversations timed out while the bot was down", gone, name)
        found = await store.dialogues(name)
        self.resumed[name] = {(d.chat_id, d.user_id): d.updated_at for d in found}
        if found:
            logger.info("%d %s conversations carry on from where they were", len(found), name)
        return {(d.chat_id, d.user_id): d.state for d in found}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Record a conversation's step (None: it ended)."""
        chat_id, user_id = (int(part) for part in key)
        store = await self._opened()
        await store.set_dialogue_state(name, chat_id, user_id, new_state, self._clock())

    # Nothing else is kept: the bot keeps no user_data, chat_data, bot_data or callback data.
    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None


async def settle(app: BotApplication) -> None:
    """Write the steps the last update moved, now (not at PTB's next timer).

    Most updates (a quiz's presses, a tip) move no step: then there is nothing to write, and
    PTB's pass is not made. It was, after every update, a lock, a look at every conversation
    and two gatherings of nothing: 6.6 us, against 0.5 us now. A step PTB could not yet
    resolve (a handler still running) is marked again by its pass, so it is still pending
    here, and written by a later settle. A pass under way (another person's settle, PTB's
    timer) may have taken this update's step and not written it yet: then this one waits
    for it, as PTB's lock always made it do.
    """
    if _passing(app) or any(
        _moved(states) for states in app._conversation_handler_conversations.values()
    ):
        await app.update_persistence()
    # PTB marks every chat and person an update came from for a chat_data / user_data write;
    # neither is kept here, so PTB never empties those marks: empty them, or they would grow
    # by one entry per person for as long as the bot runs.
    app._chat_ids_to_be_updated_in_persistence.clear()
    app._user_ids_to_be_updated_in_persistence.clear()


def _passing(app: BotApplication) -> bool:
    """Whether PTB's persistence pass is under way (its lock is held)."""
    lock = getattr(app, "_Application__update_persistence_lock", None)
    return lock is None or lock.locked()  # unknown to this PTB: take the pass


def _moved(states: object) -> bool:
    """Whether a conversation's steps (PTB's TrackingDict) have a write not yet handed over:
    what PTB's `pop_accessed_write_items` would return, looked at without taking it."""
    return bool(getattr(states, "_write_access_keys", True))  # unknown to this PTB: write


def conversations(app: BotApplication) -> list[ConversationHandler[BotContext]]:
    """Return the application's persistent conversations."""
    return [
        handler
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, ConversationHandler) and handler.persistent and handler.name
    ]


def resume_timeouts(app: BotApplication, persistence: StorePersistence) -> None:
    """Give the conversations taken up from the store what is left of their timeout.

    PTB times a conversation out with a job it schedules at each step, in memory; a
    conversation taken up after a restart has none until the person's next step. This job
    ends it when its time is up, unless a step came meanwhile (PTB's own timer then runs).
    """
    queue = app.job_queue
    assert queue is not None
    now = persistence._clock()
    for handler in conversations(app):
        name = handler.name
        timeout = handler.conversation_timeout
        if name is None or not timeout:
            continue
        lifetime = timeout if isinstance(timeout, timedelta) else timedelta(seconds=timeout)
        for key, moved in persistence.resumed.get(name, {}).items():
            left = max(0.0, (moved + lifetime - now).total_seconds())
            queue.run_once(_time_out(handler, key), left, name=f"conversation timeout:{name}:{key}")
        persistence.resumed[name] = {}


def _time_out(
    handler: ConversationHandler[BotContext], key: ConversationKey
) -> Callable[[BotContext], Coroutine[Any, Any, None]]:
    async def end(context: BotContext) -> None:
        if key in handler.timeout_jobs:  # a step came since the restart: PTB's timer runs
            return
        # PTB offers no public way to end one conversation from outside; `_update_state` is
        # what its own timeout does (without TIMEOUT handlers, which these conversations have
        # none of).
        handler._update_state(ConversationHandler.END, key)
        await settle(cast("BotApplication", context.application))

    return end

"""What every handler can reach: the runtime (settings, store, content, catalogs, clock)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot
from telegram.request import BaseRequest

from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.content.pact import Pact
from clicksbot.delivery import DailyTips, Lane, Outbox, Pacer
from clicksbot.delivery.campaigns import Campaigns
from clicksbot.delivery.groups import GroupPoster
from clicksbot.delivery.progress import Progress
from clicksbot.delivery.reminders import Reminders

if TYPE_CHECKING:
    from clicksbot.handlers.flood import FloodGuard
from clicksbot.i18n import Catalogs
from clicksbot.leader import Leadership
from clicksbot.metrics import Metrics
from clicksbot.services.inline import RecentPresses
from clicksbot.store import Store

RUNTIME_KEY = "clicksbot.runtime"


def utcnow() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    """The long-lived objects of one running bot; the store opens in post_init."""

    settings: Settings
    content: Content
    catalogs: Catalogs
    pact: Pact  # from `pact_file`, else the shipped pact
    clock: Callable[[], datetime] = utcnow
    rng: random.Random = field(default_factory=random.Random)
    store: Store | None = None
    # The bot's HTTP transports, closed by `close_transports` even when start-up failed.
    transports: tuple[BaseRequest, ...] = ()
    pacer: Pacer | None = None
    outbox: Outbox | None = None
    daily: DailyTips | None = None
    reminders: Reminders | None = None  # the clock of streak reminders
    campaigns: Campaigns | None = None
    flood: FloodGuard | None = None
    job_queue: Any = None  # the application's JobQueue, for features that schedule
    lock: Any = None  # the database's RunLock while the bot runs
    metrics: Metrics = field(default_factory=lambda: Metrics())
    health: Any = None  # the HealthServer, when health_port is set
    leadership: Leadership | None = None  # leader or standby (see clicksbot.leader)
    webhook: Any = None  # the app's Webhook when it receives updates there, else polling
    poll_timeout: float = 10.0  # seconds a long poll waits for updates
    progress: Progress | None = None
    groups_out: GroupPoster | None = None  # posts to groups, never holding up a handler
    # Each group's daily job by chat id: found at once, where the JobQueue looks a name up
    # among every job (thousands of groups made start-up take a minute).
    group_jobs: dict[int, Any] = field(default_factory=dict)
    groups_scheduled: asyncio.Event = field(default_factory=asyncio.Event)  # after start
    # Telegram's file ids of question pictures already uploaded (image path -> file id).
    photos: dict[str, str] = field(default_factory=dict)
    # Recent presses on questions shared through inline mode (memory only, see the class).
    shared_presses: RecentPresses = field(default_factory=lambda: RecentPresses())


class BotContext(CallbackContext[ExtBot[Lane], dict[Any, Any], dict[Any, Any], dict[str, Any]]):
    """The callback context of clicksbot handlers, with typed access to the runtime."""

    @property
    def runtime(self) -> Runtime:
        """Return the runtime this application was built with."""
        runtime: Runtime = self.bot_data[RUNTIME_KEY]
        return runtime

    @property
    def store(self) -> Store:
        """Return the open store."""
        store = self.runtime.store
        if store is None:
            raise RuntimeError("the store is not open: post_init has not run")
        return store

    @property
    def content(self) -> Content:
        """Return the loaded content packs."""
        return self.runtime.content

    @property
    def settings(self) -> Settings:
        """Return the settings."""
        return self.runtime.settings

    @property
    def catalogs(self) -> Catalogs:
        """Return the interface translations."""
        return self.runtime.catalogs

    def now(self) -> datetime:
        """Return the current time from the runtime's clock (tests control it)."""
        return self.runtime.clock()


BotApplication = Application[
    ExtBot[Lane], BotContext, dict[Any, Any], dict[Any, Any], dict[str, Any], Any
]

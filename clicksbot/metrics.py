"""Health and metrics: `/healthz` and Prometheus `/metrics` on a small HTTP server.

The figures are kept with prometheus_client (the Prometheus project's own library), in a
registry of this bot's own. The server (aiohttp, which the bot already uses to talk to
Telegram) listens on `health_listen`:`health_port` in both polling and webhook modes.
`/healthz` says whether this instance leads or stands by (see clicksbot.leader), and
`/healthz/leader` answers 200 only from the leader, for a load balancer in front of webhooks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from telegram.error import TelegramError

if TYPE_CHECKING:
    from clicksbot.context import Runtime

logger = logging.getLogger(__name__)

TELEGRAM_CHECK_EVERY = 30.0  # seconds a Telegram check is trusted for
# Seconds without a successful poll after which the bot is unhealthy: a long poll returns at
# least every 10 s, and PTB's retries after a failed poll back off to at most 30 s.
POLL_STALE = 90.0
UPDATE_KINDS = ("message", "edited_message", "callback_query", "inline_query", "my_chat_member")


class Metrics:
    """The bot's counters, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates = Counter("clicksbot_updates", "Updates handled", ["kind"], registry=r)
        self.replies = Counter("clicksbot_replies", "Messages sent in reply", registry=r)
        self.handler_seconds = Histogram(
            "clicksbot_handler_seconds", "Time to handle one update", registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )  # fmt: skip
        self.outbox = Counter(
            "clicksbot_outbox_outcomes", "Outbox messages by outcome", ["outcome"], registry=r
        )
        self.pending = Gauge("clicksbot_outbox_pending", "Messages waiting in the outbox",
                             registry=r)  # fmt: skip
        self.subscribers = Gauge("clicksbot_subscribers", "Daily-tip subscribers", registry=r)
        # Each kind's counter, looked up once (`labels` takes a lock and builds its key), at
        # its first update: /metrics shows the kinds seen, as before.
        self._updates: dict[str, Counter] = {}

    def handled(self, update: object, seconds: float) -> None:
        kind = next((k for k in UPDATE_KINDS if getattr(update, k, None) is not None), "other")
        counter = self._updates.get(kind)
        if counter is None:
            counter = self._updates[kind] = self.updates.labels(kind)
        counter.inc()
        self.handler_seconds.observe(seconds)


class HealthServer:
    """Serves `/healthz` and `/metrics`."""

    def __init__(self, runtime: Runtime, bot: Any, listen: str, port: int) -> None:
        self.runtime = runtime
        self.bot = bot
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None
        self._telegram_ok_at = 0.0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/healthz/leader", self.leader)
        app.router.add_get("/metrics", self.metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        logger.info("Health and metrics on http://%s:%d/healthz and /metrics", self.listen,
                    self.port)  # fmt: skip

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _telegram_ok(self) -> bool:
        async with self._lock:
            if time.monotonic() - self._telegram_ok_at < TELEGRAM_CHECK_EVERY:
                return True
            try:
                await self.bot.get_me(read_timeout=5, connect_timeout=5)
            except (TelegramError, TimeoutError):
                return False
            self._telegram_ok_at = time.monotonic()
            return True

    async def healthz(self, request: web.Request) -> web.Response:
        store = self.runtime.store
        database = False
        if store is not None:
            try:
                await store.count_users()
                database = True
            except Exception:
                logger.exception("Health check: the database does not answer")
        telegram = await self._telegram_ok()
        intake = getattr(self.bot, "intake", None)
        stalled = intake is not None and intake.stalled(POLL_STALE)
        ok = database and telegram and not stalled
        body = {
            "status": "ok" if ok else "failing",
            "database": "ok" if database else "failing",
            "telegram": "ok" if telegram else "unreachable",
        }
        if stalled:  # polling, and no poll has come back for a while
            body["updates"] = "stalled"
        body["role"] = self._role()
        return web.json_response(body, status=200 if ok else 503)

    def _role(self) -> str:
        leadership = self.runtime.leadership
        return "leader" if leadership is not None and leadership.leading else "standby"

    async def leader(self, request: web.Request) -> web.Response:
        """For a load balancer in front of webhooks: 200 from the leader, 503 from a standby
        (`/healthz` stays 200 on a healthy standby: it is not broken, only waiting)."""
        role = self._role()
        leadership = self.runtime.leadership
        body: dict[str, object] = {"role": role}
        if leadership is not None and leadership.term is not None and role == "leader":
            body["term"] = leadership.term
        return web.json_response(body, status=200 if role == "leader" else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        metrics, store = self.runtime.metrics, self.runtime.store
        if metrics is None:
            raise web.HTTPNotFound()
        if store is not None:
            try:
                figures = await store.delivery_stats(self.runtime.clock())
                metrics.pending.set(figures.pending)
                metrics.subscribers.set(figures.subscribers)
            except Exception:
                logger.exception("Metrics: the database does not answer")
        return web.Response(
            body=generate_latest(metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

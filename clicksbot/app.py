"""The composition root: build the PTB Application from settings. Wiring only, no logic."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from apscheduler.schedulers import SchedulerNotRunningError  # type: ignore[import-untyped]
from apscheduler.schedulers.base import STATE_PAUSED  # type: ignore[import-untyped]
from telegram.ext import ApplicationBuilder, ContextTypes, Job, JobQueue
from telegram.ext._utils.trackingdict import TrackingDict

from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.content.pact import Pact, load_configured_pact
from clicksbot.context import RUNTIME_KEY, BotApplication, BotContext, Runtime, utcnow
from clicksbot.delivery import Composer, DailyTips, Outbox, Pacer
from clicksbot.delivery.campaigns import INTERVAL as CAMPAIGN_INTERVAL
from clicksbot.delivery.campaigns import Campaigns
from clicksbot.delivery.compose import BROADCAST, CAMPAIGN
from clicksbot.delivery.groups import GroupPoster
from clicksbot.delivery.outbox import claim_batch
from clicksbot.delivery.progress import Progress
from clicksbot.delivery.reminders import Reminders
from clicksbot.handlers import (
    admin,
    checkup,
    daily,
    errors,
    fallback,
    flood,
    groups,
    inline,
    learn,
    menus,
    moderation,
    privacy,
    reminders,
    start,
)
from clicksbot.handlers import pact as pact_handlers
from clicksbot.i18n import Catalogs
from clicksbot.leader import Leadership
from clicksbot.metrics import HealthServer
from clicksbot.persistence import StorePersistence, conversations, resume_timeouts, settle
from clicksbot.render.certificate import shaping
from clicksbot.services import moderation as roles
from clicksbot.services import retention
from clicksbot.store import Store
from clicksbot.store.files import RunLock, prepare
from clicksbot.transport import AiohttpRequest
from clicksbot.updates import IntakeBot, PerPersonUpdateProcessor
from clicksbot.webhook import WebhookServer

logger = logging.getLogger(__name__)

# Updates handled at once (each person's still one after another). Each holds its place while
# its calls to Telegram are under way, a trip of 0.1-0.3 s from a server far from Telegram's,
# and while its messages wait for Telegram's pace (about 30 a second): a class of sixty
# pressing at once, each press answered within a trip or two (tests/test_class_rush.py), where
# with 8 places the last waited 2.3 s (eight presses a trip) before its spinner stopped.
CONCURRENT_UPDATES = 64
# Open connections to the Bot API: two per update handled at once (a press is answered while
# what it brings goes out: handlers.common.answering), one per message the outbox has on its
# way (`send_in_flight`), and these for the rest (group posts, jobs, start-up's calls).
SPARE_CONNECTIONS = 16
RETENTION_INTERVAL = 6 * 3600.0  # seconds between looks for people past the retention period
# Finished outbox rows are kept this long (for "sent today" and today's reminders), then only
# their job's counts; looked at every OUTBOX_HISTORY_INTERVAL seconds.
OUTBOX_HISTORY = timedelta(days=2)
OUTBOX_HISTORY_INTERVAL = 600.0
# Seconds a leader that steps down lets the outbox's sends on their way finish: within the
# lease's last renew interval, before anyone else can take over.
OUTBOX_STOP = 2.0


def build_application(
    settings: Settings,
    content: Content,
    *,
    catalogs: Catalogs | None = None,
    clock: Callable[[], datetime] = utcnow,
    base_url: str | None = None,
    pact: Pact | None = None,
) -> BotApplication:
    """Return the bot, wired and ready to initialize; nothing is opened or sent yet.

    The pact is `pact`, else read from `settings.pact_file` (PactError if it cannot be used).
    """
    # aiohttp rather than PTB's default httpx: see clicksbot.transport for the figures.
    connections = 2 * CONCURRENT_UPDATES + settings.send_in_flight + SPARE_CONNECTIONS
    requests, updates_requests = AiohttpRequest(connections), AiohttpRequest(connections=1)
    if pact is None:
        pact = load_configured_pact(settings.pact_file)
    runtime = Runtime(settings, content, catalogs or Catalogs.load(), pact, clock)
    runtime.transports = (requests, updates_requests)
    paid_rate = settings.paid_send_rate if settings.allow_paid_broadcast else 0.0
    runtime.pacer = Pacer(
        settings.send_rate, on_reply=runtime.metrics.replies.inc, paid_rate=paid_rate
    )
    runtime.groups_out = GroupPoster(runtime.pacer)
    runtime.flood = flood.FloodGuard(settings.flood_burst, settings.flood_rate)
    api_url = base_url or settings.api_url
    bot = IntakeBot(
        settings.token.value,
        base_url=api_url,
        base_file_url=settings.file_url if base_url is None else _file_url(api_url),
        request=requests,
        get_updates_request=updates_requests,
        rate_limiter=runtime.pacer,
    )
    # Conversation steps live in the store (see clicksbot.persistence); PTB loads them in
    # `initialize`, before post_init, so the persistence opens the store when it first needs it.
    persistence = StorePersistence(lambda: _open_store(runtime), lambda: runtime.clock())
    processor = PerPersonUpdateProcessor(CONCURRENT_UPDATES, observe=runtime.metrics.handled)
    app = cast(
        "BotApplication",
        ApplicationBuilder()
        .bot(bot)
        .context_types(ContextTypes(context=BotContext))
        .concurrent_updates(processor)
        .job_queue(LeaderJobQueue())
        .persistence(persistence)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build(),
    )
    app.bot_data[RUNTIME_KEY] = runtime

    flood.register(app)  # group -1: before everything else
    # Group 0, first match wins: features first, the catch-alls last. A quiz's presses, most
    # of all updates, are looked for first: PTB asked thirteen commands and three other
    # buttons' handlers before them (about 10 us a press; 1.1 us now).
    learn.register_buttons(app)
    start.register(app)
    groups.register(app)  # before learn: /quiz in a group is the group's quiz
    learn.register(app)
    checkup.register(app)
    daily.register(app)
    reminders.register(app)
    pact_handlers.register(app)
    moderation.register(app)
    privacy.register(app)
    inline.register(app)
    admin.register(app)
    fallback.register(app)
    app.add_error_handler(errors.on_error)
    for conversation in conversations(app):  # a step older than its timeout is not taken up
        timeout = conversation.conversation_timeout
        if conversation.name and isinstance(timeout, timedelta):
            persistence.lifetimes[conversation.name] = timeout
    processor.settle = lambda: settle(app)  # each update's steps on disk before the next
    return app


def _file_url(api_url: str) -> str:
    return Settings(api_url=api_url).file_url


def runtime_of(app: BotApplication) -> Runtime:
    """Return the runtime an application was built with."""
    runtime: Runtime = app.bot_data[RUNTIME_KEY]
    return runtime


async def open_database(settings: Settings) -> tuple[Store, RunLock | None]:
    """Open the bot's database and take its lock, shared with any other bot on it (`restore`
    waits for them all to stop). The file is checked first: one that is not the bot's gets
    no lock beside it."""
    if settings.database_url:  # PostgreSQL: many instances may share it (no lock file)
        return await Store.open(settings.database_url.value), None
    if str(settings.database) == ":memory:":
        return await Store.open(settings.database), None
    prepare(settings.database)
    lock = RunLock(settings.database)
    lock.acquire()
    try:
        return await Store.open(settings.database), lock
    except BaseException:
        lock.release()
        raise


async def _open_store(runtime: Runtime) -> Store:
    """Open the database once, for whichever needs it first (the persistence, or post_init)."""
    if runtime.store is None:
        runtime.store, runtime.lock = await open_database(runtime.settings)
    return runtime.store


async def _announce_pact(context: BotContext) -> None:
    """Offer a new pact version to earlier pledgers (once per version), once the bot polls."""
    runtime = context.runtime
    notice = {"key": "pact.updated", "params": {"version": runtime.pact.version}}
    announced = await context.store.queue_pact_update(runtime.pact.version, notice, context.now())
    if announced is not None and announced[1]:
        logger.info("Pact version %d: %d earlier pledgers offered it", runtime.pact.version,
                    announced[1])  # fmt: skip
        if runtime.outbox is not None:
            runtime.outbox.wake()


async def _schedule_groups(context: BotContext) -> None:
    """Make each group's daily job, from the database, once the bot polls: thousands of
    groups take a while, and updates are answered in between."""
    runtime = context.runtime
    for n, group in enumerate(await context.store.all_group_settings(), start=1):
        if group.chat_id not in runtime.group_jobs:  # else (re)made meanwhile, by /settings
            groups.schedule(runtime, group)
        if n % GROUPS_AT_ONCE == 0:
            gc.freeze()  # the jobs made so far: see below, and SlotClock.tick
            await asyncio.sleep(0)
    # The groups' jobs (a PTB Job and APScheduler's trigger parts each: some 300,000 objects
    # for 3,000 groups) live as long as the bot, like start-up's: set aside from the
    # collector's full passes too, which otherwise walked them in pauses of 50-300 ms.
    gc.freeze()
    runtime.groups_scheduled.set()


GROUPS_AT_ONCE = 25  # group jobs made between two looks at the updates (about 10 ms)


async def _post_init(app: BotApplication) -> None:
    runtime = runtime_of(app)
    store = await _open_store(runtime)
    if not shaping():
        logger.warning(
            "Text shaping is unavailable (Pillow finds no Raqm with FriBiDi; install "
            "libfribidi0): certificates cannot print Arabic or Khmer and say so instead"
        )
    settings = runtime.settings
    runtime.leadership = Leadership(
        store,
        lead=lambda term: _lead(app),
        step_down=lambda hurry: _step_down(app, hurry=hurry),
        halt=lambda: _halt(app),
        lease=settings.leader_lease_seconds,
        renew=settings.leader_renew_seconds,
        standby=settings.standby_check_seconds,
    )
    if settings.health_port:
        runtime.health = HealthServer(
            runtime, app.bot, settings.health_listen, settings.health_port
        )
        await runtime.health.start()
    _settle_memory()
    logger.info(
        "clicksbot ready as @%s: %d packs, languages %s",
        app.bot.username,
        len(runtime.content.packs),
        ", ".join(runtime.catalogs.languages),
    )


async def _lead(app: BotApplication) -> None:
    """Start the leader's work: the menus, the clock's jobs (rebuilt from the database), the
    conversations as the store holds them now, and the outbox. Updates are received once this
    is done (see `receiving`)."""
    runtime = runtime_of(app)
    store = runtime.store
    leadership = runtime.leadership
    assert store is not None and leadership is not None
    await menus.set_menus(app.bot, runtime)  # the store first: it knows the moderators
    settings = runtime.settings
    assert runtime.pacer is not None and app.job_queue is not None
    scheduler = app.job_queue.scheduler
    if scheduler.state == STATE_PAUSED:  # led before: what its jobs left behind goes first
        scheduler.remove_all_jobs()
        scheduler.resume()
    if not leadership.led_from_the_start:  # another instance led since PTB read them
        await _reload_conversations(app)
    composer = Composer(
        store,
        runtime.content,
        runtime.catalogs,
        app.bot.username,
        clock=runtime.clock,
        default_timezone=settings.default_timezone,
    )
    runtime.outbox = outbox = Outbox(
        store,
        app.bot,
        composer,
        runtime.pacer,
        runtime.clock,
        in_flight=settings.send_in_flight,
        count=lambda outcome: runtime.metrics.outbox.labels(outcome).inc(),
        paid=frozenset({BROADCAST, CAMPAIGN}) if settings.allow_paid_broadcast else frozenset(),
        holder=leadership.holder,
        claim_seconds=settings.leader_lease_seconds,
        # No more rows claimed at a time than go out in half a claim at the ordinary pace.
        batch=claim_batch(
            settings.send_rate, settings.leader_lease_seconds, settings.send_in_flight
        ),
        may_send=leadership.may_act,
    )
    runtime.job_queue = app.job_queue
    grace = timedelta(minutes=settings.late_tip_grace_minutes)
    runtime.daily = DailyTips(store, outbox, app.job_queue, runtime.clock, grace)
    await runtime.daily.start()
    runtime.reminders = Reminders(
        store, outbox, app.job_queue, runtime.clock, grace, settings.default_timezone
    )
    await runtime.reminders.start()
    app.job_queue.run_once(  # however busy the start: never skipped
        _announce_pact, when=0.0, name="pact version", job_kwargs={"misfire_grace_time": None}
    )
    runtime.progress = progress = Progress(
        store, app.bot, app.job_queue, runtime.catalogs, runtime.clock
    )
    await progress.resume()  # fan-outs a restart cut: their messages carry on to the summary
    if isinstance(app.persistence, StorePersistence):
        resume_timeouts(app, app.persistence)  # conversations a restart cut time out still

    async def may_send(user_id: int) -> bool:  # asked when a scheduled broadcast's time comes
        return await roles.may_send(store, runtime.settings.admins, user_id)

    runtime.campaigns = Campaigns(store, outbox, runtime.clock, progress.watch, may_send)
    app.job_queue.run_repeating(  # its first tick queues what came due while the bot was down
        _tick_campaigns,
        interval=CAMPAIGN_INTERVAL,
        first=0.0,
        name="campaigns and broadcasts",
        job_kwargs={"misfire_grace_time": None, "coalesce": True},
    )
    app.job_queue.run_once(  # however busy the start: never skipped
        _schedule_groups, when=0.0, name="groups", job_kwargs={"misfire_grace_time": None}
    )
    if settings.retention_days:
        app.job_queue.run_repeating(
            _expire, interval=RETENTION_INTERVAL, first=5.0, name="retention"
        )
    app.job_queue.run_repeating(
        _compact_outbox, interval=OUTBOX_HISTORY_INTERVAL, first=60.0, name="outbox history"
    )
    outbox.start()
    await _receive(app)


async def _receive(app: BotApplication) -> None:
    """Start receiving updates: poll, or have Telegram post them to the webhook."""
    runtime = runtime_of(app)
    assert app.updater is not None
    webhook = runtime.webhook
    if webhook is None:
        await app.updater.start_polling(poll_interval=0, timeout=int(runtime.poll_timeout))
    else:
        await app.bot.set_webhook(webhook.url, secret_token=webhook.secret, allowed_updates=None)


class LeaderJobQueue(JobQueue[Any]):
    """PTB's JobQueue, but that a job starts only while its scheduler runs. `_halt` pauses it
    when this instance steps down, and APScheduler starts no job from then on; but a job it
    handed over just before is a task that has not started yet, and it would begin after the
    halt (a test saw one, on a busy machine). It is skipped (PTB's documented hook)."""

    @staticmethod
    async def job_callback(job_queue: JobQueue[Any], job: Job[Any]) -> None:
        if job_queue.scheduler.state == STATE_PAUSED:
            return
        await JobQueue.job_callback(job_queue, job)


def _halt(app: BotApplication) -> None:
    """The first step of stepping down, synchronous (nothing awaited before it is done): the
    outbox sends nothing more, the JobQueue starts no job (running ones see `may_act` turn
    false and the runtime's clocks gone), and features that schedule leave it alone."""
    runtime = runtime_of(app)
    if runtime.outbox is not None:
        runtime.outbox.halt()
    runtime.job_queue = None
    for clock in (runtime.daily, runtime.reminders, runtime.progress, runtime.campaigns):
        if clock is not None:
            clock.stop()
    runtime.daily = runtime.reminders = None
    runtime.progress = None
    runtime.campaigns = None
    if app.job_queue is not None:
        with contextlib.suppress(SchedulerNotRunningError):  # the bot is stopping anyway
            app.job_queue.scheduler.pause()


async def _step_down(app: BotApplication, *, hurry: bool = True) -> None:
    """Stop the leader's work: the outbox and the clock first, at once (`_halt`), then the
    outbox's sends on their way (up to OUTBOX_STOP seconds when the lease may pass soon), the
    group posts, the updates, and every job of the clock. What was queued stays in the
    database for the next leader; a webhook stays set (the next leader sets its own), and
    updates posted to this instance are refused meanwhile (see clicksbot.webhook)."""
    runtime = runtime_of(app)
    _halt(app)
    outbox, runtime.outbox = runtime.outbox, None
    if outbox is not None:
        await outbox.stop(timeout=OUTBOX_STOP if hurry else 10.0)
    if runtime.groups_out is not None:
        await runtime.groups_out.stop()
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    intake = getattr(app.bot, "intake", None)
    if intake is not None:
        intake.polled_at = None  # not polling: /healthz does not wait for polls
    if app.job_queue is not None:
        app.job_queue.scheduler.remove_all_jobs()
    runtime.group_jobs.clear()
    runtime.groups_scheduled.clear()
    for handler in conversations(app):
        handler.timeout_jobs.clear()  # their jobs went with the rest


async def _reload_conversations(app: BotApplication) -> None:
    """Take up the conversations as the store holds them now: while this instance stood by,
    the leader moved them on (or ended them)."""
    for handler in conversations(app):
        handler.timeout_jobs.clear()
        # PTB reads a conversation handler's steps from the persistence at `initialize`;
        # this is that step again, from an empty start (PTB offers no public way).
        handler._conversations = TrackingDict()
        await app._add_ch_to_persistence(handler)


# Objects made between two passes over the youngest generation. Each update makes and drops
# hundreds (PTB's Update, its callback query, the call's parameters, aiohttp's request), nearly
# all freed by reference counting as soon as the update is done. At Python's 700, the collector
# walked them in flight, about once in every five updates, and promoted those to older
# generations it then walked again. Timed by gc.callbacks over a run of
# benchmarks/quiz_throughput.py (about 19 s of the bot's CPU, start-up included), the
# collector took 0.75-0.86 s at 700 (1,240-1,340 young passes, 10-11 full ones) and
# 0.27-0.31 s at 10,000 (about 280, most of them at start-up, and 3 full ones).
YOUNG_OBJECTS = 10_000
_thresholds: list[tuple[int, int, int]] = []  # Python's own, while the bot runs


def _settle_memory() -> None:
    """Set aside what start-up built (content, catalogs, PTB's objects) from garbage collection,
    and let the collector look at the young objects less often (`YOUNG_OBJECTS`).

    What start-up built lives as long as the bot; left to the collector, each of its full
    passes walks it all: a pause of about 100 ms, longer on a busy machine, in the middle of a
    burst of updates. What dies from now on is still collected (`_unsettle_memory` undoes this
    at shutdown).
    """
    gc.collect()
    gc.freeze()
    if not _thresholds:
        _thresholds.append(gc.get_threshold())
        first, middle, oldest = _thresholds[0]
        gc.set_threshold(max(first, YOUNG_OBJECTS), middle, oldest)


def _unsettle_memory() -> None:
    """Give start-up's objects back to garbage collection, so a stopped bot leaves nothing, and
    the collector its own pace."""
    gc.unfreeze()
    if _thresholds:
        gc.set_threshold(*_thresholds.pop())


def _stopped(context: BotContext) -> Callable[[], bool]:
    """Whether a long job should stop between two of its batches: the bot stops (PTB waits
    for a running job), or this instance no longer leads."""
    app = context.application
    leadership = context.runtime.leadership

    def stopped() -> bool:
        return not app.running or (leadership is not None and not leadership.may_act())

    return stopped


async def _expire(context: BotContext) -> None:
    """Delete the data of people inactive for longer than the retention period, a few at a
    time, stopping between two batches when the bot stops (`_stopped`)."""
    settings = context.settings
    before = context.now() - timedelta(days=settings.retention_days)
    gone = await retention.expire(context.store, before, settings.admins, stopped=_stopped(context))
    if gone:
        logger.info(
            "Retention: deleted the data of %d people inactive since %s", gone, before.date()
        )


async def _compact_outbox(context: BotContext) -> None:
    """Fold the outbox rows of finished messages older than OUTBOX_HISTORY into counts, at
    the store's pace, stopping between two batches when the bot stops (`_stopped`)."""
    gone = await context.store.compact_deliveries(
        context.now() - OUTBOX_HISTORY, stopped=_stopped(context)
    )
    if gone:
        logger.info("Outbox: %d finished messages folded into their fan-outs' counts", gone)


async def _tick_campaigns(context: BotContext) -> None:
    campaigns = context.runtime.campaigns
    if campaigns is not None:
        await campaigns.tick()


async def _post_stop(app: BotApplication) -> None:
    runtime = runtime_of(app)
    if runtime.leadership is not None:
        await runtime.leadership.stop()  # a leader stops its work and gives the lease up
    if runtime.groups_out is not None:
        await runtime.groups_out.stop()
    if runtime.outbox is not None:
        await runtime.outbox.stop()


async def _post_shutdown(app: BotApplication) -> None:
    runtime = runtime_of(app)
    _unsettle_memory()
    if runtime.store is not None:
        await runtime.store.close()
        runtime.store = None
    if runtime.health is not None:
        await runtime.health.stop()
        runtime.health = None
    if runtime.lock is not None:
        runtime.lock.release()
        runtime.lock = None


async def close_transports(app: BotApplication) -> None:
    """Close the bot's connections; PTB skips this when `initialize` itself failed."""
    for transport in runtime_of(app).transports:
        await transport.shutdown()


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates: the public URL, and the local address that receives them.

    Telegram sends `secret` in the X-Telegram-Bot-Api-Secret-Token header of every request;
    the bot's webhook server (clicksbot.webhook) refuses (403) any request without it, before
    reading its body, and any body over 1 MiB (413).
    """

    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path.lstrip("/")


@asynccontextmanager
async def receiving(
    app: BotApplication, *, poll_timeout: float = 10, webhook: Webhook | None = None
) -> AsyncIterator[BotApplication]:
    """Run the bot inside the current event loop, as `run_polling` / `run_webhook` do.

    For callers that own the loop (`clicksbot run`, the terminal chat, tests); the steps and
    their order are those of PTB's own runners, hooks included. Updates come by long polling,
    or to the bot's own webhook server (see clicksbot.webhook for why not PTB's), once this
    instance leads (see clicksbot.leader): a standby waits, and takes over when the leader's
    lease expires. This returns once the first look at the lease has been answered (a single
    instance leads by then).
    """
    try:
        await app.initialize()
    except BaseException:
        await close_transports(app)
        await _post_shutdown(app)  # the store, if the persistence opened it
        raise
    server = None
    runtime = runtime_of(app)
    runtime.webhook, runtime.poll_timeout = webhook, poll_timeout
    try:
        if app.post_init is not None:
            await app.post_init(app)
        leadership = runtime.leadership
        assert app.updater is not None and leadership is not None
        if webhook is not None:  # listening on every instance; taking updates when leading
            server = WebhookServer(
                app, webhook.listen, webhook.port, webhook.path, webhook.secret,
                accepting=lambda: leadership.leading,
            )  # fmt: skip
            await server.start()
        await app.start()
        try:
            leadership.start()
            await leadership.first_look.wait()  # leading, or standing by
            yield app
        finally:
            await leadership.stop()  # a leader stops its work and gives the lease up
            if server is not None:
                await server.stop()
            if app.running:
                await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        if server is not None:
            await server.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


EVENT_LOOPS = ("", "uvloop", "asyncio")  # what CLICKSBOT_EVENT_LOOP may ask for


def new_event_loop(kind: str = "") -> asyncio.AbstractEventLoop:
    """Return the event loop the bot runs on: uvloop's where it is installed (Linux and macOS),
    unless `kind` is "asyncio" (CLICKSBOT_EVENT_LOOP=asyncio, a way back should uvloop ever
    misbehave); asked for by name ("uvloop") and missing, it says so.

    Under a class's rush most of an update's time is spent outside clicksbot's own code: the
    loop's turns, its sockets and the HTTP round trips of each call to the Bot API. uvloop does
    that work in C (libuv): in benchmarks/quiz_throughput.py, both run side by side in three
    rounds, the bot's CPU per update was 7-14% less on it (3.25-3.52 ms, against 3.51-4.01 ms
    on asyncio's loop). Where uvloop is not available (Windows, another Python), asyncio's own
    loop runs the same code.
    """
    if kind not in EVENT_LOOPS:
        raise ValueError(f"no such event loop: {kind!r} (one of {EVENT_LOOPS})")
    if kind != "asyncio":
        try:
            import uvloop
        except ImportError:
            if kind:
                logger.warning("uvloop is not installed: running on asyncio's own event loop")
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def serve(app: BotApplication, webhook: Webhook | None = None) -> None:
    """Run the bot until SIGINT or SIGTERM (what `run_polling` does), by long polling or on
    its webhook, leading or standing by."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        async with receiving(app, webhook=webhook):
            await stop.wait()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)


def polling(
    app: BotApplication, *, poll_timeout: float = 10
) -> AbstractAsyncContextManager[BotApplication]:
    """Run the bot by long polling inside the current event loop (see `receiving`)."""
    return receiving(app, poll_timeout=poll_timeout)

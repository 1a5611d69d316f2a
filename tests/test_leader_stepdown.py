"""A leader that loses its lease stops all of its work at that moment: the outbox sends
nothing more (before the last poll is awaited), the JobQueue starts no job, a running job
that re-schedules itself leaves nothing behind, and a long job sees it no longer leads.
Then, leading again, the work starts afresh. The real bot against the emulator, at the real
settings (a 10 s lease renewed every 3 s, the outbox at 25 messages a second)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING  # type: ignore[import-untyped]
from conftest import Running

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.delivery.outbox import BATCH, claim_batch
from clicksbot.store import Store
from clicksbot.store.leases import LEADER

PEOPLE = 300  # 12 s at 25 a second: the lease is lost in the middle


async def test_a_leader_that_loses_its_lease_stops_sending_and_its_jobs_at_once(
    bot: Running,
) -> None:
    app, emulator = bot.app, bot.emulator
    runtime = runtime_of(app)
    store, leadership = runtime.store, runtime.leadership
    assert store is not None and leadership is not None and leadership.leading
    assert app.job_queue is not None
    people = [emulator.person(f"P{i}") for i in range(PEOPLE)]
    emulator.started.update(p.id for p in people)
    for person in people:
        await store.touch_user(person.id, "en", runtime.clock())
    queued = await store.queue_message("news", {"text": {"en": "News!"}}, runtime.clock())
    assert queued is not None
    outbox = runtime.outbox
    assert outbox is not None
    assert outbox.batch == claim_batch(bot.settings.send_rate, 10, bot.settings.send_in_flight)
    outbox.wake()

    halted: list[float] = []
    halt = leadership._halt

    def recording_halt() -> None:
        halted.append(time.monotonic())
        halt()

    leadership._halt = recording_halt
    ticks: list[float] = []
    again: list[float] = []
    long_job_ended: list[float] = []

    async def tick(context: Any) -> None:  # a job of the clock, every 0.1 s
        ticks.append(time.monotonic())

    async def reschedule(context: Any) -> None:  # a job that schedules its next run itself
        again.append(time.monotonic())
        await asyncio.sleep(0.05)
        context.job_queue.run_once(reschedule, 0.1)

    async def long_job(context: Any) -> None:  # runs until this instance no longer leads
        while leadership.may_act():
            await asyncio.sleep(0.02)
        long_job_ended.append(time.monotonic())

    app.job_queue.run_repeating(tick, interval=0.1, first=0.0)
    app.job_queue.run_once(reschedule, 0.0)
    app.job_queue.run_once(long_job, 0.0, job_kwargs={"misfire_grace_time": None})
    await asyncio.sleep(3)
    sent_before = len(emulator.sent("sendMessage"))
    assert sent_before > 20  # the broadcast is on its way

    # Another instance has the lease now (as after a freeze the leader did not see): the
    # leader learns it at its next renewal, within `renew` seconds.
    other = await Store.open(bot.settings.database_url.value if bot.settings.database_url
                             else bot.settings.database)  # fmt: skip
    try:
        await other._db.execute(
            "UPDATE leases SET holder = 'elsewhere', term = term + 1 WHERE name = ?", (LEADER,)
        )
        await other._db.commit()
        changed = time.monotonic()
        while leadership.leading:
            assert time.monotonic() - changed < Settings.leader_renew_seconds + 2
            await asyncio.sleep(0.01)
        await asyncio.sleep(3)  # long enough for a job or a send that was not stopped
        assert len(halted) == 1
        at = halted[0]
        late = [c for c in emulator.sent("sendMessage") if c.at > at + 0.05]
        # Sends on their way at the halt may still be answered; nothing starts after it.
        assert len(late) <= bot.settings.send_in_flight
        assert all(t <= at for t in ticks)
        assert all(t <= at for t in again)
        assert long_job_ended and long_job_ended[0] - at < 0.5
        assert app.job_queue.scheduler.state == STATE_PAUSED
        # A job running at the halt may still add one (it cannot run: the scheduler is
        # paused); taking the lead again clears them before resuming.
        assert runtime.outbox is None and runtime.job_queue is None
        assert runtime.daily is None and runtime.reminders is None
        assert runtime.progress is None and runtime.campaigns is None

        # The lease comes back to it (the other instance gave it up): it leads afresh.
        await other._db.execute("UPDATE leases SET expires_at = 0 WHERE name = ?", (LEADER,))
        await other._db.commit()
        # Leading again: its work is started in turn (the outbox first, the campaigns' job
        # among the last, after a few reads of the store), so wait for the whole of it.
        while not leadership.leading or runtime.campaigns is None:
            assert time.monotonic() - changed < 30
            await asyncio.sleep(0.05)
        assert app.job_queue.scheduler.state == STATE_RUNNING
        names = {job.name for job in app.job_queue.jobs()}
        assert "campaigns and broadcasts" in names and "reschedule" not in names
        await asyncio.sleep(0.5)
        assert all(t <= at for t in ticks)  # the old jobs did not come back
    finally:
        await other.close()


def test_a_claim_is_no_more_than_half_a_claim_of_sending() -> None:
    """At the real pace (25 a second) and lease (10 s), a batch of claims is sent in 5 s."""
    rate, lease = Settings.send_rate, Settings.leader_lease_seconds
    batch = claim_batch(rate, lease, Settings.send_in_flight)
    assert batch / rate <= lease / 2
    assert batch == 125
    assert claim_batch(0, lease, 8) == BATCH  # no pace set: the store's batch
    assert claim_batch(1, 3, 8) == 8  # never fewer than the sends on their way


async def test_a_job_handed_over_just_before_the_halt_does_not_start(bot: Running) -> None:
    """APScheduler hands a due job over as a task; if the halt pauses the scheduler before
    that task's first step, the job does not begin (a busy machine made one begin after)."""
    app, ran = bot.app, []
    assert app.job_queue is not None

    async def job(context: Any) -> None:
        ran.append(time.monotonic())

    queued = app.job_queue.run_once(job, 3600)
    handed = type(app.job_queue).job_callback(app.job_queue, queued)  # not started yet
    app.job_queue.scheduler.pause()  # the halt, before the task's first step
    try:
        await handed
        assert ran == []
    finally:
        app.job_queue.scheduler.resume()
    await type(app.job_queue).job_callback(app.job_queue, queued)  # leading: it runs
    assert len(ran) == 1

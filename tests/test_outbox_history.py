"""The outbox keeps one row per person and message while it may need it (to send it, to say
what was sent today, to keep today's reminder to one); two days after a message went, its row
is folded into its fan-out's counts: who was sent what is not kept, how many is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Clock, Running, drain, started

from clicksbot.app import OUTBOX_HISTORY, runtime_of
from clicksbot.store import Store
from clicksbot.store.delivery import Delivery

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def test_sent_rows_become_counts_two_days_later(bot: Running, clock: Clock) -> None:
    """A broadcast's rows stay while it is recent, then only its counts (which its progress
    message reads) stay; /mydata no longer lists the message."""
    store = runtime_of(bot.app).store
    assert store is not None
    ana = await started(bot, "Ana")
    ben = await started(bot, "Ben")
    gone = await started(bot, "Gone")
    bot.emulator.blocked.add(gone.id)
    queued = await store.queue_message("news", {"text": {"en": "News!"}}, clock())
    assert queued is not None
    job_id, people = queued
    assert people == 3
    runtime = runtime_of(bot.app)
    assert runtime.outbox is not None
    runtime.outbox.wake()
    await drain(bot)
    assert "News!" in (await ana.receive()).text and "News!" in (await ben.receive()).text
    before = await store.job_progress(job_id)
    assert (before.sent, before.unreachable, before.pending) == (2, 1, 0)

    job_queue = bot.app.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("outbox history")
    await job.run(bot.app)
    assert "deliveries" in await store.personal_data(ana.id)  # recent: kept

    clock.advance(days=OUTBOX_HISTORY.days, hours=1)
    await job.run(bot.app)
    assert "deliveries" not in await store.personal_data(ana.id)
    assert await store.job_progress(job_id) == before  # the counts stay
    # The fan-out is still queued once: its key stands.
    assert await store.queue_message("news", {"text": {"en": "News!"}}, clock()) is None


async def test_only_finished_old_rows_go_a_batch_at_a_time(tmp_path: Path) -> None:
    """Pending rows stay however old (a restart sends them); finished rows newer than the
    cut stay; the rest go in batches, no more than asked for at a time, counted by outcome."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for user_id in range(1, 8):
            await store.touch_user(user_id, "en", NOW)
        queued = await store.queue_message("m", {"text": {"en": "hi"}}, NOW)
        assert queued is not None
        job_id, _ = queued
        rows = {d.user_id: d for d in await store.pending_deliveries(None, 10)}
        old, new = NOW + timedelta(hours=1), NOW + timedelta(days=3)
        await store.deliveries_sent([(rows[1], 11, None), (rows[2], 12, None)], old)
        await store.delivery_failed(rows[3], "timeout", old, final=True)
        await store.delivery_unreachable(rows[4], "blocked", old)
        await store.delivery_skipped(rows[5], "played", old)
        await store.deliveries_sent([(rows[6], 16, None)], new)  # too recent to go
        # rows[7] stays pending
        before = await store.job_progress(job_id)
        cut = NOW + timedelta(days=2)
        assert await store.compact_deliveries(cut, most=2, batch=2) == 2
        assert await store.compact_deliveries(cut, batch=2) == 3
        assert await store.compact_deliveries(cut, batch=2) == 0
        assert await store.job_progress(job_id) == before
        left = {d.user_id for d in await store.pending_deliveries(None, 10)}
        assert left == {7}
        assert (await store.delivery_stats(NOW)).pending == 1
        assert "deliveries" in await store.personal_data(6)
        assert "deliveries" not in await store.personal_data(1)
        gone = Delivery(job_id, 7, 0, "message", {}, "en")
        await store.deliveries_sent([(gone, 17, None)], NOW + timedelta(days=5))
        assert await store.compact_deliveries(NOW + timedelta(days=9)) == 2
        after = await store.job_progress(job_id)
        assert (after.sent, after.failed, after.unreachable, after.cancelled) == (4, 1, 1, 1)
        assert after.pending == 0
    finally:
        await store.close()

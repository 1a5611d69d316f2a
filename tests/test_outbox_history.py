"""The outbox keeps one row per person and message while it may need it (to send it, to say
what was sent today, to keep today's reminder to one); two days after a message went, its row
is folded into its fan-out's counts: who was sent what is not kept, how many is."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Clock, Running, drain, started

from clicksbot.app import OUTBOX_HISTORY, runtime_of
from clicksbot.store import Store, delivery
from clicksbot.store.delivery import COMPACT_HOLD, COMPACT_LEAST, Delivery, next_batch

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def queued_for(store: Store, people: int) -> tuple[int, dict[int, Delivery]]:
    """A message queued at NOW for people 1 to `people`, met then: its job and its rows."""
    for user_id in range(1, people + 1):
        await store.touch_user(user_id, "en", NOW)
    queued = await store.queue_message("m", {"text": {"en": "hi"}}, NOW)
    assert queued is not None
    rows = {d.user_id: d for d in await store.pending_deliveries(None, people + 10)}
    return queued[0], rows


def folds_asked(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows each of the store's compaction batches from now on may fold, in
    order (the batches run as they would)."""
    asked: list[int] = []
    original = store._compact_batch

    async def spied(
        job: int, after: int | None, before: datetime, batch: int, fold: int
    ) -> tuple[int | None, int, float]:
        asked.append(fold)
        return await original(job, after, before, batch, fold)

    monkeypatch.setattr(store, "_compact_batch", spied)
    return asked


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
        job_id, rows = await queued_for(store, 7)
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


def test_a_batch_that_held_the_write_lock_long_makes_the_next_smaller() -> None:
    """How many rows a batch may fold follows how long the last one held the write lock: as
    many as fit in the hold allowed at that pace, never fewer than the least, growing back at
    most twofold a batch (up to the largest asked for) while batches are quick; a batch that
    folded fewer than it might never makes the next larger, and one that folded nothing (it
    only looked at rows) changes nothing."""
    assert COMPACT_HOLD == 0.01 and COMPACT_LEAST == 20
    assert next_batch(500, 500, 0.083) == 60  # 83 ms for 500 rows: 60 fit in 10 ms
    assert next_batch(500, 500, 10.0) == 20 and next_batch(20, 20, 1.0) == 20
    assert next_batch(60, 60, 0.001) == 120  # quick again: twofold, not 600
    assert next_batch(400, 400, 0.0) == 500 and next_batch(500, 500, 0.0001) == 500
    assert next_batch(200, 3, 0.0001) == 200  # a job's last batch: quick for being short
    assert next_batch(200, 100, 0.02) == 50  # ... but slow for its rows all the same
    assert next_batch(200, 0, 0.05) == 200
    assert next_batch(8, 8, 10.0, largest=8) == 8 and next_batch(8, 8, 0.0, largest=8) == 8


async def test_batches_of_any_size_fold_the_same_rows_to_the_same_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever number of rows each batch may fold, one after another, within a job whose old
    finished rows lie among pending and recent ones: exactly the old finished rows go, each
    counted once by its outcome, and the next batch starts after the last person folded, or
    looked at when it folded all it could. (On PostgreSQL each batch may fold all it looks
    at; the same rows go.)"""
    sizes = iter([7, 3, 11, 2, 1, 13, 5, 4, 9, 6] * 10)
    monkeypatch.setattr(delivery, "next_batch", lambda size, folded, held, largest: next(sizes))
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        job_id, rows = await queued_for(store, 60)
        old, new = NOW + timedelta(hours=1), NOW + timedelta(days=3)
        for user_id, row in rows.items():
            match user_id % 6:
                case 0:
                    await store.deliveries_sent([(row, user_id, None)], old)
                case 1:
                    await store.delivery_failed(row, "timeout", old, final=True)
                case 2:
                    await store.delivery_unreachable(row, "blocked", old)
                case 3:
                    await store.delivery_skipped(row, "played", old)
                case 4:
                    await store.deliveries_sent([(row, user_id, None)], new)  # too recent
                # 5: still pending
        before = await store.job_progress(job_id)
        asked = folds_asked(store, monkeypatch)
        assert await store.compact_deliveries(NOW + timedelta(days=2), batch=40) == 40
        if store.is_postgresql:  # a batch keeps its size there: a round trip each statement
            assert asked == [40, 40]
        else:
            assert asked[:4] == [20, 7, 3, 11]  # the least first, then as next_batch says
        assert await store.job_progress(job_id) == before
        kept = await store.personal_data(1)
        assert "deliveries" not in kept
        for user_id in (4, 5, 10, 11):  # recent and pending rows stay
            assert "deliveries" in await store.personal_data(user_id), user_id
        assert {d.user_id for d in await store.pending_deliveries(None, 100)} == {
            u for u in rows if u % 6 == 5
        }
        after = await store.job_progress(job_id)
        assert (after.sent, after.failed, after.unreachable, after.cancelled) == (20, 10, 10, 10)
        assert after.pending == 10
    finally:
        await store.close()


async def test_a_pass_keeps_its_pace_and_stops_between_batches_when_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass folds no more than its pace of rows a second (COMPACT_PACE unless told),
    however quick its batches, and stops after the batch under way once `stopped()` is true
    (the bot stops, or no longer leads), leaving the rest for the next pass."""
    store = await Store.open(tmp_path / "bot.sqlite3")
    try:
        for user_id in range(1, 61):
            await store.touch_user(user_id, "en", NOW)
        old, cut = NOW + timedelta(hours=1), NOW + timedelta(days=2)
        for key in ("first", "second"):
            assert await store.queue_message(key, {"text": {"en": "hi"}}, NOW) is not None
            rows = await store.pending_deliveries(None, 100)
            await store.deliveries_sent([(row, row.user_id, None) for row in rows], old)

        batches = folds_asked(store, monkeypatch)
        assert await store.compact_deliveries(cut, batch=20, stopped=lambda: bool(batches)) == 20
        assert batches == [20]
        began = time.monotonic()
        assert await store.compact_deliveries(cut, batch=20, pace=200) == 100
        assert time.monotonic() - began >= 100 / 200  # the pace, not the batches' speed
        assert await store.compact_deliveries(cut, batch=20) == 0
    finally:
        await store.close()

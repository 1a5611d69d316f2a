from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from clicksbot.delivery.clock import DailyTips
from clicksbot.store import Store

NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)


async def test_a_grace_of_zero_minutes_still_sends_the_daily_tip(tmp_path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    await store.touch_user(1, "en", NOW)
    await store.set_place(1, None, "Etc/UTC")
    await store.set_tip_time(1, "08:00")
    outbox = SimpleNamespace(wake=lambda: None)
    daily = DailyTips(store, outbox, None, lambda: NOW, timedelta(0))  # config allows 0
    job = SimpleNamespace(job=SimpleNamespace(data=("Etc/UTC", "08:00")))
    await daily._fire(job)  # the slot's job, on time
    pending = await store.pending_deliveries(None, 10)
    await store.close()
    assert [d.user_id for d in pending] == [1]

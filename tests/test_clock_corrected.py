"""A clock that ran ahead and was put right does not silence daily tips."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from conftest import Clock, Running, drain, started
from test_daily import daily_tips, rt, run_days, subscribe


async def test_a_tip_day_in_the_future_does_not_silence_daily_tips(
    bot: Running, clock: Clock
) -> None:
    """A tip queued while the clock said 30 November leaves that day stored; once the clock
    is right again (23 November), the tips of 24 and 25 November still go out, one a day."""
    mia = await started(bot, "Mia")
    await subscribe(bot, mia, "Asia/Manila", "07:00")
    daily = rt(bot).daily
    assert daily is not None
    clock.now = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # a week ahead: 08:00 in Manila
    assert await daily.tick() == 1
    await drain(bot)
    assert len(daily_tips(bot, mia)) == 1
    clock.now = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # put right: 04:00 on the 24th
    arrivals = await run_days(bot, clock, days=2)
    days = Counter(m.astimezone(ZoneInfo("Asia/Manila")).date() for m in arrivals[mia.id])
    assert days == {date(2026, 11, 24): 1, date(2026, 11, 25): 1}
    for moment in arrivals[mia.id]:
        assert moment.astimezone(ZoneInfo("Asia/Manila")).strftime("%H:%M") == "07:00"

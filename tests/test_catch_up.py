"""What came due while the bot was down is queued by jobs that run once the bot polls: they
must run however busy the start was (APScheduler skips a job more than a second late unless
told otherwise)."""

from __future__ import annotations

import asyncio
import time

from conftest import Clock, pace_as

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.context import BotApplication
from clicksbot.sandbox import EmulatorServer


async def test_the_catch_up_runs_after_a_start_that_kept_the_loop_busy(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    pace_as(app, server.emulator.limits)
    post_init = app.post_init
    assert post_init is not None

    async def busy_start(application: BotApplication) -> None:
        await post_init(application)
        time.sleep(1.5)  # thousands of groups to schedule, say: the loop is not free

    app.post_init = busy_start  # type: ignore[assignment]
    async with polling(app, poll_timeout=1):
        runtime = runtime_of(app)
        assert runtime.daily is not None and runtime.reminders is not None
        await asyncio.wait_for(runtime.daily.caught_up.wait(), 10)
        await asyncio.wait_for(runtime.reminders.caught_up.wait(), 10)

"""What came due while the bot was down is queued by jobs that run once the bot polls: they
must run however busy the start was (APScheduler skips a job more than a second late unless
told otherwise)."""

from __future__ import annotations

import asyncio
import threading
import time
import zoneinfo._common
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import Clock, pace_as

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.context import BotApplication
from clicksbot.delivery import clock as clock_module
from clicksbot.delivery.clock import SLOTS_AT_ONCE, SlotClock
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


async def test_a_look_reads_the_clock_for_each_slot() -> None:
    """A look over thousands of slots takes seconds (with its rests between parts): a slot
    whose time comes while the look goes through the others is judged at the time it is
    looked at, so it is queued then rather than missed until the next look."""
    moments = iter(
        datetime(2026, 3, 2, 8, 0, tzinfo=UTC) + timedelta(seconds=n) for n in range(10**4)
    )
    seen: list[datetime] = []

    class Jobs:
        def run_daily(self, *args: Any, **kwargs: Any) -> None:
            pass

    class Outbox:
        def wake(self) -> None:
            pass

    class Looked(SlotClock):
        async def slots(self) -> list[tuple[str, str]]:
            return [("UTC", f"{8 + n // 60:02d}:{n % 60:02d}") for n in range(SLOTS_AT_ONCE + 5)]

        async def queue_slot(
            self, time_zone: str, slot: str, now: datetime, early: timedelta = timedelta(0)
        ) -> int:
            seen.append(now)
            return 0

    clock = Looked(None, Outbox(), Jobs(), lambda: next(moments), timedelta(minutes=5))  # type: ignore[arg-type]
    await clock.tick()
    assert len(seen) == SLOTS_AT_ONCE + 5
    assert seen == sorted(seen) and len(set(seen)) == len(seen)  # a new reading each time


async def test_a_looks_new_jobs_are_set_aside_from_the_collector_as_they_are_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start's look makes thousands of slot jobs at a million people: each full pass of
    the collector meanwhile walked all made so far (40-60 ms, several in the first seconds,
    every update waiting). They are set aside part by part; a later look that makes no job
    sets nothing aside."""
    frozen: list[int] = []

    class Jobs:
        def __init__(self) -> None:
            self.made = 0

        def run_daily(self, *args: Any, **kwargs: Any) -> None:
            self.made += 1

    class Outbox:
        def wake(self) -> None:
            pass

    jobs = Jobs()

    class Looked(SlotClock):
        async def slots(self) -> list[tuple[str, str]]:
            return [("UTC", f"{8 + n // 60:02d}:{n % 60:02d}") for n in range(3 * SLOTS_AT_ONCE)]

        async def queue_slot(
            self, time_zone: str, slot: str, now: datetime, early: timedelta = timedelta(0)
        ) -> int:
            return 0

    monkeypatch.setattr(clock_module.gc, "freeze", lambda: frozen.append(jobs.made))
    moment = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    clock = Looked(None, Outbox(), jobs, lambda: moment, timedelta(minutes=5))  # type: ignore[arg-type]
    await clock.tick()
    assert frozen == [SLOTS_AT_ONCE, 2 * SLOTS_AT_ONCE, 3 * SLOTS_AT_ONCE]
    await clock.tick()  # every job made already
    assert len(frozen) == 3


async def test_a_look_reads_its_zones_files_beside_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first ZoneInfo of a zone reads its file: at a million people's start (46 zones in
    the benchmark), one such read on the loop's thread held every update 44 ms while the
    catch-up's checkpoints kept the disk busy. A look reads its zones' files beside the loop
    first."""
    zones = ["Pacific/Chatham", "America/St_Johns", "Asia/Kathmandu", "Australia/Eucla"]
    read_on: list[int] = []
    load_data = zoneinfo._common.load_data

    def reading(file: Any) -> Any:
        read_on.append(threading.get_ident())
        return load_data(file)

    monkeypatch.setattr(zoneinfo._common, "load_data", reading)
    ZoneInfo.clear_cache(only_keys=zones)
    made: list[Any] = []

    class Jobs:
        def run_daily(self, callback: Any, at: Any, **kwargs: Any) -> None:
            made.append(at.tzinfo)

    class Outbox:
        def wake(self) -> None:
            pass

    class Looked(SlotClock):
        async def slots(self) -> list[tuple[str, str]]:
            return [(zone, "08:00") for zone in zones]

        async def queue_slot(
            self, time_zone: str, slot: str, now: datetime, early: timedelta = timedelta(0)
        ) -> int:
            return 0

    moment = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    clock = Looked(None, Outbox(), Jobs(), lambda: moment, timedelta(minutes=5))  # type: ignore[arg-type]
    await clock.tick()
    assert [str(zone) for zone in made] == sorted(zones)
    assert len(read_on) == len(zones)  # each file read once ...
    assert threading.get_ident() not in read_on  # ... and none on the loop's thread

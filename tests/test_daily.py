"""Daily tips end to end: choosing a time and zone, the clock, and the outbox's outcomes."""

from __future__ import annotations

import asyncio
import time as walltime
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pgtest
import pytest
from conftest import Clock, Running, drain, started

from clicksbot.app import runtime_of
from clicksbot.cli import main
from clicksbot.context import Runtime
from clicksbot.sandbox import Limits, Person

DAILY = "Your daily tip"
# Babel writes times as CLDR says: "7:30\u202fAM", with a narrow no-break space.


def rt(bot: Running) -> Runtime:
    return runtime_of(bot.app)


async def subscribe(bot: Running, person: Person, zone: str, at: str) -> None:
    """Set a person's zone and time as the pickers do (the pickers have their own test)."""
    runtime = rt(bot)
    assert runtime.store is not None and runtime.daily is not None
    await runtime.store.set_place(person.id, None, zone)
    await runtime.store.set_tip_time(person.id, at)
    runtime.daily.schedule(zone, at)


def daily_tips(bot: Running, person: Person) -> list[str]:
    """The daily tips this person was sent."""
    return [
        str(c.params["text"])
        for c in bot.emulator.sent("sendMessage", chat_id=person.id)
        if DAILY in str(c.params.get("text", ""))
    ]


async def test_choosing_country_zone_and_time_by_buttons(bot: Running) -> None:
    """/subscribe offers the person's likely country first, then hours and minutes, shows the
    local time to check the zone, and confirms; /settings and /unsubscribe follow."""
    maria = await started(bot, "Maria", "en-PH")
    maria.send("/subscribe")
    where = await maria.receive()
    assert "Where are you?" in where.text
    assert where.button_texts[0] == "🇵🇭 Philippines"  # en-PH: the Philippines first
    for country in ("Indonesia", "Malaysia", "Thailand", "Kazakhstan", "Uzbekistan"):
        assert any(country in b for b in where.button_texts)
    await maria.press(where, 0)
    hours = await maria.receive_edit()
    assert "Manila" in hours.text and "4:00\u202fPM" in hours.text  # 08:00 UTC is 16:00 in Manila
    await maria.press(hours, "7:00\u202fAM")
    minutes = await maria.receive_edit()
    await maria.press(minutes, "7:30\u202fAM")
    done = await maria.receive_edit()
    assert "Every day at 7:30\u202fAM (Manila)" in done.text
    store = rt(bot).store
    assert store is not None
    user = await store.get_user(maria.id)
    assert user is not None
    assert (user.country, user.time_zone, user.tip_time) == ("PH", "Asia/Manila", "07:30")
    job_queue = bot.app.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name("daily tip 07:30 Asia/Manila")
    assert job.next_t is not None
    assert job.next_t.astimezone(ZoneInfo("Asia/Manila")).time() == time(7, 30)

    maria.send("/settings")
    settings = await maria.receive()
    assert "every day at 7:30\u202fAM" in settings.text and "Manila" in settings.text
    await maria.press(settings, "Time zone")
    where = await maria.receive_edit()
    await maria.press(where, "Indonesia")
    zones = await maria.receive_edit()
    assert [b.split(" · ")[0] for b in zones.button_texts[:3]] == [
        "Jakarta",
        "Makassar",
        "Jayapura",
    ]
    await maria.press(zones, "Makassar")
    moved = await maria.receive_edit()  # back to the settings: the time stays, the zone changed
    assert "Time zone: Makassar" in moved.text and "every day at 7:30\u202fAM" in moved.text
    maria.send("/unsubscribe")
    assert "Daily tips are off" in (await maria.receive()).text
    maria.send("/unsubscribe")
    assert "don't get daily tips" in (await maria.receive()).text


async def test_other_countries_and_utc_offsets(bot: Running) -> None:
    """Anyone can find their zone: more countries, or a whole-hour UTC offset."""
    sam = await started(bot, "Sam")
    sam.send("/subscribe")
    where = await sam.receive()
    await sam.press(where, "UTC offset")
    offsets = await sam.receive_edit()
    assert any(b.startswith("UTC+7 · ") for b in offsets.button_texts)
    await sam.press(offsets, "UTC-3 · ")
    hours = await sam.receive_edit()
    assert "UTC-3" in hours.text and "5:00\u202fAM" in hours.text
    store = rt(bot).store
    assert store is not None
    user = await store.get_user(sam.id)
    assert user is not None and user.time_zone == "Etc/GMT+3" and user.country is None


async def test_forged_place_and_time_payloads_are_refused(bot: Running) -> None:
    sam = await started(bot, "Sam")
    sam.send("/subscribe")
    where = await sam.receive()
    for data in ("1|zone|-|Europe/Nowhere", "1|zone|PH|Asia/Jakarta", "1|country|XX",
                 "1|at|07:07", "1|at|24:00"):  # fmt: skip
        answer = await sam.press_data(where, data)
        assert answer.get("show_alert"), data
    store = rt(bot).store
    assert store is not None
    user = await store.get_user(sam.id)
    assert user is not None and user.time_zone is None and user.tip_time is None


ZONES = {
    "Manila": ("Asia/Manila", "07:00"),
    "Bangkok": ("Asia/Bangkok", "06:30"),
    "Jakarta": ("Asia/Jakarta", "19:45"),
    "Almaty": ("Asia/Almaty", "00:00"),
    "Tashkent": ("Asia/Tashkent", "23:15"),
}


async def run_days(
    bot: Running, clock: Clock, days: int, step_minutes: int = 15
) -> dict[int, list[datetime]]:
    """Move the clock through `days` in steps, letting the scheduler's tick run at each;
    return when (by the clock) each chat got each daily tip."""
    daily, pacer = rt(bot).daily, rt(bot).pacer
    assert daily is not None and pacer is not None
    pacer.per_chat = 0.01  # a day passes in an instant: Telegram's 1 s per chat would not
    arrivals: dict[int, list[datetime]] = {}
    seen = len(bot.emulator.calls)
    for _ in range(days * 24 * 60 // step_minutes):
        clock.advance(minutes=step_minutes)
        if await daily.tick():
            await drain(bot)
            for call in bot.emulator.calls[seen:]:
                if call.ok and call.method == "sendMessage" and DAILY in call.params["text"]:
                    arrivals.setdefault(int(call.params["chat_id"]), []).append(clock())
            seen = len(bot.emulator.calls)
    return arrivals


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_one_tip_per_local_day_in_each_zone(bot: Running, clock: Clock) -> None:
    """Subscribers across ASEAN and Central Asia get exactly one tip each local day, at their
    time; people who unsubscribed or never subscribed get none."""
    people = {}
    for name, (zone, at) in ZONES.items():
        people[name] = await started(bot, name)
        await subscribe(bot, people[name], zone, at)
    quitter = await started(bot, "Quitter")
    await subscribe(bot, quitter, "Asia/Manila", "07:00")
    store = rt(bot).store
    assert store is not None
    await store.set_tip_time(quitter.id, None)
    bystander = await started(bot, "Bystander")

    arrivals = await run_days(bot, clock, days=3)

    for name, (zone, at) in ZONES.items():
        moments = arrivals.get(people[name].id, [])
        local_days = Counter(m.astimezone(ZoneInfo(zone)).date() for m in moments)
        assert len(moments) == 3, name
        assert set(local_days.values()) == {1}, (name, local_days)
        for moment in moments:  # at their time (the clock moves in 15-minute steps)
            local = moment.astimezone(ZoneInfo(zone))
            assert local.strftime("%H:%M") == at, (name, local)
    assert daily_tips(bot, quitter) == [] and daily_tips(bot, bystander) == []
    # Each daily tip is a new one, and counts as read.
    texts = [c.params["text"] for c in bot.emulator.sent("sendMessage", chat_id=people["Manila"].id)
             if DAILY in str(c.params.get("text"))]  # fmt: skip
    assert len(set(texts)) == 3


async def test_daylight_saving_changes_keep_one_tip_a_day(bot: Running, clock: Clock) -> None:
    """Lisbon's clocks go back on 25 October 2026 (01:30 happens twice) and forward on
    28 March 2027 (01:30 never happens): still one tip per local day."""
    ana = await started(bot, "Ana", "en-PT")
    await subscribe(bot, ana, "Europe/Lisbon", "01:30")
    moments: list[datetime] = []
    for start in (datetime(2026, 10, 23, 12, tzinfo=UTC), datetime(2027, 3, 26, 12, tzinfo=UTC)):
        clock.now = start
        moments += (await run_days(bot, clock, days=4, step_minutes=30)).get(ana.id, [])
    days = Counter(m.astimezone(ZoneInfo("Europe/Lisbon")).date() for m in moments)
    assert set(days.values()) == {1}
    assert date(2026, 10, 25) in days and date(2027, 3, 28) in days
    assert len(days) == 8


async def test_a_missed_slot_is_sent_late_within_grace_and_never_twice(
    bot: Running, clock: Clock
) -> None:
    """After downtime, a slot up to two hours late still goes out, once; older ones wait for
    the next day."""
    early = await started(bot, "Early")
    late = await started(bot, "Late")
    # 08:00 UTC is 16:00 in Manila: 14:30 was 90 minutes ago, 12:00 four hours ago.
    await subscribe(bot, early, "Asia/Manila", "14:30")
    await subscribe(bot, late, "Asia/Manila", "12:00")
    daily = rt(bot).daily
    assert daily is not None
    assert await daily.tick() == 1  # what start-up does
    await drain(bot)
    assert await daily.tick() == 0  # a second look (or the scheduler's job) sends nothing
    assert len(daily_tips(bot, early)) == 1 and daily_tips(bot, late) == []
    clock.advance(hours=20)  # 12:00 the next day in Manila
    assert await daily.tick() == 1
    await drain(bot)
    assert len(daily_tips(bot, late)) == 1 and len(daily_tips(bot, early)) == 1


async def test_a_blocked_person_is_marked_skipped_and_counted(bot: Running, clock: Clock) -> None:
    """403 marks the person unreachable; later fan-outs skip them; writing again revives."""
    kim = await started(bot, "Kim")
    lee = await started(bot, "Lee")
    for person in (kim, lee):
        await subscribe(bot, person, "Asia/Bangkok", "15:00")
    lee.block()
    daily, store = rt(bot).daily, rt(bot).store
    assert daily is not None and store is not None
    assert await daily.tick() == 2  # 08:00 UTC is 15:00 in Bangkok
    await drain(bot)
    user = await store.get_user(lee.id)
    assert user is not None and user.unreachable_since is not None
    figures = await store.delivery_stats(clock() - timedelta(hours=1))
    assert (figures.sent_since, figures.unreachable, figures.failed_since) == (1, 1, 0)
    clock.advance(days=1)
    assert await daily.tick() == 1  # Lee is not even queued
    await drain(bot)
    assert len(daily_tips(bot, kim)) == 2 and daily_tips(bot, lee) == []
    lee.unblock()
    lee.send("/help")
    await lee.receive()
    user = await store.get_user(lee.id)
    assert user is not None and user.unreachable_since is None


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_a_429_storm_and_server_errors_delay_but_lose_nothing(
    bot: Running, clock: Clock
) -> None:
    people = [await started(bot, f"P{i}") for i in range(12)]
    for person in people:
        await subscribe(bot, person, "Asia/Jakarta", "15:00")
    outbox, daily = rt(bot).outbox, rt(bot).daily
    assert outbox is not None and daily is not None
    outbox.backoff = 0.05
    bot.emulator.fail("sendMessage", 429, retry_after=1, times=3)
    bot.emulator.fail("sendMessage", 502, times=2)
    began = walltime.monotonic()
    assert await daily.tick() == 12
    await drain(bot)
    assert walltime.monotonic() - began >= 1  # it did wait as told
    assert [len(daily_tips(bot, p)) for p in people] == [1] * 12


async def test_stats_for_admins_and_on_the_command_line(
    bot: Running, clock: Clock, capsys: pytest.CaptureFixture[str]
) -> None:
    kim = await started(bot, "Kim")
    await subscribe(bot, kim, "Asia/Tashkent", "13:00")  # 08:00 UTC is 13:00 in Tashkent
    daily = rt(bot).daily
    assert daily is not None
    await daily.tick()
    await drain(bot)
    kim.send("/stats")  # not an admin: nothing to see
    assert "figures" not in (await kim.receive()).text
    object.__setattr__(bot.settings, "admins", frozenset({kim.id}))
    kim.send("/stats")
    text = (await kim.receive()).text
    assert "Daily-tip subscribers: 1" in text and "Sent today: 1" in text


async def test_stats_command_prints_the_figures(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    from clicksbot.store import Store

    assert isinstance(tmp_path, Path)
    db = tmp_path / "bot.sqlite3"
    store = await Store.open(db)
    now = datetime.now(UTC)
    for user_id in (1, 2, 3):
        await store.touch_user(user_id, "en", now)
    await store.set_place(1, "PH", "Asia/Manila")
    await store.set_tip_time(1, "07:00")
    await store.close()
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {db}\n")
    assert await asyncio.to_thread(main, ["stats", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "people                3" in out and "subscribers           1" in out
    if pgtest.enabled():
        return  # CLICKSBOT_DATABASE_URL wins: there is no file to be missing
    config.write_text(f"database: {tmp_path / 'none.sqlite3'}\n")
    assert await asyncio.to_thread(main, ["stats", "--config", str(config)]) == 2
    assert "does not exist yet" in capsys.readouterr().err

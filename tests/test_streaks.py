"""Streaks that forgive and a reminder that respects, with a controlled clock.

Streak freezes: one earned per 7 days of streak (at most 2 held), used by itself on a missed
day so the streak survives. The streak reminder: opt-in, at the person's usual time in their
time zone (their daily-tip time if they subscribe), only on days they have not played, never
between 21:00 and 08:00 their time, at most one a day, off with one tap on the reminder itself
or in /settings. Quiet hours: an early usual time moves to 08:00 (still after the habit it
reminds of); a late one (21:00 or after, up to 04:00) is skipped, not moved earlier, because a
reminder before the time someone usually plays would nag them on most days.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Clock, Running, drain, started

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.botapi import rules
from clicksbot.content import Content
from clicksbot.context import Runtime
from clicksbot.delivery.compose import NoLongerWanted
from clicksbot.i18n import Catalogs
from clicksbot.render import streaks as render
from clicksbot.sandbox import BotMessage, Limits, Person
from clicksbot.sandbox.emulator import Call
from clicksbot.services import learning
from clicksbot.services.progress import FREEZE_EVERY, Stats, streak
from clicksbot.services.reminders import ReminderView, slot_of, usual_time
from clicksbot.store.delivery import Delivery

REMINDER = "Your streak reminder"
DAILY = "Your daily tip"
CATALOGS = Catalogs.load()


def rt(bot: Running) -> Runtime:
    return runtime_of(bot.app)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def at(day: date, hhmm: str, zone: str) -> datetime:
    """The moment it is `hhmm` on `day` in `zone`."""
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=ZoneInfo(zone))


def sent_with(bot: Running, person: Person, part: str) -> list[Call]:
    """The messages sent to this person that hold `part`."""
    return [
        c
        for c in bot.emulator.sent("sendMessage", chat_id=person.id)
        if part in str(c.params.get("text", ""))
    ]


def labels(call: Call) -> list[str]:
    """The labels of the buttons a message was sent with."""
    markup = call.params["reply_markup"]
    buttons = json.loads(markup) if isinstance(markup, str) else markup
    return [b["text"] for row in buttons["inline_keyboard"] for b in row]


async def settle(person: Person) -> None:
    """Let everything the bot is sending this person arrive, and set it aside."""
    while True:
        try:
            await person.receive(timeout=0.3)
        except AssertionError:
            break
    while not person.chat.edits.empty():
        person.chat.edits.get_nowait()


async def answered(bot: Running, person: Person, moment: datetime) -> None:
    """Record that the person answered a question at `moment`, as the quiz does (the quiz's
    buttons have their own tests; here only when it happened matters)."""
    runtime = rt(bot)
    assert runtime.store is not None
    user = await runtime.store.get_user(person.id)
    assert user is not None
    asked = await learning.ask(runtime.store, runtime.content, user, None, moment, runtime.rng)
    assert asked is not None
    default = bot.settings.default_timezone
    outcome = await learning.answer(
        runtime.store, runtime.content, user, asked.id, 0, moment, default
    )
    assert outcome.status is learning.AnswerStatus.RECORDED


async def place(bot: Running, person: Person, zone: str) -> None:
    """Set the person's time zone as the zone picker does (it has its own tests)."""
    store = rt(bot).store
    assert store is not None
    await store.set_place(person.id, None, zone)


async def settings(person: Person) -> BotMessage:
    await settle(person)
    person.send("/settings")
    return await person.receive()


async def turn_on(person: Person) -> BotMessage:
    """Turn the reminder on in /settings; return the settings as they then read."""
    shown = await settings(person)
    answer = await person.press(shown, "🔔 Streak reminder")
    assert answer.get("text") == "Streak reminder on."
    return await person.receive_edit()


class Days:
    """Moves the clock in 15-minute steps, letting the reminder (and daily-tip) clocks look
    at each step as their jobs would, and notes when each reminder and daily tip arrived."""

    def __init__(self, bot: Running, clock: Clock) -> None:
        self.bot, self.clock = bot, clock
        self.seen = len(bot.emulator.calls)
        self.reminders: dict[int, list[datetime]] = {}
        self.tips: dict[int, list[str]] = {}
        pacer = rt(bot).pacer
        assert pacer is not None
        pacer.per_chat = 0.01  # a day passes in an instant: Telegram's 1 s per chat would not

    async def until(self, end: datetime) -> None:
        runtime = rt(self.bot)
        assert runtime.reminders is not None and runtime.daily is not None
        while self.clock() + timedelta(minutes=15) <= end:
            self.clock.advance(minutes=15)
            queued = await runtime.daily.tick() + await runtime.reminders.tick()
            if queued:
                await drain(self.bot)
                self.note()

    def note(self) -> None:
        for call in self.bot.emulator.calls[self.seen :]:
            if not (call.ok and call.method == "sendMessage"):
                continue
            chat, text = int(call.params["chat_id"]), str(call.params.get("text", ""))
            if REMINDER in text:
                self.reminders.setdefault(chat, []).append(self.clock())
            if DAILY in text:
                self.tips.setdefault(chat, []).append(text)
        self.seen = len(self.bot.emulator.calls)


# -- streak freezes ----------------------------------------------------------------------


def run_of(*days: int) -> list[date]:
    """Active days, as day numbers of November 2026."""
    return [date(2026, 11, d) for d in days]


def test_a_freeze_is_earned_after_seven_days_and_saves_a_missed_day() -> None:
    """Seven days in a row earn a freeze; missing the eighth uses it and the streak lives on
    (the frozen day itself does not count); six days earn none, so a miss ends the streak."""
    week = run_of(*range(1, 8))
    assert FREEZE_EVERY == 7
    assert streak(week, date(2026, 11, 7)) == streak(week, date(2026, 11, 8))
    assert streak(week, date(2026, 11, 8)).freezes == 1  # the 8th not played yet: not missed
    saved = streak(week, date(2026, 11, 9))  # the 8th missed
    assert (saved.current, saved.freezes, saved.saved) == (7, 0, (date(2026, 11, 8),))
    back = streak([*week, date(2026, 11, 9)], date(2026, 11, 9))
    assert (back.current, back.best, back.freezes) == (8, 8, 0)
    six = streak(run_of(*range(1, 7)), date(2026, 11, 8))
    assert (six.current, six.best, six.freezes) == (0, 6, 0)


def test_freezes_are_held_two_at_most_and_a_long_gap_still_ends_the_streak() -> None:
    """21 days earn three freezes but two are held; a 3-day gap is more than two freezes."""
    three_weeks = run_of(*range(1, 22))
    assert streak(three_weeks, date(2026, 11, 22)).freezes == 2
    two_missed = streak([*three_weeks, date(2026, 11, 24)], date(2026, 11, 24))
    assert (two_missed.current, two_missed.freezes) == (22, 0)
    assert two_missed.saved == (date(2026, 11, 22), date(2026, 11, 23))
    three_missed = streak([*three_weeks, date(2026, 11, 25)], date(2026, 11, 25))
    assert (three_missed.current, three_missed.best, three_missed.freezes) == (1, 21, 0)
    assert three_missed.saved == ()


async def test_progress_shows_the_freeze_earned_and_the_day_it_saved_the_streak(
    bot: Running, clock: Clock
) -> None:
    """Played 7 days in a row (a /tip each day): /progress shows the freeze; the 8th day is
    missed; on the 9th the streak is still 7 days, the freeze is spent, and /progress says
    which day it saved; playing makes it 8. Someone who played 6 days loses their streak."""
    ana = await started(bot, "Ana")
    ben = await started(bot, "Ben")
    for day in range(7):
        ana.send("/tip")
        if day < 6:
            ben.send("/tip")
        await settle(ana)
        await settle(ben)
        if day < 6:
            clock.advance(days=1)
    ana.send("/progress")
    text = (await ana.receive()).text
    assert "Streak: 7 days" in text and "Streak freezes: 1 of 2" in text
    assert "saved your streak" not in text
    clock.advance(days=2)  # the 8th day (Monday 30 November) goes by without play
    ana.send("/progress")
    text = (await ana.receive()).text
    assert "Streak: 7 days" in text and "Streak freezes: 0 of 2" in text
    assert "A freeze saved your streak on Mon, November 30." in text
    ana.send("/tip")
    await settle(ana)
    ana.send("/progress")
    assert "Streak: 8 days (best: 8)" in (await ana.receive()).text
    ben.send("/progress")
    text = (await ben.receive()).text
    assert "Streak: 0 days (best: 6)" in text and "Streak freezes: 0 of 2" in text


# -- the usual time and quiet hours ----------------------------------------------------


def test_the_usual_time_is_the_median_first_answer_rounded_up_to_a_quarter() -> None:
    """Each day's first answer counts once; the median resists odd days; a night owl's 00:30
    is late, not early; quiet hours move early times to 08:00 and skip late ones."""
    zone = "Asia/Manila"
    days = [date(2026, 11, d) for d in (1, 2, 3, 4)]
    moments = [at(days[0], "19:40", zone), at(days[0], "21:00", zone),  # first of the day only
               at(days[1], "19:32", zone), at(days[2], "07:05", zone),  # an odd morning
               at(days[3], "19:50", zone)]  # fmt: skip
    assert usual_time(moments, zone) == "19:45"
    assert usual_time([], zone) is None
    nights = [date(2026, 11, d) for d in (1, 3, 5)]
    owl = [at(nights[0], "23:50", zone), at(nights[1], "00:30", zone), at(nights[2], "00:40", zone)]
    assert usual_time(owl, zone) == "00:30"  # late at night: not averaged into midday
    # 00:30 after a 23:50 belongs to the same night: that night's first play is 23:50.
    assert usual_time([owl[0], at(date(2026, 11, 2), "00:30", zone)], zone) == "00:00"
    assert [slot_of(t) for t in ("06:30", "08:00", "19:45", "20:45", "21:00", "22:30", "00:30")
            ] == ["08:00", "08:00", "19:45", "20:45", None, None, None]  # fmt: skip


async def test_the_reminder_comes_at_the_usual_time_only_on_days_without_play(
    bot: Running, clock: Clock
) -> None:
    """Maria answers around 19:40 in Manila; with the reminder on, it comes at 19:45 her time
    on the days she has not played, once, and not on the day she read a tip at 10:00."""
    zone = "Asia/Manila"
    maria = await started(bot, "Maria")
    await place(bot, maria, zone)
    for day in (20, 21, 22):
        await answered(bot, maria, at(date(2026, 11, day), "19:38", zone))
    shown = await turn_on(maria)
    assert "Streak reminder: at 7:45\u202fPM, if you have not read a tip" in shown.text
    assert "🔕 Stop streak reminder" in shown.button_texts
    days = Days(bot, clock)
    await days.until(at(date(2026, 11, 24), "10:00", zone))
    maria.send("/tip")  # she plays on the 24th
    await settle(maria)
    await days.until(at(date(2026, 11, 26), "06:00", zone))

    arrivals = [local(m, zone) for m in days.reminders.get(maria.id, [])]
    assert [(m.date(), m.strftime("%H:%M")) for m in arrivals] == [
        (date(2026, 11, 23), "19:45"),
        (date(2026, 11, 25), "19:45"),
    ]
    texts = [str(c.params["text"]) for c in sent_with(bot, maria, REMINDER)]
    assert "Your streak: 3 days" in texts[0]  # the 20th to the 22nd, alive on the 23rd
    # The 23rd went by without play and no freeze yet (7 days earn one): a new streak.
    assert "Your streak: 1 day." in texts[1]
    assert labels(sent_with(bot, maria, REMINDER)[0]) == [
        "🎯 A question",
        "💡 A tip",
        "🔕 No more reminders",
    ]
    job_queue = bot.app.job_queue
    assert job_queue is not None
    assert len(job_queue.get_jobs_by_name(f"reminder 19:45 {zone}")) == 1


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_quiet_hours_move_an_early_reminder_to_eight_and_skip_a_late_one(
    bot: Running, clock: Clock
) -> None:
    """In Bangkok, an early riser (usual 06:30) is reminded at 08:00, after their habit; a
    night owl (usual 22:30) is not reminded at all, and /settings tells them why: moved
    before 21:00 it would come before they usually play, nagging them most days. No reminder
    ever arrives between 21:00 and 08:00 local time."""
    zone = "Asia/Bangkok"
    lark, owl = await started(bot, "Lark"), await started(bot, "Owl")
    for person, hhmm in ((lark, "06:20"), (owl, "22:25")):
        await place(bot, person, zone)
        for day in (20, 21, 22):
            await answered(bot, person, at(date(2026, 11, day), hhmm, zone))
    assert "Streak reminder: at 8:00\u202fAM" in (await turn_on(lark)).text
    owl_settings = (await turn_on(owl)).text
    assert (
        "your usual time (10:30\u202fPM) is in my quiet hours (9:00\u202fPM to 8:00\u202fAM)"
        in owl_settings
    )
    days = Days(bot, clock)
    await days.until(clock() + timedelta(days=3))

    larks = [local(m, zone) for m in days.reminders.get(lark.id, [])]
    assert [m.strftime("%H:%M") for m in larks] == ["08:00"] * 3
    assert len({m.date() for m in larks}) == 3
    assert days.reminders.get(owl.id, []) == []
    job_queue = bot.app.job_queue
    assert job_queue is not None
    assert not [j for j in job_queue.jobs() if j.name and j.name.startswith("reminder 22:")]


async def test_a_reminder_missed_while_down_is_not_sent_in_quiet_hours(
    bot: Running, clock: Clock
) -> None:
    """A usual time of 20:45: the bot was down at 20:45 and looks again at 21:15, within
    the late-sending grace, but it is quiet hours now: nothing until 20:45 the next day."""
    zone = "Asia/Manila"
    kim = await started(bot, "Kim")
    await place(bot, kim, zone)
    for day in (20, 21, 22):
        await answered(bot, kim, at(date(2026, 11, day), "20:35", zone))
    assert "at 8:45\u202fPM" in (await turn_on(kim)).text
    reminders = rt(bot).reminders
    assert reminders is not None
    clock.now = at(date(2026, 11, 23), "21:15", zone).astimezone(UTC)
    assert await reminders.tick() == 0
    days = Days(bot, clock)
    await days.until(at(date(2026, 11, 24), "21:00", zone))
    arrivals = [local(m, zone) for m in days.reminders.get(kim.id, [])]
    assert [(m.date(), m.strftime("%H:%M")) for m in arrivals] == [(date(2026, 11, 24), "20:45")]


async def test_at_most_one_reminder_a_day(bot: Running, clock: Clock) -> None:
    """Reminded at 09:00, the person turns the reminder off and on again, and their usual
    time moves to 18:00 (their habit changed) while they still have not played: no second
    reminder that day; looking at a slot twice queues it once; the next day it comes at 18:00."""
    zone = "Asia/Manila"
    lee = await started(bot, "Lee")
    await place(bot, lee, zone)
    for day in (20, 21, 22):
        await answered(bot, lee, at(date(2026, 11, day), "08:55", zone))
    await turn_on(lee)
    clock.now = at(date(2026, 11, 24), "00:00", zone).astimezone(UTC)
    days = Days(bot, clock)
    await days.until(at(date(2026, 11, 24), "09:00", zone))
    reminders, store = rt(bot).reminders, rt(bot).store
    assert reminders is not None and store is not None
    assert await reminders.tick() == 0  # the 09:00 slot again: already queued
    assert len(days.reminders.get(lee.id, [])) == 1
    shown = await settings(lee)  # off and on again: still reminded today
    await lee.press(shown, "🔕 Stop streak reminder")
    await lee.press(await lee.receive_edit(), "🔔 Streak reminder")
    await store.move_reminder(lee.id, "18:00")
    await days.until(at(date(2026, 11, 25), "20:00", zone))
    arrivals = [local(m, zone) for m in days.reminders.get(lee.id, [])]
    assert [(m.date(), m.strftime("%H:%M")) for m in arrivals] == [
        (date(2026, 11, 24), "09:00"),
        (date(2026, 11, 25), "18:00"),
    ]
    assert max(Counter(m.date() for m in arrivals).values()) == 1


async def test_a_queued_reminder_is_skipped_if_they_played_meanwhile_or_it_is_late(
    bot: Running, clock: Clock
) -> None:
    """The outbox may send a reminder some time after it was queued: if the person has played
    since, or quiet hours have begun, it is not sent, and that is no failure."""
    zone = "Asia/Manila"
    joe = await started(bot, "Joe")
    await place(bot, joe, zone)
    await turn_on(joe)
    outbox = rt(bot).outbox
    assert outbox is not None
    day = at(date(2026, 11, 23), "12:00", zone)
    row = Delivery(1, joe.id, 0, "reminder", {"day": day.date().isoformat(), "zone": zone}, "en")
    clock.now = at(day.date(), "20:59", zone).astimezone(UTC)
    assert REMINDER in (await outbox.composer.compose(row)).reply.text
    clock.now = at(day.date(), "21:00", zone).astimezone(UTC)
    with pytest.raises(NoLongerWanted):
        await outbox.composer.compose(row)
    clock.now = at(day.date(), "20:00", zone).astimezone(UTC)
    joe.send("/tip")
    await settle(joe)
    with pytest.raises(NoLongerWanted):
        await outbox.composer.compose(row)


# -- opting out --------------------------------------------------------------------------


async def test_one_tap_on_the_reminder_turns_it_off(bot: Running, clock: Clock) -> None:
    """ "No more reminders" on the reminder: told so (with how to turn it back on), the
    reminder keeps its play buttons, nothing of the reminder is kept, and none comes again."""
    zone = "Asia/Manila"
    eve = await started(bot, "Eve")
    await place(bot, eve, zone)
    await answered(bot, eve, at(date(2026, 11, 22), "17:00", zone))
    await turn_on(eve)
    await settle(eve)
    days = Days(bot, clock)
    await days.until(at(date(2026, 11, 23), "17:00", zone))
    reminder = await eve.receive()
    assert REMINDER in reminder.text
    answer = await eve.press(reminder, "No more reminders")
    assert (answer.get("text"), answer.get("show_alert")) == (
        "Streak reminders are off. /settings turns them back on.",
        True,
    )
    edited = await eve.receive_edit()
    assert edited.button_texts == ["🎯 A question", "💡 A tip"]
    store = rt(bot).store
    assert store is not None and await store.reminder(eve.id) is None
    await days.until(at(date(2026, 11, 26), "00:00", zone))
    assert len(days.reminders[eve.id]) == 1
    shown = await settings(eve)
    assert "Streak reminder:" not in shown.text and "🔔 Streak reminder" in shown.button_texts


async def test_one_tap_in_settings_turns_it_off(bot: Running, clock: Clock) -> None:
    """/settings shows the reminder and its time; one tap turns it off, and none comes."""
    zone = "Asia/Manila"
    ida = await started(bot, "Ida")
    await place(bot, ida, zone)
    await answered(bot, ida, at(date(2026, 11, 22), "17:00", zone))
    await turn_on(ida)
    shown = await settings(ida)
    assert "Streak reminder: at 5:00\u202fPM" in shown.text
    answer = await ida.press(shown, "🔕 Stop streak reminder")
    assert answer.get("text") == "Streak reminders are off. /settings turns them back on."
    edited = await ida.receive_edit()
    assert "Streak reminder:" not in edited.text and "🔔 Streak reminder" in edited.button_texts
    days = Days(bot, clock)
    await days.until(clock() + timedelta(days=2))
    assert days.reminders.get(ida.id, []) == []


# -- with the daily tip ------------------------------------------------------------------


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=60, global_burst=10_000)])
async def test_a_subscriber_is_reminded_inside_the_daily_tip(bot: Running, clock: Clock) -> None:
    """With a daily tip at 18:00, the reminder rides on the tip: one message, with the streak
    and the stop button, on days without play, and a plain tip on days with play. A tip at
    06:00 (quiet hours) carries none; that subscriber's reminder comes alone at 08:00."""
    zone = "Asia/Manila"
    store = rt(bot).store
    assert store is not None
    sue, tom = await started(bot, "Sue"), await started(bot, "Tom")
    for person, tip_time in ((sue, "18:00"), (tom, "06:00")):
        await place(bot, person, zone)
        await store.set_tip_time(person.id, tip_time)
        await answered(bot, person, at(date(2026, 11, 22), "12:00", zone))
    assert "in your daily tip" in (await turn_on(sue)).text
    assert "at 8:00\u202fAM" in (await turn_on(tom)).text
    days = Days(bot, clock)
    await days.until(at(date(2026, 11, 24), "12:00", zone))
    sue.send("/tip")  # Sue plays on the 24th, before her tip
    await settle(sue)
    await days.until(at(date(2026, 11, 25), "20:00", zone))

    sues = days.tips[sue.id]
    assert len(sues) == 3 and days.reminders.get(sue.id, []) == []
    assert ["Your streak" in text for text in sues] == [True, False, True]
    toms = days.tips[tom.id]
    assert len(toms) == 2 and not any("Your streak" in text for text in toms)
    assert [local(m, zone).strftime("%H:%M") for m in days.reminders[tom.id]] == ["08:00"] * 2
    tip = labels(sent_with(bot, sue, DAILY)[0])
    assert "🔕 No more reminders" in tip and "Another tip ▶" in tip


# -- privacy and restarts --------------------------------------------------------------


async def test_mydata_shows_the_reminder_and_forget_deletes_it(bot: Running, clock: Clock) -> None:
    """Only what the reminder needs is kept (usual time, last day, copies of the person's
    zone and daily-tip time), shown by /mydata, deleted by turning it off or by /forget."""
    zone = "Asia/Manila"
    kai = await started(bot, "Kai")
    await place(bot, kai, zone)
    await answered(bot, kai, at(date(2026, 11, 22), "17:00", zone))
    await turn_on(kai)
    await settle(kai)
    kai.send("/mydata")
    await kai.receive()
    document = await kai.receive()
    data = json.loads(bot.emulator.files[document.raw["document"]["file_id"]])
    assert data["tables"]["reminders"] == [
        {"user_id": kai.id, "usual": "17:00", "last_day": None, "time_zone": zone,
         "tip_time": None}
    ]  # fmt: skip
    kai.send("/forget")
    confirm = await kai.receive()
    await kai.press(confirm, "Yes, delete it all")
    await kai.receive_edit()
    store = rt(bot).store
    assert store is not None and await store.reminder(kai.id) is None


async def test_reminder_slots_are_rebuilt_from_the_database_at_start(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    """One job per (zone, time) slot, however many people share it, made again at start."""
    zone = "Asia/Manila"
    for name in ("A", "B", "C"):
        person = await started(bot, name)
        await place(bot, person, zone)
        await answered(bot, person, at(date(2026, 11, 22), "19:40", zone))
        await turn_on(person)
    app = bot.app
    assert app.updater is not None and app.post_stop and app.post_shutdown
    await app.updater.stop()
    await app.stop()
    await app.post_stop(app)
    await app.shutdown()
    await app.post_shutdown(app)
    second = build_application(bot.settings, shipped_content, clock=clock,
                               base_url=bot.server.api_url)  # fmt: skip
    async with polling(second, poll_timeout=1):
        job_queue = second.job_queue
        assert job_queue is not None
        reminders = runtime_of(second).reminders
        assert reminders is not None
        await asyncio.wait_for(reminders.caught_up.wait(), 10)  # its slots' jobs are made
        jobs = [j.name for j in job_queue.jobs() if j.name and j.name.startswith("reminder ")]
        assert jobs == [f"reminder 19:45 {zone}"]
        await asyncio.sleep(0)


# -- every text fits -------------------------------------------------------------------


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_every_streak_and_reminder_message_fits(language: str) -> None:
    """The reminder, a tip carrying it, the /progress line and the /settings lines are
    messages Telegram accepts in every language; the toasts are short and plain."""
    from clicksbot.render import Reply
    from clicksbot.render.daily import settings_message
    from clicksbot.store import User

    t = CATALOGS.get(language)
    now = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    for current in (0, 1, 2, 5, 9999):
        stats = Stats(1, {}, current, 9999, (), 2, date(2026, 12, 31))
        for reply in (
            render.reminder_message(t, stats),
            render.with_reminder(t, Reply("x" * 3000), stats),
        ):
            rules.check_message_text(reply.text, "HTML", None)
            assert reply.keyboard is not None
            rules.check_reply_markup(reply.keyboard.to_dict())
        rules.check_message_text(render.freezes_line(t, stats), "HTML", None)
    user = User(1, language, True, now, now, "Asia/Jakarta", "ID", "23:45")
    for view in (
        ReminderView(False),
        ReminderView(True, "19:45", "19:45"),
        ReminderView(True, "18:00", "18:00", with_tip=True),
        ReminderView(True, "22:30", None),
    ):
        reply = settings_message(t, user, "Asia/Jakarta", now, view)
        rules.check_message_text(reply.text, "HTML", None)
        assert reply.keyboard is not None
        rules.check_reply_markup(reply.keyboard.to_dict())
    for key in ("reminder.on_short", "reminder.off_short"):
        assert len(t(key)) <= 200 and "<" not in t(key), (language, key)


async def test_privacy_explains_streak_freezes_and_the_reminder(bot: Running) -> None:
    """/privacy says that freezes keep nothing new, and what the reminder keeps and when it is
    deleted."""
    kai = await started(bot, "Kai")
    kai.send("/privacy")
    text = (await kai.receive()).text
    assert "Streaks and reminders" in text
    assert "your usual time" in text and "turning it off deletes both" in text

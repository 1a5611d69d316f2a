"""Times and places as people say them: a group's daily time with a city, a country or a UTC
offset (and a "did you mean" when the words may mean several zones); moderators schedule in
their own time zone (asked once), by buttons (a day, an hour, the minutes) or typed words."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from conftest import Clock, Running, started

from clicksbot.app import runtime_of
from clicksbot.sandbox import BotMessage, Person
from clicksbot.sandbox.emulator import ChatState
from clicksbot.services import places, when
from clicksbot.store import Store

LANGUAGES = ("en", "ms", "id", "fil", "th", "vi", "km", "ru", "kk", "uz", "pt", "sr", "ar")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday: 13:00 in Almaty, 16:00 in Manila


def store_of(bot: Running) -> Store:
    store = runtime_of(bot.app).store
    assert store is not None
    return store


def make_admin(bot: Running, person: Person) -> None:
    object.__setattr__(bot.settings, "admins", frozenset({person.id}))


# -- the words, without Telegram ----------------------------------------------------------
# -- a group's daily time -----------------------------------------------------------------


async def group_of(bot: Running) -> tuple[Person, Person, ChatState]:
    teacher, kid = bot.emulator.person("Teacher"), bot.emulator.person("Kid")
    make_admin(bot, teacher)
    return teacher, kid, bot.emulator.group("Class", teacher, kid)


async def daily(teacher: Person, chat: ChatState, words: str) -> BotMessage:
    teacher.send(f"/groupdaily {words}", chat)
    return await teacher.receive_in(chat)


def next_run(bot: Running, chat: ChatState) -> datetime:
    assert bot.app.job_queue is not None
    jobs = [
        j for j in bot.app.job_queue.get_jobs_by_name(f"group daily {chat.id}") if not j.removed
    ]
    assert len(jobs) == 1 and jobs[0].next_t is not None
    return jobs[0].next_t


async def test_groupdaily_understands_cities_countries_and_offsets(bot: Running) -> None:
    """`/groupdaily 07:30 Almaty` and its kin: a city, a country, a time said with pm, a UTC
    offset; the group's zone is said back by name and the daily job runs at that local time."""
    teacher, _, chat = await group_of(bot)
    assert "Every day at 07:30 (Almaty)" in (await daily(teacher, chat, "07:30 Almaty")).text
    assert next_run(bot, chat).astimezone(ZoneInfo("Asia/Almaty")).time() == time(7, 30)
    said = await daily(teacher, chat, "7:30 pm Kazakhstan")
    assert "Every day at 19:30 (Almaty)" in said.text
    assert "(Kuala Lumpur)" in (await daily(teacher, chat, "8.00 Malaysia")).text
    assert "(Manila)" in (await daily(teacher, chat, "08:00 Manila")).text
    assert "(Tashkent)" in (await daily(teacher, chat, "06:15 Tashkent")).text
    assert "Every day at 06:45 (UTC+5)" in (await daily(teacher, chat, "06:45 UTC+5")).text
    run = next_run(bot, chat)
    assert run.astimezone(ZoneInfo("Etc/GMT-5")).time() == time(6, 45)
    settings = await store_of(bot).group_settings(chat.id)
    assert settings is not None and settings.time_zone == "Etc/GMT-5"


async def test_groupdaily_asks_which_zone_when_the_words_may_mean_several(bot: Running) -> None:
    """Indonesia has three times: the admins get them as buttons (a member's press is
    refused); a misspelt city is a "did you mean"; an unknown place is said and how to name
    one."""
    teacher, kid, chat = await group_of(bot)
    which = await daily(teacher, chat, "07:30 Indonesia")
    assert "Which “Indonesia” do you mean?" in which.text
    assert [b.split(" · ")[0] for b in which.button_texts] == ["Jakarta", "Makassar", "Jayapura"]
    assert "Only the group's admins" in (await kid.press(which, "Makassar"))["text"]
    assert await store_of(bot).group_settings(chat.id) is None
    await teacher.press(which, "Makassar")
    assert "Every day at 07:30 (Makassar)" in (await teacher.receive_in(chat)).text
    assert next_run(bot, chat).astimezone(ZoneInfo("Asia/Makassar")).time() == time(7, 30)
    guess = await daily(teacher, chat, "09:00 Almatty")
    assert [b.split(" · ")[0] for b in guess.button_texts] == ["Almaty"]
    unknown = await daily(teacher, chat, "09:00 Narnia")
    assert "I don't know “Narnia”" in unknown.text and "UTC+5" in unknown.text
    usage = await daily(teacher, chat, "soon")
    assert "/groupdaily 07:30 Almaty" in usage.text and "if not Makassar" in usage.text


async def test_groupdaily_without_a_place_takes_the_admins_own_zone(bot: Running) -> None:
    """A group's first daily time without a place is in the time zone its admin chose for
    themselves; after that, in the group's."""
    teacher, _, chat = await group_of(bot)
    teacher.send("/start")
    await teacher.receive()
    await store_of(bot).set_place(teacher.id, "KZ", "Asia/Almaty")
    assert "Every day at 07:00 (Almaty)" in (await daily(teacher, chat, "07:00")).text
    await store_of(bot).set_place(teacher.id, "PH", "Asia/Manila")
    assert "Every day at 08:00 (Almaty)" in (await daily(teacher, chat, "08:00")).text


# -- a moderator's scheduling -------------------------------------------------------------


async def compose_for_everyone(mod: Person, text: str) -> BotMessage:
    """/broadcast up to the send-now-or-later question."""
    mod.send("/broadcast")
    await mod.receive()
    mod.send(text)
    await mod.press(await mod.receive(), "No button")
    for _ in range(5):
        message = await mod.receive()
        if "Who should get it?" in message.text:
            await mod.press(message, "Everyone")
            return await mod.receive()
    raise AssertionError("no audience picker")


async def test_a_moderator_is_asked_their_zone_once_then_schedules_by_buttons_or_words(
    bot: Running, clock: Clock
) -> None:
    """A moderator with no time zone is asked for it at their first "send later" (typed;
    a near miss offered as a button); then a day, an hour and the minutes by buttons, in
    that zone. The next time they are not asked again, and type "Friday 18:30", or a day
    alone and then its time."""
    mod = await started(bot, "Aigerim")
    make_admin(bot, mod)
    confirm = await compose_for_everyone(mod, "Parents' meeting")
    await mod.press(confirm, "Send later")
    asked = await mod.receive_edit()
    assert "Which time zone do you work in?" in asked.text and asked.button_texts == ["Keep UTC"]
    mod.send("Almatty")
    guess = await mod.receive()
    assert guess.button_texts == ["Almaty · 1:00\u202fPM", "Keep UTC"]
    await mod.press(guess, "Almaty")
    days = await mod.receive_edit()
    assert "Your time zone: Almaty (it's 1:00\u202fPM there now)" in days.text
    assert days.button_texts[:3] == ["Today", "Tomorrow", "Wed, Nov 25"]
    await mod.press(days, "Tomorrow")
    hours = await mod.receive_edit()
    assert "Tomorrow: at what time?" in hours.text and len(hours.button_texts) == 25
    await mod.press(hours, "7:00\u202fAM")
    minutes = await mod.receive_edit()
    assert minutes.button_texts[:3] == ["7:00\u202fAM", "7:05\u202fAM", "7:10\u202fAM"]
    await mod.press(minutes, "7:35\u202fAM")
    scheduled = await mod.receive_edit()
    assert "Broadcast #1 will go out on Nov 24, 2026, 7:35:00\u202fAM (Almaty)" in scheduled.text
    user = await store_of(bot).get_user(mod.id)
    assert user is not None and user.time_zone == "Asia/Almaty"

    await mod.press(await compose_for_everyone(mod, "Exam week"), "Send later")
    days = await mod.receive_edit()
    assert "Your time zone: Almaty" in days.text  # not asked again
    await mod.press(days, "Today")
    hours = await mod.receive_edit()
    assert hours.button_texts[0] == "1:00\u202fPM"  # only the hours still to come today
    mod.send("Friday 18:30")
    assert "#2 will go out on Nov 27, 2026, 6:30:00\u202fPM (Almaty)" in (await mod.receive()).text

    await mod.press(await compose_for_everyone(mod, "Holiday"), "Send later")
    await mod.receive_edit()
    mod.send("yesterday 8:00")
    assert "could not read that as a time still to come" in (await mod.receive()).text
    mod.send("2026-12-01")  # a day alone: its time next
    assert "Dec 1: at what time?" in (await mod.receive()).text
    mod.send("9:05")
    assert "#3 will go out on Dec 1, 2026, 9:05:00\u202fAM" in (await mod.receive()).text
    sends = [b.send_at for b in await store_of(bot).scheduled_broadcasts()]
    assert sends == [
        datetime(2026, 11, 24, 2, 35, tzinfo=UTC),
        datetime(2026, 11, 27, 13, 30, tzinfo=UTC),
        datetime(2026, 12, 1, 4, 5, tzinfo=UTC),
    ]


async def test_a_moderator_may_keep_the_default_zone_and_is_not_asked_again(bot: Running) -> None:
    mod = await started(bot, "Mod")
    make_admin(bot, mod)
    await mod.press(await compose_for_everyone(mod, "One"), "Send later")
    await mod.press(await mod.receive_edit(), "Keep UTC")
    assert "Your time zone: UTC" in (await mod.receive_edit()).text
    await mod.press(await compose_for_everyone(mod, "Two"), "Send later")
    assert "Pick a day" in (await mod.receive_edit()).text


async def test_a_campaign_starts_in_the_moderators_zone_to_the_minute(bot: Running) -> None:
    """A moderator who set their zone in /settings (Manila) is not asked for it: the new
    campaign's times are Manila's, and 7:35 is 7:35."""
    mod = await started(bot, "Maria")
    make_admin(bot, mod)
    mod.send("/settings")
    await mod.press(await mod.receive(), "Time zone")
    await mod.press(await mod.receive_edit(), "Philippines")
    assert "Time zone: Manila" in (await mod.receive_edit()).text
    mod.send("/newcampaign")
    await mod.receive()
    mod.send("Check before you share")
    await mod.press(await mod.receive(), "Check the source")
    await mod.press(await mod.receive(), "Everyone")
    days = await mod.receive_edit()
    assert "Your time zone: Manila" in days.text
    mod.send("tomorrow 7:35")
    assert "First step: Nov 24, 2026, 7:35:00\u202fAM (Manila)" in (await mod.receive()).text
    await mod.press(await mod.receive(), "Every day")
    for _ in range(5):
        summary = await mod.receive()
        if "Activate" in " ".join(summary.button_texts):
            break
    assert "First step: Nov 24, 2026, 7:35:00\u202fAM (Manila)" in summary.text
    await mod.press(summary, "Activate")
    await mod.receive_edit()
    campaign = await store_of(bot).campaign(1)
    assert campaign is not None
    assert (campaign.send_time, campaign.time_zone, campaign.start_day) == (
        "07:35",
        "Asia/Manila",
        date(2026, 11, 24),
    )


# -- every new message fits Telegram, in every language -----------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_scheduling_messages_fit_telegram(language: str) -> None:
    """The zone question and its choices, the day, hour and minute pickers, and a group's
    zone choices are messages Telegram accepts, in every interface language; the toast of a
    past time is a plain short text."""
    from clicksbot.botapi import rules
    from clicksbot.i18n import Catalogs
    from clicksbot.render import Reply, scheduling

    t = Catalogs.load().get(language)

    def check(reply: Reply) -> None:
        rules.check_message_text(reply.text, "HTML", None)
        assert reply.keyboard is not None
        rules.check_reply_markup(reply.keyboard.to_dict())

    far = ["America/Argentina/ComodRivadavia", "Asia/Ust-Nera", "Pacific/Kiritimati"]
    check(scheduling.zone_question(t, "Etc/UTC"))
    check(scheduling.zone_choices(t, "W" * 60, (*far, "Asia/Almaty", "Etc/GMT-5"), "UTC", NOW))
    check(scheduling.zone_choices(t, "W" * 60, (), "UTC", NOW))
    head = scheduling.zone_saved(t, "Asia/Ust-Nera", NOW)
    check(scheduling.day_picker(t, "Asia/Ust-Nera", NOW, head=head))
    for zone in ("Asia/Almaty", "Pacific/Kiritimati", "Etc/GMT+12"):
        for day in when.days_offered(NOW, zone)[:2]:
            if when.hours_left(day, NOW, zone):
                check(scheduling.hour_picker(t, day, zone, NOW))
                check(
                    scheduling.minute_picker(t, day, when.hours_left(day, NOW, zone)[-1], zone, NOW)
                )
    for key in ("when.past", "group.admins_only"):
        assert len(t(key)) <= 200 and "<" not in t(key)
    place = "W" * 40
    for text in (
        t("group.daily_which", place=place),
        t("group.daily_unknown_place", place=place),
        t("group.daily_usage", zone=place),
    ):
        rules.check_message_text(text, "HTML", None)


def test_every_zone_fits_in_a_button() -> None:
    """Whichever zone words may mean, its button's data fits Telegram's 64 bytes."""
    from clicksbot.render import callbacks as cb

    for zone in places._zone_countries() | {"Etc/GMT-14", "Etc/GMT+12", "Etc/UTC"}:
        assert cb.decode(cb.encode("gz", "23:59", zone)).args == ("23:59", zone)
        assert cb.decode(cb.encode("mz", zone)).args == (zone,)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_examples_in_every_language_are_understood(language: str) -> None:
    """What the texts show people to type is what the bot reads: the days and times of the
    scheduling questions, the places of the time-zone question and of /groupdaily."""
    import re

    from clicksbot.i18n import Catalogs

    t = Catalogs.load().get(language)
    for key in ("when.ask_day", "when.bad"):
        examples = re.findall(r"<code>(.*?)</code>", t(key, zone="z", now="n"))
        assert len(examples) == 3, (language, key)
        for example in examples:
            assert when.parse_moment(example, "Asia/Almaty", NOW, language), (language, example)
    for example in re.findall(r"<i>(.*?)</i>", t("when.ask_zone", zone="z")):
        assert places.find_zone(example, LANGUAGES, NOW).zone, (language, example)
    usage = t("group.daily_usage", zone="z") + " " + t("group.daily_unknown_place", place="p")
    commands = re.findall(r"/groupdaily (\d{1,2}[:.]\d{2}) ([^/]+)", usage)
    assert len(commands) >= 4, (language, usage)
    for clock, after in commands:
        assert when.parse_clock(clock) is not None, (language, clock)
        words = [w.strip(",،.។") for w in after.split()]  # the place, then "or", "and", …
        named = [places.find_zone(" ".join(words[:n]), LANGUAGES, NOW).zone for n in (1, 2)]
        assert any(named), (language, after)

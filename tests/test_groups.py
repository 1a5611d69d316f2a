"""The bot in group chats: a quiz answered once by each, the opt-in leaderboard, the daily
post, the teacher's figures, the group message limit, and silence on ordinary chatter."""

from __future__ import annotations

import asyncio
import time as walltime
from datetime import time
from zoneinfo import ZoneInfo

from conftest import Running

from clicksbot.app import runtime_of
from clicksbot.delivery.limiter import Pacer
from clicksbot.sandbox import BotMessage, Person


def started(bot: Running, name: str) -> Person:
    return bot.emulator.person(name)


async def group_quiz(bot: Running, asker: Person, chat: object) -> BotMessage:
    asker.send("/quiz", chat)  # type: ignore[arg-type]
    return await asker.receive_in(chat)  # type: ignore[arg-type]


async def test_a_group_quiz_is_answered_once_by_each_member(bot: Running) -> None:
    ana, ben, cai = started(bot, "Ana"), started(bot, "Ben"), started(bot, "Cai")
    chat = bot.emulator.group("Class 9B", ana, ben, cai)
    posted = await group_quiz(bot, ana, chat)
    assert "Everyone can answer once" in posted.text
    row = posted.buttons[0][0]["callback_data"].split("|")[2]
    store = runtime_of(bot.app).store
    assert store is not None
    found = await store.group_question(int(row))
    assert found is not None
    question = bot_content(bot).question(found[1])
    assert question is not None
    for person, choice in ((ana, question.answer), (ben, 0), (cai, 1)):
        answer = await person.press(posted, choice)
        assert answer["show_alert"] and len(answer["text"]) <= 200
    # Pressed again: nothing recorded twice; a long explanation opens in the private chat.
    again = await ben.press(posted, question.answer)
    assert "already" in (again["text"] or "") or "?start=ex_g" in (again["url"] or "")
    figures = await store.group_figures(chat.id)
    assert (figures.players, figures.answers) == (3, 3)


def bot_content(bot: Running):  # type: ignore[no-untyped-def]
    return runtime_of(bot.app).content


async def test_the_leaderboard_shows_only_those_who_chose_to_appear(bot: Running) -> None:
    ana, ben = started(bot, "Ana"), started(bot, "Ben <b>")
    chat = bot.emulator.group("Club", ana, ben)
    posted = await group_quiz(bot, ana, chat)
    row = posted.buttons[0][0]["callback_data"].split("|")[2]
    store = runtime_of(bot.app).store
    assert store is not None
    found = await store.group_question(int(row))
    assert found is not None
    question = bot_content(bot).question(found[1])
    await ana.press(posted, question.answer)
    await ben.press(posted, question.answer)
    ana.send("/top", chat)
    board = await ana.receive_in(chat)
    assert "Ana" not in board.text and "Ben" not in board.text
    assert "2 more people played" in board.text
    ben.send("/top join", chat)
    assert "is on this group's leaderboard" in (await ben.receive_in(chat)).text
    ana.send("/top", chat)
    board = await ana.receive_in(chat)
    assert "Ben &lt;b&gt;: 1" in board.raw["text"] or "Ben <b>: 1" in board.text
    assert "Ana" not in board.text and "1 more person played" in board.text


async def test_a_group_daily_post_at_its_time(bot: Running) -> None:
    admin, kid = started(bot, "Teacher"), started(bot, "Kid")
    chat = bot.emulator.group("Class", admin, kid)
    object.__setattr__(bot.settings, "admins", frozenset({admin.id}))
    kid.send("/groupdaily 08:00", chat)
    assert "Only the group's admins" in (await kid.receive_in(chat)).text
    admin.send("/groupdaily 07:30 Asia/Manila", chat)
    assert "Every day at 07:30" in (await admin.receive_in(chat)).text
    job_queue = bot.app.job_queue
    assert job_queue is not None
    (job,) = job_queue.get_jobs_by_name(f"group daily {chat.id}")
    assert job.next_t is not None
    assert job.next_t.astimezone(ZoneInfo("Asia/Manila")).time() == time(7, 30)
    await job.run(bot.app)  # what the scheduler does at 07:30
    tip = await admin.receive_in(chat)
    quiz = await admin.receive_in(chat)
    assert "Your daily tip" in tip.text and "Everyone can answer once" in quiz.text
    admin.send("/groupdaily off", chat)
    await admin.receive_in(chat)
    assert job_queue.get_jobs_by_name(f"group daily {chat.id}") == [] or all(
        j.removed for j in job_queue.get_jobs_by_name(f"group daily {chat.id}")
    )


async def test_class_figures_for_a_moderator_only(bot: Running) -> None:
    teacher, kid = started(bot, "Teacher"), started(bot, "Kid")
    others = [started(bot, f"Pupil{i}") for i in range(4)]  # five answer: figures can show
    chat = bot.emulator.group("Class", teacher, kid, *others)
    posted = await group_quiz(bot, kid, chat)
    for member in (kid, *others):
        await member.press(posted, 0)
    kid.send("/classstats", chat)
    await kid.expect_silence(0.3)  # not a moderator: nothing, and nothing learned
    store = runtime_of(bot.app).store
    assert store is not None
    from datetime import UTC, datetime

    await store.add_moderator(teacher.id, 42, datetime.now(UTC))
    teacher.send("/classstats", chat)
    figures = await teacher.receive_in(chat)
    assert "People who answered: 5" in figures.text and "Kid" not in figures.text


async def test_no_reply_to_ordinary_chatter_and_a_burst_stays_within_the_group_limit(
    bot: Running,
) -> None:
    members = [started(bot, f"M{i}") for i in range(5)]
    chat = bot.emulator.group("Noisy", *members)
    for member in members:
        member.send("hello everyone, what's for homework?", chat)
    await members[0].expect_silence(0.4)
    for i in range(20):  # the group's whole minute at once
        members[i % 5].send("/top", chat)
    board = await members[0].receive_in(chat)
    assert "Leaderboard" in board.text or "leaderboard" in board.text
    await members[0].expect_silence(1.0)  # the same board is right above: not 19 more
    # (the fixture checks that the emulator, strict about 20 a minute, refused nothing)


async def test_the_pacer_holds_group_messages_over_the_limit() -> None:
    pacer = Pacer(rate=0, group_limit=3, group_window=0.4)
    sent: list[float] = []

    async def send() -> bool:
        sent.append(walltime.monotonic())
        return True

    began = walltime.monotonic()
    await asyncio.gather(
        *(pacer.process_request(send, (), {}, "sendMessage", {"chat_id": -5}, None)
          for _ in range(5))
    )  # fmt: skip
    assert sent[2] - began < 0.1 and sent[3] - began >= 0.39
    await pacer.process_request(send, (), {}, "sendMessage", {"chat_id": 7}, None)
    assert len(sent) == 6


async def test_the_bot_says_once_what_it_does_when_added_to_a_group(bot: Running) -> None:
    teacher = started(bot, "Teacher")
    chat = bot.emulator.group("Class 9C", teacher)
    teacher.add_bot_to(chat)
    welcome = await teacher.receive_in(chat)
    assert "/quiz" in welcome.text and "/top join" in welcome.text
    await teacher.expect_silence(0.2)

"""Whole classes at once, at Telegram's real limits: everyone who writes gets their reply, a
quick tapper gets every answer, and a group rush holds up nobody else.

These tests use the emulator's real limits (a short burst per private chat, then about one
message a second; 20 a minute per group; about 30 a second overall) and the bot's real settings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TOKEN, Running

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Secret, Settings
from clicksbot.content import Content
from clicksbot.render import callbacks as cb
from clicksbot.sandbox import BotMessage, EmulatorServer, Limits, Person

# Also on the loop `clicksbot run` takes (uvloop's): tests/conftest.py, both_loops.
pytestmark = pytest.mark.both_loops


@pytest.fixture
def limits() -> Limits:
    return Limits()  # Telegram's, with no extra room for machine-speed tapping


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The defaults a real deployment has: flood control and send rate included.
    return Settings(token=Secret(TOKEN), database=tmp_path / "clicksbot.sqlite3",
                    admins=frozenset({42}))  # fmt: skip


@pytest.fixture
async def bot(
    server: EmulatorServer, settings: Settings, shipped_content: Content
) -> AsyncIterator[Running]:
    app = build_application(settings, shipped_content, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        yield Running(app, server.emulator, server, settings)
    refused = [(c.method, c.error.description if c.error else "") for c in server.emulator.refused]
    assert refused == [], f"Telegram would have refused: {refused}"


def shown(message: dict[str, object]) -> str:
    """The words of a message: its text, or a photo's caption (a question with a picture)."""
    return str(message.get("text") or message.get("caption") or "")


async def replies(person: Person, count: int, timeout: float) -> list[str]:
    got = []
    for _ in range(count):
        got.append((await person.receive(timeout)).text)
    return got


async def test_sixty_people_starting_at_once_are_all_greeted(bot: Running) -> None:
    people = [bot.emulator.person(f"Pupil {i}") for i in range(60)]
    began = time.monotonic()
    for person in people:
        person.send("/start")
    greetings = await asyncio.gather(*(p.receive(timeout=15) for p in people))
    assert all("Pupil" in g.text for g in greetings)
    elapsed = time.monotonic() - began
    # 60 messages at about 30 a second (with Telegram's short burst): a few seconds at most.
    assert elapsed < 4, f"the last greeting came after {elapsed:.1f}s"
    throttled = [c for c in bot.emulator.calls if c.error and c.error.error_code == 429]
    assert len(throttled) <= 5, "the bot should pace itself, not lean on Telegram's 429s"


async def test_ten_quick_commands_are_all_answered_in_order(bot: Running) -> None:
    tapper = bot.emulator.person("Quick")
    tapper.send("/start")
    await tapper.receive()
    commands = ["/tip", "/help", "/progress", "/privacy", "/language", "/tip", "/help",
                "/settings", "/pact", "/invite"]  # fmt: skip
    for command in commands:
        tapper.send(command)
    got = await replies(tapper, len(commands), timeout=20)
    assert len(got) == len(commands)
    await tapper.expect_silence(0.5)


async def test_a_reply_that_meets_429_waits_and_goes_again(bot: Running) -> None:
    person = bot.emulator.person("Rosa")
    person.send("/start")
    await person.receive()
    bot.emulator.fail("sendMessage", 429, retry_after=1, times=2, chat_id=person.id)
    began = time.monotonic()
    person.send("/help")
    reply = await person.receive(timeout=10)
    assert "/tip" in reply.text
    assert time.monotonic() - began >= 2  # it waited what Telegram asked, twice


async def test_a_private_reply_is_quick_during_a_group_rush(bot: Running) -> None:
    members = [bot.emulator.person(f"Member {i}") for i in range(30)]
    chat = bot.emulator.group("Class 10A", *members)
    outsider = bot.emulator.person("Outsider")
    outsider.send("/start")
    await outsider.receive()
    for member in members:
        member.send("/quiz", chat)
    for member in members:
        member.send("/top", chat)
    await asyncio.sleep(0.3)  # the rush is under way
    began = time.monotonic()
    outsider.send("/tip")
    await outsider.receive(timeout=10)
    assert time.monotonic() - began < 2
    # The group got its quiz, collapsed: not 30 questions and 30 leaderboards.
    await asyncio.sleep(1.5)
    posted = [m for m in chat.messages.values() if m["from"]["id"] == bot.emulator.bot_id]
    assert 1 <= len(posted) <= 4
    assert any("Everyone can answer once" in shown(m) for m in posted)
    runtime = runtime_of(bot.app)
    assert runtime.store is not None


async def test_a_class_answering_a_group_quiz_sees_one_tally_not_a_message_each(
    bot: Running,
) -> None:
    members = [bot.emulator.person(f"Kid {i}") for i in range(12)]
    chat = bot.emulator.group("Class 7C", *members)
    members[0].send("/quiz", chat)
    question = await members[0].receive_in(chat)
    members[1].send("/quiz", chat)  # a second /quiz right after: the question is right above
    answers = await asyncio.gather(*(m.press(question, i % 2) for i, m in enumerate(members)))
    assert all(a["show_alert"] for a in answers)  # each learns privately, at once
    # Answers are gathered for a few seconds, then shown once.
    for _ in range(150):
        if "Answers so far: 12" in shown(chat.messages[question.id]):
            break
        await asyncio.sleep(0.1)
    assert "Answers so far: 12" in shown(chat.messages[question.id])
    posted = [m for m in chat.messages.values() if m["from"]["id"] == bot.emulator.bot_id]
    assert len(posted) == 1  # no second question, no message per answer
    edits = [c for c in bot.emulator.sent("editMessageText") if c.params["chat_id"] == chat.id]
    assert len(edits) <= 2


async def test_a_press_counts_only_on_the_message_of_its_own_question(bot: Running) -> None:
    kid = bot.emulator.person("Kid")
    chat = bot.emulator.group("Class 8D", kid)
    kid.send("/quiz", chat)
    shown = await kid.receive_in(chat)
    store = runtime_of(bot.app).store
    assert store is not None
    other = await store.post_group_question(chat.id, "en-source-q01", "critical-thinking",
                                            datetime.now(UTC))  # fmt: skip
    await store.set_group_question_message(other, shown.id + 100)  # shown elsewhere
    forged = await kid.press_data(shown, cb.encode("gq", str(other), "0"))
    assert "older message" in forged["text"]
    assert (await store.group_figures(chat.id)).answers == 0
    real = await kid.press(shown, 0)  # the message's own button still counts
    assert real["show_alert"] and (await store.group_figures(chat.id)).answers == 1


async def test_a_class_far_from_telegram_pressing_at_once_is_answered_at_once(
    server: EmulatorServer, settings: Settings, shipped_content: Content
) -> None:
    """Sixty people press an answer within the same moment, and every call to Telegram takes
    a quarter of a second (a server far from Telegram's): every press is answered (the
    button's spinner stops) within a trip or two, though what the presses bring ("how sure
    are you?" in place of each question) goes out at Telegram's pace of about 30 a second."""
    trip = 0.25
    settings = dataclasses.replace(settings, checkup_offer=False)  # the question itself
    app = build_application(settings, shipped_content, base_url=server.api_url)
    emulator = server.emulator
    async with polling(app, poll_timeout=1):
        people = [emulator.person(f"Pupil {i}") for i in range(60)]
        for person in people:
            person.send("/quiz")
        topics = await asyncio.gather(*(p.receive(timeout=15) for p in people))
        await asyncio.gather(
            *(p.press(t, "Any topic", timeout=15) for p, t in zip(people, topics, strict=True))
        )
        questions = await asyncio.gather(*(p.receive(timeout=15) for p in people))
        await asyncio.sleep(2)  # each chat's short burst comes back, as between two questions
        emulator.fail(None, 0, delay=trip, times=10**6)  # every call slowed, none failed
        began = time.monotonic()

        async def press(person: Person, question: BotMessage) -> tuple[float, float]:
            await person.press(question, 0, timeout=15)
            answered = time.monotonic() - began
            await person.receive_edit(timeout=15)  # "how sure?", or a picture's options gone
            if question.raw.get("photo"):
                await person.receive(timeout=15)  # "how sure?", after the picture
            return answered, time.monotonic() - began

        took = await asyncio.gather(*(press(p, q) for p, q in zip(people, questions, strict=True)))
    answered = max(a for a, _ in took)
    shown = max(s for _, s in took)
    assert answered < 4 * trip, f"the last press was answered after {answered:.2f} s"
    paced = sum(2 if q.raw.get("photo") else 1 for q in questions)  # edits and messages
    assert shown < paced / 30 + 4 * trip, f"the last result came after {shown:.2f} s"
    refused = [(c.method, c.error.description if c.error else "") for c in emulator.refused]
    assert refused == []

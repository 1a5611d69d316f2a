"""The emulator over HTTP refuses what Telegram refuses, as PTB's own Bot meets it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from conftest import TOKEN
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from clicksbot.sandbox import Emulator, EmulatorServer, Limits, Person


@pytest.fixture
async def tg() -> AsyncIterator[tuple[Bot, Emulator]]:
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    async with EmulatorServer(emulator) as server:
        bot = Bot(TOKEN, base_url=server.api_url)
        async with bot:
            yield bot, emulator


def frozen() -> float:
    """A moment that does not pass, so flood buckets do not refill during a test."""
    return 0.0


def started(emulator: Emulator, name: str = "Alice") -> Person:
    person = emulator.person(name)
    person.send("/start")
    return person


async def test_get_me_and_a_wrong_token() -> None:
    """getMe answers as the bot; a token the server does not know is 401 Unauthorized."""
    async with EmulatorServer(Emulator(token=TOKEN)) as server:
        async with Bot(TOKEN, base_url=server.api_url) as bot:
            assert bot.username == "clicksbot_sandbox_bot"
        with pytest.raises(InvalidToken):
            async with Bot("999:wrong", base_url=server.api_url):
                pass


async def test_text_length_counts_after_entity_parsing(tg: tuple[Bot, Emulator]) -> None:
    """4096 characters pass (even wrapped in tags); 4097 are refused; empty text is refused."""
    bot, emulator = tg
    alice = started(emulator)
    await bot.send_message(alice.id, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    with pytest.raises(BadRequest, match="(?i)text is empty"):
        await bot.send_message(alice.id, "<b> </b>", parse_mode=ParseMode.HTML)


async def test_html_must_be_telegram_html(tg: tuple[Bot, Emulator]) -> None:
    """Unknown tags, unclosed tags and a bare & are refused; allowed tags become entities."""
    bot, emulator = tg
    alice = started(emulator)
    for bad in ("<p>hi</p>", "<b>open", "fish & chips", "1 < 2 <", "<a>no href</a>"):
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await bot.send_message(alice.id, bad, parse_mode=ParseMode.HTML)
    message = await bot.send_message(
        alice.id, '<b>bold</b> &amp; <a href="https://unesco.org">link</a>', parse_mode="HTML"
    )
    assert message.text == "bold & link"
    assert [e.type for e in message.entities] == ["bold", "text_link"]


async def test_callback_data_is_at_most_64_bytes(tg: tuple[Bot, Emulator]) -> None:
    """A button payload of 64 bytes passes; 65 bytes (or 33 two-byte letters) is refused."""
    bot, emulator = tg
    alice = started(emulator)

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data=data)]])

    await bot.send_message(alice.id, "ok", reply_markup=keyboard("x" * 64))
    for data in ("x" * 65, "é" * 33):
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(alice.id, "too long", reply_markup=keyboard(data))


async def test_poll_limits(tg: tuple[Bot, Emulator]) -> None:
    """Quiz polls: 2–12 options of ≤100 characters, a 300-character question, short explanation."""
    bot, emulator = tg
    alice = started(emulator)
    message = await bot.send_poll(
        alice.id,
        "q" * 300,
        ["a", "b"],
        type="quiz",
        correct_option_ids=[1],
        explanation="because",
        is_anonymous=False,
    )
    assert message.poll is not None and message.poll.correct_option_ids == (1,)
    assert message.poll.options[0].persistent_id
    bad_polls = [
        ("q" * 301, ["a", "b"], {}),
        ("q", ["a"], {}),
        ("q", [str(i) for i in range(13)], {}),
        ("q", ["a" * 101, "b"], {}),
        ("q", ["a", "b"], {"explanation": "e" * 201}),
        ("q", ["a", "b"], {"explanation": "1\n2\n3\n4"}),
    ]
    for question, options, extra in bad_polls:
        with pytest.raises(BadRequest):
            await bot.send_poll(
                alice.id, question, options, type="quiz", correct_option_ids=[0], **extra
            )


async def test_poll_answers_reach_the_bot_with_persistent_ids(tg: tuple[Bot, Emulator]) -> None:
    """A person's vote arrives as a poll_answer PTB can parse."""
    bot, emulator = tg
    alice = started(emulator)
    await bot.get_updates()  # the /start
    sent = await bot.send_poll(
        alice.id,
        "Is it true?",
        ["yes", "no"],
        type="quiz",
        correct_option_ids=[1],
        is_anonymous=False,
    )
    await alice.receive()
    alice.vote(alice.messages[-1], 1)
    updates = await bot.get_updates(offset=2)
    answer = updates[-1].poll_answer
    assert answer is not None and answer.option_ids == (1,)
    assert answer.poll_id == sent.poll.id  # type: ignore[union-attr]


async def test_blocked_and_deactivated_people(tg: tuple[Bot, Emulator]) -> None:
    """A person who blocked the bot, or deleted their account, cannot be sent to (403)."""
    bot, emulator = tg
    alice = started(emulator)
    bob = started(emulator, "Bob")
    stranger = emulator.person("Never started")
    alice.block()
    bob.deactivate()
    with pytest.raises(Forbidden, match="(?i)blocked by the user"):
        await bot.send_message(alice.id, "hi")
    with pytest.raises(Forbidden, match="(?i)deactivated"):
        await bot.send_message(bob.id, "hi")
    with pytest.raises(Forbidden, match="(?i)can't initiate"):
        await bot.send_message(stranger.id, "hi")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "hi")


async def test_flood_limits_answer_429_with_retry_after() -> None:
    """Past about one message a second in a chat (after a short burst), Telegram says 429."""
    emulator = Emulator(token=TOKEN, limits=Limits(per_chat_burst=3), clock=frozen)
    async with EmulatorServer(emulator) as server, Bot(TOKEN, base_url=server.api_url) as bot:
        alice = started(emulator)
        for _ in range(3):
            await bot.send_message(alice.id, "hi")
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(alice.id, "one too many")
        assert caught.value.retry_after.total_seconds() >= 1  # type: ignore[union-attr]


async def test_global_and_group_flood_limits() -> None:
    """About 30 messages a second overall, and 20 a minute in one group."""
    emulator = Emulator(token=TOKEN, limits=Limits(global_burst=30), clock=frozen)
    async with EmulatorServer(emulator) as server, Bot(TOKEN, base_url=server.api_url) as bot:
        people = [started(emulator, f"P{i}") for i in range(31)]
        for person in people[:30]:
            await bot.send_message(person.id, "tip")
        with pytest.raises(RetryAfter):
            await bot.send_message(people[30].id, "tip")
    emulator = Emulator(token=TOKEN, limits=Limits(global_burst=100), clock=frozen)
    async with EmulatorServer(emulator) as server, Bot(TOKEN, base_url=server.api_url) as bot:
        group = emulator.group("Class 9B", started(emulator))
        for _ in range(20):
            await bot.send_message(group.id, "quiz")
        with pytest.raises(RetryAfter):
            await bot.send_message(group.id, "quiz")


async def test_edits_follow_telegram_rules(tg: tuple[Bot, Emulator]) -> None:
    """Editing to the same content is 'not modified'; a missing message is 'not found'."""
    bot, emulator = tg
    alice = started(emulator)
    message = await bot.send_message(alice.id, "first")
    await bot.edit_message_text("second", alice.id, message.message_id)
    assert alice.messages[-1].text == "second"
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("second", alice.id, message.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", alice.id, 999)


async def test_commands_and_callback_answers(tg: tuple[Bot, Emulator]) -> None:
    """Command names are lowercase 1–32 characters; a callback answer text is ≤200 characters."""
    bot, emulator = tg
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Quiz", "Play")])
    await bot.set_my_commands([("quiz", "Play a quiz")])
    assert [c.command for c in await bot.get_my_commands()] == ["quiz"]
    alice = started(emulator)
    await bot.send_message(
        alice.id,
        "pick",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data="go")]]),
    )
    pressing = asyncio.create_task(alice.press(alice.messages[-1], "go"))
    await asyncio.sleep(0.05)
    updates = await bot.get_updates(offset=2)
    query = updates[-1].callback_query
    assert query is not None and query.data == "go"
    with pytest.raises(BadRequest, match="(?i)MESSAGE_TOO_LONG"):
        await query.answer("x" * 201)
    await query.answer("thanks")
    assert (await pressing)["text"] == "thanks"
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer("again")


async def test_injected_faults(tg: tuple[Bot, Emulator]) -> None:
    """A test can make calls fail: a 429 storm, server errors, then normal service."""
    bot, emulator = tg
    alice = started(emulator)
    emulator.fail("sendMessage", 429, retry_after=2, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter):
            await bot.send_message(alice.id, "hi")
    await bot.send_message(alice.id, "hi")
    assert emulator.refused == []  # injected faults are not the bot's mistakes


async def test_server_errors_and_timeouts_can_be_injected() -> None:
    """5xx answers and slow answers (timeouts) can be injected for any method."""
    from telegram.error import NetworkError, TimedOut
    from telegram.request import HTTPXRequest

    emulator = Emulator(token=TOKEN)
    async with EmulatorServer(emulator) as server:
        request = HTTPXRequest(read_timeout=0.2)
        async with Bot(TOKEN, base_url=server.api_url, request=request) as bot:
            alice = started(emulator)
            emulator.fail("sendMessage", 502)
            with pytest.raises(NetworkError):
                await bot.send_message(alice.id, "hi")
            emulator.fail("sendMessage", 0, delay=0.5)
            with pytest.raises(TimedOut):
                await bot.send_message(alice.id, "slow")
            await asyncio.sleep(0.5)  # let the slow call finish on the server side
            await bot.send_message(alice.id, "fine again")

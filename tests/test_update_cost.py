"""What handling an update costs was cut without changing what goes out or what people see."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from conftest import REPO, Running, started
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from clicksbot import app as bot_app
from clicksbot.content import Competency, load_content
from clicksbot.sandbox import BotMessage, Person
from clicksbot.transport import AiohttpRequest
from clicksbot.updates import IntakeBot


async def serving(
    handler: Callable[[web.Request], Awaitable[web.Response]], prefix: str = ""
) -> tuple[web.AppRunner, str]:
    """Start a local HTTP server answering every POST to `prefix/{method}` with `handler`;
    return it (to clean up) and its address."""
    server = web.Application()
    server.router.add_post(f"{prefix}/{{method}}", handler)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@asynccontextmanager
async def intake_bot(
    handler: Callable[[web.Request], Awaitable[web.Response]], **kwargs: Any
) -> AsyncIterator[IntakeBot]:
    """The bot's own Bot (IntakeBot) on aiohttp, its calls answered by `handler` (a stand-in
    for Telegram), for the block; `kwargs` go to the bot (its rate limiter)."""
    runner, address = await serving(handler, "/bot1:A")
    try:
        bot = IntakeBot("1:A", base_url=f"{address}/bot", request=AiohttpRequest(connections=2),
                        **kwargs)  # fmt: skip
        await bot._request[1].initialize()
        try:
            yield bot
        finally:
            await bot._request[1].shutdown()
    finally:
        await runner.cleanup()


async def test_a_call_goes_out_as_one_json_object_of_its_parameters() -> None:
    """The transport sends a call without a file as one JSON object (a form encoded each
    object to JSON and then every byte again; aiohttp's FormData also made a multipart writer
    with a random boundary for each call): what the server reads is the call's parameters,
    typed (the keyboard an object, the chat a number), with HTML, non-Latin text and emoji
    as they were."""
    received: list[tuple[str, bytes]] = []

    async def record(request: web.Request) -> web.Response:
        received.append((request.headers["Content-Type"], await request.read()))
        return web.json_response({"ok": True, "result": True})

    runner, base = await serving(record)
    url = f"{base}/sendMessage"
    keyboard = {"inline_keyboard": [[{"text": "A. Дезинформация", "callback_data": "ans:7:0"}]]}
    text = "<b>Вопрос</b> & ünïcode ✓ 🐢 a+b=c?\nline two"
    parameters = [
        RequestParameter.from_input("chat_id", 100001),
        RequestParameter.from_input("text", text),
        RequestParameter.from_input("parse_mode", "HTML"),
        RequestParameter.from_input("reply_markup", keyboard),
        RequestParameter.from_input("disable_notification", True),
    ]
    try:
        request = AiohttpRequest(connections=2)
        await request.initialize()
        try:
            await request.do_request(url, "POST", RequestData(parameters))
        finally:
            await request.shutdown()
    finally:
        await runner.cleanup()
    [(content_type, body)] = received
    assert content_type == "application/json"
    assert json.loads(body) == {
        "chat_id": 100001,
        "text": text,
        "parse_mode": "HTML",
        "reply_markup": keyboard,
        "disable_notification": True,
    }


def test_questions_of_a_language_and_topic_are_the_same_when_looked_up_again() -> None:
    """The questions of a language (and topic) are worked out once: asked again, in any
    combination, they are the same questions in the same pack order as a fresh scan."""
    content, _ = load_content(REPO / "quizzes")
    every = list(content.questions())
    for language in ("en", "ru", "ar", "xx", None):
        for competency in (None, *Competency):
            fresh = [
                q
                for q in every
                if (language is None or q.language == language)
                and (competency is None or q.competency == competency)
            ]
            assert list(content.questions(language, competency)) == fresh
            assert list(content.questions(language, competency)) == fresh  # from the index


async def test_start_up_objects_are_set_aside_from_collection_while_the_bot_runs(
    bot: Running, tmp_path: Path
) -> None:
    """Once the bot is ready, what start-up built is frozen out of the collector's full
    passes (they took ~100 ms and more each, mid-burst); a full pass then walks only what
    handling updates made, and the bot answers as ever."""
    assert gc.get_freeze_count() > 10_000
    alice = await started(bot, "Alice")
    alice.send("/quiz")
    assert (await alice.receive()).button_texts


async def test_the_collector_looks_at_young_objects_less_often_while_the_bot_runs(
    bot: Running,
) -> None:
    """While the bot runs, the collector walks the young generation once per 10,000 objects
    made and kept (an update makes hundreds that reference counting frees at once; at
    Python's 700 they were walked in flight, 1,240-1,340 passes in a benchmark's run), and
    the bot answers as ever; at shutdown the collector has its own pace back."""
    assert gc.get_threshold()[0] >= bot_app.YOUNG_OBJECTS
    alice = await started(bot, "Alice")
    alice.send("/quiz")
    assert (await alice.receive()).button_texts


def test_the_collector_has_its_own_pace_back_once_the_bot_stops() -> None:
    """Settling and unsettling memory, as start-up and shutdown do, leaves Python's own
    thresholds as they were (the test suite runs many bots in one process)."""
    before = gc.get_threshold()
    bot_app._settle_memory()
    try:
        assert gc.get_threshold() == (max(before[0], bot_app.YOUNG_OBJECTS), *before[1:])
    finally:
        bot_app._unsettle_memory()
    assert gc.get_threshold() == before


def test_a_keyboard_goes_out_as_ptb_would_send_it() -> None:
    """The bot turns an inline keyboard of text, links and payloads into the Bot API's dict
    itself (PTB's generic `to_dict` took 40-50 us for a question's four options): the same
    dict as PTB's. A button holding an object of its own (a web app, a login link, a text to
    copy) or fields PTB does not know leaves the whole keyboard to PTB."""
    from telegram import (
        CopyTextButton,
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        LoginUrl,
        SwitchInlineQueryChosenChat,
        WebAppInfo,
    )

    from clicksbot.updates import plain_keyboard

    b = InlineKeyboardButton
    plain = [
        [b("A. Дезинформация & <b>", callback_data="1|ans|7|0"), b("🐢", callback_data="1|x")],
        [b("Source", url="https://example.org/a?b=c"), b("Share", switch_inline_query="")],
        [b("Here", switch_inline_query_current_chat="q"), b("Pay", pay=True)],
        [b("Styled", callback_data="1|y", style="primary", icon_custom_emoji_id="5")],
        [],
    ]
    markup = InlineKeyboardMarkup(plain)
    assert plain_keyboard(markup) == markup.to_dict()
    assert plain_keyboard(InlineKeyboardMarkup([])) is None  # PTB's: no keyboard at all
    for odd in (
        b("Open", web_app=WebAppInfo("https://example.org")),
        b("Log in", login_url=LoginUrl("https://example.org")),
        b("Copy", copy_text=CopyTextButton("code")),
        b("Pick", switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat("q")),
        b("New", callback_data="1|z", api_kwargs={"future_field": 1}),
    ):
        assert plain_keyboard(InlineKeyboardMarkup([*plain, [odd]])) is None, odd.text
    assert plain_keyboard(InlineKeyboardMarkup(plain, api_kwargs={"later": True})) is None


async def first_question(person: Person) -> BotMessage:
    """Say /quiz, pick "Any topic", and return the question (past a badge or two)."""
    person.send("/quiz")
    await person.press(await person.receive(), "Any topic")
    question = await person.receive()
    while not question.button_texts[:1] or not question.button_texts[0].startswith("A. "):
        question = await person.receive()
    return question


async def test_every_keyboard_of_a_quiz_arrives_as_rendered(bot: Running) -> None:
    """A question, "how sure", a result and a tip go out with the keyboards rendered for them,
    as the person's phone gets them (the links, the payloads, the share button)."""
    alice = await started(bot, "Alice")
    alice.send("/tip")
    tip = await alice.receive()
    assert tip.button_texts == ["Another tip ▶", "Share ↗"]
    assert tip.buttons[0][1]["url"].startswith("https://t.me/share/url?url=")
    assert set(tip.buttons[0][0]) == {"text", "callback_data"}
    question = await first_question(alice)
    assert all(
        set(button) == {"text", "callback_data"} for row in question.buttons for button in row
    )


def test_a_plain_call_goes_out_as_ptb_would_send_it() -> None:
    """What `plain_call` sends is what PTB's layers make of the same parameters (its defaults
    put in, nothing sent for what is not given); a parameter of any other kind (a date, a
    file, an object, a list of them) leaves the call to PTB."""
    from datetime import UTC, datetime

    from telegram import (
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        InputFile,
        LinkPreviewOptions,
        MessageEntity,
        ReplyParameters,
    )
    from telegram._utils.defaultvalue import DEFAULT_FALSE, DEFAULT_NONE, DefaultValue
    from telegram.constants import MessageLimit, ParseMode, PollType
    from telegram.ext import ExtBot

    from clicksbot.updates import plain_call

    def ptb(data: dict[str, object]) -> dict[str, object]:
        data = dict(data)
        ExtBot("1:A")._insert_defaults(data)
        data = {name: value for name, value in data.items() if value is not None}
        return RequestData([RequestParameter.from_input(k, v) for k, v in data.items()]).parameters

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A. Да", callback_data="1|ans|7|0")]])
    plain: dict[str, object] = {
        "chat_id": -100123,
        "message_id": 7,
        "text": "<b>Вопрос</b> 🐢",
        "parse_mode": ParseMode.HTML,
        "type": PollType.QUIZ,
        "reply_markup": keyboard,
        "disable_notification": DEFAULT_NONE,
        "protect_content": DEFAULT_FALSE,
        "allow_sending_without_reply": DefaultValue(True),
        "show_alert": False,
        "cache_time": 0,
        "latitude": 1.5,
        "message_thread_id": None,
    }
    assert plain_call(plain) == ptb(plain)
    assert json.dumps(plain_call(plain)) == json.dumps(ptb(plain))  # the same bytes on the wire
    for name, odd in (
        ("until_date", datetime(2026, 12, 3, tzinfo=UTC)),
        ("photo", InputFile(b"\x89PNG")),
        ("photo", b"\x89PNG"),
        ("link_preview_options", LinkPreviewOptions(is_disabled=True)),
        ("entities", [MessageEntity("bold", 0, 3)]),
        ("reply_parameters", ReplyParameters(5)),
        ("allowed_updates", ["message"]),
        ("reply_markup", InlineKeyboardMarkup([])),
        ("limit", MessageLimit.MAX_TEXT_LENGTH),  # an enum of numbers: PTB sends its value
        ("link_preview_options", DefaultValue(LinkPreviewOptions(is_disabled=True))),
    ):
        assert plain_call({**plain, name: odd}) is None, name


async def test_a_call_is_sent_as_ptb_sends_it_with_the_rate_limiter_in_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bot's calls reach the Bot API with the bodies PTB itself sends for them, through
    the rate limiter (each seen with its endpoint and parameters), whether they take the plain
    way or PTB's (a date, an object, the rate limiter's own arguments)."""
    from datetime import UTC, datetime

    from telegram import (
        InlineKeyboardButton,
        InlineKeyboardMarkup,
        LinkPreviewOptions,
        Message,
        TelegramObject,
    )
    from telegram.ext import BaseRateLimiter, ExtBot

    from clicksbot.updates import IntakeBot, unread

    received: list[tuple[str, bytes]] = []
    message = {"message_id": 5, "date": 1, "chat": {"id": 7, "type": "private"}, "text": "x"}

    async def record(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        received.append((method, await request.read()))  # as sent: types and order too
        return web.json_response({"ok": True, "result": True if "Callback" in method else message})

    class Seen(BaseRateLimiter[str]):
        def __init__(self) -> None:
            self.calls: list[tuple[str, dict[str, Any], str | None]] = []

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                                  endpoint: str, data: dict[str, Any],
                                  rate_limit_args: str | None) -> Any:  # fmt: skip
            seen = {k: v.to_dict() if isinstance(v, TelegramObject) else v for k, v in data.items()}
            self.calls.append((endpoint, seen, rate_limit_args))
            return await callback(*args, **kwargs)

    runner, address = await serving(record, "/bot1:A")
    base = f"{address}/bot"  # PTB adds the token
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A. Да", callback_data="1|ans|7|0")]])

    async def calls(bot: ExtBot[Any]) -> list[object]:
        await bot.answer_callback_query("cb1")
        sent = await bot.send_message(7, "<b>Вопрос</b>", parse_mode="HTML", reply_markup=keyboard)
        with unread():
            edited = await bot.edit_message_text("y", chat_id=7, message_id=5)
        with unread():
            linked = await bot.send_message(
                7, "a", link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        await bot.ban_chat_member(-100, 9, until_date=datetime(2026, 12, 3, tzinfo=UTC))
        await bot.send_message(7, "b", rate_limit_args="outbox")
        return [sent.text, edited, linked]

    classified: list[str] = []  # the parameters PTB's own layers looked at
    from_input = RequestParameter.from_input.__func__  # type: ignore[attr-defined]

    def classify(cls: type[RequestParameter], key: str, value: object) -> RequestParameter:
        classified.append(key)
        return from_input(cls, key, value)  # type: ignore[no-any-return]

    monkeypatch.setattr(RequestParameter, "from_input", classmethod(classify))
    bodies = {}
    limiters = {}
    ptb_ways = {}
    try:
        for kind in (ExtBot, IntakeBot):
            limiters[kind] = Seen()
            bot = kind("1:A", base_url=base, request=AiohttpRequest(connections=2),
                       rate_limiter=limiters[kind])  # fmt: skip
            await bot._request[1].initialize()
            try:
                returned = await calls(bot)
            finally:
                await bot._request[1].shutdown()
            bodies[kind] = list(received)
            received.clear()
            ptb_ways[kind] = classified.count("chat_id") + classified.count("callback_query_id")
            classified.clear()
            if kind is IntakeBot:  # unread: True, the plain way and PTB's
                assert returned == ["x", True, True]
            else:
                assert returned[0] == "x" and all(isinstance(m, Message) for m in returned[1:])
    finally:
        await runner.cleanup()
    assert bodies[IntakeBot] == bodies[ExtBot]
    assert [method for method, _ in bodies[IntakeBot]] == [
        "answerCallbackQuery", "sendMessage", "editMessageText", "sendMessage", "banChatMember",
        "sendMessage",
    ]  # fmt: skip
    seen = limiters[IntakeBot].calls
    assert seen == limiters[ExtBot].calls  # each call's endpoint, parameters and lane
    assert seen[-1][2] == "outbox"
    assert ptb_ways == {ExtBot: 6, IntakeBot: 3}  # the date, the object, the limiter's lane


async def test_a_plain_call_refused_is_retried_or_raised_as_ptb_does() -> None:
    """A plain call that Telegram asks to wait is retried by the bot's own pacer after the
    wait it was told, and one it refuses raises PTB's error, as every call always did."""
    import time

    from telegram.error import BadRequest

    from clicksbot.delivery.limiter import Pacer
    from clicksbot.updates import unread

    came: list[tuple[str, float]] = []

    async def telegram(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        came.append((method, time.monotonic()))
        if method == "sendMessage" and len(came) == 1:
            return web.json_response(
                {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                 "parameters": {"retry_after": 1}}, status=429,
            )  # fmt: skip
        if method == "editMessageText":
            return web.json_response(
                {"ok": False, "error_code": 400,
                 "description": "Bad Request: message is not modified"}, status=400,
            )  # fmt: skip
        return web.json_response({"ok": True, "result": True})

    async with intake_bot(telegram, rate_limiter=Pacer(30)) as bot:
        with unread():  # retried after the wait as ever, though its reply is not parsed
            sent = await bot.send_message(7, "Next question", reply_markup=None)
        assert sent is True
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("y", chat_id=7, message_id=5)
        with unread(), pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("y", chat_id=7, message_id=5)  # not parsed if ok
    assert [method for method, _ in came] == ["sendMessage", "sendMessage", "editMessageText",
                                              "editMessageText"]  # fmt: skip
    assert came[1][1] - came[0][1] >= 1.0  # the wait Telegram asked for


async def test_a_reply_nobody_reads_is_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A send or an edit whose Message nothing reads (`unread`) is not even parsed from JSON
    when Telegram accepts it (the question and its keyboard, sent back): it is True, as PTB
    gives for an inline message; a reply that is read is parsed and built as ever."""
    from telegram.request import BaseRequest

    from clicksbot.updates import unread

    message = {"message_id": 5, "date": 1, "chat": {"id": 7, "type": "private"}, "text": "x"}

    async def telegram(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": message})

    parsed: list[bytes] = []
    parse = BaseRequest.parse_json_payload

    def counted(payload: bytes) -> dict[str, object]:
        parsed.append(payload)
        return parse(payload)

    monkeypatch.setattr(BaseRequest, "parse_json_payload", staticmethod(counted))
    async with intake_bot(telegram) as bot:
        with unread():
            assert await bot.send_message(7, "<b>Q</b>", parse_mode="HTML") is True
            assert await bot.edit_message_text("y", chat_id=7, message_id=5) is True
        assert parsed == []
        sent = await bot.send_message(7, "x")
        assert sent.text == "x" and len(parsed) == 1


async def test_a_reply_nobody_reads_that_is_no_json_is_an_error() -> None:
    """Not parsed on success, an unread reply is still looked at enough to tell a page that is
    no JSON at all (a proxy's, answering 200) from Telegram's: PTB's error, as ever."""
    from telegram.error import TelegramError

    from clicksbot.updates import unread

    async def proxy(request: web.Request) -> web.Response:
        return web.Response(text="<html>Sign in to the Wi-Fi</html>", content_type="text/html")

    async with intake_bot(proxy) as bot:
        with unread(), pytest.raises(TelegramError, match="Invalid server response"):
            await bot.send_message(7, "<b>Q</b>", parse_mode="HTML")


async def test_an_update_that_moves_no_step_makes_no_persistence_pass(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each update, the conversation steps it moved are written (persistence.settle);
    a quiz's presses move none, so PTB's pass over the conversations is not made for them,
    while a step of the pact (its certificate-name question) is on disk before the next
    update, as ever."""
    from telegram.ext import Application

    passes: list[int] = []
    update_persistence = Application.update_persistence

    async def counted(self: Application) -> None:  # type: ignore[type-arg]
        passes.append(1)
        await update_persistence(self)

    monkeypatch.setattr(Application, "update_persistence", counted)
    store = bot_app.runtime_of(bot.app).store
    alice = await started(bot, "Alice")
    await alice.press(await first_question(alice), 0)
    await alice.receive_edit()
    assert passes == []
    alice.send("/pact")
    pact = await alice.receive()
    while "MIL CLICKS Pact" not in pact.text:  # the answer's badge first
        pact = await alice.receive()
    await alice.press(pact, "I commit")
    assert "You have taken the pact" in (await alice.receive()).text
    ask = await alice.receive()
    assert "What name should go on your certificate?" in ask.text
    for _ in range(100):  # written once the update is done, just after its reply went out
        steps = await store.dialogues("pact")
        if steps:
            break
        await asyncio.sleep(0.01)
    assert passes  # the step moved to the name question: written at once
    [step] = steps
    assert step.user_id == alice.id and step.state is not None


async def test_an_update_waits_for_a_persistence_pass_under_way(bot: Running) -> None:
    """A pass under way (another person's update, PTB's timer) may have taken this update's
    step and not written it yet: the update's settle then waits for that pass, though it sees
    no step of its own to write, so that its step is on disk before the person's next."""
    from clicksbot.persistence import settle

    lock = bot.app._Application__update_persistence_lock  # type: ignore[attr-defined]
    await settle(bot.app)  # nothing moved, no pass under way: at once
    async with lock:  # a pass under way
        settling = asyncio.create_task(settle(bot.app))
        await asyncio.sleep(0.05)
        assert not settling.done()
    await asyncio.wait_for(settling, 5)


async def test_a_quiz_press_is_the_first_thing_its_handler_group_looks_for(bot: Running) -> None:
    """A quiz's presses are most of what the bot gets: in their group, PTB asks their handler
    first (it asked thirteen commands and three other buttons' handlers before), and every
    other feature's buttons and commands are still found after it."""
    from telegram import CallbackQuery, Update, User
    from telegram.ext import CallbackQueryHandler

    from clicksbot.handlers import learn
    from clicksbot.render import callbacks as cb

    def press(data: str) -> Update:
        return Update(1, callback_query=CallbackQuery("1", User(7, "A", False), "i", data=data))

    first, *rest = bot.app.handlers[0]
    assert isinstance(first, CallbackQueryHandler) and first.callback is learn.on_button
    others = [h for h in rest if isinstance(h, CallbackQueryHandler) and h.pattern is not None]
    assert len(others) > 10  # every other feature's buttons
    for action in ("ans", "sure", "quiz", "tip", "round", "topics", "review", "picker"):
        data = cb.SEPARATOR.join((cb.VERSION, action, "1", "2", "0"))
        assert first.check_update(press(data)), action
        assert [h for h in others if h.check_update(press(data))] == [], action
    for action in ("lang", "pact", "gq", "ck", "remind", "forget", "camp"):
        data = cb.SEPARATOR.join((cb.VERSION, action, "1"))
        assert not first.check_update(press(data)), action
        assert [h for h in others if h.check_update(press(data))], action

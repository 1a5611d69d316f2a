"""What comes in: an update PTB cannot read is skipped once, without its content in the log;
/healthz notices when polls stop coming back; presses on messages posted through inline mode
(they carry no chat) are always answered and, when forged, change nothing."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Clock, Running, running, started

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.metrics import POLL_STALE
from clicksbot.render import callbacks as cb
from clicksbot.sandbox import EmulatorServer
from clicksbot.updates import IntakeBot


def bot_now() -> datetime:
    return datetime.now(UTC)


async def test_an_unreadable_update_is_skipped_once_and_logged_without_its_content(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    # A message PTB cannot read (no chat, a date that is not a number), with a name and text.
    broken = bot.emulator.push_update(
        {"message": {"message_id": 1, "date": "yesterday", "text": "my secret diary",
                     "from": {"id": 5551, "is_bot": False, "first_name": "Zoë Secretname"}}}
    )  # fmt: skip
    alice = await started(bot, "Alice")  # the next person is answered as usual
    alice.send("/help")
    assert "/tip" in (await alice.receive()).text
    skipped = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(skipped) == 1 and str(broken["update_id"]) in skipped[0].getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Secretname" not in logged and "secret diary" not in logged
    # Not read again and again: one poll brought it, the next ones start past it.
    brought = [
        c for c in bot.emulator.calls
        if c.method == "getUpdates" and any(u["update_id"] == broken["update_id"] for u in c.result)
    ]  # fmt: skip
    assert len(brought) == 1


async def test_healthz_reports_stalled_polling(bot: Running) -> None:
    from aiohttp import web

    from clicksbot.metrics import HealthServer

    runtime = runtime_of(bot.app)
    server = HealthServer(runtime, bot.app.bot, "127.0.0.1", 0)
    server._telegram_ok_at = float("inf")  # Telegram answered just now
    assert isinstance(bot.app.bot, IntakeBot)
    intake = bot.app.bot.intake
    assert intake.polled_at is not None and not intake.stalled(POLL_STALE)
    reply = await server.healthz(None)  # type: ignore[arg-type]
    assert isinstance(reply, web.Response) and reply.status == 200
    now = intake.monotonic()
    intake.monotonic = lambda: now + POLL_STALE + 1  # no poll has come back since
    reply = await server.healthz(None)  # type: ignore[arg-type]
    assert reply.status == 503 and b'"updates": "stalled"' in (reply.body or b"")  # type: ignore[operator]


async def test_presses_on_inline_posted_messages_are_answered_and_forgeries_change_nothing(
    bot: Running, shipped_content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    ana, ben = bot.emulator.person("Ana"), await started(bot, "Ben")
    chat = bot.emulator.group("Class 9B", ana, ben)
    found = await ana.inline_query("")
    shared = next(r for r in found["results"] if r["id"].startswith("q:"))
    posted = ana.send_inline_result(chat, shared)
    store = runtime_of(bot.app).store
    assert store is not None
    ben.send("/quiz")
    await ben.receive()  # the topic picker
    # Buttons of other kinds, forged onto the inline message: each would change something in
    # a private chat (Ben's language, his pledge, his data, a group's answers).
    group_row = await store.post_group_question(chat.id, shared["id"][2:], "literacy", bot_now())
    forged = [
        cb.encode("lang", "ru"),
        cb.encode("pact", "commit", "1"),
        cb.encode("forget", "yes"),
        cb.encode("daily", "off"),
        cb.encode("quiz", "any"),
        cb.encode("gq", str(group_row), "0"),
        "not a button at all",
    ]
    for data in forged:
        answer = await ben.press_inline_data(posted, data)
        assert answer["show_alert"] and "older message" in answer["text"], data
    user = await store.get_user(ben.id)
    assert user is not None and user.language == "en"  # still there, still in English
    assert (await store.pledge_counts()).total == 0
    assert (await store.group_figures(chat.id)).answers == 0
    await ben.expect_silence(0.3)  # and nothing was sent to him for them
    right = await ben.press_inline(posted, 0)  # the real buttons still work
    assert right["show_alert"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_replies_sent_unread_still_arrive_and_still_fail_loudly(bot: Running) -> None:
    from telegram import Message
    from telegram.error import BadRequest

    from clicksbot.updates import unread

    alice = await started(bot, "Alice")
    with unread():  # the Message Telegram returns is not built: True, as for inline messages
        assert await bot.app.bot.send_message(alice.id, "one") is True
    assert (await alice.receive()).text == "one"
    sent = await bot.app.bot.send_message(alice.id, "two")  # outside, the Message as ever
    assert isinstance(sent, Message) and sent.text == "two"
    await alice.receive()
    with unread():
        assert await bot.app.bot.edit_message_text("three", alice.id, sent.message_id) is True
        bot.emulator.fail("editMessageText", 400, "Bad Request: message to edit not found")
        with pytest.raises(BadRequest, match="not found"):  # raised all the same
            await bot.app.bot.edit_message_text("four", alice.id, sent.message_id)
    assert [m.text for m in alice.messages[-2:]] == ["one", "three"]


def test_a_quiz_press_is_read_with_only_the_pressed_messages_place() -> None:
    from telegram import Bot, Message

    from clicksbot.updates import read_update

    keyboard = {"inline_keyboard": [[{"text": "A. True", "callback_data": "1|ans|7|0"}]]}
    person = {"id": 5, "is_bot": False, "first_name": "Ana"}
    me = {"id": 1, "is_bot": True, "first_name": "clicksbot", "username": "clicksbot"}

    def press(data: str, **more: object) -> dict[str, object]:
        shown = {"message_id": 9, "date": 1, "edit_date": 2, "chat": {"id": 5, "type": "private"},
                 "from": me, "text": "<b>Is it true?</b>", "reply_markup": keyboard,
                 "entities": [{"type": "bold", "offset": 0, "length": 12}], **more}  # fmt: skip
        return {"update_id": 1, "callback_query": {"id": "q", "from": person, "chat_instance": "c",
                                                   "data": data, "message": shown}}  # fmt: skip

    query = read_update(press("1|ans|7|0"), Bot("1:x")).callback_query  # type: ignore[arg-type]
    assert query is not None and query.data == "1|ans|7|0" and query.from_user is not None
    shown = query.message
    assert isinstance(shown, Message)  # still a message the bot can edit, not an inaccessible one
    assert (shown.chat.id, shown.message_id, shown.date.year) == (5, 9, 1970)  # what an edit needs
    assert (shown.text, shown.entities, shown.from_user) == (None, (), None)
    assert shown.reply_markup is None and shown.edit_date is None
    # A question with a picture still says so: its answer keeps the picture (handlers.learn).
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}]
    with_photo = press("1|ans|7|0", photo=photo, caption="Is it true?",
                       caption_entities=[{"type": "bold", "offset": 0, "length": 2}])  # fmt: skip
    pictured = read_update(with_photo, Bot("1:x")).callback_query  # type: ignore[arg-type]
    assert pictured is not None and isinstance(pictured.message, Message)
    assert pictured.message.photo and pictured.message.caption is None
    assert pictured.message.caption_entities == ()
    # In a group's topic, or a business chat, the reply goes to the same place.
    forum = {"id": -100, "type": "supergroup", "is_forum": True}
    topic = press("1|picker", chat=forum, message_thread_id=7, business_connection_id="b",
                  link_preview_options={"is_disabled": True})  # fmt: skip
    placed = read_update(topic, Bot("1:x")).callback_query  # type: ignore[arg-type]
    assert placed is not None and isinstance(placed.message, Message)
    assert (placed.message.chat_id, placed.message.message_thread_id) == (-100, 7)
    assert placed.message.business_connection_id == "b"
    assert placed.message.link_preview_options is None
    # Another press keeps it all: a reminder's stop button takes its own row off the keyboard.
    stop = read_update(press("1|remind|stop"), Bot("1:x")).callback_query  # type: ignore[arg-type]
    assert stop is not None and isinstance(stop.message, Message)
    assert stop.message.reply_markup is not None and stop.message.text == "<b>Is it true?</b>"
    message = {"update_id": 2, "message": {**press("x")["callback_query"]["message"],  # type: ignore[index]
                                           "from": person}}  # fmt: skip
    read = read_update(message, Bot("1:x")).message  # type: ignore[arg-type]
    assert read is not None and read.reply_markup is not None  # a message's own stays


async def test_the_bot_reads_each_polled_update_through_read_update(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    import clicksbot.updates

    seen: list[int] = []
    real = clicksbot.updates.read_update

    def spy(data: dict[str, object], bot: object, *shown: object) -> object:
        seen.append(int(data["update_id"]))  # type: ignore[call-overload]
        return real(data, bot, *shown)  # type: ignore[arg-type]

    monkeypatch.setattr(clicksbot.updates, "read_update", spy)
    alice = await started(bot, "Alice")
    alice.send("/help")
    assert "/tip" in (await alice.receive()).text
    assert seen  # every poll's updates go through it (so does the webhook: webhook.py)


async def test_only_the_learning_buttons_handler_takes_the_presses_read_without_the_message(
    bot: Running,
) -> None:
    """read_update reads the presses of MESSAGE_UNREAD without most of the pressed message,
    because handlers.learn's `on_button`, and only it, takes them, and it reads no more."""
    from telegram.ext import BaseHandler, CallbackQueryHandler, ConversationHandler

    from clicksbot.handlers.learn import on_button
    from clicksbot.render.callbacks import MESSAGE_UNREAD, SEPARATOR, VERSION

    def every(
        handlers: Iterable[BaseHandler[Any, Any, Any]],
    ) -> Iterator[BaseHandler[Any, Any, Any]]:
        for handler in handlers:  # a conversation's own handlers too
            if isinstance(handler, ConversationHandler):
                yield from every(handler.entry_points)
                yield from every(h for step in handler.states.values() for h in step)
                yield from every(handler.fallbacks)
            else:
                yield handler

    def takes(handler: BaseHandler[Any, Any, Any], data: str) -> bool:
        if not isinstance(handler, CallbackQueryHandler):
            return False
        pattern = handler.pattern  # in this bot a str or a compiled one, when there is one
        return isinstance(pattern, str | re.Pattern) and re.match(pattern, data) is not None

    handlers = [h for group in bot.app.handlers.values() for h in every(group)]
    for action in sorted(MESSAGE_UNREAD):
        data = SEPARATOR.join((VERSION, action, "x"))
        assert [h.callback for h in handlers if takes(h, data)] == [on_button], action


def test_the_presses_on_one_message_share_the_message_built_for_the_first() -> None:
    """A question takes three presses in its one message (an option, how sure, the next
    question): what is kept of it is the same each time, so PTB builds it once (146 of the
    219 us reading a press took). Another message, or the same one shown otherwise (another
    chat's, a picture), is built afresh; only the most recent are kept."""
    from telegram import Bot, Message

    from clicksbot.updates import ShownMessages, read_update

    person = {"id": 5, "is_bot": False, "first_name": "Ana"}
    bot = Bot("1:x")

    def press(data: str, text: str, message_id: int = 9, **more: object) -> dict[str, object]:
        keyboard = {"inline_keyboard": [[{"text": text, "callback_data": data}]]}
        shown = {"message_id": message_id, "date": 1, "chat": {"id": 5, "type": "private"},
                 "text": text, "reply_markup": keyboard, **more}  # fmt: skip
        return {"update_id": 1, "callback_query": {"id": "q", "from": person, "chat_instance": "c",
                                                   "data": data, "message": shown}}  # fmt: skip

    def message(update: dict[str, object], shown: ShownMessages) -> Message:
        query = read_update(update, bot, shown).callback_query  # type: ignore[arg-type]
        assert query is not None and query.from_user is not None and query.from_user.id == 5
        assert isinstance(query.message, Message)
        return query.message

    kept = ShownMessages(size=3)
    option = message(press("1|ans|7|0", "A. True"), kept)
    assert (option.chat.id, option.message_id, option.text) == (5, 9, None)
    # Edited in place in between (its text, keyboard and edit date changed): the same object.
    rated = message(press("1|sure|7|1|0", "Sure", edit_date=2), kept)
    following = message(press("1|quiz|any", "Next question", edit_date=3), kept)
    assert rated is option and following is option and len(kept) == 1
    # Another message, another chat, a picture: each built from what it is.
    other = message(press("1|ans|8|0", "A. True", message_id=10), kept)
    assert other is not option and other.message_id == 10
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}]
    pictured = message(press("1|ans|7|0", "A. True", photo=photo), kept)
    assert pictured.photo and not option.photo
    assert len(kept) == 3
    # The oldest is let go: message 9, pressed again, is built again.
    message(press("1|ans|8|1", "B. False", message_id=11), kept)
    assert len(kept) == 3
    again = message(press("1|ans|7|0", "A. True"), kept)
    assert again is not option and again.to_dict() == option.to_dict()
    # Without a store of them (and for presses that keep the whole message) each is built.
    assert message(press("1|ans|7|0", "A. True"), ShownMessages()) is not again
    stop = read_update(press("1|remind|stop", "Stop"), bot, kept).callback_query  # type: ignore[arg-type]
    assert stop is not None and isinstance(stop.message, Message)
    assert stop.message.text == "Stop" and len(kept) == 3


async def test_a_questions_presses_are_read_with_its_message_built_once(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """Ana answers a question (an option, how sure, then the next question), all three on the
    question's own message: the bot builds that message once, and every step shows as ever."""
    from clicksbot.updates import ShownMessages

    built: list[object] = []
    async with running(
        server, replace(settings, ask_confidence=True), shipped_content, clock
    ) as app:
        assert isinstance(app.bot, IntakeBot)
        intake = app.bot.intake
        real = ShownMessages.get

        def spy(shown: ShownMessages, *args: Any) -> Any:
            message = real(shown, *args)
            built.append(message)
            return message

        ana = server.emulator.person("Ana")
        ana.send("/quiz")
        await ana.press(await ana.receive(), "Any topic")
        question = await ana.receive()
        while question.raw.get("photo"):  # a text question: its steps are edits in its place
            ana.send("/quiz")
            await ana.press(await ana.receive(), "Any topic")
            question = await ana.receive()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ShownMessages, "get", spy)
            await ana.press(question, 0)
            sure = await ana.receive_edit()
            assert "How sure" in sure.text
            await ana.press(sure, "Skip")
            result = await ana.receive_edit()
            assert "Learn more" in result.text and "Next question ▶" in result.button_texts
            await ana.press(result, "Next question")
            following = await ana.receive()
            while "New badge" in following.text:
                following = await ana.receive()
        assert following.button_texts[0].startswith("A. ")
        assert len(built) == 3 and built[0] is built[1] is built[2]
        assert len(intake.shown) >= 1

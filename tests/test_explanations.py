"""Group and shared (inline) questions: a press is answered in Telegram's 200-character alert,
right or wrong with the start of the explanation; pressing again opens the private chat
through a t.me deep link, where the whole explanation and its source wait. Nothing is posted
to the group per person. The emulator holds answerCallbackQuery's `url` to what Telegram
allows: a link to this bot with a start parameter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from conftest import TOKEN, Running, started
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from clicksbot.app import runtime_of
from clicksbot.botapi import rules
from clicksbot.content import Content
from clicksbot.i18n import Catalogs
from clicksbot.render import deeplinks
from clicksbot.render import inline as inline_render
from clicksbot.sandbox import Emulator, EmulatorServer, Limits

CATALOGS = Catalogs.load()
TAP_AGAIN = CATALOGS.get("en")("explain.tap_again")


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def test_a_long_group_explanation_is_one_tap_away_in_the_private_chat(
    bot: Running, shipped_content: Content
) -> None:
    ana = await started(bot, "Ana")  # she has the bot already; Ben and Cai have not
    ben, cai = bot.emulator.person("Ben"), bot.emulator.person("Cai")
    chat = bot.emulator.group("Class 9B", ana, ben, cai)
    ana.send("/quiz", chat)
    posted = await ana.receive_in(chat)
    row = int(posted.buttons[0][0]["callback_data"].split("|")[2])
    store = runtime_of(bot.app).store
    assert store is not None
    found = await store.group_question(row)
    assert found is not None
    question = shipped_content.question(found[1])
    assert question is not None and len(question.explanation) > 200  # every shipped one is

    wrong = (question.answer + 1) % len(question.options)
    alert = await ben.press(posted, wrong)
    assert alert["show_alert"] and units(alert["text"]) <= 200
    assert alert["text"].startswith("❌ Not quite.")
    assert question.explanation[:30] in alert["text"]
    assert alert["text"].endswith("…\n" + TAP_AGAIN)

    again = await ben.press(posted, wrong)  # the second tap: the private chat, no alert
    assert again["text"] is None and again["url"] == (
        f"https://t.me/clicksbot_sandbox_bot?start=ex_g{row}"
    )
    ben.follow(again)  # Ben never wrote to the bot: Telegram shows Start, he presses it
    assert "Hi Ben!" in (await ben.receive()).text
    full = await ben.receive()
    assert "The full explanation" in full.text
    assert " ".join(question.explanation.split()) in " ".join(full.text.split())
    assert "Not quite." in full.text and question.correct_option in full.text
    assert full.links and full.links[0] == question.source
    assert full.button_texts == ["🔎 More questions"]
    assert (await store.group_figures(chat.id)).answers == 1  # the second tap recorded nothing

    # Cai opens the same link without having answered in the group: no spoiler.
    cai.start(f"ex_g{row}")
    await cai.receive()  # the greeting
    assert "Answer this question in the group first" in (await cai.receive()).text
    # Ana had the bot already: straight to the explanation, no greeting again.
    await ana.press(posted, question.answer)
    ana.follow(await ana.press(posted, question.answer))
    mine = await ana.receive()
    assert "The full explanation" in mine.text and "Right!" in mine.text

    # Nothing went to the group but the question (its tally is an edit of it).
    await asyncio.sleep(5.5)
    to_group = [c for c in bot.emulator.sent(chat_id=chat.id) if c.method.startswith("send")]
    assert len(to_group) == 1


async def test_a_long_explanation_of_a_shared_question_is_one_tap_away(
    bot: Running, shipped_content: Content
) -> None:
    ana, ben = bot.emulator.person("Ana"), bot.emulator.person("Ben")
    chat = bot.emulator.group("Friends", ana, ben)
    found = await ana.inline_query("")
    shared = next(r for r in found["results"] if r["id"].startswith("q:"))
    question = shipped_content.question(shared["id"].split(":", 1)[1])
    assert question is not None and len(question.explanation) > 200
    posted = ana.send_inline_result(chat, shared)

    alert = await ben.press_inline(posted, question.answer)
    assert alert["text"].startswith("✅ Right!") and units(alert["text"]) <= 200
    assert alert["text"].endswith("…\n" + TAP_AGAIN)
    again = await ben.press_inline(posted, question.answer)
    payload = f"ex_q{question.answer}_{question.id}"
    assert again["text"] is None
    assert again["url"] == f"https://t.me/clicksbot_sandbox_bot?start={payload}"
    ben.follow(again)
    await ben.receive()  # the greeting: he never wrote to the bot before
    full = await ben.receive()
    letter = "ABCDEFGHIJKL"[question.answer]
    assert f"Your answer: ✅ {letter}. {question.correct_option}" in full.text
    assert " ".join(question.explanation.split()) in " ".join(full.text.split())
    assert full.links and full.links[0] == question.source
    # Another person's first press is theirs alone: the short answer, not the link.
    ana_alert = await ana.press_inline(posted, 0)
    assert ana_alert["text"] and ana_alert["url"] is None
    assert bot.emulator.sent(chat_id=chat.id) == []  # the bot never wrote to the chat


async def test_a_link_for_an_unknown_question_says_so(bot: Running) -> None:
    """A made-up or outdated explanation link is answered plainly, with no error."""
    dan = bot.emulator.person("Dan")
    dan.start("ex_g999999")
    await dan.receive()
    assert "changed or removed" in (await dan.receive()).text
    dan.start("ex_q3_no-such-question")
    assert "changed or removed" in (await dan.receive()).text
    dan.start("ex_q9_en-source-q01")  # an option the question does not have
    assert "changed or removed" in (await dan.receive()).text


def test_alerts_fit_for_every_question_and_language(shipped_content: Content) -> None:
    """Right or wrong, every shipped question's answer fits an alert in every language, and
    says how to read the rest when the explanation does not fit; the full explanation is a
    message Telegram takes; every deep link fits."""
    content = shipped_content
    for language in CATALOGS.languages:
        t = CATALOGS.get(language)
        assert "<" not in t("explain.tap_again")
        for question in content.questions():
            wrong = (question.answer + 1) % len(question.options)
            for choice in (question.answer, wrong):
                text = inline_render.answer_alert(t, question, choice)
                assert units(text) <= 200, (language, question.id)
                if not inline_render.alert_is_whole(t, question, choice):
                    assert text.endswith(t("explain.tap_again")), (language, question.id)
            reply = inline_render.explanation_message(t, question, choice=wrong)
            rules.check_message_text(reply.text, "HTML", None)
            payload = deeplinks.explain_shared(question.id, len(question.options) - 1)
            assert rules.check_deep_link_payload(payload)
            assert deeplinks.decode(payload) == deeplinks.Explain(
                question_id=question.id, choice=len(question.options) - 1
            )
    assert rules.check_deep_link_payload(deeplinks.explain_group(10**18 - 1))
    assert deeplinks.decode("iABCDEFGHIJK") is None  # an invitation is not an explanation


def test_callback_answer_urls_are_held_to_what_telegram_allows() -> None:
    """answerCallbackQuery's url opens this bot with a start parameter, and nothing else."""
    ok = "https://t.me/clicksbot_sandbox_bot?start=ex_g12"
    assert rules.check_callback_answer_url(ok, "clicksbot_sandbox_bot") == ok
    assert rules.check_callback_answer_url(None, "clicksbot_sandbox_bot") is None
    for bad in (
        "https://example.org/",
        "https://t.me/clicksbot_sandbox_bot",  # no start parameter
        "https://t.me/another_bot?start=ex_g12",  # another bot
        "https://t.me/clicksbot_sandbox_bot?start=",  # an empty one
        "https://t.me/clicksbot_sandbox_bot?start=" + "x" * 65,  # too long
        "https://t.me/clicksbot_sandbox_bot?start=no%20spaces",
        "https://t.me/clicksbot_sandbox_bot?startgroup=ex_g12",
        "https://t.me/share/url?url=https%3A%2F%2Ft.me%2Fclicksbot_sandbox_bot",
        "tg://resolve?domain=clicksbot_sandbox_bot&start=ex_g12",
        "t.me/clicksbot_sandbox_bot?start=ex_g12",  # no scheme
        "https://t.me:8443/clicksbot_sandbox_bot?start=ex_g12",
    ):
        with pytest.raises(rules.ApiError, match="URL_INVALID"):
            rules.check_callback_answer_url(bad, "clicksbot_sandbox_bot")


@pytest.fixture
async def tg() -> AsyncIterator[tuple[Bot, Emulator]]:
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    async with EmulatorServer(emulator) as server:
        bot = Bot(TOKEN, base_url=server.api_url)
        async with bot:
            yield bot, emulator


async def test_the_emulator_refuses_a_press_answered_with_another_link(
    tg: tuple[Bot, Emulator],
) -> None:
    """Over HTTP, as PTB meets it: a link elsewhere is 400 URL_INVALID (the press stays
    unanswered); the bot's own deep link is taken, and following it starts the bot."""
    bot, emulator = tg
    alice = emulator.person("Alice")
    alice.send("/start")
    button = InlineKeyboardButton("Press", callback_data="x")
    sent = await bot.send_message(alice.id, "Hi", reply_markup=InlineKeyboardMarkup([[button]]))
    message = next(m for m in alice.messages if m.id == sent.message_id)
    pressing = asyncio.create_task(alice.press(message, "Press"))
    updates = []
    while not any(u.callback_query for u in updates):
        updates = await bot.get_updates(timeout=1)
    query = next(u.callback_query for u in updates if u.callback_query)
    with pytest.raises(BadRequest, match="(?i)url_invalid"):
        await query.answer(url="https://example.org/explained")
    with pytest.raises(BadRequest, match="(?i)url_invalid"):
        await query.answer(url="https://t.me/clicksbot_sandbox_bot")
    await query.answer(url="https://t.me/clicksbot_sandbox_bot?start=ex_g7")
    answer = await pressing
    assert answer["url"] == "https://t.me/clicksbot_sandbox_bot?start=ex_g7"
    start = alice.follow(answer)
    assert start["text"] == "/start ex_g7"
    with pytest.raises(AssertionError, match="do not open"):  # as Telegram's apps do
        alice.follow({"text": "Right!", "show_alert": True, "url": answer["url"]})
    assert urlsplit(answer["url"]).netloc == "t.me"

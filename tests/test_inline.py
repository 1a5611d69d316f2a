"""Inline mode end to end: results within Telegram's limits, search, pages, shared questions."""

from __future__ import annotations

from conftest import Running

from clicksbot.app import runtime_of
from clicksbot.content import Competency, Content


async def test_inline_results_page_through_tips_and_questions(
    bot: Running, shipped_content: Content
) -> None:
    ana = bot.emulator.person("Ana")
    first = await ana.inline_query("")
    assert 0 < len(first["results"]) <= 50 and first["next_offset"] == "20"
    ids = [r["id"] for r in first["results"]]
    assert any(i.startswith("t:") for i in ids) and any(i.startswith("q:") for i in ids)
    second = await ana.inline_query("", offset=first["next_offset"])
    assert not set(ids) & {r["id"] for r in second["results"]}
    total = len(list(shipped_content.tips("en"))) + len(list(shipped_content.questions("en")))
    offset, seen = "0", 0
    while offset:
        page = await ana.inline_query("", offset=offset)
        seen += len(page["results"])
        offset = page["next_offset"]
    assert seen == total  # every English item, page after page, then no next page
    store = runtime_of(bot.app).store
    assert store is not None and await store.get_user(ana.id) is None  # nothing kept


async def test_inline_search_by_words_competency_and_language(
    bot: Running, shipped_content: Content
) -> None:
    ana = bot.emulator.person("Ana")
    found = await ana.inline_query("reverse image")
    assert found["results"]
    for result in found["results"]:
        item_id = result["id"].split(":", 1)[1]
        item = shipped_content.tip(item_id) or shipped_content.question(item_id)
        assert item is not None and "reverse" in item.text.casefold()
    knowledge = await ana.inline_query("knowledge")
    for result in knowledge["results"]:
        item_id = result["id"].split(":", 1)[1]
        item = shipped_content.tip(item_id) or shipped_content.question(item_id)
        assert item is not None and item.competency is Competency.KNOWLEDGE
    assert (await ana.inline_query("zzzqqq"))["results"] == []
    siti = bot.emulator.person("Siti", language_code="ms")
    malay = await siti.inline_query("")
    first = malay["results"][0]["id"].split(":", 1)[1]
    item = shipped_content.tip(first) or shipped_content.question(first)
    assert item is not None and item.language == "ms"


async def test_a_shared_question_is_answered_privately_by_anyone_in_the_chat(
    bot: Running, shipped_content: Content
) -> None:
    ana = bot.emulator.person("Ana")
    ben, cai = bot.emulator.person("Ben"), bot.emulator.person("Cai", language_code="ms")
    class_chat = bot.emulator.group("Class 9B", ana, ben, cai)
    found = await ana.inline_query("")
    shared = next(r for r in found["results"] if r["id"].startswith("q:"))
    question = shipped_content.question(shared["id"].split(":", 1)[1])
    assert question is not None
    posted = ana.send_inline_result(class_chat, shared)
    assert posted.button_texts[-1] == "🤖 Open clicksbot"
    right = await ben.press_inline(posted, question.answer)
    assert right["show_alert"] and right["text"].startswith("✅ Right!")
    assert len(right["text"]) <= 200
    wrong_choice = (question.answer + 1) % len(question.options)
    wrong = await cai.press_inline(posted, wrong_choice)
    assert wrong["text"].startswith("❌")  # Cai's Telegram is in Malay: "Belum tepat"
    assert "Belum tepat" in wrong["text"]

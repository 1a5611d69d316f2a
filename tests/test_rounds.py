"""Rounds with a score: five questions on a topic, one after another, then a score card to
share or to play again; kept in the store, so a restart in the middle carries on; any command
leaves a round, and a round left half-way never stands in the way of a new one."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Clock, Running, pace_as, started
from PIL import Image, ImageDraw

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Settings
from clicksbot.content import Content, Question, load_content
from clicksbot.sandbox import BotMessage, EmulatorServer, Person


def question_of(message: BotMessage, content: Content) -> Question:
    """The question a message shows (in its text, or a picture's caption)."""
    found = [q for q in content.questions() if q.text in message.text]
    assert len(found) == 1, message.text
    return found[0]


def option(message: BotMessage, question: Question, right: bool) -> str:
    """The button of the right option, or of a wrong one."""
    return next(
        b for b in message.button_texts if (b.split(". ", 1)[1] == question.correct_option) == right
    )


async def next_step(person: Person) -> BotMessage:
    """The round's next question (with its options) or its score card; results that follow
    a picture and badges come first and are passed over."""
    for _ in range(10):
        message = await person.receive()
        if "Round over" in message.text or any(b.startswith("A. ") for b in message.button_texts):
            return message
    raise AssertionError("neither a question nor a score card came")


async def answer(
    person: Person, message: BotMessage, content: Content, right: bool
) -> tuple[BotMessage, BotMessage]:
    """Answer a question of a round; return its result and what comes next."""
    await person.press(message, option(message, question_of(message, content), right))
    result = await person.receive_edit()
    if result.raw.get("photo"):  # a picture keeps its place; the result follows it
        result = await person.receive()
    return result, await next_step(person)


async def start_round(person: Person, topic: str) -> BotMessage:
    """/quiz, "A round of 5", a topic: return the round's first question."""
    person.send("/quiz")
    picker = await person.receive()
    await person.press(picker, "🎯 A round of 5")
    rounds = await person.receive_edit()  # the picker becomes the round's, in place
    assert rounds.id == picker.id and "A round of 5 questions" in rounds.text
    assert rounds.button_texts[-1] == "◀ One question at a time"
    await person.press(rounds, topic)
    return await next_step(person)


async def test_a_full_round_ends_with_a_score_card_to_share_or_play_again(
    bot: Running, shipped_content: Content
) -> None:
    """Five questions on a topic, each result followed by the next question, then the score
    card: the score with a mark per question, the topic, a line that fits the score, and
    Play again, Another topic and a share link carrying no personal data. The answers count
    in /progress like any other; the round is over (nothing left in the store)."""
    ana = await started(bot, "Ana")
    question = await start_round(ana, "Critical thinking")
    asked = []
    for number, right in enumerate((True, True, False, True, True), start=1):
        assert question.text.startswith(f"🎯 Question {number} of 5")
        assert "Critical thinking" in question.text
        asked.append(question_of(question, shipped_content).id)
        result, question = await answer(ana, question, shipped_content, right)
        assert f"Question {number} of 5" in result.text and result.button_texts == []
        assert ("Right!" if right else "Not quite") in result.text
    assert len(set(asked)) == 5  # no question twice in a round
    card = question
    assert "Round over · Critical thinking" in card.text
    assert "4 of 5  ✅ ✅ ❌ ✅ ✅" in card.text
    assert "Well done!" in card.text
    assert card.button_texts == ["🔁 Play again", "🔀 Another topic", "Share ↗"]
    share = urlsplit(card.buttons[1][0]["url"])
    assert share.netloc == "t.me" and share.path == "/share/url"
    shared = parse_qs(share.query)
    assert shared["url"] == ["https://t.me/clicksbot_sandbox_bot"]
    assert "I got 4 of 5 in a fact-check round (Critical thinking)" in shared["text"][0]
    assert "Ana" not in shared["text"][0] and str(ana.id) not in shared["text"][0]
    store = runtime_of(bot.app).store
    assert store is not None and await store.current_round(ana.id) is None

    ana.send("/progress")
    progress = await ana.receive()
    assert "5 questions answered, 4 right" in progress.text

    await ana.press(card, "Play again")
    again = await next_step(ana)
    assert again.text.startswith("🎯 Question 1 of 5") and "Critical thinking" in again.text
    await ana.press(card, "Another topic")
    topics = await ana.receive()  # anew: the score card stays as it was
    assert "A round of 5 questions" in topics.text
    assert "Round over" in ana.chat.messages[card.id]["text"]
    await ana.press(topics, "◀ One question at a time")
    single = await ana.receive_edit()
    assert single.button_texts[0] == "Any topic" and "Pick a topic" in single.text


async def test_single_questions_stay_as_they_were(bot: Running, shipped_content: Content) -> None:
    """Picking a topic still asks one question, whose result offers the next one."""
    ben = bot.emulator.person("Ben")
    ben.send("/quiz")
    picker = await ben.receive()
    assert picker.button_texts[0] == "Any topic" and picker.button_texts[-1] == "🎯 A round of 5"
    await ben.press(picker, "Knowledge")
    question = await ben.receive()
    assert "Question 1 of" not in question.text
    q = question_of(question, shipped_content)
    await ben.press(question, option(question, q, True))
    result = await ben.receive_edit()
    if result.raw.get("photo"):
        result = await ben.receive()
    assert "Next question ▶" in result.button_texts


async def test_a_round_carries_on_after_a_restart(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """The round lives in the database: a bot restarted after two answers takes the third
    answer from the question sent before the restart, and the score card counts all five."""
    app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    pace_as(app, server.emulator.limits)
    cai = server.emulator.person("Cai")
    async with polling(app, poll_timeout=1):
        question = await start_round(cai, "Knowledge")
        for _ in range(2):
            _, question = await answer(cai, question, shipped_content, right=True)
        assert question.text.startswith("🎯 Question 3 of 5")

    restarted = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    pace_as(restarted, server.emulator.limits)
    async with polling(restarted, poll_timeout=1):
        for number in (3, 4, 5):
            assert question.text.startswith(f"🎯 Question {number} of 5")
            _, question = await answer(cai, question, shipped_content, right=number != 4)
        assert "Round over · Knowledge" in question.text
        assert "4 of 5  ✅ ✅ ✅ ❌ ✅" in question.text
    assert server.emulator.refused == []


async def test_a_command_leaves_a_round_and_a_left_round_blocks_nothing(
    bot: Running, shipped_content: Content
) -> None:
    """Any command ends a round: its question left open is then answered as a single one
    (no next question of the round follows). Starting a new round over an unfinished one
    replaces it: the old round's question cannot move the new round on."""
    dan = bot.emulator.person("Dan")
    store = runtime_of(bot.app).store
    assert store is not None
    question = await start_round(dan, "Any topic")
    _, question = await answer(dan, question, shipped_content, right=True)
    assert question.text.startswith("🎯 Question 2 of 5")
    dan.send("/tip")
    tip = await dan.receive()
    assert "Tip" in tip.text
    assert await store.current_round(dan.id) is None  # the command ended it
    q = question_of(question, shipped_content)
    await dan.press(question, option(question, q, True))
    result = await dan.receive_edit()
    if result.raw.get("photo"):
        result = await dan.receive()
    assert "Next question ▶" in result.button_texts  # a single question's result now
    await dan.expect_silence(0.5)  # and no "Question 3 of 5"

    # An unfinished round, then another one started over it from the picker.
    old = await start_round(dan, "Literacy")
    assert old.text.startswith("🎯 Question 1 of 5")
    new = await start_round(dan, "Creativity")
    assert new.text.startswith("🎯 Question 1 of 5") and "Creativity" in new.text
    old_q = question_of(old, shipped_content)
    await dan.press(old, option(old, old_q, True))
    old_result = await dan.receive_edit()
    if old_result.raw.get("photo"):
        old_result = await dan.receive()
    assert "Next question ▶" in old_result.button_texts
    await dan.expect_silence(0.5)
    for number in range(1, 6):
        assert new.text.startswith(f"🎯 Question {number} of 5")
        _, new = await answer(dan, new, shipped_content, right=True)
    assert "5 of 5" in new.text and "All right!" in new.text


PICTURE_PACK = """\
id: en-test-round-pictures
title: A round with a picture
language: en
competency: literacy
questions:
  - id: en-rp-q01
    kind: message
    skill: yes
    image: images/en-rp-q01.png
    alt: >-
      An SMS from "PARCEL-PH" says a parcel is held and asks for a fee at
      parcel-ph.delivery-fee.top.
    text: >-
      Look at the message in the picture. Who really owns the link it gives?
    options:
      - "The owner of delivery-fee.top"
      - "The national post office"
      - "The parcel company PARCEL-PH"
    answer: "The owner of delivery-fee.top"
    explanation: >-
      The owner is the name just before the ending: delivery-fee.top. Everything before
      it (parcel-ph.) can be made up by anyone. Open the courier's app or site yourself.
    source: https://www.ftc.gov/business-guidance/blog/2023/05/text-messages-trick-people
{more}
"""

MORE = """\
  - id: en-rp-q0{n}
    kind: headline
    text: >-
      Headline number {n} of this round says a miracle cure works overnight. What do you do first?
    options:
      - "Look for the study it names, and who else reports it"
      - "Share it with friends who are ill"
      - "Believe it because it is in a headline"
    answer: "Look for the study it names, and who else reports it"
    explanation: >-
      Cures that work overnight are a classic sign of a misleading claim. Find the study and
      see whether trusted outlets report it too before you believe or share it.
    source: https://www.who.int/news-room/spotlight/let-s-flatten-the-infodemic-curve
"""


def picture_packs(folder: Path) -> Path:
    packs = folder / "quizzes"
    (packs / "en" / "images").mkdir(parents=True)
    more = "".join(MORE.format(n=n) for n in range(2, 6))
    (packs / "en" / "round.yaml").write_text(PICTURE_PACK.format(more=more))
    image = Image.new("RGB", (900, 500), "white")
    ImageDraw.Draw(image).text((40, 40), "PARCEL-PH: pay at parcel-ph.delivery-fee.top", "black")
    image.save(packs / "en" / "images" / "en-rp-q01.png")
    return packs


async def test_a_round_with_a_picture_question(
    server: EmulatorServer, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    """A question with a picture comes as the photo, "Question n of 5" and the question in
    its caption; answering keeps the picture, its result follows, then the next question."""
    content, problems = load_content(picture_packs(tmp_path))
    assert not [p for p in problems if not p.warning], problems
    app = build_application(settings, content, clock=clock, base_url=server.api_url)
    pace_as(app, server.emulator.limits)
    eve = server.emulator.person("Eve")
    async with polling(app, poll_timeout=1):
        question = await start_round(eve, "Literacy")
        pictures = 0
        for number in range(1, 6):
            assert question.text.startswith(f"🎯 Question {number} of 5")
            if question.raw.get("photo"):
                pictures += 1
                assert "In the picture: An SMS" in question.raw["caption"]
                shown = question
            result, question = await answer(eve, question, content, right=True)
            assert f"Question {number} of 5" in result.text and "Right!" in result.text
        assert pictures == 1
        assert "photo" in eve.chat.messages[shown.id]  # the picture stayed
        assert "reply_markup" not in eve.chat.messages[shown.id]  # its options went
        assert "5 of 5  ✅ ✅ ✅ ✅ ✅" in question.text
    assert server.emulator.refused == []


def test_every_round_message_fits_in_every_language(shipped_content: Content) -> None:
    """The round's topics, its questions and results at their longest, and every score card
    (each topic, each kind of score) are messages Telegram takes, in every language."""
    from clicksbot.botapi import rules
    from clicksbot.content import COMPETENCIES
    from clicksbot.i18n import Catalogs
    from clicksbot.render import learning
    from clicksbot.render import rounds as render
    from clicksbot.services.learning import AnswerOutcome, AnswerStatus, AskedQuestion
    from clicksbot.services.rounds import Score

    catalogs = Catalogs.load()
    longest = max(
        shipped_content.questions(),
        key=lambda q: len(q.text) + sum(map(len, q.options)) + len(q.explanation),
    )
    order = tuple(range(len(longest.options)))
    for language in catalogs.languages:
        t = catalogs.get(language)
        replies = [
            render.round_topics_message(t, list(COMPETENCIES)),
            learning.topics_message(t, list(COMPETENCIES)),
            learning.none_in_language(t, "knowledge", in_round=True),
            learning.question_message(t, AskedQuestion(10**17, longest, order, True), (5, 5)),
            learning.answer_message(
                t, AnswerOutcome(AnswerStatus.RECORDED, longest, 1, False, (), "any", order), (5, 5)
            ),
        ]
        for topic in ("any", *(c.value for c in COMPETENCIES)):
            for marks in ((True,) * 5, (True, True, True, False, False), (False, True, False), ()):
                score = Score(topic, language != "en", marks)
                replies.append(render.score_message(t, score, "clicksbot_sandbox_bot"))
        for reply in replies:
            rules.check_message_text(reply.text, "HTML", None)
            assert reply.keyboard is None or rules.check_reply_markup(reply.keyboard.to_dict())
    en = catalogs.get("en")
    kinds = ((True,) * 5, (True, True, True, False, False), (True, False, False), (False,) * 5)
    cheers = [render.cheer(en, Score("any", False, marks)) for marks in kinds]
    assert [c.split(" ", 1)[0] for c in cheers] == ["🌟", "💪", "👍", "🌱"]


async def test_a_press_telegram_will_not_answer_still_brings_its_result_and_the_round(
    bot: Running, shipped_content: Content
) -> None:
    """Telegram refuses to answer a press (too old to answer, as after a restart): the
    answer still counts, its result takes the question's place, the round goes on to its
    next question, and no apology for an error follows."""
    ana = await started(bot, "Ana")
    question = await start_round(ana, "Critical thinking")
    bot.emulator.fail(
        "answerCallbackQuery", 400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    )  # fmt: skip
    button = option(question, question_of(question, shipped_content), True)
    with pytest.raises(AssertionError, match="did not answer the press"):
        await ana.press(question, button, timeout=1)
    result = await ana.receive_edit()
    if result.raw.get("photo"):  # a picture keeps its place; the result follows it
        result = await ana.receive()
    assert "Right!" in result.text, result.text
    second = await next_step(ana)
    assert any(b.startswith("A. ") for b in second.button_texts), second.text
    await ana.expect_silence(0.5)

"""Spaced boosters, "how sure are you?" and what /progress makes of them, with a controlled
clock and at the real setting (the confidence step on, as people have it).

Boosters: a wrong answer comes back on the next local day (the person's time zone) and not
before; right answers then bring it back after 3, 7 and 21 days, and a right answer at the
last box masters it. /review serves what is due, one at a time, and says plainly when nothing
is; /quiz and rounds serve a due booster first, marked; the daily tip offers one with a
button. Confidence: recorded at the choice press, the rating (or Skip) after it, once.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, Clock, Running, drain, running, started
from test_every_message_fits import check

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.content import COMPETENCIES, Content, Question, load_content
from clicksbot.content.models import TECHNIQUES
from clicksbot.context import Runtime
from clicksbot.i18n import Catalogs
from clicksbot.render import boosters as render
from clicksbot.render import learning as learning_render
from clicksbot.sandbox import BotMessage, EmulatorServer, Person
from clicksbot.services import boosters
from clicksbot.services.boosters import Due, Placement, after_answer
from clicksbot.services.insight import Insight, Level, Technique, out_of_ten
from clicksbot.services.learning import REVIEW, AnswerOutcome, AnswerStatus, AskedQuestion
from clicksbot.services.progress import BADGES, Stats
from clicksbot.store import CompetencyScore
from clicksbot.store.boosters import Summary

CATALOGS = Catalogs.load()
MANILA = ZoneInfo("Asia/Manila")  # UTC+8, no summer time
SURE, FAIRLY, GUESSING, SKIP = "💯 Sure", "🙂 Fairly sure", "🎲 Guessing", "Skip ▶"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The real default: "how sure are you?" is asked (the shared fixture turns it off)."""
    return dataclasses.replace(settings, ask_confidence=True)


def rt(bot: Running) -> Runtime:
    return runtime_of(bot.app)


def question_of(message: BotMessage, content: Content) -> Question:
    found = [q for q in content.questions() if q.text in message.text]
    assert len(found) == 1, message.text
    return found[0]


def option(message: BotMessage, question: Question, right: bool) -> str:
    return next(
        b for b in message.button_texts if (b.split(". ", 1)[1] == question.correct_option) == right
    )


async def settle(person: Person) -> None:
    """Set aside what the bot still sends (badges, say)."""
    while True:
        try:
            await person.receive(timeout=0.3)
        except AssertionError:
            break
    while not person.chat.edits.empty():
        person.chat.edits.get_nowait()


async def answer(
    person: Person, message: BotMessage, content: Content, right: bool, sure: str = SURE
) -> BotMessage:
    """Press the right (or a wrong) option, then a level of confidence; return the result."""
    await person.press(message, option(message, question_of(message, content), right))
    if message.raw.get("photo"):  # the picture keeps its place; the rating step follows it
        await person.receive_edit()
        step = await person.receive()
    else:
        step = await person.receive_edit()
        assert step.id == message.id  # in place of the question
    assert "How sure are you?" in step.text and "Your answer:" in step.text
    assert "Right!" not in step.text and "Not quite" not in step.text  # no result yet
    assert step.button_texts == [GUESSING, FAIRLY, SURE, SKIP]
    await person.press(step, sure)
    result = await person.receive_edit()
    assert result.id == step.id
    return result


async def review(person: Person) -> BotMessage:
    await settle(person)
    person.send("/review")
    return await person.receive()


async def ask_topic(person: Person, topic: str) -> BotMessage:
    await settle(person)
    person.send("/quiz")
    await person.press(await person.receive(), topic)
    return await person.receive()


def at(day: date, hhmm: str) -> datetime:
    """The moment it is `hhmm` on `day` in Manila."""
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=MANILA).astimezone(UTC)


# -- the rules -----------------------------------------------------------------------------


def summary(box: int, due: date | None) -> Summary:
    return Summary("q", 1, 0, datetime(2026, 1, 1, tzinfo=UTC), box, due)


def test_the_leitner_rules() -> None:
    """Wrong: box 1, tomorrow. First right: box 2, in 3 days. Right when due: up a box (7,
    then 21 days), then mastered. Right before it is due: nothing moves. Wrong when mastered:
    box 1 again."""
    today = date(2026, 11, 23)
    assert after_answer(None, False, today) == Placement(1, date(2026, 11, 24))
    assert after_answer(None, True, today) == Placement(2, date(2026, 11, 26))
    assert after_answer(summary(1, today), True, today) == Placement(2, date(2026, 11, 26), True)
    assert after_answer(summary(2, today), True, today) == Placement(3, date(2026, 11, 30), True)
    assert after_answer(summary(3, today), True, today) == Placement(4, date(2026, 12, 14), True)
    assert after_answer(summary(4, today), True, today) == Placement(5, None, True)
    early = summary(3, date(2026, 11, 25))
    assert after_answer(early, True, today) == Placement(3, date(2026, 11, 25))
    assert after_answer(early, False, today) == Placement(1, date(2026, 11, 24))
    assert after_answer(summary(5, None), False, today) == Placement(1, date(2026, 11, 24))
    assert after_answer(summary(5, None), True, today) == Placement(5, None)
    assert boosters.INTERVALS == {1: 1, 2: 3, 3: 7, 4: 21}


def test_out_of_ten_rounds_half_up() -> None:
    assert [out_of_ten(r, 5) for r in range(6)] == [0, 2, 4, 6, 8, 10]
    assert (out_of_ten(2, 3), out_of_ten(1, 3), out_of_ten(1, 20), out_of_ten(0, 0)) == (7, 3, 1, 0)


# -- boosters through the bot --------------------------------------------------------------


async def test_a_wrong_answer_returns_the_next_local_day_then_after_3_7_and_21_days(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    """In Manila: answered wrong at 16:00 on the 23rd, it is not due at 23:30 that day nor
    before midnight there, and is due at 00:30 on the 24th (16:30 UTC on the 23rd). Right
    then, it comes back on the 27th; right, on 3 December; right, on the 24th; right, it is
    mastered. /progress says what is due now or next."""
    ana = await started(bot, "Ana")
    store = rt(bot).store
    assert store is not None
    await store.set_place(ana.id, None, "Asia/Manila")
    day0 = date(2026, 11, 23)
    clock.now = at(day0, "16:00")
    question = await ask_topic(ana, "Knowledge")
    result = await answer(ana, question, shipped_content, right=False)
    assert "Not quite" in result.text
    assert "This one comes back tomorrow as a booster." in result.text
    text = question_of(question, shipped_content).text

    clock.now = at(day0, "23:59")
    said = await review(ana)
    assert "No boosters due right now." in said.text and "due tomorrow" in said.text
    ana.send("/progress")
    assert "the next one is tomorrow" in (await ana.receive()).text

    due_day = day0 + timedelta(days=1)
    for interval, comes_back in ((3, "Fri, November 27"), (7, "Fri, December 4"),
                                 (21, "Fri, December 25"), (0, "")):  # fmt: skip
        clock.now = at(due_day, "00:30")
        ana.send("/progress")
        assert "Boosters due now: 1. Send /review" in (await ana.receive()).text
        booster = await review(ana)
        assert booster.text.startswith("🔁 Booster")
        assert text in booster.text
        result = await answer(ana, booster, shipped_content, right=True)
        assert "Right!" in result.text
        if interval:
            assert f"This one comes back on {comes_back} as a booster" in result.text
            assert "That was the last booster due" in result.text
            assert result.button_texts == ["Next question ▶", "Change topic"]
            due_day += timedelta(days=interval)
            clock.now = at(due_day - timedelta(days=1), "23:59")  # the day before: not yet
            said = await review(ana)
            assert "No boosters due right now." in said.text, interval
        else:
            assert "Mastered!" in result.text
            said = await review(ana)
            assert "No boosters due right now" not in said.text
            assert "None yet" in said.text  # nothing in a box any more


async def test_review_with_nothing_due_and_the_next_booster_button(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    """/review before any answer explains boosters; with two due, a booster's result offers
    the next one, and the last says it was the last."""
    bo = await started(bot, "Bo")
    said = await review(bo)
    assert "Boosters</b>" not in said.text and "None yet" in said.text
    assert "1, 3, 7 and 21 days" in said.text
    for _ in range(2):
        await answer(bo, await ask_topic(bo, "Any topic"), shipped_content, right=False)
    clock.advance(days=1)
    first = await review(bo)
    result = await answer(bo, first, shipped_content, right=True, sure=SKIP)
    assert result.button_texts == ["🔁 Next booster ▶", "Change topic"]
    await bo.press(result, "🔁 Next booster ▶")
    second = await bo.receive()
    assert second.text.startswith("🔁 Booster") and second.text != first.text
    last = await answer(bo, second, shipped_content, right=True, sure=SKIP)
    assert "That was the last booster due" in last.text


async def test_quiz_and_a_round_serve_a_due_booster_first(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    """A question answered wrong yesterday comes first in /quiz on its topic, marked as a
    booster; a round of that topic the next day starts with another one due, and its five
    questions are still five different ones ending in a score card."""
    cy = await started(bot, "Cy")
    wrong = []
    for _ in range(2):
        message = await ask_topic(cy, "Critical thinking")
        wrong.append(question_of(message, shipped_content).id)
        await answer(cy, message, shipped_content, right=False)
        clock.advance(minutes=1)
    clock.advance(days=1)
    first = await ask_topic(cy, "Critical thinking")
    assert first.text.startswith("🔁 Booster: a question from before")
    assert question_of(first, shipped_content).id == wrong[0]  # asked longest ago first
    await answer(cy, first, shipped_content, right=True)
    await settle(cy)
    cy.send("/quiz")
    picker = await cy.receive()
    await cy.press(picker, "🎯 A round of 5")
    await cy.press(await cy.receive_edit(), "Critical thinking")
    seen = []
    message = await cy.receive()
    for number in range(1, 6):
        assert message.text.startswith(f"🎯 Question {number} of 5"), message.text
        if number == 1:
            assert "🔁 Booster" in message.text
            assert question_of(message, shipped_content).id == wrong[1]
        else:
            assert "🔁 Booster" not in message.text
        seen.append(question_of(message, shipped_content).id)
        result = await answer(cy, message, shipped_content, right=True, sure=FAIRLY)
        assert f"Question {number} of 5" in result.text and "Right!" in result.text
        message = await cy.receive()
        while "New badge" in message.text:
            message = await cy.receive()
    assert "Round over" in message.text and "5 of 5" in message.text
    assert len(set(seen)) == 5


async def test_the_daily_tip_offers_a_due_booster(
    bot: Running, clock: Clock, shipped_content: Content
) -> None:
    """A subscriber with a booster due finds a button on the daily tip that serves it; one
    with none due finds no such button."""
    dee = await started(bot, "Dee")
    eli = await started(bot, "Eli")
    runtime = rt(bot)
    assert runtime.store is not None and runtime.daily is not None
    for person in (dee, eli):
        await runtime.store.set_place(person.id, None, "UTC")
        await runtime.store.set_tip_time(person.id, "09:00")
        runtime.daily.schedule("UTC", "09:00")
    await answer(dee, await ask_topic(dee, "Knowledge"), shipped_content, right=False)
    await settle(dee)
    clock.now = clock.now.replace(hour=9, minute=0) + timedelta(days=1)
    assert await runtime.daily.tick() == 2
    await drain(bot)
    tip = await dee.receive()
    assert "Your daily tip" in tip.text and "🔁 A booster is due" in tip.button_texts
    other = await eli.receive()
    assert "Your daily tip" in other.text and "🔁 A booster is due" not in other.button_texts
    await dee.press(tip, "🔁 A booster is due")
    booster = await dee.receive()
    assert booster.text.startswith("🔁 Booster")


# -- confidence ----------------------------------------------------------------------------


async def test_confidence_is_recorded_per_level_and_skip_once_and_the_answer_first(
    bot: Running, shipped_content: Content
) -> None:
    """Each level is stored as 1, 2, 3 and Skip as none; the answer is recorded at the
    choice press, so a person who never rates loses nothing; a double tap on the rating is
    answered politely and changes nothing."""
    fay = await started(bot, "Fay")
    store = rt(bot).store
    assert store is not None
    for level in (GUESSING, FAIRLY, SURE, SKIP):
        await answer(fay, await ask_topic(fay, "Any topic"), shipped_content, True, level)
    rows = await store._db.execute_fetchall(
        "SELECT confidence, rated_at IS NOT NULL FROM answers WHERE user_id = ? ORDER BY id",
        (fay.id,),
    )
    assert [tuple(r) for r in rows] == [(1, 1), (2, 1), (3, 1), (None, 1)]
    # Chosen but never rated: counted all the same.
    question = await ask_topic(fay, "Any topic")
    await fay.press(question, 0)
    step = await fay.receive_edit()
    if question.raw.get("photo"):  # the picture stays; the rating step follows it
        step = await fay.receive()
    assert "How sure are you?" in step.text
    assert sum(s.answered for s in (await store.learner_record(fay.id)).scores) == 5
    # Rated, then the same button again (an old message, or a quick double tap).
    data = step.buttons[0][2]["callback_data"]
    await fay.press(step, SURE)
    await fay.receive_edit()
    await settle(fay)
    again = await fay.press_data(step, data)
    assert "already answered" in again["text"]
    await fay.expect_silence()
    rows = await store._db.execute_fetchall(
        "SELECT confidence FROM answers WHERE user_id = ? ORDER BY id DESC LIMIT 1", (fay.id,)
    )
    assert [r[0] for r in rows] == [3]
    # Someone else's rating button is refused.
    gus = await started(bot, "Gus")
    refused = await gus.press_data(step, data)
    assert "no longer works" in refused["text"]


async def test_confidence_with_a_picture_and_in_english(
    server: EmulatorServer, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    """A picture question keeps its picture and loses its options; the rating step follows
    it and becomes the result. A Malay speaker is asked in Malay, also when answering an
    English question (none in Malay on the topic), and "next question" stays in English."""
    from test_pictures import make_pack

    packs = make_pack(tmp_path)
    (packs / "ms").mkdir()
    shutil.copy(REPO / "quizzes" / "ms" / "asas-semak-fakta.yaml", packs / "ms")
    content, problems = load_content(packs)
    assert not [p for p in problems if not p.warning], problems
    async with running(server, settings, content, clock):
        ana = server.emulator.person("Ana")
        shown = await ask_topic(ana, "Literacy")
        assert shown.raw.get("photo")
        result = await answer(ana, shown, content, right=True)
        assert "Right!" in result.text and "comes back on" in result.text
        assert "reply_markup" not in ana.chat.messages[shown.id]
        assert "photo" in ana.chat.messages[shown.id]

        siti = server.emulator.person("Siti", language_code="ms")
        siti.send("/quiz")
        await siti.press(await siti.receive(), "Pemikiran kritis")
        own = await siti.receive()
        await siti.press(own, 0)
        assert "Sejauh mana anda pasti?" in (await siti.receive_edit()).text
        await settle(siti)
        siti.send("/quiz")
        await siti.press(await siti.receive(), "Literasi")  # none in Malay here
        said = await siti.receive()
        await siti.press(said, 0)  # in English: the picture question
        question = await siti.receive()
        assert "Dalam bahasa Inggeris" in question.raw["caption"]
        await siti.press(question, 0)
        await siti.receive_edit()  # its options go
        step = await siti.receive()
        assert "Sejauh mana anda pasti?" in step.text
        await siti.press(step, "💯 Pasti")
        result = await siti.receive_edit()
        assert result.id == step.id
        assert result.buttons[0][0]["callback_data"].startswith("1|quizen|")
    assert server.emulator.refused == []


# -- /progress -----------------------------------------------------------------------------

TECHNIQUE_PACK = """\
id: en-test-emotion
title: Feelings first
language: en
competency: critical-thinking
questions:
{questions}"""
TECHNIQUE_QUESTION = """\
  - id: en-emo-q{n}
    kind: post
    technique: emotion
    text: A post number {n} says you will be outraged. What is it doing?
    options:
      - "Stirring your feelings so that you share before you think ({n})"
      - "Reporting a fact calmly ({n})"
    answer: "Stirring your feelings so that you share before you think ({n})"
    explanation: Strong feelings make us share first and check later. Pause, then check.
    source: https://www.bbc.co.uk/bitesize/articles/zcr8ydm
"""


async def test_progress_shows_calibration_and_techniques_once_there_is_enough(
    server: EmulatorServer, settings: Settings, clock: Clock, tmp_path: Path
) -> None:
    """After 4 answers rated "sure", /progress only invites more ratings; after 5 (4 right),
    it says "When you were sure, you were right 8 times out of 10", and, all 5 teaching
    emotional manipulation, "You spot emotional manipulation 8 times out of 10"."""
    packs = tmp_path / "quizzes" / "en"
    packs.mkdir(parents=True)
    questions = "".join(TECHNIQUE_QUESTION.format(n=n) for n in range(1, 7))
    (packs / "emotion.yaml").write_text(TECHNIQUE_PACK.format(questions=questions))
    content, problems = load_content(packs.parent)
    assert not [p for p in problems if not p.warning], problems
    async with running(server, settings, content, clock):
        hal = server.emulator.person("Hal")
        for n, right in enumerate((True, True, False, True, True)):
            await answer(hal, await ask_topic(hal, "Critical thinking"), content, right)
            await settle(hal)
            hal.send("/progress")
            progress = await hal.receive()
            if n < 4:
                assert "after 5 answers at one level" in progress.text
                assert "When you were sure" not in progress.text
                assert "You spot" not in progress.text
        assert "How sure were you?" in progress.text
        assert "💯 When you were sure, you were right 8 times out of 10." in progress.text
        assert "Tricks you spot" in progress.text
        assert "🕵️ You spot emotional manipulation 8 times out of 10." in progress.text
        assert "Boosters due now" not in progress.text and "the next one is tomorrow" in (
            progress.text
        )
    assert server.emulator.refused == []


# -- privacy -------------------------------------------------------------------------------


async def test_mydata_shows_and_forget_deletes_boosters_and_ratings(
    bot: Running, shipped_content: Content
) -> None:
    """/mydata counts the questions in booster boxes and the rated answers, and its file
    holds the booster rows; /forget leaves no row of them; /privacy and /help say what they
    are."""
    ivy = await started(bot, "Ivy")
    await answer(ivy, await ask_topic(ivy, "Any topic"), shipped_content, right=False)
    await settle(ivy)
    ivy.send("/mydata")
    summary = await ivy.receive()
    assert "Questions in your booster boxes: 1; answers rated for how sure you were: 1" in (
        summary.text
    )
    document = await ivy.receive()
    data = json.loads(bot.emulator.files[document.raw["document"]["file_id"]])
    assert data["tables"]["boosters"][0]["box"] == 1
    assert data["tables"]["answers"][0]["confidence"] == 3
    ivy.send("/privacy")
    assert "Boosters and how sure you were" in (await ivy.receive()).text
    ivy.send("/help")
    helped = (await ivy.receive()).text
    assert "/review" in helped and "/checkup" in helped and "round of 5" in helped
    ivy.send("/forget")
    await ivy.press(await ivy.receive(), 0)
    await ivy.receive_edit()
    store = rt(bot).store
    assert store is not None
    for table in ("boosters", "answers"):
        rows = await store._db.execute_fetchall(
            f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (ivy.id,)
        )
        assert next(iter(rows))[0] == 0


# -- every language ------------------------------------------------------------------------


def test_dynamic_keys_are_in_every_catalog() -> None:
    """Technique names, confidence levels and calibration lines: in all 13 catalogs."""
    wanted = {f"technique.{name.replace('-', '_')}" for name in TECHNIQUES}
    wanted |= {f"confidence.{n}" for n in (1, 2, 3)} | {"confidence.skip"}
    wanted |= {f"progress.calibration_{n}" for n in (1, 2, 3)}
    for language in CATALOGS.languages:
        t = CATALOGS.get(language)
        english = CATALOGS.get("en")
        for key in wanted:
            assert t(key) != key, (language, key)
            if language != "en":
                assert t(key) != english(key) or key == "technique.trolling", (language, key)


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_every_booster_and_confidence_message_fits(language: str, shipped_content: Content) -> None:
    t = CATALOGS.get(language)
    today = date(2026, 11, 23)
    questions = list(shipped_content.questions(language)) or list(shipped_content.questions("en"))
    question = max(questions, key=lambda q: len(q.text) + sum(map(len, q.options)))
    order = tuple(range(len(question.options)))
    asked = AskedQuestion(10**17, question, order, True, booster=True)
    check(learning_render.question_message(t, asked, (5, 5)), "booster question")
    for placement in (Placement(1, today + timedelta(days=1)), Placement(4, today + timedelta(21)),
                      Placement(5, None, True)):  # fmt: skip
        for topic in ("any", REVIEW):
            outcome = AnswerOutcome(
                AnswerStatus.RECORDED, question, 0, False, (), topic, order, 10**17, placement
            )
            check(learning_render.confidence_message(t, outcome, (5, 5)), "confidence")
            for more in (True, False):
                reply = learning_render.answer_message(t, outcome, today=today, more_due=more)
                check(reply, "booster result")
    for due in (Due(0, None), Due(0, today + timedelta(days=1)), Due(0, today + timedelta(9))):
        check(render.nothing_due(t, due, today), "nothing due")
    tip = learning_render.tip_message(t, _pick(shipped_content, language), "b" * 32, daily=True)
    check(render.with_booster(t, tip), "tip with booster")
    insight = Insight(
        Due(9999, None),
        tuple(Level(c, 9999, 9998) for c in (3, 2, 1)),
        tuple(Technique(name, 9999, 9998) for name in TECHNIQUES),
        9999,
    )
    scores = {c: CompetencyScore(c.value, 9999, 9998) for c in COMPETENCIES}
    stats = Stats(99999, scores, 9999, 9999, tuple(b.id for b in BADGES))
    check(learning_render.progress_message(t, stats, (9999, 9999), insight, today), "progress")


def _pick(content: Content, language: str):  # type: ignore[no-untyped-def]
    from clicksbot.services.learning import TipPick

    tips = list(content.tips(language)) or list(content.tips("en"))
    return TipPick(max(tips, key=lambda x: len(x.text)), True, [])


@pytest.mark.sqlite_only(
    "a SQLite file at an older schema, by sqlite3 (test_postgresql upgrades PostgreSQL)"
)
def test_a_database_from_before_boosters_counts_its_answers(tmp_path: Path) -> None:
    """m016 fills the summary from the answers already there, in no box (no booster due)."""
    import sqlite3

    from clicksbot.store.migrations import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL)"
    )
    for number, (name, sql) in enumerate(MIGRATIONS[:15], start=1):
        db.executescript(sql)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')", (number, name))
    db.execute(
        "INSERT INTO users (id, language, created_at, last_seen_at) VALUES (7, 'en', 'x', 'x')"
    )
    rows = [
        ("q1", "2026-01-01T00:00:00+00:00", "2026-01-01T00:01:00+00:00", 1),
        ("q1", "2026-01-02T00:00:00+00:00", "2026-01-02T00:01:00+00:00", 0),
        ("q2", "2026-01-03T00:00:00+00:00", None, None),
    ]
    db.executemany(
        "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
        " option_order, asked_at, answered_at, correct) VALUES (7, ?, 'k', 'any', 'f', '0,1', ?,"
        " ?, ?)",
        rows,
    )
    db.commit()
    db.close()

    import asyncio

    from clicksbot.store import Store

    async def read() -> dict[str, Summary]:
        store = await Store.open(path)
        try:
            return await store.question_summaries(7)
        finally:
            await store.close()

    found = asyncio.run(read())
    assert {
        (s.question_id, s.answered, s.answered_right, s.box, s.due) for s in found.values()
    } == {
        ("q1", 2, 1, 0, None),
        ("q2", 0, 0, 0, None),
    }
    assert found["q1"].last_asked == datetime(2026, 1, 2, tzinfo=UTC)

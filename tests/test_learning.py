"""Learners: tips, fact-check quizzes, progress, streaks and badges, through the real bot."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from conftest import Clock, Running, running

from clicksbot.config import Settings
from clicksbot.content import Content
from clicksbot.render import callbacks as cb
from clicksbot.sandbox import BotMessage, EmulatorServer, Limits, Person


def runtime(bot: Running):  # type: ignore[no-untyped-def]
    return bot.app.bot_data["clicksbot.runtime"]


async def ask_any(person: Person) -> BotMessage:
    """Say /quiz, pick "Any topic", and return the question."""
    person.send("/quiz")
    await person.press(await person.receive(), "Any topic")
    return await person.receive()


async def answer_right(
    person: Person, question: BotMessage, content: Content, right: bool = True
) -> BotMessage:
    """Press the right (or a wrong) option of a question message; return the result."""
    text = question.text
    candidates = [q for q in content.questions() if q.text in text]
    assert len(candidates) == 1, text
    q = candidates[0]
    for button in question.button_texts:
        option = button.split(". ", 1)[1]
        if (option == q.correct_option) == right:
            await person.press(question, button)
            if question.raw.get("photo"):  # the picture stays, without its options
                await person.receive_edit()
                return await person.receive()  # the result follows it
            return await person.receive_edit()
    raise AssertionError("no such option")


async def test_first_tip_has_source_link_and_share_button(bot: Running) -> None:
    """A new person's /tip: a tip in their language, its source as a link, another and share."""
    alice = bot.emulator.person("Alice")
    alice.send("/tip")
    tip = await alice.receive()
    assert "Tip" in tip.text and tip.links and tip.links[0].startswith("https://")
    assert tip.button_texts == ["Another tip ▶", "Share ↗"]
    share = tip.buttons[0][1]
    assert share["url"].startswith("https://t.me/share/url?url=")
    await alice.press(tip, "Another tip")
    second = await alice.receive()
    assert second.text != tip.text


# Reading every shipped tip at machine speed is more than Telegram's bursts allow.
@pytest.mark.parametrize("limits", [Limits(per_chat_burst=10_000, global_burst=10_000)])
async def test_tips_do_not_repeat_until_all_read_then_start_over(
    bot: Running, shipped_content: Content
) -> None:
    """Every tip comes once; after the last, the bot says so and starts with the oldest."""
    alice = bot.emulator.person("Alice")
    total = len(list(shipped_content.tips("en")))
    texts = []
    for i in range(total):
        alice.send("/tip")
        texts.append((await alice.receive()).text)
        if i == 9:
            assert "Tip collector" in (await alice.receive()).text
    assert len(set(texts)) == total
    assert all("every tip" not in t for t in texts)
    alice.send("/tip")
    again = await alice.receive()
    assert "You have read every tip" in again.text
    assert again.text.split("\n\n", 1)[1] == texts[0]


async def test_tips_come_in_the_persons_language_or_else_in_english(
    bot: Running, shipped_content: Content
) -> None:
    """A Malay speaker reads Malay tips in a Malay interface; a German speaker, for whom there
    is no interface or pack, reads English ones."""
    siti = bot.emulator.person("Siti", language_code="ms")
    siti.send("/tip")
    tip = await siti.receive()
    assert "Sumber:" in tip.text  # "Source:" in Malay
    assert any(t.text in tip.text for t in shipped_content.tips("ms"))
    dara = bot.emulator.person("Dara", language_code="de")
    dara.send("/tip")
    tip = await dara.receive()
    assert "Source:" in tip.text
    assert any(t.text in tip.text for t in shipped_content.tips("en"))


async def test_quiz_question_answer_explanation_next(
    bot: Running, shipped_content: Content
) -> None:
    """/quiz offers topics; a question comes with options; an answer shows the verdict,
    the right answer, the explanation and the source, and a button for the next question."""
    alice = bot.emulator.person("Alice")
    alice.send("/quiz")
    topics = await alice.receive()
    assert topics.button_texts[0] == "Any topic"
    assert any("Critical thinking" in b for b in topics.button_texts)
    await alice.press(topics, "Critical thinking")
    question = await alice.receive()
    assert "Fact-check" in question.text and "Critical thinking" in question.text
    assert question.button_texts[0].startswith("A. ")
    result = await answer_right(alice, question, shipped_content, right=False)
    assert "Not quite" in result.text and "The answer is" in result.text
    assert result.links
    if not question.raw.get("photo"):  # (a picture stays; its result follows it)
        assert result.raw is question.raw  # the result took the place of the question
    assert "Your answer: ❌" in result.text and "A. " not in " ".join(result.button_texts)
    badge = await alice.receive()
    assert "New badge" in badge.text and "First step" in badge.text
    await alice.press(result, "Next question")
    nxt = await alice.receive()
    assert "Critical thinking" in nxt.text and nxt.text != question.text


async def test_no_question_repeats_across_a_full_pack(
    bot: Running, shipped_content: Content
) -> None:
    """All questions of a topic come once before any repeats; then the bot says so."""
    alice = bot.emulator.person("Alice")
    pool = [q for q in shipped_content.questions("en") if q.competency.value == "knowledge"]
    seen = []
    message: BotMessage | None = None
    for _ in range(len(pool)):
        if message is None:
            alice.send("/quiz")
            await alice.press(await alice.receive(), "Knowledge")
        else:
            await alice.press(message, "Next question")
        question = await alice.receive()
        while "New badge" in question.text:  # announced after the previous result
            question = await alice.receive()
        seen.append(question.text.split("\n\n")[1])
        message = await answer_right(alice, question, shipped_content)
    assert len(set(seen)) == len(pool)
    assert message is not None
    await alice.press(message, "Next question")
    again = await alice.receive()
    while "New badge" in again.text:
        again = await alice.receive()
    assert "You have answered every question" in again.text


async def test_double_tap_and_stale_buttons_change_nothing(
    bot: Running, shipped_content: Content
) -> None:
    """A second tap on an answered question is answered politely and records nothing."""
    alice = bot.emulator.person("Alice")
    question = await ask_any(alice)
    data = question.buttons[0][0]["callback_data"]
    await alice.press(question, 0)
    await alice.receive_edit()  # the result, in place of the question
    if question.raw.get("photo"):  # the picture stays, without its options; result follows
        await alice.receive()
    await alice.receive()  # the first-answer badge
    again = await alice.press_data(question, data)
    assert "already answered" in again["text"]
    await alice.expect_silence()
    scores = (await runtime(bot).store.learner_record(alice.id)).scores
    assert sum(s.answered for s in scores) == 1


async def test_buttons_still_work_after_a_restart(
    server, settings, shipped_content: Content, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """A question sent before the bot restarted can still be answered afterwards."""
    from clicksbot.app import build_application, polling

    alice = server.emulator.person("Alice")
    app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        question = await ask_any(alice)
    app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        answer = await alice.press(question, 1)
        assert answer["text"] is None  # answered silently: the result says it all
        result = await alice.receive_edit()
        if question.raw.get("photo"):  # the picture stays, without its options; result follows
            result = await alice.receive()
        assert "Right" in result.text or "Not quite" in result.text
    assert server.emulator.refused == []


async def test_forged_payloads_are_refused(bot: Running) -> None:
    """A payload for another person's question, an unknown row, or a bad option records nothing."""
    alice = bot.emulator.person("Alice")
    mallory = bot.emulator.person("Mallory")
    question = await ask_any(alice)
    asked_id = question.buttons[0][0]["callback_data"].split("|")[2]
    mallory.send("/help")
    bait = await mallory.receive()
    for forged in (
        cb.encode("ans", asked_id, "0"),  # Alice's question, pressed by Mallory
        cb.encode("ans", "999999", "0"),  # no such question asked
        f"1|ans|{asked_id}|11",  # an option the question does not have
        "1|ans|abc|0",
        "1|quiz|not-a-competency",
        "2|ans|1|0",  # another codec version
    ):
        answer = await mallory.press_data(bait, forged)
        assert "no longer works" in answer["text"], forged
    assert (await runtime(bot).store.learner_record(mallory.id)).scores == ()
    assert (await runtime(bot).store.learner_record(alice.id)).scores == ()


async def test_streak_counts_local_days_and_badge_is_announced_once(
    bot: Running, clock: Clock
) -> None:
    """Streaks count days in the person's time zone; the 3-day badge comes exactly once."""
    store = runtime(bot).store
    alice = bot.emulator.person("Alice")
    alice.send("/start")
    await alice.receive()
    await store._db.execute("UPDATE users SET time_zone = 'Asia/Manila' WHERE id = ?", (alice.id,))
    await store._db.commit()
    # 15:30 UTC is 23:30 in Manila; 16:30 UTC is 00:30 the next day there.
    clock.now = clock.now.replace(hour=15, minute=30)
    for step in range(3):
        alice.send("/tip")
        await alice.receive()
        clock.advance(hours=1 if step == 0 else 24)
    badge = await alice.receive()
    assert "On a roll" in badge.text
    alice.send("/tip")
    await alice.receive()
    await alice.expect_silence()
    alice.send("/progress")
    progress = await alice.receive()
    assert "Streak: 3 days (best: 3)" in progress.text or "Streak: 4 days" in progress.text
    clock.advance(days=3)
    alice.send("/progress")
    later = await alice.receive()
    assert "Streak: 0 days (best: " in later.text


async def test_progress_shows_accuracy_per_competency_and_badges(
    bot: Running, shipped_content: Content
) -> None:
    """/progress: answers, accuracy, per competency, tips, streak and badges."""
    alice = bot.emulator.person("Alice")
    alice.send("/progress")
    empty = await alice.receive()
    assert "not answered any questions yet" in empty.text and "No badges yet" in empty.text
    alice.send("/quiz")
    await alice.press(await alice.receive(), "Knowledge")
    await answer_right(alice, await alice.receive(), shipped_content)
    await alice.receive()  # badge
    alice.send("/progress")
    progress = await alice.receive()
    assert "1 question answered, 1 right (100%)" in progress.text
    assert "Knowledge: 1 answer, 100% right" in progress.text
    assert "1 badge" in progress.text and "First step" in progress.text
    assert "Streak: 1 day (best: 1)" in progress.text


@pytest.mark.parametrize("language", ["en", "ms"])
async def test_longest_content_is_accepted(
    bot: Running, shipped_content: Content, language: str
) -> None:
    """The longest question and explanation in the packs render within Telegram's limits."""
    from clicksbot.render import learning as render
    from clicksbot.services.learning import AnswerOutcome, AnswerStatus, AskedQuestion

    t = runtime(bot).catalogs.get(language)
    alice = bot.emulator.person("Alice")
    alice.send("/start")
    await alice.receive()
    longest = max(shipped_content.questions(), key=lambda q: len(q.text) + sum(map(len, q.options)))
    wordiest = max(shipped_content.questions(), key=lambda q: len(q.explanation))
    replies = [
        render.question_message(
            t, AskedQuestion(1, longest, tuple(range(len(longest.options))), True)
        )
    ]
    for q in (longest, wordiest):
        order = tuple(range(len(q.options)))
        outcome = AnswerOutcome(AnswerStatus.RECORDED, q, 0, False, (), "any", order)
        replies.append(render.answer_message(t, outcome))
    for reply in replies:
        await bot.app.bot.send_message(
            alice.id, reply.text, parse_mode="HTML", reply_markup=reply.keyboard
        )
    assert bot.emulator.refused == []


async def test_a_question_changed_since_asking_is_not_graded(
    server, settings, shipped_content: Content, clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    """If a pack's question was rewritten after it was asked, its old buttons grade nothing."""
    import dataclasses

    from clicksbot.app import build_application, polling

    alice = server.emulator.person("Alice")
    app = build_application(settings, shipped_content, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        question = await ask_any(alice)
    asked = next(q for q in shipped_content.questions() if q.text in question.text)
    rewritten = dataclasses.replace(asked, options=tuple(reversed(asked.options)))
    packs = tuple(
        dataclasses.replace(
            p, questions=tuple(rewritten if q.id == asked.id else q for q in p.questions)
        )
        for p in shipped_content.packs
    )
    changed = Content.of(packs)
    app = build_application(settings, changed, clock=clock, base_url=server.api_url)
    async with polling(app, poll_timeout=1):
        answer = await alice.press(question, 0)
        assert "changed or removed" in answer["text"]


async def test_one_persons_burst_does_not_hold_up_others(bot: Running) -> None:
    """Updates from different people run side by side; one person's stay in order."""
    alice = bot.emulator.person("Alice")
    bob = bot.emulator.person("Bob")
    for _ in range(12):
        alice.send("/tip")
    bob.send("/help")
    await bob.receive()
    assert alice.chat.inbox.qsize() < 12  # Bob did not wait for all of Alice's tips
    tips = [await alice.receive() for _ in range(12)]
    ids = [m.id for m in tips]
    assert ids == sorted(ids) and len({m.text for m in tips}) == 12


async def test_a_press_is_answered_while_what_it_brings_goes_out(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """Every call to Telegram takes half a second here (a server far from Telegram's): an
    answer pressed brings "how sure are you?", and a rating its result, one trip after the
    press, not two. The press is answered (the button's spinner stops) while the next step
    goes out; they wait for nothing of each other."""
    trip = 0.5
    settings = replace(settings, ask_confidence=True)  # as shipped
    async with running(server, settings, shipped_content, clock):
        emulator = server.emulator
        ana = emulator.person("Ana")
        question = await ask_any(ana)
        while question.raw.get("photo"):  # a text question: its next step is one edit
            await ana.press(question, 0)
            await ana.receive_edit()
            await ana.press(await ana.receive(), "Skip")
            await ana.press(await ana.receive_edit(), "Next question")
            question = await ana.receive()
            while not question.button_texts[:1] or not question.button_texts[0].startswith("A. "):
                question = await ana.receive()  # a badge (the first answer's) came first
        loop = asyncio.get_running_loop()
        for step, button in (("answer", 0), ("rating", 1)):
            for method in ("answerCallbackQuery", "editMessageText"):
                emulator.fail(method, 0, delay=trip)  # slowed down, not failed
            began = loop.time()
            pressing = asyncio.create_task(ana.press(question, button))
            shown = await ana.receive_edit()
            took = loop.time() - began
            assert await pressing == {"text": None, "show_alert": False, "url": None}
            assert trip <= took < 2 * trip - 0.1, f"the {step}'s next step took {took:.2f} s"
            question = shown
        assert question.button_texts[0] == "Next question ▶", question.button_texts
    refused = [(c.method, c.error.description if c.error else "") for c in emulator.refused]
    assert refused == []


class Press:
    """What `answering` uses of an update: its press, whose answer waits `delay` seconds and
    then does what `answer_does` says."""

    def __init__(self, delay: float = 0.0, answer_does: BaseException | None = None) -> None:
        self.callback_query = self
        self.delay = delay
        self.answer_does = answer_does
        self.answered = False

    async def answer(self) -> bool:
        await asyncio.sleep(self.delay)
        if self.answer_does is not None:
            raise self.answer_does
        self.answered = True
        return True


async def test_a_press_and_its_step_keep_their_errors_apart(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`answering`: the step's error is raised once the answer is done; an answer Telegram
    refuses is only logged; any other error of the answer is raised when the step went well,
    and the step's own error wins when both failed."""
    from telegram.error import BadRequest

    from clicksbot.handlers.common import answering

    async def step(does: BaseException | None = None) -> None:
        await asyncio.sleep(0)
        if does is not None:
            raise does

    press = Press(delay=0.05)
    await answering(press, step())  # type: ignore[arg-type]
    assert press.answered  # the step's end waited for the answer
    with caplog.at_level(logging.INFO, logger="clicksbot.handlers.common"):
        await answering(Press(answer_does=BadRequest("Query is too old")), step())  # type: ignore[arg-type]
    assert "A press was not answered (Query is too old)" in caplog.text
    with pytest.raises(KeyError):
        await answering(Press(answer_does=KeyError("answer")), step())  # type: ignore[arg-type]
    press = Press(delay=0.05)
    with pytest.raises(ValueError, match="step"):
        await answering(press, step(ValueError("step")))  # type: ignore[arg-type]
    assert press.answered
    with pytest.raises(ValueError, match="step"):
        await answering(Press(answer_does=KeyError("answer")), step(ValueError("step")))  # type: ignore[arg-type]


async def test_a_press_cancelled_leaves_no_answer_behind() -> None:
    """A handler cancelled in the middle of its step (the bot stopping) cancels the press's
    answer too; an answer that had already failed is not left for asyncio to complain of."""
    from telegram.error import BadRequest

    from clicksbot.handlers.common import answering

    started = asyncio.Event()

    async def step() -> None:
        started.set()
        await asyncio.sleep(10)

    slow = Press(delay=10)
    handling = asyncio.create_task(answering(slow, step()))  # type: ignore[arg-type]
    await started.wait()
    [pending] = [t for t in asyncio.all_tasks() if "Press.answer" in repr(t.get_coro())]
    handling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await handling
    await asyncio.wait([pending])
    assert pending.cancelled() and not slow.answered
    started.clear()
    failed = Press(answer_does=BadRequest("Query is too old"))
    handling = asyncio.create_task(answering(failed, step()))  # type: ignore[arg-type]
    await started.wait()
    [answer] = [t for t in asyncio.all_tasks() if "Press.answer" in repr(t.get_coro())]
    await asyncio.sleep(0.01)  # the answer has failed meanwhile
    assert answer.done() and not answer.cancelled(), answer
    # Its error is looked at as it ends, whatever becomes of the step: asyncio would otherwise
    # log it as never retrieved if its task were collected unawaited (CPython's own flag).
    assert answer._log_traceback is False  # type: ignore[attr-defined]
    handling.cancel()
    await asyncio.wait([handling])
    assert handling.cancelled()

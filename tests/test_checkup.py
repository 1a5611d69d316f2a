"""The discernment checkup: offered at the first quiz and again after 14 days and 20 answers,
taken one item at a time in one message with no feedback until the end, scored as
discernment and bias, and kept to the little the report needs (shown by /mydata, deleted by
/forget)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Clock, Running, running, started

from clicksbot.app import runtime_of
from clicksbot.botapi import rules
from clicksbot.config import Settings
from clicksbot.content import CheckupItem, Content
from clicksbot.content.loader import validate_paths
from clicksbot.i18n import Catalogs
from clicksbot.render import checkup as render
from clicksbot.sandbox import BotMessage, EmulatorServer, Limits, Person
from clicksbot.services.checkup import Change, Report, Score, Step
from clicksbot.store import Store

CATALOGS = Catalogs.load()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The real default: the checkup is offered (the shared fixture turns it off)."""
    return dataclasses.replace(settings, checkup_offer=True)


# -- scoring on known answers -------------------------------------------------------------

# Inverse normal values of the log-linear rates with five items a side: (k + 0.5) / 6.
Z = {0: -1.38299, 1: -0.67449, 2: -0.21043, 3: 0.21043, 4: 0.67449, 5: 1.38299}


@pytest.mark.parametrize(
    ("hits", "false_alarms", "level", "leaning"),
    [
        (5, 0, "sharp", "balanced"),  # every item right
        (4, 1, "good", "balanced"),  # one mistake of each kind
        (3, 0, "good", "doubt"),  # two real ones called fake
        (5, 2, "good", "believe"),  # two false ones called real
        (5, 5, "weak", "believe"),  # "Real" to everything
        (0, 0, "weak", "doubt"),  # "Fake" to everything
        (3, 2, "fair", "balanced"),
        (2, 3, "weak", "balanced"),  # more false than real called real: worse than a coin
    ],
)
def test_scoring_gives_discernment_and_bias_on_known_answers(
    hits: int, false_alarms: int, level: str, leaning: str
) -> None:
    """d' = z(hit rate) - z(false-alarm rate) and c = -(z(H) + z(FA)) / 2, with a half added
    to each count and one to each total; the words follow the bands."""
    score = Score(n_real=5, n_fake=5, hits=hits, false_alarms=false_alarms)
    assert score.discernment == pytest.approx(Z[hits] - Z[false_alarms], abs=1e-4)
    assert score.bias == pytest.approx(-(Z[hits] + Z[false_alarms]) / 2, abs=1e-4)
    assert score.correct == hits + 5 - false_alarms
    assert (score.level, score.leaning) == (level, leaning)


def test_doubting_everything_is_not_better_discernment() -> None:
    """Calling everything fake gets every false item right, yet discernment stays at chance:
    the growing scepticism shows as bias, not as skill (Modirrousta-Galian & Higham 2023)."""
    sceptic = Score(5, 5, hits=0, false_alarms=0)
    assert sceptic.rejections == 5
    assert sceptic.discernment == pytest.approx(0)
    assert sceptic.bias > 1


def test_the_change_since_the_first_checkup() -> None:
    """Better, the same or worse by at least half a d'; more doubt or belief by 0.4 of c."""
    from datetime import date

    change = Change(Score(5, 5, 3, 2), date(2026, 11, 23))
    assert change.discernment(Score(5, 5, 5, 0)) == "better"
    assert change.discernment(Score(5, 5, 3, 2)) == "same"
    assert change.discernment(Score(5, 5, 2, 3)) == "worse"
    assert change.leaning(Score(5, 5, 1, 0)) == "more_doubt"
    assert change.leaning(Score(5, 5, 5, 4)) == "more_belief"


# -- the pool in the packs ----------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pool_pack(items: str, pack_id: str = "xx-checkup", language: str = "ms") -> str:
    return f"""\
id: {pack_id}
title: Checkup pool
language: {language}
competency: critical-thinking
checkup:
{textwrap.indent(textwrap.dedent(items), "  ")}"""


GOOD_ITEM = """\
- id: ms-ck-r01
  text: A real headline
  real: yes
  source: https://www.who.int/news
  explanation: Why it is real.
"""


def test_a_checkup_section_loads_and_is_never_a_question(tmp_path: Path) -> None:
    """A pack with only a checkup section loads: its items are checkup items, not quiz
    questions, and the summary counts them."""
    write(tmp_path, "ms/checkup.yaml", pool_pack(GOOD_ITEM))
    report = validate_paths([tmp_path])
    assert report.errors == []
    (item,) = report.content.checkup_items("ms")
    assert item == CheckupItem(
        "ms-ck-r01", "A real headline", True, "https://www.who.int/news", "xx-checkup", "ms",
        "Why it is real.",
    )  # fmt: skip
    assert list(report.content.questions()) == []
    assert "checkup 1 real and 0 false item(s)" in report.summary()
    assert any("checkup pool has 1 real and 0 false" in str(p) for p in report.warnings)


def test_every_mistake_in_a_checkup_item_is_named_with_its_line(tmp_path: Path) -> None:
    """Missing or wrong 'real', a missing source, a long text, an unknown key, markup: each
    is one line with file, line, item and what to do."""
    items = """\
- id: ms-ck-a
  text: No verdict here
  source: https://example.org/a
- id: ms-ck-b
  text: A verdict that is not yes or no
  real: maybe
  source: https://example.org/b
- id: ms-ck-c
  text: No source
  real: no
- id: ms-ck-d
  text: {long}
  real: no
  source: https://example.org/d
- id: ms-ck-e
  text: Fine
  real: yes
  sauce: https://example.org/e
- id: ms-ck-f
  text: <b>Bold</b> claim
  real: no
  source: https://example.org/f
""".replace("{long}", "x" * 301)
    path = write(tmp_path, "ms/checkup.yaml", pool_pack(items))
    errors = [str(p) for p in validate_paths([path]).errors]
    where = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    expected = [
        f"{where}:6: ms-ck-a: 'real' is missing: write real: yes",
        f"{where}:11: ms-ck-b: 'real' is 'maybe': write yes or no",
        f"{where}:13: ms-ck-c: 'source' is missing: a checkup item needs the link",
        f"{where}:17: ms-ck-d: 'text' is 301 characters; at most 300 fit",
        f"{where}:23: (checkup item): unknown key 'sauce'; did you mean 'source'?",
        f"{where}:25: ms-ck-f: 'text' holds markup '<b>'",
    ]
    for start in expected:
        assert any(e.startswith(start) for e in errors), (start, errors)


def test_checkup_ids_are_unique_across_all_packs(tmp_path: Path) -> None:
    """A checkup item may not reuse the id of a question or tip elsewhere."""
    write(tmp_path, "ms/a.yaml", pool_pack(GOOD_ITEM, "ms-pool-a"))
    write(tmp_path, "ms/b.yaml", pool_pack(GOOD_ITEM, "ms-pool-b"))
    errors = [str(p) for p in validate_paths([tmp_path]).errors]
    assert any("ms-ck-r01: id already used at" in e for e in errors), errors


def test_the_english_pool_is_balanced_sourced_and_separate(shipped_content: Content) -> None:
    """At least 10 real and 10 false items, each with a source and an explanation, none
    sharing a text with a quiz question."""
    pool = list(shipped_content.checkup_items("en"))
    assert sum(i.real for i in pool) >= 10 and sum(not i.real for i in pool) >= 10
    assert all(i.source.startswith("https://") and i.explanation for i in pool)
    questions = " ".join(q.text for q in shipped_content.questions())
    assert not any(i.text in questions for i in pool)


# -- the checkup through the bot ----------------------------------------------------------


def store_of(bot: Running) -> Store:
    store = runtime_of(bot.app).store
    assert store is not None
    return store


async def until(person: Person, wanted: Callable[[BotMessage], bool]) -> BotMessage:
    """The next new message that is the one wanted (badges and the like pass by)."""
    for _ in range(40):
        message = await person.receive()
        if wanted(message):
            return message
    raise AssertionError(f"person {person.id} never got the message wanted")


async def edited(person: Person, message: BotMessage) -> BotMessage:
    """The next edit of this message (edits of other messages pass by)."""
    for _ in range(200):
        edit = await person.receive_edit()
        if edit.id == message.id:
            return edit
    raise AssertionError(f"message {message.id} was never edited")


def has_button(part: str) -> Callable[[BotMessage], bool]:
    return lambda m: any(part in b for b in m.button_texts)


def is_question(message: BotMessage) -> bool:
    return bool(message.button_texts) and message.button_texts[0].startswith("A. ")


async def ask(person: Person) -> BotMessage:
    """/quiz, any topic: whatever comes (the checkup offer, or the question)."""
    person.send("/quiz")
    await person.press(await until(person, has_button("Any topic")), "Any topic")
    return await until(person, lambda m: is_question(m) or has_button("Take the checkup")(m))


def item_of(content: Content, message: BotMessage) -> CheckupItem:
    (item,) = [i for i in content.checkup_items() if i.text in message.text]
    return item


async def take(
    person: Person, start: BotMessage, content: Content, judge: Callable[[CheckupItem], bool]
) -> tuple[BotMessage, list[CheckupItem]]:
    """Press Take (or Start) on `start`, judge every item with `judge`; return the report
    (the same message, edited) and the items in the order shown."""
    await person.press(start, "🧭 Take" if has_button("Take")(start) else "Start")
    message = await edited(person, start)
    shown: list[CheckupItem] = []
    while "Real or fake?" in message.text:
        assert f"· {len(shown) + 1} of " in message.text
        item = item_of(content, message)
        shown.append(item)
        answer = await person.press(message, "Real" if judge(item) else "Fake")
        assert not answer.get("text"), "no feedback while the checkup is under way"
        message = await edited(person, message)
        assert "✅" not in message.text and "❌" not in message.text
    return message, shown


async def test_the_first_quiz_offers_the_checkup_once_and_skip_goes_to_the_question(
    bot: Running,
) -> None:
    """The first question asked is preceded by a short offer with a button; Skip brings the
    question asked for; the offer is not made again at the next question."""
    alice = await started(bot, "Alice")
    offer = await ask(alice)
    assert "A two-minute checkup first?" in offer.text
    assert offer.button_texts == ["🧭 Take the checkup", "Skip ▶"]
    await alice.press(offer, "Skip")
    question = await until(alice, is_question)
    assert "Fact-check" in question.text
    assert is_question(await ask(alice))  # once: no offer the second time


async def test_a_full_checkup_in_one_message_then_the_report_and_the_answers(
    bot: Running, shipped_content: Content
) -> None:
    """Ten items, half real, in one message edited in place with no verdicts; then the
    report (counts, discernment and bias in words) and the answers with their sources."""
    bob = await started(bot, "Bob")
    offer = await ask(bob)
    # Bob believes everything: every real item is a hit, every false one a false alarm.
    report, shown = await take(bob, offer, shipped_content, lambda item: True)
    assert len(shown) == 10 and len({i.id for i in shown}) == 10
    assert sum(i.real for i in shown) == 5
    text = report.text
    assert "Your checkup" in text and "Nov 23, 2026" in text
    assert "You judged 5 of 10 rightly: 5 of the 5 real ones as real, 0 of the 5 false" in text
    assert "close to guessing" in text  # discernment 0
    assert "You tend to believe: you called 10 of 10 real" in text  # bias
    assert "Discernment score: 0.0" in text
    assert report.button_texts == ["🔎 To the quiz"]
    answers = await bob.receive()
    assert "The answers" in answers.text
    assert sum(i.text in answers.text for i in shown) >= 3
    assert answers.links and all(link.startswith("https://") for link in answers.links)
    assert "Fake · you said: Real" in answers.text or "Real · you said: Real" in answers.text
    # Only the counts stay, and the ids shown (for the next draw); not the answers.
    (row,) = await store_of(bot).checkups(bob.id)
    assert row.counts is not None and row.answers == ""
    assert dataclasses.astuple(row.counts) == (5, 5, 5, 5)
    assert set(row.items) == {i.id for i in shown}


async def test_scoring_through_the_bot_on_known_answers(
    bot: Running, shipped_content: Content
) -> None:
    """All right but one real item called fake: 9 of 10, discernment 2.1 (very well), no
    leaning to either side."""
    cleo = await started(bot, "Cleo")
    cleo.send("/checkup")
    intro = await cleo.receive()
    assert "Checkup: real or fake?" in intro.text and intro.button_texts == ["▶ Start"]
    missed: list[str] = []

    def judge(item: CheckupItem) -> bool:
        if item.real and not missed:
            missed.append(item.id)
            return False
        return item.real

    report, _ = await take(cleo, intro, shipped_content, judge)
    assert "You judged 9 of 10 rightly: 4 of the 5 real ones as real, 5 of the 5 false" in (
        report.text
    )
    assert "very well" in report.text and "Discernment score: 2.1" in report.text
    assert "neither doubt nor believe too easily" in report.text


async def test_a_press_twice_or_on_an_old_message_records_nothing(
    bot: Running, shipped_content: Content
) -> None:
    """A double tap is answered 'already answered' and changes nothing; /checkup in the
    middle carries on where the person left."""
    dan = await started(bot, "Dan")
    dan.send("/checkup")
    intro = await dan.receive()
    await dan.press(intro, "Start")
    first = await edited(dan, intro)
    stale = BotMessage(dict(first.raw))  # the first item as it was on screen
    await dan.press(first, "Real")
    await edited(dan, first)
    answer = await dan.press(stale, "Fake")
    assert answer["text"] == "You have already answered this one."
    (row,) = await store_of(bot).checkups(dan.id)
    assert row.answers == "r"
    dan.send("/checkup")
    again = await dan.receive()
    assert "· 2 of 10" in again.text


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=10_000, global_burst=10_000)])
async def test_offered_again_after_14_days_and_20_answers_with_other_items(
    bot: Running, shipped_content: Content, clock: Clock
) -> None:
    """After a checkup, another is offered only once 14 days and 20 answers have both
    passed; it draws items not seen before, and its report tells the change."""
    eve = await started(bot, "Eve")
    offer = await ask(eve)
    _, first = await take(eve, offer, shipped_content, lambda item: True)
    await eve.receive()  # the answers

    async def answer_questions(count: int) -> None:
        for _ in range(count):
            question = await ask(eve)
            assert is_question(question), question.text
            await eve.press(question, 0)

    clock.advance(days=15)
    await answer_questions(20)  # each asked for without an offer: not 20 answers yet
    offer = await ask(eve)
    assert "Time for another checkup?" in offer.text

    report, second = await take(eve, offer, shipped_content, lambda item: item.real)
    assert not {i.id for i in first} & {i.id for i in second}, "another draw from the pool"
    assert "Since your first checkup (Nov 23, 2026)" in report.text
    assert "better: 5 of 10 right then, 10 of 10 now" in report.text
    assert "You also doubt more than then." in report.text


@pytest.mark.parametrize("limits", [Limits(per_chat_burst=10_000, global_burst=10_000)])
async def test_twenty_answers_within_fourteen_days_are_not_enough(
    bot: Running, shipped_content: Content, clock: Clock
) -> None:
    """Twenty answers, but fewer than 14 days since the last checkup: no new offer."""
    fay = await started(bot, "Fay")
    offer = await ask(fay)
    await take(fay, offer, shipped_content, lambda item: True)
    await fay.receive()
    clock.advance(days=1)
    for _ in range(20):
        question = await ask(fay)
        assert is_question(question), question.text
        await fay.press(question, 0)
    clock.advance(days=12, hours=23)
    assert is_question(await ask(fay))


async def test_a_language_without_a_pool_gets_the_english_checkup_marked_so(
    server: EmulatorServer, settings: Settings, shipped_content: Content, clock: Clock
) -> None:
    """A Malay speaker, were there no Malay pool (every shipped language has one, so it is
    left out here), gets the English items, each marked as English in Malay, and the report
    in Malay."""
    content = Content.of(tuple(p for p in shipped_content.packs if p.id != "ms-checkup"))
    assert not any(True for _ in content.checkup_items("ms"))
    async with running(server, settings, content, clock):
        siti = server.emulator.person("Siti", language_code="ms")
        siti.send("/checkup")
        intro = await siti.receive()
        assert "Semakan: benar atau palsu?" in intro.text
        await siti.press(intro, "Mula")
        item = await edited(siti, intro)
        assert "Dalam bahasa Inggeris" in item.text
        assert item.button_texts == ["Benar", "Palsu"]
        assert any(i.text in item.text for i in shipped_content.checkup_items("en"))
    assert server.emulator.refused == []


async def test_a_language_with_its_own_pool_gets_its_own_items(
    bot: Running, shipped_content: Content
) -> None:
    """A Malay speaker gets the Malay pool, with no English mark."""
    siti = bot.emulator.person("Siti", language_code="ms")
    siti.send("/checkup")
    intro = await siti.receive()
    await siti.press(intro, "Mula")
    item = await edited(siti, intro)
    assert "Dalam bahasa Inggeris" not in item.text
    assert any(i.text in item.text for i in shipped_content.checkup_items("ms"))


@pytest.mark.sqlite_only("reads the SQLite file to see the rows gone")
async def test_mydata_shows_the_checkups_and_forget_deletes_them(
    bot: Running, shipped_content: Content
) -> None:
    """/mydata counts the checkups and holds them in full; /forget leaves none; /privacy
    explains the checkup."""
    gus = await started(bot, "Gus")
    gus.send("/checkup")
    await take(gus, await gus.receive(), shipped_content, lambda item: item.real)
    await gus.receive()
    gus.send("/mydata")
    summary = await until(gus, lambda m: "Your data" in m.text)
    assert "Checkups taken: 1" in summary.text
    document = await gus.receive()
    data = json.loads(bot.emulator.files[document.raw["document"]["file_id"]])
    (row,) = data["tables"]["checkups"]
    assert (row["n_real"], row["n_fake"], row["hits"], row["false_alarms"]) == (5, 5, 5, 0)
    assert row["answers"] == "" and len(row["items"].split(",")) == 10
    assert data["tables"]["users"][0]["checkup_offered_at"] is None  # taken unasked

    gus.send("/privacy")
    privacy = await gus.receive()
    assert "The checkup (/checkup)" in privacy.text and "only the date" in privacy.text

    gus.send("/forget")
    confirm = await until(gus, has_button("Yes, delete it all"))
    await gus.press(confirm, "Yes, delete it all")
    assert "deleted everything" in (await edited(gus, confirm)).text
    db = sqlite3.connect(bot.settings.database)
    try:
        assert db.execute("SELECT COUNT(*) FROM checkups").fetchone() == (0,)
    finally:
        db.close()


# -- every message fits, in every language ------------------------------------------------


def check(text: str, markup: object, where: str) -> None:
    try:
        rules.check_message_text(text, "HTML", None)
        if markup is not None:
            rules.check_reply_markup(markup.to_dict())  # type: ignore[attr-defined]
    except rules.ApiError as exc:
        raise AssertionError(f"{where}: Telegram would refuse it: {exc.description}") from None


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_every_checkup_message_fits_telegram(language: str, shipped_content: Content) -> None:
    """The offer, the intro, the longest item, the report (with a change) and the answers
    of the longest items are messages Telegram accepts, in every interface language."""
    from datetime import date

    from clicksbot.services.checkup import Offer

    t = CATALOGS.get(language)
    pool = sorted(shipped_content.checkup_items("en"), key=lambda i: -len(i.text + i.explanation))
    for first in (True, False):
        reply = render.offer_message(t, Offer(first, 10), "1|quiz|any")
        check(reply.text, reply.keyboard, "offer")
    reply = render.intro_message(t, 10, date(2026, 11, 23))
    check(reply.text, reply.keyboard, "intro")
    reply = render.item_message(t, Step(2**40, 9, 10, pool[0]))
    check(reply.text, reply.keyboard, "item")
    long = dataclasses.replace(pool[0], text="W" * 300, explanation="W" * 500)
    for hits, false_alarms in ((5, 0), (0, 0), (5, 5), (3, 2)):
        report = Report(
            Score(5, 5, hits, false_alarms),
            date(2026, 12, 31),
            Change(Score(5, 5, 2, 3), date(2026, 11, 23)),
            tuple((long, i % 2 == 0) for i in range(10)),
            "en",
        )
        reply = render.report_message(t, report)
        check(reply.text, reply.keyboard, "report")
        for answers in render.review_messages(t, report):
            check(answers.text, None, "answers")


@pytest.mark.parametrize("language", CATALOGS.languages)
def test_checkup_button_answers_fit_telegram(language: str) -> None:
    """What a press on the checkup answers (a toast or an alert) is plain text of at most
    200 characters."""
    t = CATALOGS.get(language)
    for key in ("checkup.already", "checkup.gone", "checkup.none"):
        assert len(t(key)) <= 200 and "<" not in t(key), (language, key)


def test_the_offer_can_be_turned_off_in_the_config(tmp_path: Path) -> None:
    """checkup_offer: false turns the offers off; anything but true or false is refused,
    naming the key."""
    from clicksbot.config import ConfigError, load_settings

    env = {"CLICKSBOT_TOKEN": "123456:TEST-token-never-printed"}
    path = write(tmp_path, "config.yaml", "checkup_offer: false\n")
    assert load_settings(path, env=env).checkup_offer is False
    assert load_settings(None, env=env).checkup_offer is True
    path = write(tmp_path, "config.yaml", "checkup_offer: sometimes\n")
    with pytest.raises(ConfigError, match="checkup_offer"):
        load_settings(path, env=env)

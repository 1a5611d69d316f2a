"""Tips and fact-check questions: what to show a person next, and what their answer means."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from itertools import zip_longest
from typing import TypeVar

from clicksbot.content import Competency, Content, Question, Tip
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.services import boosters, reminders
from clicksbot.services.boosters import Placement
from clicksbot.services.progress import (
    BADGES,
    BADGES_BY_ID,
    Badge,
    after_answer,
    badges_due,
    local_day,
    record_activity,
    time_zone_of,
)
from clicksbot.store import Store, User
from clicksbot.store.rounds import Round

T = TypeVar("T", Tip, Question)


@dataclass(frozen=True)
class TipPick:
    """The tip to show, whether every tip had been read (a new round starts), new badges."""

    tip: Tip
    restarted: bool
    badges: list[Badge]


@dataclass(frozen=True)
class AskedQuestion:
    """A question put to a person: the id its buttons carry and the order options are shown."""

    id: int
    question: Question
    order: tuple[int, ...]
    restarted: bool
    booster: bool = False  # a question from before, due again (see services.boosters)

    @property
    def shown_options(self) -> list[str]:
        return [self.question.options[i] for i in self.order]


class AnswerStatus(Enum):
    """What became of a button press on an answer."""

    RECORDED = "recorded"
    ALREADY = "already"  # answered before: a double tap or an old message
    INVALID = "invalid"  # not a question this person was asked (forged, or another's)
    GONE = "gone"  # the question was removed or changed since it was asked


@dataclass(frozen=True)
class AnswerOutcome:
    """The result of an answer press."""

    status: AnswerStatus
    question: Question | None = None
    choice: int | None = None  # index into question.options
    correct: bool = False
    badges: tuple[Badge, ...] = ()
    topic: str = "any"  # the topic the person chose when asked, for "next question"
    order: tuple[int, ...] = ()  # the order the options were shown in
    asked_id: int = 0
    placement: Placement | None = None  # its booster box after this answer
    confidence: int | None = None  # how sure they said they were (None: skipped, or not asked)
    round: Round | None = None  # the person's round on the go, as read with the answer


# How sure a person can say they are of an answer (stored in answers.confidence).
CONFIDENCE_LEVELS = (1, 2, 3)  # guessing, fairly sure, sure
REVIEW = "review"  # the topic of a question /review put to a person


def _interleave(items: list[T]) -> list[T]:
    """Alternate between packs, so consecutive items come from different packs."""
    by_pack: dict[str, list[T]] = {}
    for item in items:
        by_pack.setdefault(item.pack_id, []).append(item)
    return [i for group in zip_longest(*by_pack.values()) for i in group if i is not None]


def content_language(content: Content, language: str, competency: Competency | None = None) -> str:
    """Return `language` if it has questions (of a competency), else the source language."""
    if any(True for _ in content.questions(language, competency)):
        return language
    return SOURCE_LANGUAGE


async def choose_tip(
    store: Store, content: Content, user_id: int, language: str
) -> tuple[Tip, bool] | None:
    """Return the tip a person should read next, and whether a new round starts; write nothing.

    The next tip is one not read yet, in their language (English if it has none); when every
    tip has been read, a new round starts with the one read longest ago.
    """
    tips = _interleave(list(content.tips(language))) or _interleave(
        list(content.tips(SOURCE_LANGUAGE))
    )
    if not tips:
        return None
    history = await store.tip_history(user_id)
    never = (0, datetime.min)
    fewest = min(history.get(t.id, never)[0] for t in tips)
    candidates = [t for t in tips if history.get(t.id, never)[0] == fewest]
    restarted = fewest > 0 and len(candidates) == len(tips)
    tip = min(candidates, key=lambda t: history[t.id][1]) if fewest else candidates[0]
    return tip, restarted


async def next_tip(
    store: Store, content: Content, user: User, now: datetime, default_tz: str
) -> TipPick | None:
    """Pick the tip a person asked for, record it as read and the day as active."""
    chosen = await choose_tip(store, content, user.id, user.language)
    if chosen is None:
        return None
    tip, restarted = chosen
    await store.mark_tip_seen(user.id, tip.id, now)
    badges = await record_activity(store, user, now, default_tz)
    return TipPick(tip, restarted, badges)


def in_own_language(content: Content, language: str, competency: Competency | None) -> bool:
    """Whether a person of this language has questions (on a competency) in it."""
    return any(True for _ in content.questions(language, competency))


def topics(content: Content, language: str) -> list[Competency]:
    """Return the competencies that have questions for a person of this language."""
    available = {q.competency for q in content.questions(language)} | {
        q.competency for q in content.questions(SOURCE_LANGUAGE)
    }
    return [c for c in Competency if c in available]


@dataclass(frozen=True)
class Pick:
    """The question to put to a person next, and why: a due booster, or a new round of a set
    all answered."""

    question: Question
    restarted: bool = False
    booster: bool = False


async def pick(
    store: Store,
    content: Content,
    user: User,
    competency: Competency | None,
    now: datetime,
    rng: random.Random,
    *,
    english: bool = False,
    default_tz: str = "UTC",
) -> Pick | None:
    """Choose the next question for a person, in their language (English if `english`); write
    nothing. A due booster of the set first (the one asked longest ago), else one answered
    fewest times: none repeats until all in the set were answered.

    Reads one row per question the person was ever asked (store.boosters), never their whole
    answer history, and compares its days and moments as stored (ISO 8601 text, which sorts
    in time order): on every question put to someone, for a keen learner hundreds of rows."""
    language = SOURCE_LANGUAGE if english else user.language
    pool = content.pool(language, competency)
    if not pool:
        return None
    rows = await store.question_picks(user.id)
    today = local_day(now, time_zone_of(user, default_tz)).isoformat()
    asked: dict[str, tuple[int, str]] = {}  # of the pool: times answered, last asked
    due: tuple[str, str] | None = None  # the due one asked longest ago: (last asked, id)
    for question_id, answered, last_asked, due_day in rows:
        if question_id not in pool:
            continue
        asked[question_id] = (answered, last_asked)
        if due_day and due_day <= today:  # (no booster due: NULL)
            key = (last_asked, question_id)
            if due is None or key < due:
                due = key
    if due is not None:  # the one asked longest ago first, so that due ones take turns
        return Pick(pool[due[1]], booster=True)
    question, restarted = _least_answered(pool, asked, rng)
    return Pick(question, restarted=restarted)


async def ask(
    store: Store,
    content: Content,
    user: User,
    competency: Competency | None,
    now: datetime,
    rng: random.Random,
    *,
    english: bool = False,
    in_round: bool = False,
    default_tz: str = "UTC",
) -> AskedQuestion | None:
    """Put the next question (see `pick`) to a person. `in_round`: as the next of their
    round."""
    chosen = await pick(
        store, content, user, competency, now, rng, english=english, default_tz=default_tz
    )
    if chosen is None:
        return None
    topic = competency.value if competency else "any"
    return await _put(
        store,
        user,
        chosen.question,
        topic,
        now,
        rng,
        in_round=in_round,
        restarted=chosen.restarted,
        booster=chosen.booster,
    )


def _least_answered(
    pool: Mapping[str, Question], asked: dict[str, tuple[int, str]], rng: random.Random
) -> tuple[Question, bool]:
    """Return a question answered fewest times (never asked first, then the one asked longest
    ago), and whether every question of the pool had been answered (a new round of them).
    `asked`: of the pool's questions asked before, times answered and when last asked."""

    # Never asked: answered 0 times, the fewest there can be (and so no new round yet).
    never = [q for question_id, q in pool.items() if question_id not in asked]
    if never:
        return rng.choice(never), False
    fewest = min(answered for answered, _ in asked.values())
    candidates = [question_id for question_id in pool if asked[question_id][0] == fewest]
    restarted = fewest > 0 and len(candidates) == len(pool)
    return pool[min(candidates, key=lambda question_id: asked[question_id][1])], restarted


async def _put(
    store: Store,
    user: User,
    question: Question,
    topic: str,
    now: datetime,
    rng: random.Random,
    *,
    in_round: bool = False,
    restarted: bool = False,
    booster: bool = False,
) -> AskedQuestion:
    order = list(range(len(question.options)))
    rng.shuffle(order)
    asked_id = await store.ask(
        user.id,
        question.id,
        question.competency.value,
        topic,
        question.fingerprint,
        tuple(order),
        now,
        in_round=in_round,
    )
    return AskedQuestion(asked_id, question, tuple(order), restarted, booster)


async def review(
    store: Store, content: Content, user: User, now: datetime, rng: random.Random, default_tz: str
) -> AskedQuestion | None:
    """Put the next due booster to a person (any topic, in the language it was asked in);
    None when none is due."""
    today = local_day(now, time_zone_of(user, default_tz))
    for summary in await store.due_boosters(user.id, today):
        question = content.question(summary.question_id)
        if question is not None:
            return await _put(store, user, question, REVIEW, now, rng, booster=True)
    return None


async def booster_state(
    store: Store, content: Content, user: User, now: datetime, default_tz: str
) -> boosters.Due:
    """Return how many boosters are due for a person now, and when the next one is."""
    today = local_day(now, time_zone_of(user, default_tz))
    return boosters.state(await store.question_summaries(user.id), content, today)


async def due_count(
    store: Store, content: Content, user: User, now: datetime, default_tz: str
) -> int:
    """Return how many boosters are due for a person now (cheap: the due rows only)."""
    today = local_day(now, time_zone_of(user, default_tz))
    due = await store.due_boosters(user.id, today)
    return sum(1 for s in due if content.question(s.question_id) is not None)


async def answer(
    store: Store,
    content: Content,
    user: User,
    asked_id: int,
    position: int,
    now: datetime,
    default_tz: str,
) -> AnswerOutcome:
    """Record a person's answer to a question they were asked (shown option `position`),
    once, and in the same write what it counts for: the question's new booster box, today
    as an active day (the streak), and the badges it earns."""
    view = await store.answer_view(asked_id)
    asked = view.asked if view is not None else None
    if asked is None or asked.user_id != user.id or position >= len(asked.option_order):
        return AnswerOutcome(AnswerStatus.INVALID)
    assert view is not None
    question = content.question(asked.question_id)
    if question is None or question.fingerprint != asked.fingerprint:
        return AnswerOutcome(AnswerStatus.GONE)
    if asked.answered_at is not None:
        return AnswerOutcome(AnswerStatus.ALREADY, question, asked.choice, bool(asked.correct))
    choice = asked.option_order[position]
    correct = choice == question.answer
    today = local_day(now, time_zone_of(user, default_tz))
    placement = boosters.after_answer(view.summary, correct, today)
    # Badges are judged on the record as the answer leaves it, read before it is written:
    # one person's updates are handled one at a time, so nothing else moves it meanwhile.
    record = await store.learner_record(user.id)
    new_day = today not in record.days
    due = badges_due(after_answer(record, asked.competency, correct, today), today)
    awarded = await store.record_answer_and_progress(
        asked_id,
        user.id,
        choice,
        correct,
        now,
        box=placement.box,
        due=placement.due,
        day=today if new_day else None,
        badges=[b.id for b in due],
    )
    if awarded is None:
        return AnswerOutcome(AnswerStatus.ALREADY, question, choice, correct)
    if new_day:  # the first activity of the day: habits change
        await reminders.follow_habit(store, user, now, default_tz)
    return AnswerOutcome(
        AnswerStatus.RECORDED,
        question,
        choice,
        correct,
        tuple(b for b in due if b.id in awarded),
        asked.topic,
        asked.option_order,
        asked_id,
        placement,
        round=view.round,
    )


async def rate(
    store: Store,
    content: Content,
    user: User,
    asked_id: int,
    confidence: int | None,
    now: datetime,
    *,
    was_due: bool = False,
) -> AnswerOutcome:
    """Record how sure a person was of an answer they gave (None: skipped), once, and return
    the answer's outcome to show now. ALREADY: rated before (a double tap). `was_due`: the
    question came as a booster (said by the button, for the result's words only)."""
    view = await store.answer_view(asked_id)
    asked = view.asked if view is not None else None
    if asked is None or asked.user_id != user.id or asked.answered_at is None:
        return AnswerOutcome(AnswerStatus.INVALID)
    assert view is not None
    if confidence is not None and confidence not in CONFIDENCE_LEVELS:
        return AnswerOutcome(AnswerStatus.INVALID)
    question = content.question(asked.question_id)
    if question is None or question.fingerprint != asked.fingerprint or asked.choice is None:
        return AnswerOutcome(AnswerStatus.GONE)
    if asked.rated_at is not None or not await store.rate_answer(
        asked_id, user.id, confidence, now
    ):
        return AnswerOutcome(AnswerStatus.ALREADY, question, asked.choice, bool(asked.correct))
    summary = view.summary  # read with the answer: a rating moves no summary
    placement = Placement(summary.box, summary.due, was_due) if summary else None
    # The badges the answer earned, announced once its result is seen.
    earned = set(view.earned)
    return AnswerOutcome(
        AnswerStatus.RECORDED,
        question,
        asked.choice,
        bool(asked.correct),
        tuple(b for b in BADGES if b.id in earned and b.id in BADGES_BY_ID),
        asked.topic,
        asked.option_order,
        asked_id,
        placement,
        confidence,
        round=view.round,
    )

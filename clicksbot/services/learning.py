"""Tips and fact-check questions: what to show a person next, and what their answer means."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from itertools import zip_longest
from typing import TypeVar

from clicksbot.content import Competency, Content, Question, Tip
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.services.progress import Badge, record_activity
from clicksbot.store import Asked, Store, User

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
) -> AskedQuestion | None:
    """Put the next question to a person, in their language (English if `english`): none
    repeats until all in the set were answered. `in_round`: as the next of their round."""
    language = SOURCE_LANGUAGE if english else user.language
    pool = list(content.questions(language, competency))
    if not pool:
        return None
    history = await store.question_history(user.id)

    def answered(q: Question) -> int:
        h = history.get(q.id)
        return h.times_answered if h else 0

    fewest = min(answered(q) for q in pool)
    candidates = [q for q in pool if answered(q) == fewest]
    restarted = fewest > 0 and len(candidates) == len(pool)
    # Of those, prefer questions never asked, then the one asked longest ago.
    never = [q for q in candidates if q.id not in history]
    if never:
        question = rng.choice(never)
    else:
        question = min(candidates, key=lambda q: history[q.id].last_asked)
    order = list(range(len(question.options)))
    rng.shuffle(order)
    topic = competency.value if competency else "any"
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
    return AskedQuestion(asked_id, question, tuple(order), restarted)


async def answer(
    store: Store,
    content: Content,
    user: User,
    asked_id: int,
    position: int,
    now: datetime,
    default_tz: str,
) -> AnswerOutcome:
    """Record a person's answer to a question they were asked (shown option `position`)."""
    asked: Asked | None = await store.get_asked(asked_id)
    if asked is None or asked.user_id != user.id or position >= len(asked.option_order):
        return AnswerOutcome(AnswerStatus.INVALID)
    question = content.question(asked.question_id)
    if question is None or question.fingerprint != asked.fingerprint:
        return AnswerOutcome(AnswerStatus.GONE)
    if asked.answered_at is not None:
        return AnswerOutcome(AnswerStatus.ALREADY, question, asked.choice, bool(asked.correct))
    choice = asked.option_order[position]
    correct = choice == question.answer
    if not await store.record_answer(asked_id, user.id, choice, correct, now):
        return AnswerOutcome(AnswerStatus.ALREADY, question, choice, correct)
    badges = await record_activity(store, user, now, default_tz)
    return AnswerOutcome(
        AnswerStatus.RECORDED,
        question,
        choice,
        correct,
        tuple(badges),
        asked.topic,
        asked.option_order,
    )

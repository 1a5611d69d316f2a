"""Rounds: a few questions on one topic in a row, then a score card (no Telegram here).

A round is kept in the store, not in memory: a restart in the middle carries on, and a
round left half-way (any command ends it) never stands in the way of a new one. Its answers
are ordinary answers: they count in /progress, streaks and badges as any other, and a due
booster of the round's topic comes first in a round too (see services.boosters).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from clicksbot.content import Competency, Content
from clicksbot.i18n import SOURCE_LANGUAGE
from clicksbot.services.learning import AskedQuestion, ask
from clicksbot.store import Store, User
from clicksbot.store.rounds import Round

ROUND_SIZE = 5


@dataclass(frozen=True)
class RoundQuestion:
    """A question of a round, and where it stands in it (number 1 to size)."""

    asked: AskedQuestion
    number: int
    size: int


@dataclass(frozen=True)
class Score:
    """A finished round: its topic and, per question in order, whether it was right."""

    topic: str  # a competency, or "any"
    english: bool
    marks: tuple[bool, ...]

    @property
    def correct(self) -> int:
        return sum(self.marks)

    @property
    def size(self) -> int:
        return len(self.marks)


def _competency(topic: str) -> Competency | None:
    return None if topic == "any" else Competency(topic)


async def start(
    store: Store,
    content: Content,
    user: User,
    topic: str,
    now: datetime,
    rng: random.Random,
    *,
    english: bool = False,
    default_tz: str = "UTC",
) -> RoundQuestion | None:
    """Begin a round on a topic (in place of any round on the go) and ask its first question;
    None if the topic has no questions. A topic with fewer than ROUND_SIZE questions makes a
    shorter round."""
    language = SOURCE_LANGUAGE if english else user.language
    pool = sum(1 for _ in content.questions(language, _competency(topic)))
    if not pool:
        return None
    await store.start_round(user.id, topic, english, min(ROUND_SIZE, pool), now)
    current = await store.current_round(user.id)
    assert current is not None
    return await _next(store, content, user, current, now, rng, default_tz)


async def _next(
    store: Store,
    content: Content,
    user: User,
    current: Round,
    now: datetime,
    rng: random.Random,
    default_tz: str,
) -> RoundQuestion | None:
    asked = await ask(
        store,
        content,
        user,
        _competency(current.topic),
        now,
        rng,
        english=current.english,
        in_round=True,
        default_tz=default_tz,
    )
    if asked is None:
        return None
    return RoundQuestion(asked, len(current.asked) + 1, current.size)


def place_in(current: Round | None, asked_id: int) -> tuple[int, int] | None:
    """Return (number, size) of an asked question in a round (the person's on the go, as
    read); None when it is not part of it."""
    if current is None or asked_id not in current.asked:
        return None
    return current.asked.index(asked_id) + 1, current.size


async def advance(
    store: Store,
    content: Content,
    user: User,
    asked_id: int,
    now: datetime,
    rng: random.Random,
    default_tz: str = "UTC",
) -> RoundQuestion | Score | None:
    """After an answer to `asked_id`: the round's next question, or its score when that was
    the last one (the round then ends). None when the answer was not to the round's latest
    question, so an old message can never move a round on."""
    current = await store.current_round(user.id)
    if current is None or not current.asked or current.asked[-1] != asked_id:
        return None
    if len(current.asked) < current.size:
        following = await _next(store, content, user, current, now, rng, default_tz)
        if following is not None:
            return following
        # No question left to ask (the packs changed under the round): score what was asked.
    marks = await store.round_marks(user.id, current.asked)
    await store.end_round(user.id)
    return Score(current.topic, current.english, tuple(bool(m) for m in marks))


async def leave(store: Store, user_id: int) -> bool:
    """End the person's round on the go, if any (a command takes them elsewhere)."""
    if await store.current_round(user_id) is None:  # most commands: one read, no write
        return False
    return await store.end_round(user_id)

"""What /progress tells a person beyond their score: how well their confidence matches their
answers (calibration, Basol et al. 2020), and how often they spot each manipulation technique.

Both are said in plain words, "8 times out of 10", and only once there is enough to say it
honestly: `MIN_RATED` answers at a level of confidence, `MIN_MET` answers to questions of a
technique. Nothing new is stored for them: calibration reads the totals per level of
confidence kept with each rating (`impact_people`, migration m020), techniques read the
per-question summary (store.boosters) and the packs' `technique:` field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clicksbot.content import Content
from clicksbot.content.models import TECHNIQUES
from clicksbot.services import boosters
from clicksbot.services.progress import local_day, time_zone_of
from clicksbot.store import Store, User

MIN_RATED = 5  # answers at one level of confidence before /progress speaks of it
MIN_MET = 5  # answers to questions of one technique before /progress speaks of it
OUT_OF = 10  # "8 times out of 10"


def out_of_ten(right: int, total: int) -> int:
    """Return `right` of `total` as a whole number of times out of 10, rounded half up."""
    return (right * OUT_OF * 2 + total) // (total * 2) if total else 0


@dataclass(frozen=True)
class Level:
    """A level of confidence (1 guessing, 2 fairly sure, 3 sure) with enough answers."""

    confidence: int
    answers: int
    right: int

    @property
    def out_of_ten(self) -> int:
        return out_of_ten(self.right, self.answers)


@dataclass(frozen=True)
class Technique:
    """A manipulation technique the person met often enough, and how often they saw through."""

    name: str  # one of content.TECHNIQUES
    answers: int
    right: int

    @property
    def out_of_ten(self) -> int:
        return out_of_ten(self.right, self.answers)


@dataclass(frozen=True)
class Insight:
    """Boosters due, calibration and techniques, for /progress."""

    due: boosters.Due
    levels: tuple[Level, ...]  # surest first
    techniques: tuple[Technique, ...]  # in the order of content.TECHNIQUES
    rated: int  # answers rated at all (skips excepted)


async def insight(
    store: Store, content: Content, user: User, now: datetime, default_tz: str
) -> Insight:
    """Gather what /progress says of boosters, calibration and techniques."""
    summaries = await store.question_summaries(user.id)
    due = boosters.state(summaries, content, local_day(now, time_zone_of(user, default_tz)))
    rated = await store.calibration(user.id)
    levels = tuple(
        Level(r.confidence, r.answers, r.right)
        for r in sorted(rated, key=lambda r: -r.confidence)
        if r.answers >= MIN_RATED
    )
    met: dict[str, list[int]] = {}
    for summary in summaries.values():
        question = content.question(summary.question_id)
        if question is None or question.technique is None or not summary.answered:
            continue
        tally = met.setdefault(question.technique, [0, 0])
        tally[0] += summary.answered
        tally[1] += summary.answered_right
    techniques = tuple(
        Technique(name, met[name][0], met[name][1])
        for name in TECHNIQUES
        if name in met and met[name][0] >= MIN_MET
    )
    return Insight(due, levels, techniques, sum(r.answers for r in rated))

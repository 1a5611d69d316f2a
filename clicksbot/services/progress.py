"""Progress: activity days and streaks in the person's time zone, scores, and badges.

A streak forgives: every 7 days of streak earn a streak freeze (Duolingo's threshold; at most
2 held), and a missed day uses one by itself, so the streak survives it. Freezes are worked
out from the active days alone, each time they are needed: nothing more is stored for them.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from clicksbot.content import COMPETENCIES, Competency
from clicksbot.services import reminders
from clicksbot.store import CompetencyScore, LearnerRecord, Store, User


@dataclass(frozen=True)
class Stats:
    """What a person has done, as badges and /progress see it."""

    tips_read: int
    scores: dict[Competency, CompetencyScore]
    current_streak: int
    best_streak: int
    badges: tuple[str, ...] = ()  # ids, in the order earned
    freezes: int = 0  # streak freezes held now
    saved_on: date | None = None  # the latest day a freeze kept the current streak alive

    @property
    def answered(self) -> int:
        return sum(s.answered for s in self.scores.values())

    @property
    def correct(self) -> int:
        return sum(s.correct for s in self.scores.values())

    def correct_in(self, competency: Competency) -> int:
        score = self.scores.get(competency)
        return score.correct if score else 0


@dataclass(frozen=True)
class Badge:
    """A milestone: its id (also its catalog key), its emoji, and when it is earned."""

    id: str
    emoji: str
    earned: Callable[[Stats], bool]


COMPETENCY_EMOJI: dict[Competency, str] = {
    Competency.CRITICAL_THINKING: "🧠",
    Competency.CREATIVITY: "🎨",
    Competency.LITERACY: "📖",
    Competency.INTERCULTURAL: "🌏",
    Competency.CITIZENSHIP: "🤝",
    Competency.KNOWLEDGE: "💡",
    Competency.SUSTAINABILITY: "🌱",
}
COMPETENCY_BADGE_AT = 5  # right answers in one competency


def _competency_badge(competency: Competency) -> Badge:
    return Badge(
        f"competency_{competency.key}",
        COMPETENCY_EMOJI[competency],
        lambda s: s.correct_in(competency) >= COMPETENCY_BADGE_AT,
    )


# In the order they are usually earned; ids are stable (people keep them) and name catalog keys.
BADGES: tuple[Badge, ...] = (
    Badge("first_answer", "🐣", lambda s: s.answered >= 1),
    Badge("streak_3", "🔥", lambda s: s.best_streak >= 3),
    Badge("tips_10", "📚", lambda s: s.tips_read >= 10),
    Badge("correct_10", "🔎", lambda s: s.correct >= 10),
    *(_competency_badge(c) for c in COMPETENCIES),
    Badge("streak_7", "⚡", lambda s: s.best_streak >= 7),
    Badge("all_seven", "🏅", lambda s: all(s.correct_in(c) >= 1 for c in COMPETENCIES)),
    Badge("correct_50", "🕵️", lambda s: s.correct >= 50),
    Badge("streak_30", "🏆", lambda s: s.best_streak >= 30),
)
BADGES_BY_ID = {b.id: b for b in BADGES}


def local_day(now: datetime, time_zone: str) -> date:
    """Return the calendar day it is now in a time zone."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone).date()


FREEZE_EVERY = 7  # days of streak that earn one streak freeze
FREEZES_MAX = 2  # freezes held at most; one earned beyond that is not kept


@dataclass(frozen=True)
class Streak:
    """A person's streak as of today: its length, the best ever, freezes held, and the days
    freezes covered in the current streak."""

    current: int
    best: int
    freezes: int
    saved: tuple[date, ...] = ()


def streak(days: list[date], today: date) -> Streak:
    """Return the streak that the active `days` make by `today`.

    A streak counts active days in a row. Each `FREEZE_EVERY` days of it earn a freeze (at
    most `FREEZES_MAX` held); each missed day uses one, and the streak goes on (the day
    itself does not count). A gap longer than the freezes held ends the streak, and uses
    them up. Today, not played yet, is not missed: the streak is still alive.
    """
    best = run = freezes = 0
    saved: list[date] = []
    previous: date | None = None

    def bridge(after: date, missed: int) -> None:
        nonlocal run, freezes, saved
        if missed <= freezes:
            freezes -= missed
            saved += [after + timedelta(days=i) for i in range(1, missed + 1)]
        else:
            run, freezes, saved = 0, 0, []

    for day in sorted(set(days)):
        if previous is not None:
            bridge(previous, (day - previous).days - 1)
        run += 1
        if run % FREEZE_EVERY == 0:
            freezes = min(freezes + 1, FREEZES_MAX)
        best = max(best, run)
        previous = day
    if previous is None:
        return Streak(0, 0, 0)
    bridge(previous, max((today - previous).days - 1, 0))
    return Streak(run, best, freezes, tuple(saved))


def streaks(days: list[date], today: date) -> tuple[int, int]:
    """Return the current and the best streak (freezes included)."""
    figures = streak(days, today)
    return figures.current, figures.best


def time_zone_of(user: User, default: str) -> str:
    """Return the time zone a person's days are counted in."""
    return user.time_zone or default


def _stats(record: LearnerRecord, today: date) -> Stats:
    scores: dict[Competency, CompetencyScore] = {}
    for score in record.scores:
        try:
            scores[Competency(score.competency)] = score
        except ValueError:  # a competency this version no longer knows
            continue
    run = streak(list(record.days), today)
    return Stats(
        record.tips_read,
        scores,
        run.current,
        run.best,
        tuple(record.badges),
        run.freezes,
        run.saved[-1] if run.saved else None,
    )


async def stats(store: Store, user: User, now: datetime, default_tz: str) -> Stats:
    """Gather a person's figures."""
    today = local_day(now, time_zone_of(user, default_tz))
    return _stats(await store.learner_record(user.id), today)


async def record_activity(store: Store, user: User, now: datetime, default_tz: str) -> list[Badge]:
    """Count today as a learning day for the person; return the badges earned just now."""
    today = local_day(now, time_zone_of(user, default_tz))
    record = await store.learner_record(user.id)
    if today not in record.days:  # the first activity of the day: the only writes needed
        await store.add_activity_day(user.id, today)
        await reminders.follow_habit(store, user, now, default_tz)
        record = replace(record, days=tuple(sorted((*record.days, today))))
    figures = _stats(record, today)
    new = []
    for badge in BADGES:
        earned_now = badge.id not in record.badges and badge.earned(figures)
        if earned_now and await store.award_badge(user.id, badge.id, now):
            new.append(badge)
    return new


def after_answer(
    record: LearnerRecord, competency: str, correct: bool, today: date
) -> LearnerRecord:
    """Return a person's record as it will be once an answer (in `competency`) is counted,
    today counted as an active day: what its badges are judged by, before it is written."""
    scores = {s.competency: s for s in record.scores}
    was = scores.get(competency, CompetencyScore(competency, 0, 0))
    scores[competency] = CompetencyScore(competency, was.answered + 1, was.correct + int(correct))
    days = record.days if today in record.days else tuple(sorted((*record.days, today)))
    ordered = tuple(sorted(scores.values(), key=lambda s: s.competency))
    return replace(record, scores=ordered, days=days)


def badges_due(record: LearnerRecord, today: date) -> list[Badge]:
    """Return the badges a record earns that the person does not hold yet, in BADGES' order."""
    figures = _stats(record, today)
    return [b for b in BADGES if b.id not in record.badges and b.earned(figures)]

"""Spaced boosters: questions come back on a Leitner schedule, in the person's own days.

What fades is what is not practised: the inoculation effect of prebunking wanes within about
two months unless it is boosted (Maertens et al. 2021, 2025). So every question a person
answers goes into one of four boxes, each with its interval in local days (the person's own
time zone, as streaks are counted):

    box 1: 1 day    box 2: 3 days    box 3: 7 days    box 4: 21 days    then mastered

The rules, applied at each answer on the person's local day `today`:

- A wrong answer, whatever the box (mastered too), puts the question in box 1: it comes back
  tomorrow (today + 1), and not before.
- The first right answer to a question in no box puts it in box 2: it was known already, so
  it comes back in 3 days rather than tomorrow.
- A right answer to a question that is due (its day has come) moves it up a box, due that
  box's interval from today; a right answer in box 4 masters it: it comes back no more as a
  booster (the ordinary rotation of questions may still ask it; a wrong answer then puts it in
  box 1 again).
- A right answer before the question is due (the ordinary rotation asked it early) changes
  neither its box nor its day: answering early is not spaced recall.

A booster is due from its day on (a day missed does not move it). `/review` serves what is
due, one at a time; `/quiz` serves a due booster of the topic first; the daily tip offers one
when one is due; `/progress` says how many are due, or when the next one is. Questions asked
before boosters existed are in no box until they are answered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from clicksbot.content import Content
from clicksbot.store.boosters import Summary

INTERVALS: dict[int, int] = {1: 1, 2: 3, 3: 7, 4: 21}  # box -> days until it is due again
LAST_BOX = 4
MASTERED = 5
NO_BOX = 0


@dataclass(frozen=True)
class Placement:
    """Where a question stands after an answer: its box, and the local day it is due."""

    box: int
    due: date | None  # None: mastered (or in no box)
    was_due: bool = False  # the answer was to a booster whose day had come

    @property
    def mastered(self) -> bool:
        return self.box == MASTERED


def is_due(summary: Summary | None, today: date) -> bool:
    """Whether a question's booster is due on `today`."""
    return summary is not None and summary.due is not None and summary.due <= today


def after_answer(summary: Summary | None, correct: bool, today: date) -> Placement:
    """Return where a question goes after an answer given on `today` (see the rules above)."""
    box = summary.box if summary else NO_BOX
    due = summary.due if summary else None
    was_due = is_due(summary, today)
    if not correct:
        return Placement(1, today + timedelta(days=INTERVALS[1]), was_due)
    if box == NO_BOX:
        return Placement(2, today + timedelta(days=INTERVALS[2]), was_due)
    if box == MASTERED:
        return Placement(MASTERED, None, was_due)
    if not was_due:
        return Placement(box, due, was_due)
    if box >= LAST_BOX:
        return Placement(MASTERED, None, was_due)
    return Placement(box + 1, today + timedelta(days=INTERVALS[box + 1]), was_due)


@dataclass(frozen=True)
class Due:
    """A person's boosters: how many are due now, and the day of the next one otherwise."""

    now: int
    next_day: date | None
    in_boxes: int = 0  # questions in a box (due or not), mastered ones excepted

    @property
    def any(self) -> bool:
        return self.now > 0 or self.next_day is not None


def due_now(summaries: list[Summary], content: Content) -> list[Summary]:
    """Keep the due boosters whose question is still in the packs."""
    return [s for s in summaries if content.question(s.question_id) is not None]


def state(summaries: dict[str, Summary], content: Content, today: date) -> Due:
    """Return what is due among a person's question summaries on `today`."""
    live = [s for s in summaries.values() if content.question(s.question_id) is not None]
    due = sum(1 for s in live if is_due(s, today))
    later = sorted(s.due for s in live if s.due is not None and s.due > today)
    boxed = sum(1 for s in live if 1 <= s.box <= LAST_BOX)
    return Due(due, later[0] if later else None, boxed)

"""The impact report for moderators: who comes and comes back, what they answer and how well,
how their discernment changes between checkups, and how well their confidence matches their
answers, by cohort (language, country, group or campaign). No Telegram here.

Privacy. A cohort is shown only with at least `MIN_PEOPLE` people; smaller ones are merged
into "other", and when "other" itself would be smaller, the smallest cohort shown joins it
until it is not (otherwise the total minus the cohorts shown would give it away); fewer than
`MIN_PEOPLE` people in all shows nothing. Within a cohort, a figure drawn from fewer than
`MIN_PEOPLE` people (accuracy in a competency, a confidence level, the checkup change, a week
of retention) is left blank. Nobody's own answers or checkups are shown: only counts and
shares of at least that many people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

from clicksbot.content.models import Competency
from clicksbot.services.checkup import Score
from clicksbot.store import Store
from clicksbot.store.checkups import CheckupCounts
from clicksbot.store.impact import (
    BEFORE,
    COHORTS,
    DISJOINT,
    NONE,
    OTHER,
    CheckupChange,
    ImpactCounts,
    Joined,
    Tally,
)

MIN_PEOPLE = 10  # people below which a cohort, or a figure, is not shown
MAX_SHOWN = 4  # cohorts drawn beside "other": a chart on a phone stays readable
DEFAULT_WEEKS = 12
MAX_WEEKS = 52
LEVELS = (1, 2, 3)  # how sure: guessing, fairly sure, sure
LEVEL_NAMES = ("guessing", "fairly_sure", "sure")
ALL = "all"  # the cohort of everyone (for language and country, where cohorts do not overlap)
K = TypeVar("K")


class ImpactError(ValueError):
    """A report asked for in a way that cannot be made (a bad cohort or number of weeks)."""


@dataclass(frozen=True)
class Plan:
    """Which cohorts are shown as they are, whether "other" is shown, and how many people
    are left out because even merged they are too few."""

    shown: tuple[str, ...]
    other: bool
    hidden: int


@dataclass(frozen=True)
class Share:
    """Part of a whole drawn from `people` people; `value` is None when they are too few."""

    people: int
    count: int  # answers (or people active) counted
    part: int  # right answers (or people back)

    @property
    def value(self) -> float | None:
        if self.people < MIN_PEOPLE or not self.count:
            return None
        return self.part / self.count


@dataclass(frozen=True)
class Discernment:
    """Mean discernment (d') and leaning (c) at people's first and latest checkups."""

    people: int
    first_d: float
    latest_d: float
    first_c: float
    latest_c: float


@dataclass(frozen=True)
class CohortFigures:
    """One cohort's figures (the key: a language or country code, a group's chat id, a
    campaign's id, OTHER, NONE or ALL)."""

    key: str
    people: int
    active: tuple[int, ...]  # people active each week of the report
    returning: tuple[int, ...]  # ... of whom had joined in an earlier week
    retention: tuple[Share, ...]  # k = 1, 2, ... weeks after joining: people back
    competencies: dict[str, Share]  # competency -> answers and right answers
    calibration: dict[int, Share]  # level -> answers and right answers
    discernment: Discernment | None  # None: fewer than MIN_PEOPLE with two checkups


@dataclass(frozen=True)
class ImpactReport:
    """The report: its cohorts (everyone first where that is a sum), and its weeks."""

    by: str
    since: date  # the Monday of the first week
    weeks: int
    made_at: datetime
    cohorts: tuple[CohortFigures, ...]
    hidden: int  # people in cohorts too small to show even merged
    names: dict[str, str] = field(default_factory=dict)  # campaign id -> name

    @property
    def week_starts(self) -> tuple[date, ...]:
        return tuple(self.since + timedelta(weeks=w) for w in range(self.weeks))

    @property
    def empty(self) -> bool:
        return not self.cohorts


def plan(sizes: Mapping[str, int], limit: int = MAX_SHOWN, minimum: int = MIN_PEOPLE) -> Plan:
    """Choose the cohorts to show: the largest `limit` of at least `minimum` people; the rest
    merged into "other" if together they are at least `minimum`. When they are fewer, the
    smallest cohort shown joins them (so that the total, less the cohorts shown, never tells
    a small cohort's figures), and if that is not enough either, they are left out."""
    ranked = sorted((k for k, n in sizes.items() if n > 0), key=lambda k: (-sizes[k], k))
    shown = [k for k in ranked if sizes[k] >= minimum][:limit]
    rest = sum(sizes[k] for k in ranked if k not in shown)
    while 0 < rest < minimum and shown:
        rest += sizes[shown.pop()]
    other = rest >= minimum
    return Plan(tuple(shown), other, 0 if other else rest)


def first_week(today: date, weeks: int) -> date:
    """Return the Monday that starts a report of `weeks` weeks ending with this week."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=weeks - 1)


async def impact_report(
    store: Store, by: str, weeks: int, now: datetime, *, today: date | None = None
) -> ImpactReport:
    """Count and assemble the report by cohort `by` over the last `weeks` weeks (this one
    included, weeks starting on Monday, by the days people were active in their own time)."""
    if by not in COHORTS:
        raise ImpactError(f"--by must be one of {', '.join(COHORTS)}, not {by!r}")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ImpactError(f"--weeks must be a whole number from 1 to {MAX_WEEKS}, not {weeks}")
    since = first_week(today or now.date(), weeks)
    kinds = [c.value for c in Competency]
    names = await store.campaign_names() if by == "campaign" else {}
    if by in DISJOINT:
        # Everything counted at once by every cohort, then the small ones added up here:
        # a person is in one cohort only, so the sums are exact.
        raw = await store.impact_counts(by, None, True, since, weeks, kinds)
        sizes: dict[str, int] = {}
        for j in raw.joined:
            sizes[j.cohort] = sizes.get(j.cohort, 0) + j.people
        chosen = plan(sizes)
        counts = merged(raw, chosen)
    else:
        # A person may be in several groups or campaigns: "other" is counted by SQL, so
        # that they count once in it; which cohorts are shown must be known first.
        by_week = await store.cohort_sizes(by, since)
        chosen = plan({k: sum(v.values()) for k, v in by_week.items()})
        counts = ImpactCounts((), (), (), ())
        if chosen.shown or chosen.other:
            counts = await store.impact_counts(by, chosen.shown, chosen.other, since, weeks, kinds)
    if not chosen.shown and not chosen.other:
        return ImpactReport(by, since, weeks, now, (), chosen.hidden, names)
    keys = [*chosen.shown, *([OTHER] if chosen.other else [])]
    figures = {k: _figures(k, counts, weeks) for k in keys}
    hidden = chosen.hidden
    # "other" of overlapping cohorts (groups, campaigns) counts a person once: it may be
    # smaller than its parts added up, and is then left out as well.
    if OTHER in figures and figures[OTHER].people < MIN_PEOPLE:
        hidden += figures.pop(OTHER).people
    ordered = [figures[k] for k in keys if k in figures]
    if by in DISJOINT and len(ordered) > 1:
        ordered.insert(0, _figures(ALL, counts, weeks, everyone=True))
    return ImpactReport(by, since, weeks, now, tuple(ordered), hidden, names)


def merged(counts: ImpactCounts, chosen: Plan) -> ImpactCounts:
    """Add up the counts of cohorts that do not overlap as `chosen` shows them: the small
    ones into OTHER, or left out."""

    def key(cohort: str) -> str | None:
        return cohort if cohort in chosen.shown else OTHER if chosen.other else None

    joined: dict[tuple[str, int], tuple[int, list[int]]] = {}
    for j in counts.joined:
        k = key(j.cohort)
        if k is not None:
            people, active = joined.get((k, j.week), (0, [0] * len(j.active)))
            active = [a + b for a, b in zip(active, j.active, strict=True)]
            joined[k, j.week] = (people + j.people, active)
    tallies: list[dict[tuple[str, str], list[int]]] = [{}, {}]
    for i, rows in enumerate((counts.competencies, counts.confidence)):
        for t in rows:
            k = key(t.cohort)
            if k is not None:
                total = tallies[i].setdefault((k, t.kind), [0, 0, 0])
                total[0] += t.people
                total[1] += t.answers
                total[2] += t.correct
    changes: dict[tuple[str, CheckupCounts, CheckupCounts], int] = {}
    for c in counts.checkups:
        k = key(c.cohort)
        if k is not None:
            changes[k, c.first, c.latest] = changes.get((k, c.first, c.latest), 0) + c.people
    return ImpactCounts(
        tuple(Joined(k, w, p, tuple(a)) for (k, w), (p, a) in joined.items()),
        tuple(Tally(k, kind, t[0], t[1], t[2]) for (k, kind), t in tallies[0].items()),
        tuple(Tally(k, kind, t[0], t[1], t[2]) for (k, kind), t in tallies[1].items()),
        tuple(CheckupChange(k, f, la, n) for (k, f, la), n in changes.items()),
    )


def _figures(
    key: str, counts: ImpactCounts, weeks: int, *, everyone: bool = False
) -> CohortFigures:
    """Add up one cohort's counts (all of them, for everyone) into its figures."""

    def mine(cohort: str) -> bool:
        return everyone or cohort == key

    joined = [j for j in counts.joined if mine(j.cohort)]
    active = [sum(j.active[w] for j in joined) for w in range(weeks)]
    returning = [sum(j.active[w] for j in joined if j.week < w) for w in range(weeks)]
    retention = []
    for k in range(1, weeks):
        seen = [j for j in joined if j.week != BEFORE and j.week + k < weeks]
        base = sum(j.people for j in seen)
        back = sum(j.active[j.week + k] for j in seen)
        retention.append(Share(base, base, back))
    competencies = _shares((t.kind, t.people, t.answers, t.correct)
                           for t in counts.competencies if mine(t.cohort))  # fmt: skip
    calibration = _shares((int(t.kind), t.people, t.answers, t.correct)
                          for t in counts.confidence if mine(t.cohort))  # fmt: skip
    return CohortFigures(
        key,
        sum(j.people for j in joined),
        tuple(active),
        tuple(returning),
        tuple(retention),
        {c.value: competencies[c.value] for c in Competency if c.value in competencies},
        {level: calibration[level] for level in LEVELS if level in calibration},
        _discernment([c for c in counts.checkups if mine(c.cohort)]),
    )


def _shares(rows: Iterable[tuple[K, int, int, int]]) -> dict[K, Share]:
    totals: dict[K, tuple[int, int, int]] = {}
    for kind, people, answers, correct in rows:
        p, a, c = totals.get(kind, (0, 0, 0))
        totals[kind] = (p + people, a + answers, c + correct)
    return {kind: Share(*t) for kind, t in totals.items()}


def _discernment(changes: Sequence[CheckupChange]) -> Discernment | None:
    """Mean d' and c at the first and at the latest checkup of people with two or more."""
    people = sum(c.people for c in changes)
    if people < MIN_PEOPLE:
        return None

    def mean(pick: str, measure: str) -> float:
        total = 0.0
        for c in changes:
            score = Score.of(c.first if pick == "first" else c.latest)
            total += (score.discernment if measure == "d" else score.bias) * c.people
        return total / people

    return Discernment(
        people,
        mean("first", "d"),
        mean("latest", "d"),
        mean("first", "c"),
        mean("latest", "c"),
    )


def cohort_label(report: ImpactReport, key: str) -> str:
    """The cohort's name in the CSV file: a code, a chat id, a campaign, other, none or all."""
    if key == OTHER:
        return "other"
    if key == ALL:
        return "all"
    if key == NONE:
        return "none"
    if report.by == "campaign":
        return f"{key}: {report.names.get(key, '?')}"
    return key


def to_csv(report: ImpactReport) -> bytes:
    """The report's figures as CSV: one row per figure, cohort, item and measure."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("figure", "cohort", "item", "measure", "value"))
    rows: list[tuple[object, ...]] = []
    for c in report.cohorts:
        label = cohort_label(report, c.key)
        rows.append(("cohort", label, report.by, "people", c.people))
        for start, active, back in zip(report.week_starts, c.active, c.returning, strict=True):
            rows.append(("activity", label, start.isoformat(), "active_people", active))
            rows.append(("activity", label, start.isoformat(), "returning_people", back))
        for k, share in enumerate(c.retention, start=1):
            rows.append(("retention", label, k, "people_joined", share.people))
            rows.append(("retention", label, k, "share_active", _number(share.value)))
        for name, share in c.competencies.items():
            rows += _share_rows("competency", label, name, share)
        for level, share in c.calibration.items():
            rows += _share_rows("calibration", label, LEVEL_NAMES[level - 1], share)
        d = c.discernment
        if d is not None:
            rows.append(("discernment", label, "", "people_two_checkups", d.people))
            rows.append(("discernment", label, "first", "d_prime", _number(d.first_d)))
            rows.append(("discernment", label, "latest", "d_prime", _number(d.latest_d)))
            rows.append(("discernment", label, "first", "bias_c", _number(d.first_c)))
            rows.append(("discernment", label, "latest", "bias_c", _number(d.latest_c)))
    if report.hidden:
        rows.append(
            ("cohort", "left out (too few even merged)", report.by, "people", report.hidden)
        )
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _share_rows(figure: str, label: str, item: str, share: Share) -> list[tuple[object, ...]]:
    if share.value is None:  # too few people: not even how many answers they gave
        return [(figure, label, item, "people", f"fewer than {MIN_PEOPLE}")]
    return [
        (figure, label, item, "people", share.people),
        (figure, label, item, "answers", share.count),
        (figure, label, item, "accuracy", _number(share.value)),
    ]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"

"""The store's queries for the impact report (a part of `Store`): totals by cohort, never a
person's own rows.

Every figure is counted by SQL into a few rows per cohort. A cohort is a language, a country,
a group (a class chat a person joined the leaderboard of, or answered in) or a campaign (one
the outbox sent a person a step of, as `campaign_people` keeps it after the outbox's rows are
folded into counts); a person in two groups counts in both. Languages and
countries are counted cohort by cohort and the caller adds the small ones up (a person is in
one); for groups and campaigns the caller names the cohorts to show and the SQL itself maps
the rest to "other" (`OTHER`) or leaves them out (see services.impact), so that a person in
several merged cohorts is still counted once there.

The answers and active days are read from `impact_people`, one row per person kept up to
date by triggers in the same transaction as each answer, rating and active day (migration
m020), not from the answers and days themselves: a million people are a million rows however
much they played. Campaign cohorts are read from `campaign_people`, written when the outbox
sends a person a campaign's step, so they outlive the outbox's rows.

The queries read through a connection of their own, opened read-only for the report: they
take seconds on a large database, and the bot's connection keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import aiosqlite

from clicksbot.store.checkups import CheckupCounts
from clicksbot.store.dialect import is_postgresql

COHORTS = ("language", "country", "group", "campaign")
DISJOINT = ("language", "country")  # a person is in one cohort of these only
OTHER = "*"  # the cohort of the small cohorts merged (no language, country or id is "*")
NONE = ""  # no country given; in no group; sent no campaign
BEFORE = -1  # the start week of people who joined before the report's first week


@dataclass(frozen=True)
class Joined:
    """People of a cohort by the week they joined (`BEFORE`: before the report's first
    week), and how many of them were active in each week of the report (from its first)."""

    cohort: str
    week: int
    people: int
    active: tuple[int, ...]


@dataclass(frozen=True)
class Tally:
    """Answers of a cohort in one kind (a competency, or a confidence level: 1 guessing,
    2 fairly sure, 3 sure), how many were right, and how many people gave them."""

    cohort: str
    kind: str
    people: int
    answers: int
    correct: int


@dataclass(frozen=True)
class CheckupChange:
    """How many people of a cohort with two finished checkups or more had these counts in
    their first checkup and in their latest."""

    cohort: str
    first: CheckupCounts
    latest: CheckupCounts
    people: int


@dataclass(frozen=True)
class ImpactCounts:
    """Everything the impact report is drawn from, counted by cohort."""

    joined: tuple[Joined, ...]
    competencies: tuple[Tally, ...]
    confidence: tuple[Tally, ...]
    checkups: tuple[CheckupChange, ...]


CONFIDENCE_LEVELS = (1, 2, 3)  # guessing, fairly sure, sure
_LEVELS = {str(level) for level in CONFIDENCE_LEVELS}
# A finished checkup packed in one text that sorts by when it ended (then by id), so that
# MIN and MAX per person pick their first and latest: the counts follow the 38th character.
_PACKED = (
    "finished_at || {id12} || '|' || n_real || ',' || n_fake || ',' || hits || ',' || false_alarms"
)
_ID12 = {False: "printf('%012d', id)", True: "lpad(CAST(id AS TEXT), 12, '0')"}
_COUNTS_FROM = 39
# Week numbers from the report's first day by day numbers (julianday), whole for days before
# it too: (d + 7000) / 7 - 1000 in integer division.
_WEEK = {
    False: "((CAST(julianday({0}) - julianday(?) AS INTEGER) + 7000) / 7 - 1000)",
    True: "((CAST({0} AS date) - CAST(? AS date) + 7000) / 7 - 1000)",  # PostgreSQL: dates
}
_GREATEST = {False: "MAX({0}, {1})", True: "GREATEST({0}, {1})"}
# impact_people: the column of each competency and confidence level (see migration m020), and
# how its weeks are numbered (from Monday 1970-01-05).
COLUMNS = {
    **{c: "c_" + c.replace("-", "_") for c in (
        "critical-thinking", "creativity", "literacy", "intercultural", "citizenship",
        "knowledge", "sustainability")},
    **{str(level): f"sure_{level}" for level in (1, 2, 3)},
}  # fmt: skip
EPOCH = date(1970, 1, 5)
_LOW = (1 << 32) - 1  # the right answers of a packed count (answers * 2**32 + right)


def unpack(packed: int) -> tuple[int, int]:
    """A packed count of impact_people (answers * 2**32 + right): (answers, right)."""
    return packed >> 32, packed & _LOW


def _people(
    by: str, shown: Sequence[str] | None, other: bool, pg: bool = False
) -> tuple[str, tuple[Any, ...]]:
    """Return SQL for the people of each cohort, `(user_id, cohort, created_at)`, with every
    cohort not in `shown` mapped to OTHER (or, unless `other`, left out; `shown` None: every
    cohort as it is), and its arguments. `pg`: for PostgreSQL (whose planner picks the index
    itself)."""
    users = "users u" if pg else "users u INDEXED BY users_for_impact"
    if by not in COHORTS:
        raise ValueError(f"unknown cohort {by!r}")
    if by in ("language", "country"):
        raw = "u.language" if by == "language" else "COALESCE(u.country, '')"
        source, distinct = users, ""
    else:
        if by == "group":
            links = (
                "SELECT user_id, CAST(chat_id AS TEXT) AS cohort FROM group_members"
                " UNION SELECT user_id, CAST(chat_id AS TEXT) FROM group_answers"
            )
        else:  # the campaigns whose steps the outbox sent the person
            links = "SELECT user_id, CAST(campaign_id AS TEXT) AS cohort FROM campaign_people"
        raw = "COALESCE(l.cohort, '')"
        source = f"{users} LEFT JOIN ({links}) l ON l.user_id = u.id"
        # Two small groups of one person: once in "other". (Unmerged, a person is in each
        # cohort once already: the links are distinct pairs.)
        distinct = "" if shown is None else "DISTINCT "
    rest = f"'{OTHER}'" if other else "NULL"
    if shown is None:
        mapped, shown = raw, ()
    elif shown:
        mapped = f"CASE WHEN {raw} IN ({', '.join('?' * len(shown))}) THEN {raw} ELSE {rest} END"
    else:
        mapped = rest
    sql = (
        f"SELECT {distinct}u.id AS user_id, {mapped} AS cohort, u.created_at AS created_at"
        f" FROM {source}"
    )
    return sql, tuple(shown)


class ImpactQueries:
    """Mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    path: str

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only connection of its own (the store's, for a database in memory)."""
        if self.path == ":memory:" or is_postgresql(self._db):
            # PostgreSQL: each statement takes a pooled connection of its own already.
            yield self._db
            return
        db = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            # Reading most of a large file once: mapped rather than copied page by page, and
            # the sorts of GROUP BY in memory.
            for pragma in ("query_only=ON", "mmap_size=4294967296", "temp_store=MEMORY",
                           "cache_size=-65536"):  # fmt: skip
                await db.execute(f"PRAGMA {pragma}")
            yield db
        finally:
            await db.close()

    async def _impact_rows(self, sql: str, args: Sequence[Any]) -> list[Any]:
        async with self._reader() as db, db.execute(sql, tuple(args)) as cur:
            return list(await cur.fetchall())

    async def cohort_sizes(self, by: str, since: date) -> dict[str, dict[int, int]]:
        """Return how many people each cohort has ("" for none: no country given, in no
        group, sent no campaign), by the week they joined counted from `since` (`BEFORE`:
        earlier)."""
        return await self._people_by_week(by, None, True, since)

    async def campaign_names(self) -> dict[str, str]:
        """Return each campaign's name by its id (as the campaign cohorts name them)."""
        async with self._db.execute("SELECT id, name FROM campaigns") as cur:
            return {str(r[0]): str(r[1]) for r in await cur.fetchall()}

    async def impact_counts(
        self,
        by: str,
        shown: Sequence[str] | None,
        other: bool,
        since: date,
        weeks: int,
        kinds: Sequence[str] = (),
    ) -> ImpactCounts:
        """Count the report's figures by cohort: `shown` cohorts as they are, the rest merged
        into OTHER (or left out unless `other`); `shown` None: every cohort as it is (for
        cohorts that do not overlap, the caller may add them up). Weeks are counted from
        `since` (a Monday), `weeks` of them; answers and checkups cover all time; `kinds`
        are the competencies to count answers in.

        One row per person is read (their cohort, and their summary in impact_people), and
        summed by cohort and week joined; the checkups are read at the same time, on a
        connection of their own."""
        (joined, competencies, confidence), checkups = await asyncio.gather(
            self._summaries(by, shown, other, since, weeks, kinds),
            self._checkups(by, shown, other),
        )
        return ImpactCounts(joined, competencies, confidence, checkups)

    async def _people_by_week(
        self, by: str, shown: Sequence[str] | None, other: bool, since: date
    ) -> dict[str, dict[int, int]]:
        """People of each cohort by the week they joined (`BEFORE`: before `since`)."""
        pg = is_postgresql(self._db)
        people, args = _people(by, shown, other, pg)
        week = _GREATEST[pg].format(_WEEK[pg].format("substr(p.created_at, 1, 10)"), BEFORE)
        rows = await self._impact_rows(
            f"SELECT p.cohort, {week}, COUNT(*) FROM ({people}) p WHERE p.cohort IS NOT NULL"
            " GROUP BY 1, 2",
            (since.isoformat(), *args),
        )
        sizes: dict[str, dict[int, int]] = {}
        for cohort, joined, people_n in rows:
            sizes.setdefault(str(cohort), {})[int(joined)] = int(people_n)
        return sizes

    async def _summaries(
        self,
        by: str,
        shown: Sequence[str] | None,
        other: bool,
        since: date,
        weeks: int,
        kinds: Sequence[str],
    ) -> tuple[tuple[Joined, ...], tuple[Tally, ...], tuple[Tally, ...]]:
        """People of each cohort by the week they joined, how many of them were active in
        each week from `since`, and their answers and right answers per competency in
        `kinds` and per confidence level, with how many people gave them.

        A person's weeks are a mask of bits back from their latest active week: shifted so
        that bit k is the report's last week less k, its bits for the report's weeks are
        read as they are (later weeks shifted out, earlier ones never read)."""
        if since.weekday() != 0:
            raise ValueError(f"the report's weeks start on a Monday, not on {since}")
        pg = is_postgresql(self._db)
        people, args = _people(by, shown, other, pg)
        last = (since - EPOCH).days // 7 + weeks - 1  # the report's last week, from EPOCH
        # A shift of 63 or more is 0 (PostgreSQL, unlike SQLite, does not promise it).
        aligned = (
            f"CASE WHEN abs(s.last_week - {last}) >= 63 THEN 0"
            f" WHEN s.last_week >= {last} THEN s.weeks >> (s.last_week - {last})"
            f" ELSE s.weeks << ({last} - s.last_week) END"
        )
        active = ", ".join(f"SUM((a >> {weeks - 1 - w}) & 1)" for w in range(weeks))
        tests = [(k, COLUMNS[k]) for k in kinds if k in COLUMNS]
        tests += [(str(level), COLUMNS[str(level)]) for level in CONFIDENCE_LEVELS]
        tallies = ", ".join(
            f"SUM(CASE WHEN {c} != 0 THEN 1 ELSE 0 END), SUM({c} >> 32), SUM({c} & {_LOW})"
            for _, c in tests
        )
        joined_week = _GREATEST[pg].format(_WEEK[pg].format("substr(p.created_at, 1, 10)"), BEFORE)
        rows = await self._impact_rows(
            f"SELECT cohort, joined, COUNT(*), {active}, {tallies} FROM ("
            f"  SELECT p.cohort AS cohort, {joined_week} AS joined, {aligned} AS a,"
            f"  {', '.join(c for _, c in tests)}"
            f"  FROM ({people}) p LEFT JOIN impact_people s ON s.user_id = p.user_id"
            "   WHERE p.cohort IS NOT NULL) AS summed"
            " GROUP BY 1, 2",
            (since.isoformat(), *args),
        )
        joined: list[Joined] = []
        sums: dict[tuple[str, str], list[int]] = {}
        for r in rows:
            cohort = str(r[0])
            joined.append(
                Joined(cohort, int(r[1]), int(r[2]), tuple(int(n or 0) for n in r[3 : 3 + weeks]))
            )
            for i, (kind, _) in enumerate(tests):
                counts = r[3 + weeks + 3 * i : 6 + weeks + 3 * i]
                total = sums.setdefault((cohort, kind), [0, 0, 0])
                for j, n in enumerate(counts):
                    total[j] += int(n or 0)
        competencies: list[Tally] = []
        confidence: list[Tally] = []
        for (cohort, kind), (people_n, answers, right) in sorted(sums.items()):
            if people_n:
                tally = Tally(cohort, kind, people_n, answers, right)
                (confidence if kind in _LEVELS else competencies).append(tally)
        joined.sort(key=lambda j: (j.cohort, j.week))
        return tuple(joined), tuple(competencies), tuple(confidence)

    async def _checkups(
        self, by: str, shown: Sequence[str] | None, other: bool
    ) -> tuple[CheckupChange, ...]:
        pg = is_postgresql(self._db)
        people, args = _people(by, shown, other, pg)
        packed = _PACKED.format(id12=_ID12[pg])
        rows = await self._impact_rows(
            f"SELECT p.cohort, substr(t.first, {_COUNTS_FROM}), substr(t.latest, {_COUNTS_FROM}),"
            f" COUNT(*) FROM (SELECT user_id, MIN({packed}) AS first, MAX({packed}) AS latest"
            "  FROM checkups WHERE finished_at IS NOT NULL GROUP BY user_id"
            "  HAVING COUNT(*) >= 2) t"
            f" JOIN ({people}) p ON p.user_id = t.user_id WHERE p.cohort IS NOT NULL"
            " GROUP BY 1, 2, 3",
            args,
        )
        return tuple(
            CheckupChange(str(r[0]), _counts(r[1]), _counts(r[2]), int(r[3])) for r in rows
        )


def _counts(packed: str) -> CheckupCounts:
    n_real, n_fake, hits, false_alarms = (int(x) for x in packed.split(","))
    return CheckupCounts(n_real, n_fake, hits, false_alarms)

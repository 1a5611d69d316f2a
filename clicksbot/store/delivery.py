"""The store's queries for subscriptions, jobs and the outbox (a part of `Store`)."""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite

from clicksbot.store.checkpoints import between_writes
from clicksbot.store.dialect import (
    FROM_USERS_SQL,
    for_update,
    is_postgresql,
    now_ms,
    page_key,
    skip_locked,
)
from clicksbot.store.errors import StoreError
from clicksbot.store.leases import LEADER
from clicksbot.store.locking import writes
from clicksbot.store.scans import ScanQueries
from clicksbot.store.stamps import to_text

logger = logging.getLogger(__name__)

AUDIENCE_KINDS = ("all", "subscribers", "language", "country", "pledged", "unpledged")
# Not one a moderator picks: the people a new pact version is offered to, whose live pledge
# is to an older one (its value is the new version).
PLEDGED_BEFORE = "pledged-before"
LIVE_PLEDGE = (
    "EXISTS (SELECT 1 FROM pledges p WHERE p.user_id = users.id AND p.withdrawn_at IS NULL"
)


def audience_filter(audience: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """Return the SQL condition on `users` (and its arguments) for an audience."""
    kind, value = audience.get("kind", "all"), audience.get("value")
    reachable = "users.unreachable_since IS NULL"
    if kind == "all":
        return reachable, ()
    if kind == "subscribers":
        return f"{reachable} AND users.tip_time IS NOT NULL", ()
    if kind == "language":
        return f"{reachable} AND users.language = ?", (str(value),)
    if kind == "country":
        return (
            f"{reachable} AND (users.country = ? OR {LIVE_PLEDGE} AND p.country = ?))",
            (str(value), str(value)),
        )
    if kind == "pledged":
        return f"{reachable} AND {LIVE_PLEDGE})", ()
    if kind == "unpledged":
        return f"{reachable} AND NOT {LIVE_PLEDGE})", ()
    if kind == PLEDGED_BEFORE:  # a new pact's notice: a live pledge, none to this version
        return (
            f"{reachable} AND {LIVE_PLEDGE}) AND NOT {LIVE_PLEDGE} AND p.version >= ?)",
            (int(str(value)),),
        )
    raise ValueError(f"unknown audience {kind!r}")


def _slot_where(fill: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """The people of a daily-tip slot's fill still due a tip that day: a condition on
    `users`, and its arguments."""
    return (
        "time_zone = ? AND tip_time = ? AND unreachable_since IS NULL"
        " AND (tip_day IS NULL OR tip_day < ? OR tip_day > ?)",
        (fill["zone"], fill["time"], fill["day"], fill["upto"]),
    )


def _listed_part(listed: list[int], fill: dict[str, Any], size: int) -> tuple[int, list[int]]:
    """Where a listed fill's next chunk starts in its list, and its people: the `size`
    after the last person a chunk queued (the job notes who that was)."""
    after = fill.get("after")
    start = 0 if after is None else bisect.bisect_right(listed, int(after))
    return start, listed[start : start + size]


# People queued per transaction when a daily-tip or reminder slot is queued, at most. A
# slot's people are scattered over the outbox's per-person index, each on a page of its own
# there: at a million people a chunk of 200 held the write lock 20-30 ms, and in the start's
# catch-up a /tip waited 28-53 ms more than usual at worst (three runs); with 100, 18-25 ms
# (four). That was one machine: on a slower disk a chunk of 100 held it 41-82 ms, and a /tip
# waited up to 68 ms. So on SQLite each chunk's size follows how long the last one's
# statements took (`FillPace`): as many people as fit in FILL_HOLD seconds, from FILL_LEAST
# up to FILL_CHUNK.
FILL_HOLD = 0.015
SLOW_FILL = 3 * FILL_HOLD  # seconds: a fill's statements that took this long are logged
FILL_CHUNK = 100
FILL_LEAST = 10
FILL_WINDOW = 500  # people looked at per transaction when an audience is queued, at most
FILL_WINDOW_LEAST = 50  # the same, at least (paced as chunks are)
# The same on PostgreSQL, where each statement and commit is a round trip to the server:
# 50 windows for 100k people instead of 200 (about 15 ms a window there, on 2 busy cores).
FILL_WINDOW_POSTGRESQL = 2000
# An audience (a broadcast, a campaign's step) is queued FILL_AHEAD people ahead of the
# outbox, not all at once: Telegram lets a bot send about 30 messages a second, so a million
# people take nine hours to reach, and queueing them all up front cost 5-9 s of writes and a
# million pending rows before the first was sent. The outbox asks for more (`fill_ahead`)
# when fewer than half of that are left to send.
FILL_AHEAD = 5000
# Seconds of windows one top-up may take (a small audience among many people needs many
# windows for a few people each): the outbox sends between two top-ups.
FILL_BUDGET = 0.25

# Delivery states; "pending" rows are the outbox's work, the others are outcomes.
PENDING, SENT, FAILED, UNREACHABLE = "pending", "sent", "failed", "unreachable"
_FINISHED = (SENT, FAILED, UNREACHABLE, "cancelled")  # in the order of the jobs' counts
# Finished outbox rows are folded into their job's counts in batches that look at
# COMPACT_BATCH rows (a transaction each), at most COMPACT_MOST at a time, with a rest after
# each batch as long as it took (at most COMPACT_REST seconds): upkeep never has the store more
# than half the time. On SQLite how many rows a batch may fold (delete) follows how long the
# last folding batch's statements took, holding the write lock (`next_batch`), starting from
# COMPACT_LEAST rows: a reply's write then waits about COMPACT_HOLD seconds behind one (and its
# commit, not timed), once the pace is known. At a million people, under the log's
# checkpoints, a batch folding 500 rows held it 83 ms (72 of them its DELETE); looking at rows
# it does not fold (pending, or recent) is a read of neighbouring keys, and costs little. On
# PostgreSQL a batch folds all it may: three round trips and a commit each, a fixed cost near
# that hold. Nor does a call fold more than COMPACT_PACE rows a second: on SQLite each row's
# deletion dirties pages scattered through the outbox's indexes, which the checkpointer then
# writes back, and a reply reading pages from the disk meanwhile waits for it. At a million people
# a pass of 50,000 rows in 3.2 s had a /tip wait 57 ms longer than usual. Nothing is lost by
# going slower: a pass comes every ten minutes (a bot folds some 7,000 rows a pass at a
# million people), and at this pace its most takes 25 s.
COMPACT_BATCH = 500
COMPACT_LEAST = 20
COMPACT_HOLD = 0.01
COMPACT_MOST = 50_000
COMPACT_REST = 0.1
COMPACT_PACE = 2_000


class FillPace:
    """How many people the next transaction of a fill takes, on SQLite: as many as fit in
    FILL_HOLD seconds of holding the write lock, at the pace the last full one went (see
    `paced`), between `least` and `most`. It starts at `least` (the first chunk of the
    start's catch-up is as cold as any) and at most doubles from one to the next. A store
    keeps one for each kind of fill (see `fill_paces`), for as long as it is open: how fast
    the disk is does not change from one slot to the next."""

    def __init__(self, most: int, least: int) -> None:
        self.most, self.least = most, least
        self.size = least

    def went(self, size: int, people: int, held: float) -> None:
        """A transaction that might have taken `size` people took `people`, and its
        statements held the write lock `held` seconds. Only a full one tells the pace: a
        short one (a slot's last few people, a window cut to what the fill still wants)
        costs what any transaction costs, whatever its size, and small slots are many. Nor
        does one slow transaction (beside a checkpoint, say) make the next less than half
        as large."""
        if people < size:
            return
        self.size = max(size // 2, paced(size, people, held, FILL_HOLD, self.least, self.most))


def fill_paces(postgresql: bool) -> dict[str, FillPace]:
    """A store's paces, one for each kind of fill, whose people cost differently each: a
    daily-tip slot's chunks, a reminder slot's (listed), everyone's windows (nearly every
    person looked at is queued) and a smaller audience's (fewer of them). On PostgreSQL they
    are fixed at their largest (FILL_WINDOW_POSTGRESQL for windows): each statement is a
    round trip to the server, and the commit another, whatever their size."""
    chunk = (FILL_CHUNK, FILL_CHUNK) if postgresql else (FILL_CHUNK, FILL_LEAST)
    window = (
        (FILL_WINDOW_POSTGRESQL, FILL_WINDOW_POSTGRESQL)
        if postgresql
        else (FILL_WINDOW, FILL_WINDOW_LEAST)
    )
    return {
        "tip": FillPace(*chunk),
        "listed": FillPace(*chunk),
        "everyone": FillPace(*window),
        "audience": FillPace(*window),
    }


@dataclass(frozen=True)
class Delivery:
    """One message waiting in the outbox, with what is needed to write and send it."""

    job_id: int
    user_id: int
    attempts: int
    kind: str
    payload: dict[str, Any]
    language: str

    @property
    def position(self) -> tuple[int, int]:
        """Where this row sits in the outbox's order (job, then person)."""
        return self.job_id, self.user_id


@dataclass(frozen=True)
class DeliveryStats:
    """The outbox's figures for `clicksbot stats` and admins."""

    people: int
    subscribers: int
    unreachable: int
    pending: int
    sent_since: int
    failed_since: int


@dataclass(frozen=True)
class JobProgress:
    """How far one fan-out has got."""

    pending: int
    sent: int
    failed: int
    unreachable: int
    cancelled: int = 0
    stopped: bool = False  # a moderator stopped it

    @property
    def total(self) -> int:
        return self.pending + self.sent + self.failed + self.unreachable + self.cancelled

    @property
    def processed(self) -> int:
        """Messages whose outcome is known (sent, unreachable or failed)."""
        return self.sent + self.unreachable + self.failed


class DeliveryQueries(ScanQueries):
    """Subscriptions, jobs and deliveries; mixed into `Store`, which owns the connection."""

    _db: aiosqlite.Connection
    _write_lock: asyncio.Lock
    _jobs_filling: set[int]  # jobs this process is filling now (see `_fill`)
    _fill_lists: dict[int, list[int]]  # the people a listed fill queues (see `_listed`)
    _fill_wanted: dict[int, int]  # how many more people a fill under way is to queue
    _fill_next: dict[int, dict[str, Any]]  # a slot's fill as its last chunk left it
    _fill_turn: asyncio.Lock  # one fill's write at a time waits for the write lock
    _fill_paces: dict[str, FillPace]  # the size of each kind of fill's transactions
    _fill_warmed: dict[int, int]  # how many people a fill's next chunk was read ahead for

    # -- subscriptions -------------------------------------------------------------------

    @writes
    async def set_place(self, user_id: int, country: str | None, time_zone: str) -> None:
        """Remember where a person is (a country code, if they picked one) and their zone."""
        await self._db.execute(
            "UPDATE users SET country = ?, time_zone = ? WHERE id = ?",
            (country, time_zone, user_id),
        )

    @writes
    async def set_tip_time(self, user_id: int, tip_time: str | None) -> None:
        """Subscribe a person to a daily tip at "HH:MM" local time, or (None) unsubscribe."""
        await self._db.execute("UPDATE users SET tip_time = ? WHERE id = ?", (tip_time, user_id))

    async def tip_slots(self) -> list[tuple[str, str]]:
        """Return every (time zone, "HH:MM") at which somebody gets a daily tip."""
        # One index seek per zone and per slot, not a read of everyone's row (a third of a
        # second at a million people, at start and at every look for missed slots).
        rows = await self._scan(
            "WITH RECURSIVE zones (z) AS ("
            "  SELECT MIN(time_zone) FROM users WHERE time_zone IS NOT NULL"
            "  UNION ALL SELECT (SELECT MIN(time_zone) FROM users WHERE time_zone > z)"
            "  FROM zones WHERE z IS NOT NULL),"
            " slots (z, t) AS ("
            "  SELECT z, (SELECT MIN(tip_time) FROM users WHERE time_zone = zones.z"
            "   AND tip_time IS NOT NULL) FROM zones WHERE z IS NOT NULL"
            "  UNION ALL SELECT z, (SELECT MIN(tip_time) FROM users WHERE time_zone = slots.z"
            "   AND tip_time > slots.t) FROM slots WHERE t IS NOT NULL)"
            " SELECT z, t FROM slots WHERE t IS NOT NULL ORDER BY z, t"
        )
        return [(row[0], row[1]) for row in rows]

    # -- jobs ----------------------------------------------------------------------------

    async def _new_job(
        self, key: str, kind: str, payload: dict[str, Any], now: datetime
    ) -> int | None:
        """Create a job in the caller's transaction; None if a job with this key exists (a
        fan-out is queued once, whoever asks)."""
        cur = await self._db.execute(
            "INSERT INTO jobs (key, kind, payload, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (key, kind, json.dumps(payload, ensure_ascii=False), to_text(now)),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def _new_audience_job(
        self, key: str, kind: str, payload: dict[str, Any], audience: dict[str, Any], now: datetime
    ) -> int | None:
        """Create a job for an audience, still to be filled (in the caller's transaction);
        None if a job with this key exists. `_fill` then queues its people, a window a
        transaction, once the caller's transaction is committed."""
        audience_filter(audience)  # an unknown kind is refused here, before anything is written
        # How many it reaches now, from the kept totals: what the moderator is told, and what
        # the progress counts as still to queue until the fill is done (see `job_progress`).
        expected = await self._kept_audience_size(audience)
        fill = {"audience": audience, "after": None, "expected": expected, "queued": 0}
        cur = await self._db.execute(
            "INSERT INTO jobs (key, kind, payload, created_at, filling) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (key, kind, json.dumps(payload, ensure_ascii=False), to_text(now), json.dumps(fill)),
        )
        return cur.lastrowid if cur.rowcount == 1 else None

    async def _kept_audience_size(self, audience: dict[str, Any]) -> int:
        """How many people an audience reaches, from the totals the database keeps
        (migration m018's triggers): one row read, however many people there are."""
        kind, value = audience.get("kind", "all"), audience.get("value")
        key = f"{kind}:{value}" if kind in ("language", "country") else str(kind)
        if kind == PLEDGED_BEFORE:  # everyone pledged: when a version is new, nobody has
            key = "pledged"  # pledged to it yet
        async with self._db.execute(
            "SELECT count FROM audience_counts WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _queue_audience(self, job_id: int, now: datetime) -> int:
        """Queue the first FILL_AHEAD people of a new audience job (the outbox asks for the
        rest as it sends, see `fill_ahead`); return how many people the job reaches: exact
        when they were all queued, else the audience's size when it was created."""
        queued = await self._fill(job_id, now, most=FILL_AHEAD)
        async with self._db.execute("SELECT filling FROM jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return queued + (still_to_queue(row[0]) if row else 0)

    async def fill_ahead(self, now: datetime) -> int:
        """Queue more people of the audiences still being queued, so that each has about
        FILL_AHEAD waiting to be sent, a window a transaction; return how many were queued.
        The outbox calls it before each read of its rows, as leader: a job's rows are
        queued in the order of people's ids, and how far it got is kept in the job, so a
        restart or a new leader carries on where the last one stopped."""
        jobs = await self._db.execute_fetchall(
            "SELECT id, filling FROM jobs WHERE filling IS NOT NULL AND cancelled_at IS NULL"
            " ORDER BY id"
        )
        queued = 0
        for job_id, filling in list(jobs):
            if "audience" not in json.loads(filling):
                continue  # a slot's fill: its clock finishes it (see `finish_fills`)
            try:
                async with self._db.execute(
                    "SELECT COUNT(*) FROM deliveries WHERE state = ? AND job_id = ?",
                    (PENDING, job_id),
                ) as cur:
                    row = await cur.fetchone()
                waiting = int(row[0]) if row else 0
                if waiting < FILL_AHEAD // 2:
                    queued += await self._fill(
                        int(job_id), now, most=FILL_AHEAD - waiting, budget=FILL_BUDGET
                    )
            except Exception:  # one job's trouble must not stop the others, nor the sending
                logger.exception("Could not queue more people of job %s", job_id)
        return queued

    async def queue_tip_slot(
        self, time_zone: str, tip_time: str, day: date, now: datetime
    ) -> tuple[int, int] | None:
        """Queue the daily tip of one slot on one local day; return (job id, people queued).

        Return None when that slot and day were queued before: a slot is queued once, however
        many clocks see it. Only people who have not had a daily tip on that local day are
        queued, so changing one's time or zone never brings a second tip the same day.

        A day stored later than today (in the slot's zone, by `now`) was written by a clock
        that ran ahead and was then put right: it is not a tip sent today, so it does not
        silence the tips until the calendar catches up with it.

        The people are queued a chunk at a time (FILL_CHUNK at most, fewer on a slow disk),
        each chunk its own short transaction (a reply's write waits for one chunk at most),
        and the job keeps how far it got: a slot that a crash cut is finished by the next
        call for it, or by `finish_fills` at start.
        """
        key = f"tip:{day.isoformat()}:{time_zone}:{tip_time}"
        today = now.astimezone(ZoneInfo(time_zone)).date()
        fill = {"zone": time_zone, "time": tip_time, "day": day.isoformat(),
                "upto": max(day, today).isoformat(), "after": 0}  # fmt: skip
        job_id = await self._open_fill(key, "tip", fill, now)
        if job_id is None:
            return None
        return job_id, await self._fill(job_id, now, fill=fill)

    async def _open_fill(
        self,
        key: str,
        kind: str,
        fill: dict[str, Any],
        now: datetime,
        payload: dict[str, Any] | None = None,
    ) -> int | None:
        """Create a job that is still to be filled; if it exists, return it only while it is
        still being filled (None: done before).

        It takes its turn with the fills' chunks (see `_fill`): at a slot's hour every zone's
        slots open their jobs at once, and a reply's write came after all those openings (a
        `/tip` took 192 ms at a million people, at the quarter hour)."""
        async with self._fill_turn:
            return await self._create_fill(key, kind, fill, now, payload)

    @writes
    async def _create_fill(
        self,
        key: str,
        kind: str,
        fill: dict[str, Any],
        now: datetime,
        payload: dict[str, Any] | None,
    ) -> int | None:
        cur = await self._db.execute(
            "INSERT INTO jobs (key, kind, payload, created_at, filling) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO NOTHING",
            (key, kind, json.dumps(payload or {}), to_text(now), json.dumps(fill)),
        )
        if cur.rowcount == 1:
            return cur.lastrowid
        async with self._db.execute(
            "SELECT id FROM jobs WHERE key = ? AND filling IS NOT NULL", (key,)
        ) as found:
            row = await found.fetchone()
        return int(row[0]) if row else None

    async def finish_fills(self, now: datetime) -> list[tuple[int, int]]:
        """Finish the slots a stop or crash left half queued; return (job id, people queued).
        An audience's job is left to the outbox, which queues its people as it sends them
        (see `fill_ahead`)."""
        jobs = await self._db.execute_fetchall(
            "SELECT id, filling FROM jobs WHERE filling IS NOT NULL ORDER BY id"
        )
        fills = [(int(r[0]), json.loads(r[1])) for r in list(jobs)]
        slots = [(job_id, fill) for job_id, fill in fills if "audience" not in fill]
        return [(job_id, await self._fill(job_id, now, fill=fill)) for job_id, fill in slots]

    async def _fill(
        self,
        job_id: int,
        now: datetime,
        most: int | None = None,
        budget: float | None = None,
        fill: dict[str, Any] | None = None,
    ) -> int:
        """Queue a job's people chunk after chunk until it is full (or, given `most`, until
        at least that many were queued; given `budget`, once that many seconds have gone);
        return how many. `fill` is the job's fill as the caller knows it, for the first
        chunk's read ahead (see `_warm_chunk`).

        One chunk of all the fills under way waits for the write lock at a time (the
        lock serves its waiters in turn): at a slot's hour every zone's tip and reminder
        slots are queued at once, and a reply's write came after a chunk of each."""
        began = time.monotonic()
        filling = self._jobs_filling
        if job_id in filling:  # another clock of this process is at it: it finishes the job
            return 0
        filling.add(job_id)
        try:
            if fill is not None and "audience" not in fill:
                self._fill_next[job_id] = fill
            listed = await self._listed(job_id)
            if listed is not None:
                self._fill_lists[job_id] = listed
            queued = 0
            while True:
                if most is not None:  # see `_fill_audience_chunk`
                    self._fill_wanted[job_id] = most - queued
                await self._warm_chunk(job_id)
                async with self._fill_turn:
                    count, done = await self._fill_chunk(job_id, now)
                queued += count
                if done or (most is not None and queued >= most):
                    return queued
                if budget is not None and time.monotonic() - began >= budget:
                    return queued  # a sparse audience: the rest at the next top-up
                await between_writes(self)
        finally:
            filling.discard(job_id)
            self._fill_lists.pop(job_id, None)
            self._fill_wanted.pop(job_id, None)
            self._fill_next.pop(job_id, None)
            self._fill_warmed.pop(job_id, None)

    async def _warm_chunk(self, job_id: int) -> None:
        """Read the pages the job's next chunk goes through, beside the writes (on the scan
        connection, see store.scans), before the chunk takes the write lock.

        A slot's people are scattered over the database: a chunk of up to 100 visits, for nearly
        each of them, a page of `users`, one of its index by id (the outbox's check of its
        people) and one of the outbox's per-person index. At a million people most of those
        pages are not in memory, and the chunk read them from the disk holding the write
        lock (from a cold cache 7-11 ms at the median, up to 40 ms; 75 ms once in the
        start's catch-up, beside a checkpoint), every reply's write waiting behind it. Read
        first, they are in the system's cache when the chunk runs.

        Only what is known of the job's fill is read ahead (`_fill_next`: what the caller
        or the last chunk left). An audience's window is people next to each other by id,
        a few pages: not read ahead. Nor on PostgreSQL (its own cache, on the server: not
        measured slow there) or in an in-memory database (no connection beside the writes).
        The read is only a head start: if it fails, the chunk reads for itself."""
        fill = self._fill_next.get(job_id)
        if fill is None or is_postgresql(self._db) or self.path == ":memory:":
            return
        listed = self._fill_lists.get(job_id)
        size = self._fill_paces["tip" if listed is None else "listed"].size
        self._fill_warmed[job_id] = size  # the chunk takes no more (see `_chunk_size`)
        if listed is not None:
            _, people = _listed_part(listed, fill, size)
            reads = self._listed_reads(fill, people) if people else []
        else:
            slot, args = _slot_where(fill)
            key = page_key(self._db)
            # The chunk's people (their rows), each one's entry in users' index by id, and
            # their rows in the outbox's index.
            reads = [
                (
                    "SELECT id, (SELECT 1 FROM users p WHERE p.id = users.id),"
                    " (SELECT COUNT(*) FROM deliveries d WHERE d.user_id = users.id)"
                    f" FROM users WHERE {slot} AND {key} > ? ORDER BY {key} LIMIT ?",
                    (*args, fill["after"], size),
                )
            ]
        try:
            for sql, params in reads:
                await self._scan(sql, params)
        except (sqlite3.Error, StoreError) as error:
            logger.debug("Could not read ahead job %s's next chunk: %s", job_id, error)

    def _listed_reads(
        self, fill: dict[str, Any], people: list[int]
    ) -> list[tuple[str, tuple[Any, ...]]]:
        """The reads that go through a listed chunk's pages (see `_warm_chunk`): here, the
        people's rows in the outbox's per-person index."""
        marks = ", ".join("?" * len(people))
        return [(f"SELECT COUNT(*) FROM deliveries WHERE user_id IN ({marks})", tuple(people))]

    async def _listed(self, job_id: int) -> list[int] | None:
        """The people a job's fill queues, by id in ascending order, when they are found by
        one read before its chunks, outside the write lock (see store.reminders: finding a
        reminder slot's people took 50-150 ms at a million people, every reply's write
        waiting behind it); None when each chunk finds its own people, as here."""
        return None

    async def _queue_listed(
        self, job_id: int, fill: dict[str, Any], people: list[int], now: datetime
    ) -> int:
        """Queue some of a listed fill's people (in the caller's transaction), each if still
        due; return how many were queued. Listed fills are store.reminders'."""
        raise TypeError(f"job {job_id}: no listed fill of this kind")

    @writes
    async def _fill_chunk(self, job_id: int, now: datetime) -> tuple[int, bool]:
        """Queue the next chunk of people of a job still being filled (a tip slot's, a
        reminder slot's, or an audience's), and note how far it got, in one transaction;
        return how many were queued and whether the job is full. How long its statements
        take sizes the next chunk (see FILL_HOLD)."""
        began = time.perf_counter()
        # On PostgreSQL the job's row is locked, so that two instances filling one job (a
        # leader's last fill as another takes over) take turns, each window once.
        async with self._db.execute(
            f"SELECT filling FROM jobs WHERE id = ?{for_update(self._db)}", (job_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[0] is None:
            return 0, True
        fill = json.loads(row[0])
        if "audience" in fill:
            return await self._fill_audience_chunk(job_id, fill, now, began)
        if job_id in self._jobs_filling:
            # The chunk moves `fill` on to where the next one starts: its read ahead reads
            # from there (see `_warm_chunk`).
            self._fill_next[job_id] = fill
        listed = self._fill_lists.get(job_id)
        if listed is not None:
            return await self._fill_listed_chunk(job_id, fill, listed, now, began)
        # The order of the slot's index, so each chunk starts where the last ended: the
        # chunk's last key is read first, then its people are queued and marked by two
        # statements over that range (not a row at a time: a round trip each on PostgreSQL).
        key = page_key(self._db)
        slot, args = _slot_where(fill)
        size = self._chunk_size(job_id, "tip")
        async with self._db.execute(
            f"SELECT COUNT(*), MAX(k) FROM (SELECT {key} AS k FROM users WHERE {slot}"
            f" AND {key} > ? ORDER BY {key} LIMIT ?) AS chunk",
            (*args, fill["after"], size),
        ) as cur:
            row = await cur.fetchone()
        count, last = (int(row[0]), int(row[1])) if row and row[0] else (0, 0)
        if count:
            chunk = f"{slot} AND {key} > ? AND {key} <= ?"
            await self._db.execute(
                "INSERT INTO deliveries (job_id, user_id, updated_at)"
                f" SELECT ?, id, ? FROM users WHERE {chunk} ON CONFLICT DO NOTHING",
                (job_id, to_text(now), *args, fill["after"], last),
            )
            await self._db.execute(
                f"UPDATE users SET tip_day = ? WHERE {chunk}",
                (fill["day"], *args, fill["after"], last),
            )
        done = count < size
        if not done:
            fill["after"] = last
        await self._db.execute(
            "UPDATE jobs SET filling = ? WHERE id = ?",
            (None if done else json.dumps(fill), job_id),
        )
        self._fill_went("tip", size, count, began)
        return count, done

    async def _fill_listed_chunk(
        self, job_id: int, fill: dict[str, Any], listed: list[int], now: datetime, began: float
    ) -> tuple[int, bool]:
        """`_fill_chunk` for a listed fill: the next chunk of the people read before, after
        the last person a chunk queued (the job notes who that was)."""
        size = self._chunk_size(job_id, "listed")
        start, people = _listed_part(listed, fill, size)
        count = await self._queue_listed(job_id, fill, people, now) if people else 0
        done = start + size >= len(listed)
        if not done:
            fill["after"] = people[-1]
        await self._db.execute(
            "UPDATE jobs SET filling = ? WHERE id = ?",
            (None if done else json.dumps(fill), job_id),
        )
        self._fill_went("listed", size, len(people), began)
        return count, done

    def _chunk_size(self, job_id: int, kind: str) -> int:
        """How many people a slot's next chunk takes: its kind's pace, and no more than its
        read ahead was for (another fill's chunk may have changed the pace meanwhile)."""
        size = self._fill_paces[kind].size
        return min(size, self._fill_warmed.pop(job_id, size))

    def _fill_went(
        self, kind: str, size: int, people: int, began: float, learn: bool = True
    ) -> None:
        """Size the next transaction of this kind of fill by how long this one's statements
        took, since `began` (see `fill_paces`), unless told not to learn from it; one whose
        statements took SLOW_FILL seconds or more (holding the write lock, and its commit
        after them) is logged at debug level, with its size: a slow disk, or a size learnt
        wrong."""
        held = time.perf_counter() - began
        if learn:
            self._fill_paces[kind].went(size, people, held)
        if held >= SLOW_FILL:
            logger.debug("A fill's transaction (%s) of %d people (%d asked): its statements "
                         "took %.0f ms, holding the write lock; the next takes %d", kind,
                         people, size, held * 1000, self._fill_paces[kind].size)  # fmt: skip

    async def _fill_audience_chunk(
        self, job_id: int, fill: dict[str, Any], now: datetime, began: float
    ) -> tuple[int, bool]:
        """`_fill_chunk` for an audience: of the next window of people by id (paced, see
        `fill_paces`; for everyone, no more than the fill still wants), those in the
        audience. Bounded by people looked at, not found, so a small audience among many
        people never makes one long transaction. The window's people are queued by one
        `INSERT … SELECT` (a row at a time cost a round trip each on PostgreSQL)."""
        after = -(2**63) if fill["after"] is None else int(fill["after"])
        kind = "everyone" if fill["audience"].get("kind", "all") == "all" else "audience"
        window = paced = self._fill_paces[kind].size
        if kind == "everyone":
            # Everyone reachable: nearly every person looked at is queued, so a window looks
            # at no more than the fill still wants, and a sixteenth more for the unreachable
            # among them (without it, a window of a few people, a transaction, followed
            # nearly every top-up). A smaller audience's windows stay whole: capped, they
            # would shrink towards one person each.
            wanted = self._fill_wanted.get(job_id, window)
            window = max(1, min(window, wanted + wanted // 16))
        # The window's last person, and whether anybody comes after it (if not, this is
        # the last window: the job is known to be full when its last person is queued).
        async with self._db.execute(
            "SELECT id FROM users WHERE id > ? ORDER BY id LIMIT 2 OFFSET ?", (after, window - 1)
        ) as cur:
            found = list(await cur.fetchall())
        bound = int(found[0][0]) if len(found) == 2 else None  # None: the last window
        where, args = audience_filter(fill["audience"])
        # A window's rows are new: the job is new, and its windows are queued one after
        # another, each with the note of how far the job got (under the job's row lock on
        # PostgreSQL, see `_fill_chunk`). PostgreSQL's `ON CONFLICT` costs a speculative
        # insertion a row (a fifth of the statement, 10k people), so it is left out there,
        # and so is the outbox's check of its people (another fifth): the statement reads
        # them from users itself (see dialect.FROM_USERS_SQL).
        conflict = " ON CONFLICT DO NOTHING"
        if is_postgresql(self._db):
            conflict = ""
            await self._db.execute(FROM_USERS_SQL)
        cur = await self._db.execute(
            "INSERT INTO deliveries (job_id, user_id, updated_at)"
            f" SELECT ?, users.id, ? FROM users WHERE {where} AND users.id > ?"
            + ("" if bound is None else " AND users.id <= ?")
            + conflict,
            (job_id, to_text(now), *args, after, *(() if bound is None else (bound,))),
        )
        queued = max(cur.rowcount, 0)
        fill["after"] = bound
        fill["queued"] = int(fill.get("queued", 0)) + queued
        await self._db.execute(
            "UPDATE jobs SET filling = ? WHERE id = ?",
            (None if bound is None else json.dumps(fill), job_id),
        )
        # (How many the last window looked at is not known: it does not tell the pace, and
        # its log line gives the window's size, the most it looked at.)
        self._fill_went(kind, paced, window, began, learn=bound is not None)
        return queued, bound is None

    async def queue_message(
        self, key: str, payload: dict[str, Any], now: datetime
    ) -> tuple[int, int] | None:
        """Queue one message for everyone reachable; return (job id, people queued).

        `payload` says what to send (see clicksbot.delivery.compose). Return None if a job with
        this key exists already. The people are queued a window at a time (see `_fill`).
        """
        job_id = await self._open_audience_job(key, "message", payload, {"kind": "all"}, now)
        if job_id is None:
            return None
        return job_id, await self._queue_audience(job_id, now)

    @writes
    async def _open_audience_job(
        self, key: str, kind: str, payload: dict[str, Any], audience: dict[str, Any], now: datetime
    ) -> int | None:
        return await self._new_audience_job(key, kind, payload, audience, now)

    @writes
    async def queue_notice(
        self, key: str, user_id: int, payload: dict[str, Any], now: datetime
    ) -> bool:
        """Queue one message to one person (a friend joined, say); once per key."""
        job_id = await self._new_job(key, "notice", payload, now)
        if job_id is None:
            return False
        await self._db.execute(
            "INSERT INTO deliveries (job_id, user_id, updated_at) VALUES (?, ?, ?)",
            (job_id, user_id, to_text(now)),
        )
        return True

    async def job_progress(self, job_id: int) -> JobProgress:
        """Count one job's deliveries by state (one index lookup per state: quick at 100k),
        with the rows already folded into the job's counts (see `compact_deliveries`), and
        an audience's people not queued yet as pending."""
        states = (PENDING, SENT, FAILED, UNREACHABLE, "cancelled")
        async with self._db.execute(
            "SELECT "
            + ", ".join(
                "(SELECT COUNT(*) FROM deliveries WHERE state = ? AND job_id = ?)" for _ in states
            )
            + ", 0, j.sent, j.failed, j.unreachable, j.cancelled, j.cancelled_at IS NOT NULL,"
            " j.filling FROM jobs j WHERE j.id = ?",
            (*(x for state in states for x in (state, job_id)), job_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:  # no such job
            return JobProgress(0, 0, 0, 0)
        live, kept, stopped = row[:5], row[5:10], row[10]
        pending, sent, failed, unreachable, cancelled = (
            int(a) + int(b) for a, b in zip(live, kept, strict=True)
        )
        # An audience's people not queued yet are pending too (see `fill_ahead`), at least
        # one while its fill is not done (the audience may have grown since it was counted:
        # a progress message must not end early).
        if row[11] is not None:
            pending = max(pending + still_to_queue(row[11]), 1)
        return JobProgress(pending, sent, failed, unreachable, cancelled, bool(stopped))

    async def compact_deliveries(
        self,
        before: datetime,
        most: int = COMPACT_MOST,
        batch: int = COMPACT_BATCH,
        *,
        stopped: Callable[[], bool] = lambda: False,
        pace: float | None = COMPACT_PACE,
    ) -> int:
        """Fold finished outbox rows last changed before `before` into their job's counts
        (sent, failed, unreachable, cancelled) and delete them; return how many went.

        What a finished row is still for has passed by then: the outbox only reads pending
        rows, a job is queued once by its key, "sent today" and today's reminders read recent
        rows, and progress messages read the counts. At most `most` rows go per call, `batch`
        rows looked at per transaction, fewer folded while batches are slow (`next_batch`), so
        the write lock is never held for long, and no more than `pace` rows a second (None:
        as fast as the batches go, for tools with the bot stopped). It stops after the batch
        under way once `stopped()` is true (the bot stops: PTB waits for a running job).

        The jobs that still hold rows are found by one seek per job into the outbox's key,
        not by looking at every job: jobs stay until retention drops them (a notice per
        invited friend is one), and the older ones' rows are gone. Of a million jobs, 20,000
        with rows: 0.04 s, where looking at each job for a row took 0.32 s, and grew with
        the days kept."""
        found = await self._scan(
            "WITH RECURSIVE held (id) AS ("
            "  SELECT MIN(job_id) FROM deliveries"
            "  UNION ALL SELECT (SELECT MIN(d.job_id) FROM deliveries d WHERE d.job_id > held.id)"
            "  FROM held WHERE held.id IS NOT NULL)"
            " SELECT j.id FROM held JOIN jobs j ON j.id = held.id WHERE j.created_at < ?"
            " ORDER BY j.id",
            (to_text(before),),
        )
        jobs = [int(r[0]) for r in found]
        sized = not is_postgresql(self._db)
        gone, size = 0, min(batch, COMPACT_LEAST) if sized else batch
        due = time.monotonic()  # when the rows folded so far are paid for, at `pace`
        for job_id in jobs:
            after: int | None = None
            while gone < most and not stopped():
                began = time.monotonic()
                after, folded, held = await self._compact_batch(
                    job_id, after, before, batch, min(size, most - gone)
                )
                if sized:
                    size = next_batch(size, folded, held, batch)
                gone += folded
                if stopped():
                    return gone
                await between_writes(self)
                now = time.monotonic()
                # No credit from batches that folded nothing: the pace holds over any stretch.
                due = max(due, began) + (folded / pace if pace else 0.0)
                await asyncio.sleep(max(min(COMPACT_REST, now - began), due - now))
                if after is None:
                    break
            if gone >= most:
                break
        return gone

    @writes
    async def _compact_batch(
        self, job_id: int, after: int | None, before: datetime, batch: int, fold: int
    ) -> tuple[int | None, int, float]:
        """Compact one batch of a job's rows: look at `batch` rows from the person after
        `after` and fold at most `fold` of them (the first); return where the next batch
        starts (None: the job's rows are all looked at), how many went, and how many seconds
        its statements took (the commit, which `writes` makes, is not counted)."""
        began = time.perf_counter()
        async with self._db.execute(
            "SELECT user_id, state, updated_at FROM deliveries WHERE job_id = ? AND user_id > ?"
            " ORDER BY user_id LIMIT ?",
            (job_id, -(2**63) if after is None else after, batch),
        ) as cur:
            rows = list(await cur.fetchall())
        if not rows:
            return None, 0, time.perf_counter() - began
        cutoff = to_text(before)
        done = [(r[0], r[1]) for r in rows if r[1] in _FINISHED and r[2] < cutoff]
        following = int(rows[-1][0]) if len(rows) == batch else None
        if len(done) > fold:  # the rest from the first not folded, next batch
            done, following = done[:fold], int(done[fold - 1][0])
        if done:
            # The same rows, by one statement over the batch's range (one a row was a round
            # trip each on PostgreSQL, 20-50 ms a batch with every reply's write behind it).
            marks = ", ".join("?" * len(_FINISHED))
            await self._db.execute(
                "DELETE FROM deliveries WHERE job_id = ? AND user_id > ? AND user_id <= ?"
                f" AND state IN ({marks}) AND updated_at < ?",
                (job_id, -(2**63) if after is None else after, done[-1][0], *_FINISHED, cutoff),
            )
            await self._db.execute(
                "UPDATE jobs SET sent = sent + ?, failed = failed + ?,"
                " unreachable = unreachable + ?, cancelled = cancelled + ? WHERE id = ?",
                (*(sum(1 for _, state in done if state == s) for s in _FINISHED), job_id),
            )
        return following, len(done), time.perf_counter() - began

    # -- the outbox ----------------------------------------------------------------------

    async def pending_deliveries(self, after: tuple[int, int] | None, limit: int) -> list[Delivery]:
        """Return up to `limit` pending rows in (job, person) order, after `after` if given."""
        where = "d.state = 'pending'"
        args: tuple[Any, ...] = ()
        if after is not None:
            where += " AND (d.job_id, d.user_id) > (?, ?)"  # one range of the index
            args = after
        async with self._db.execute(
            "SELECT d.job_id, d.user_id, d.attempts, j.kind, j.payload, u.language"
            " FROM deliveries d JOIN jobs j ON j.id = d.job_id JOIN users u ON u.id = d.user_id"
            f" WHERE {where} ORDER BY d.job_id, d.user_id LIMIT ?",
            (*args, limit),
        ) as cur:
            rows = await cur.fetchall()
        return _as_deliveries(rows)

    @writes
    async def claim_deliveries(
        self, holder: str, after: tuple[int, int] | None, limit: int, seconds: float
    ) -> list[Delivery] | None:
        """Claim up to `limit` pending rows for `holder` to send, in (job, person) order after
        `after`, for `seconds` by the database's clock; return them, or None when `holder`
        does not hold the leader lease (then it must not send at all).

        A row claimed by another instance is left alone until its claim expires: that
        instance may be sending it right now. Rows already claimed by `holder` are theirs
        again. On PostgreSQL the rows are locked as they are taken, and rows another
        transaction is taking are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer
        at a time. The lease is checked in the same statement as the claim (the lease row
        itself is not locked: a renewal or a takeover never waits for a claim)."""
        now = now_ms(self._db)
        leads = await self._db.execute_fetchall(
            f"SELECT 1 FROM leases WHERE name = ? AND holder = ? AND expires_at > {now}",
            (LEADER, holder),
        )
        if not list(leads):
            return None
        where = (
            "state = 'pending'"
            f" AND (claimed_until IS NULL OR claimed_until < {now} OR claimed_by = ?)"
        )
        args: tuple[Any, ...] = (holder,)
        if after is not None:
            where += " AND (job_id, user_id) > (?, ?)"
            args += after
        claimed = await self._db.execute_fetchall(
            f"UPDATE deliveries SET claimed_by = ?, claimed_until = {now} + ?"
            " WHERE (job_id, user_id) IN (SELECT job_id, user_id FROM deliveries"
            f" WHERE {where} ORDER BY job_id, user_id LIMIT ?{skip_locked(self._db)})"
            f" AND EXISTS (SELECT 1 FROM leases WHERE name = ? AND holder = ?"
            f" AND expires_at > {now}) RETURNING job_id, user_id",
            (holder, int(seconds * 1000), *args, limit, LEADER, holder),
        )
        positions = sorted((int(r[0]), int(r[1])) for r in claimed)
        if not positions:
            return []
        first, last = positions[0], positions[-1]
        async with self._db.execute(
            "SELECT d.job_id, d.user_id, d.attempts, j.kind, j.payload, u.language"
            " FROM deliveries d JOIN jobs j ON j.id = d.job_id JOIN users u ON u.id = d.user_id"
            " WHERE d.state = 'pending' AND d.claimed_by = ?"
            " AND (d.job_id, d.user_id) BETWEEN (?, ?) AND (?, ?)"
            " ORDER BY d.job_id, d.user_id LIMIT ?",
            (holder, *first, *last, limit),
        ) as cur:
            rows = await cur.fetchall()
        return _as_deliveries(rows)

    async def delivery_sent(self, delivery: Delivery, message_id: int, now: datetime) -> None:
        """Record that a message reached Telegram."""
        await self.deliveries_sent([(delivery, message_id, None)], now)

    @writes
    async def deliveries_sent(
        self, sent: list[tuple[Delivery, int, str | None]], now: datetime
    ) -> None:
        """Record messages that reached Telegram (with the tip each carried, if any, as read),
        all in one transaction: the outbox writes what finished meanwhile in one go."""
        await self._db.executemany(
            "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, message_id = ?,"
            " error = NULL, updated_at = ? WHERE job_id = ? AND user_id = ?",
            [(mid, to_text(now), d.job_id, d.user_id) for d, mid, _ in sent],
        )
        # A campaign's cohort, for the impact report: who its steps were sent to, kept
        # after these rows are folded into counts (the job's key is campaign:<id>:<step>).
        steps = {d.job_id for d, _, _ in sent if d.kind == "campaign"}
        if steps:
            async with self._db.execute(
                f"SELECT id, key FROM jobs WHERE id IN ({', '.join('?' * len(steps))})"
                " AND key LIKE 'campaign:%'",
                tuple(steps),
            ) as cur:
                campaign_of = {
                    int(r[0]): int(str(r[1]).split(":")[1]) for r in await cur.fetchall()
                }
            await self._db.executemany(
                "INSERT INTO campaign_people (user_id, campaign_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                [(d.user_id, campaign_of[d.job_id]) for d, _, _ in sent if d.job_id in campaign_of],
            )
        tips = [(d.user_id, tip, to_text(now)) for d, _, tip in sent if tip is not None]
        if tips:
            await self._db.executemany(
                "INSERT INTO seen_tips (user_id, tip_id, seen_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, tip_id)"
                " DO UPDATE SET seen_at = excluded.seen_at, times = seen_tips.times + 1",
                tips,
            )

    @writes
    async def delivery_failed(
        self, delivery: Delivery, error: str, now: datetime, *, final: bool
    ) -> None:
        """Record a failed attempt; `final` ends the row as failed, else it stays pending."""
        await self._db.execute(
            "UPDATE deliveries SET state = ?, attempts = attempts + 1, error = ?, updated_at = ?"
            " WHERE job_id = ? AND user_id = ?",
            (
                FAILED if final else PENDING,
                error[:500],
                to_text(now),
                delivery.job_id,
                delivery.user_id,
            ),
        )

    @writes
    async def delivery_skipped(self, delivery: Delivery, why: str, now: datetime) -> None:
        """Record that a message was not sent because it is no longer wanted (a reminder to
        someone who has played since it was queued): neither sent nor failed."""
        await self._db.execute(
            "UPDATE deliveries SET state = 'cancelled', attempts = attempts + 1, error = ?,"
            " updated_at = ? WHERE job_id = ? AND user_id = ?",
            (why[:500], to_text(now), delivery.job_id, delivery.user_id),
        )

    @writes
    async def delivery_unreachable(self, delivery: Delivery, reason: str, now: datetime) -> None:
        """Record that a person cannot be reached; they are skipped from now on."""
        await self._db.execute(
            "UPDATE deliveries SET state = 'unreachable', attempts = attempts + 1,"
            " error = ?, updated_at = ? WHERE job_id = ? AND user_id = ?",
            (reason[:500], to_text(now), delivery.job_id, delivery.user_id),
        )
        await self._db.execute(
            "UPDATE users SET unreachable_since = ?, unreachable_reason = ?"
            " WHERE id = ? AND unreachable_since IS NULL",
            (to_text(now), reason[:500], delivery.user_id),
        )
        # Their other pending messages will not arrive either.
        await self._db.execute(
            "UPDATE deliveries SET state = 'unreachable', error = ?, updated_at = ?"
            " WHERE user_id = ? AND state = 'pending'",
            (reason[:500], to_text(now), delivery.user_id),
        )

    async def delivery_stats(self, since: datetime) -> DeliveryStats:
        """Return the outbox's figures; "sent" and "failed" count from `since`."""
        (people,) = await self._scan(
            "SELECT COUNT(*), COUNT(tip_time), COUNT(unreachable_since) FROM users"
        )
        (outbox,) = await self._scan(
            "SELECT"
            " SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN state = 'sent' AND updated_at >= ? THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN state = 'failed' AND updated_at >= ? THEN 1 ELSE 0 END)"
            " FROM deliveries",
            (to_text(since), to_text(since)),
        )
        filling = await self._scan("SELECT filling FROM jobs WHERE filling IS NOT NULL")
        return DeliveryStats(
            people=int(people[0]),
            subscribers=int(people[1]),
            unreachable=int(people[2]),
            pending=int(outbox[0] or 0) + sum(still_to_queue(r[0]) for r in filling),
            sent_since=int(outbox[1] or 0),
            failed_since=int(outbox[2] or 0),
        )


def next_batch(size: int, folded: int, held: float, largest: int = COMPACT_BATCH) -> int:
    """How many rows the next compaction batch may fold, after one that might fold `size`,
    folded `folded` and held the write lock `held` seconds (see `paced`)."""
    return paced(size, folded, held, COMPACT_HOLD, COMPACT_LEAST, largest)


def paced(size: int, done: int, held: float, hold: float, least: int, most: int) -> int:
    """How many rows the next transaction of a long background write may take, after one
    that might take `size`, took `done` and held the write lock `held` seconds: as many as
    fit in `hold` seconds at that pace (at least `least`, at most `most`), and no more than
    twice `size`. One that took fewer than it might (a job's last, or one among rows not yet
    due) may make the next smaller, never larger: it is quick for being short; one that took
    nothing says nothing of the pace."""
    if done <= 0:
        return size
    fits = int(done * hold / held) if held > 0 else 2 * size
    if done < size:
        fits = min(fits, size)
    return max(min(most, least), min(most, fits, 2 * size))


def still_to_queue(filling: str | None) -> int:
    """Of an audience's job still being queued, how many people are yet to be: the size the
    audience had when the job was made less those queued since."""
    if filling is None:
        return 0
    fill = json.loads(filling)
    if "audience" not in fill:
        return 0
    return max(int(fill.get("expected", 0)) - int(fill.get("queued", 0)), 0)


def _as_deliveries(rows: Iterable[Any]) -> list[Delivery]:
    """Outbox rows (job, user, attempts, kind, payload, language) as deliveries; a job's
    payload is read once for all its rows."""
    payloads: dict[str, dict[str, Any]] = {}
    return [
        Delivery(r[0], r[1], r[2], r[3], payloads.setdefault(r[4], json.loads(r[4])), r[5])
        for r in rows
    ]

"""The store (SQLite, or PostgreSQL through `dialect`): connection, migrations and the
repositories' queries."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiosqlite

from clicksbot.store import dialect
from clicksbot.store.boosters import BoosterQueries, Summary, summary_of
from clicksbot.store.checkpoints import Checkpointer, writer_settings
from clicksbot.store.checkups import CheckupQueries
from clicksbot.store.delivery import fill_paces
from clicksbot.store.dialogues import DialogueQueries
from clicksbot.store.errors import StoreError
from clicksbot.store.files import explain, lock_for_migrating, prepare
from clicksbot.store.groups import GroupQueries
from clicksbot.store.impact import COLUMNS as IMPACT_COLUMNS
from clicksbot.store.impact import ImpactQueries, unpack
from clicksbot.store.leases import LeaseQueries
from clicksbot.store.locking import writes, writes_at_once
from clicksbot.store.migrations import MIGRATIONS
from clicksbot.store.moderation import ModerationQueries
from clicksbot.store.pact import PactQueries
from clicksbot.store.privacy import PrivacyQueries
from clicksbot.store.progress import ProgressQueries
from clicksbot.store.reading import WholeReads, open_on_loop
from clicksbot.store.reminders import ReminderQueries
from clicksbot.store.rounds import Round, RoundQueries, round_of
from clicksbot.store.scans import ScanQueries
from clicksbot.store.stamps import from_text as _dt
from clicksbot.store.stamps import to_text as _ts

logger = logging.getLogger(__name__)

LAST_SEEN_STEP = timedelta(minutes=1)


@dataclass(frozen=True)
class User:
    """A person who has talked to the bot (we keep no names: only what the bot needs)."""

    id: int
    language: str
    language_chosen: bool
    created_at: datetime
    last_seen_at: datetime
    time_zone: str | None = None
    country: str | None = None
    tip_time: str | None = None  # "HH:MM" local when subscribed to the daily tip
    unreachable_since: datetime | None = None


@dataclass(frozen=True)
class Asked:
    """A question put to a person, and their answer once given."""

    id: int
    user_id: int
    question_id: str
    competency: str
    topic: str
    fingerprint: str
    option_order: tuple[int, ...]
    asked_at: datetime
    answered_at: datetime | None
    choice: int | None
    correct: bool | None
    confidence: int | None = None  # 1 guessing, 2 fairly sure, 3 sure; None: not said
    rated_at: datetime | None = None  # when they rated it or skipped: the result was shown


@dataclass(frozen=True)
class AnswerView:
    """A question put to someone, with what an answer to it or a rating of it needs, read
    in one query: its booster summary, the person's round on the go, and the badges they
    earned at the moment of the answer."""

    asked: Asked
    summary: Summary | None
    round: Round | None
    earned: tuple[str, ...]  # badge ids, in id order


@dataclass(frozen=True)
class LearnerRecord:
    """Everything progress and badges are worked out from, read in one go."""

    tips_read: int
    scores: tuple[CompetencyScore, ...]
    days: tuple[date, ...]
    badges: dict[str, datetime]


@dataclass(frozen=True)
class CompetencyScore:
    """How many answers a person gave in one competency, and how many were right."""

    competency: str
    answered: int
    correct: int


class Store(
    PactQueries,
    ModerationQueries,
    PrivacyQueries,
    GroupQueries,
    ProgressQueries,
    RoundQueries,
    CheckupQueries,
    ReminderQueries,
    BoosterQueries,
    DialogueQueries,
    ImpactQueries,
    LeaseQueries,
    ScanQueries,
):
    """One open database; create it with `await Store.open(path)`."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self._write_lock = asyncio.Lock()
        self._jobs_filling: set[int] = set()
        self._fill_lists: dict[int, list[int]] = {}
        self._fill_wanted: dict[int, int] = {}
        self._fill_next: dict[int, dict[str, Any]] = {}
        self._fill_turn = asyncio.Lock()
        self._fill_paces = fill_paces(dialect.is_postgresql(db))
        self._fill_warmed: dict[int, int] = {}
        self._column_names: dict[str, list[str]] = {}
        self.path = path
        # Copies the write-ahead log into the file from its own connection (file databases).
        self.checkpointer: Checkpointer | None = None

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) the database and bring its schema up to date.

        A new database, and its folder if missing, are readable by their owner only. A file
        that is damaged, or another program's, is refused before anything is written to it.
        A `postgresql://` URL opens that PostgreSQL database instead (see `dialect`).
        """
        if dialect.is_url(path):
            return await cls._open_postgresql(str(path))
        target = str(path)
        if target != ":memory:":
            prepare(Path(target))
        try:
            db = await aiosqlite.connect(target)
        except sqlite3.Error as exc:
            raise StoreError(explain(Path(target), exc)) from None
        store = cls(cast(aiosqlite.Connection, WholeReads(db)), target)
        try:
            if target == ":memory:":
                await store._configure()
                await store._migrate()
            else:
                # One process at a time: another starting at once on the file waits here,
                # then finds it in WAL mode and its migrations applied (two at once would
                # each apply them, the second failing).
                lock = await asyncio.to_thread(lock_for_migrating, Path(target))
                try:
                    await store._configure()
                    await store._migrate()
                finally:
                    os.close(lock)
                store.checkpointer = Checkpointer(target, store._write_lock)
                await store.checkpointer.start()
                # The updates' reads and short writes, in the loop's thread (store.reading).
                store._on_loop = open_on_loop(target, writer_settings())
        except sqlite3.Error as exc:
            if store.checkpointer is not None:
                await store.checkpointer.stop()
            await db.close()
            raise StoreError(explain(Path(target), exc)) from None
        except BaseException:
            if store.checkpointer is not None:
                await store.checkpointer.stop()
            await db.close()
            raise
        return store

    @classmethod
    async def _open_postgresql(cls, url: str) -> Store:
        name = dialect.describe(url)
        try:
            pg = await dialect.PgConnection.connect(url, dialect.identity_tables(MIGRATIONS))
        except (sqlite3.Error, OSError, TimeoutError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"{name}: cannot connect ({reason}); check `database`") from None
        # The connection speaks aiosqlite's surface (what the store's methods are checked
        # against); `dialect` keeps what differs.
        store = cls(cast(aiosqlite.Connection, pg), name)
        try:
            await store._migrate_postgresql(pg)
        except sqlite3.Error as exc:
            await pg.close()
            raise StoreError(f"{name}: {str(exc).strip().splitlines()[0]}") from None
        except BaseException:
            await pg.close()
            raise
        return store

    @property
    def is_postgresql(self) -> bool:
        """Whether this store is a PostgreSQL database (else a SQLite file)."""
        return isinstance(self._db, dialect.PgConnection)

    async def close(self) -> None:
        """Close the connections (pending writes are already committed); the store's own
        closes last, so that it copies what is left of the log into the file."""
        if self._on_loop is not None:
            self._on_loop.close()
            self._on_loop = None
        if self.checkpointer is not None:
            await self.checkpointer.stop()
        await self._close_lease_line()
        await self._close_scan_line()
        await self._db.close()

    async def _configure(self) -> None:
        # Deleted rows are overwritten with zeros, not merely marked free: what /forget
        # deletes does not stay readable in the file's free space (see `scrub`).
        await self._db.execute("PRAGMA secure_delete=ON")
        # First: another process opening the file at the same moment waits, not fails.
        await self._db.execute("PRAGMA busy_timeout=5000")
        if self.path != ":memory:":
            async with self._db.execute("PRAGMA journal_mode=WAL") as cur:
                row = await cur.fetchone()
            if row is None or str(row[0]).lower() != "wal":
                raise StoreError(
                    f"{self.path}: SQLite cannot keep its write-ahead log beside the database; "
                    "make the folder writable by the bot's user"
                )
        for pragma in writer_settings():
            await self._db.execute(pragma)
        # No ANALYZE (nor PRAGMA optimize, which runs it): without statistics SQLite finds
        # every per-person row by its index; statistics taken while a database is young (one
        # group, a few fan-outs) can make it scan later. tests/test_query_plans.py checks the
        # plans both with statistics and without.

    def _too_new(self, newest: int) -> StoreError:
        return StoreError(
            f"{self.path}: this database was written by a newer clicksbot (schema {newest}, "
            f"this version knows {len(MIGRATIONS)}); upgrade clicksbot or point `database` "
            "at another file"
        )

    async def _migrate(self) -> None:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        async with self._db.execute("SELECT id FROM schema_migrations") as cur:
            applied = {int(row[0]) for row in await cur.fetchall()}
        for number, name, sql in self._pending(applied):
            logger.info("Applying database migration %s", name)
            await self._db.executescript(
                "BEGIN;\n" + sql + f"\nINSERT INTO schema_migrations (id, name, applied_at)"
                f" VALUES ({number}, '{name}', '{_ts(datetime.now(UTC))}');\nCOMMIT;"
            )

    def _pending(self, applied: set[int]) -> list[tuple[int, str, str]]:
        """The migrations not yet in `applied` (numbered from 1), in order; a database newer
        than this program is refused."""
        newest = max(applied, default=0)
        if newest > len(MIGRATIONS):
            raise self._too_new(newest)
        return [
            (number, name, sql)
            for number, (name, sql) in enumerate(MIGRATIONS, start=1)
            if number not in applied
        ]

    async def _migrate_postgresql(self, pg: dialect.PgConnection) -> None:
        # One version history for both dialects: the same numbers and names, each migration
        # in its PostgreSQL text, in one transaction with its record. An advisory lock keeps
        # two instances starting at once from applying the same migration twice.
        async with pg.session():
            await pg.execute(f"SELECT pg_advisory_xact_lock({dialect.MIGRATION_LOCK})")
            await pg.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " id BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            async with pg.execute("SELECT id FROM schema_migrations") as cur:
                applied = {int(row[0]) for row in await cur.fetchall()}
            for number, name, sql in self._pending(applied):
                logger.info("Applying database migration %s", name)
                await pg.executescript(dialect.migration_sql(name, sql))
                await pg.execute(
                    "INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, _ts(datetime.now(UTC))),
                )
            await pg.commit()

    async def schema_version(self) -> int:
        """Return the number of the newest migration applied."""
        async with self._db.execute("SELECT MAX(id) FROM schema_migrations") as cur:
            row = await cur.fetchone()
        return int(row[0] or 0) if row else 0

    async def table_names(self) -> list[str]:
        """Return the names of the tables that hold data (for audits and tests)."""
        async with self._db.execute(
            dialect.TABLE_NAMES_SQL
            if self.is_postgresql
            else "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        ) as cur:
            return [row[0] for row in await cur.fetchall()]

    # -- users ---------------------------------------------------------------------------

    async def get_user(self, user_id: int) -> User | None:
        """Return the person with this Telegram id, if the bot knows them."""
        # One round trip to the database's thread (execute, fetch and close are three): this
        # runs on every update, as do the other reads made while answering one.
        rows = await self._rows(
            "SELECT id, language, language_chosen, created_at, last_seen_at, time_zone,"
            " country, tip_time, unreachable_since FROM users WHERE id = ?",
            (user_id,),
        )
        row = next(iter(rows), None)
        if row is None:
            return None
        return User(
            row[0],
            row[1],
            bool(row[2]),
            _dt(row[3]),
            _dt(row[4]),
            row[5],
            row[6],
            row[7],
            _dt(row[8]) if row[8] else None,
        )

    async def touch_user(self, user_id: int, language: str, now: datetime) -> tuple[User, bool]:
        """Record that a person was seen, creating them with `language` if new.

        Return the person and whether they were new. "Last seen" moves at most once a minute,
        so most updates cost one read and no write (and so do not wait for the write lock).
        """
        user = await self.get_user(user_id)
        if user is None:
            await self._add_user(user_id, language, now)
            user = await self.get_user(user_id)
            if user is None:  # only possible with a second writer deleting at once
                raise StoreError(f"{self.path}: user {user_id} vanished while being recorded")
            return user, True
        if now - user.last_seen_at >= LAST_SEEN_STEP or user.unreachable_since is not None:
            await self._seen(user_id, now)
            user = replace(
                user,
                last_seen_at=now.astimezone(UTC).replace(microsecond=0),
                unreachable_since=None,
            )
        return user, False

    @writes
    async def _add_user(self, user_id: int, language: str, now: datetime) -> None:
        cur = await self._db.execute(
            "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at)"
            " VALUES (?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING",
            (user_id, language, _ts(now), _ts(now)),
        )
        if cur.rowcount == 1:  # perhaps someone forgotten, back: not counted twice
            await self._reclaim_pledge(user_id)

    @writes_at_once
    async def _seen(self, user_id: int, now: datetime) -> None:
        # Whoever writes to the bot can be reached again (they unblocked it).
        await self._db.execute(
            "UPDATE users SET last_seen_at = ?, unreachable_since = NULL,"
            " unreachable_reason = NULL WHERE id = ?",
            (_ts(now), user_id),
        )

    @writes
    async def greet(self, user_id: int, now: datetime) -> bool:
        """Record that /start greeted a person; return whether it was the first time."""
        cur = await self._db.execute(
            "UPDATE users SET greeted_at = ? WHERE id = ? AND greeted_at IS NULL",
            (_ts(now), user_id),
        )
        return cur.rowcount == 1

    @writes
    async def set_language(self, user_id: int, language: str, now: datetime) -> None:
        """Remember the interface language a person chose."""
        await self._db.execute(
            "UPDATE users SET language = ?, language_chosen = 1, last_seen_at = ? WHERE id = ?",
            (language, _ts(now), user_id),
        )

    async def count_users(self) -> int:
        """Return how many people the bot knows."""
        rows = await self._scan("SELECT COUNT(*) FROM users")
        return int(rows[0][0]) if rows else 0

    # -- tips ----------------------------------------------------------------------------

    async def tip_history(self, user_id: int) -> dict[str, tuple[int, datetime]]:
        """Return, per tip shown to a person, how many times and when last."""
        rows = await self._rows(
            "SELECT tip_id, times, seen_at FROM seen_tips WHERE user_id = ?", (user_id,)
        )
        return {row[0]: (int(row[1]), _dt(row[2])) for row in rows}

    @writes_at_once
    async def mark_tip_seen(self, user_id: int, tip_id: str, now: datetime) -> None:
        """Record that a tip was shown to a person now."""
        await self._db.execute(
            "INSERT INTO seen_tips (user_id, tip_id, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, tip_id)"
            " DO UPDATE SET seen_at = excluded.seen_at, times = seen_tips.times + 1",
            (user_id, tip_id, _ts(now)),
        )

    @writes_at_once
    async def ask(
        self,
        user_id: int,
        question_id: str,
        competency: str,
        topic: str,
        fingerprint: str,
        option_order: tuple[int, ...],
        now: datetime,
        *,
        in_round: bool = False,
    ) -> int:
        """Record that a question was put to a person; return the id its buttons carry.
        `in_round`: it is the next question of their round (added to it in the same write).
        The question's summary (see store.boosters) notes when it was last asked."""
        await self._db.execute(
            "INSERT INTO boosters (user_id, question_id, last_asked) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, question_id) DO UPDATE SET last_asked = excluded.last_asked",
            (user_id, question_id, _ts(now)),
        )
        cur = await self._db.execute(
            "INSERT INTO answers"
            " (user_id, question_id, competency, topic, fingerprint, option_order, asked_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                question_id,
                competency,
                topic,
                fingerprint,
                ",".join(map(str, option_order)),
                _ts(now),
            ),
        )
        if cur.lastrowid is None:
            raise StoreError(f"{self.path}: the question could not be recorded")
        if in_round:
            row = str(cur.lastrowid)
            await self._db.execute(
                "UPDATE rounds SET asked = CASE WHEN asked = '' THEN ? ELSE asked || ',' || ? END"
                " WHERE user_id = ?",
                (row, row, user_id),
            )
        return cur.lastrowid

    async def get_asked(self, asked_id: int) -> Asked | None:
        """Return a question put to someone, by the id its buttons carry."""
        rows = await self._rows(
            f"SELECT {_ASKED_COLUMNS} FROM answers a WHERE a.id = ?", (asked_id,)
        )
        row = next(iter(rows), None)
        return None if row is None else _asked(row)

    async def answer_view(self, asked_id: int) -> AnswerView | None:
        """Return a question put to someone with its summary, the person's round on the go
        and the badges earned at its answer (see AnswerView), in one round trip: what an
        answer press, and a rating, read."""
        rows = await self._rows(
            f"SELECT {_ASKED_COLUMNS}, b.question_id, b.answered, b.answered_right,"
            " b.last_asked, b.box, b.due_day,"
            " r.user_id, r.topic, r.english, r.size, r.asked, r.started_at, g.badge_id"
            " FROM answers a"
            " LEFT JOIN boosters b ON b.user_id = a.user_id AND b.question_id = a.question_id"
            " LEFT JOIN rounds r ON r.user_id = a.user_id"
            " LEFT JOIN badges g ON g.user_id = a.user_id AND g.earned_at = a.answered_at"
            " WHERE a.id = ?",
            (asked_id,),
        )
        found = list(rows)
        if not found:
            return None
        row = found[0]
        n = _ASKED_COUNT
        return AnswerView(
            _asked(row),
            summary_of(row[n : n + 6]) if row[n] is not None else None,
            round_of(row[n + 6 : n + 12]) if row[n + 6] is not None else None,
            tuple(sorted(str(r[n + 12]) for r in found if r[n + 12] is not None)),
        )

    @writes_at_once
    async def record_answer(
        self,
        asked_id: int,
        user_id: int,
        choice: int,
        correct: bool,
        now: datetime,
        *,
        box: int,
        due: date | None,
    ) -> bool:
        """Record a person's answer unless one is already recorded; return whether it was.
        In the same write, the question's summary counts it and takes its new Leitner `box`
        and `due` day (see services.boosters)."""
        return await self._answer_rows(asked_id, user_id, choice, correct, now, box, due)

    @writes_at_once
    async def record_answer_and_progress(
        self,
        asked_id: int,
        user_id: int,
        choice: int,
        correct: bool,
        now: datetime,
        *,
        box: int,
        due: date | None,
        day: date | None,
        badges: Sequence[str],
    ) -> tuple[str, ...] | None:
        """Record a person's answer, once, as `record_answer` does, and in the same
        transaction what it earns: `day` as an activity day (None: today is one already),
        and `badges`. Return the badges newly awarded; None when the answer was already
        recorded (then nothing is written)."""
        if dialect.is_postgresql(self._db):
            if not await self._answer_rows_at_once(
                asked_id, user_id, choice, correct, now, box, due, day
            ):
                return None
        else:
            if not await self._answer_rows(asked_id, user_id, choice, correct, now, box, due):
                return None
            if day is not None:
                await self._db.execute(
                    "INSERT INTO activity_days (user_id, day) VALUES (?, ?)"
                    " ON CONFLICT (user_id, day) DO NOTHING",
                    (user_id, day.isoformat()),
                )
        awarded = []
        for badge_id in badges:
            cur = await self._db.execute(
                "INSERT INTO badges (user_id, badge_id, earned_at) VALUES (?, ?, ?)"
                " ON CONFLICT (user_id, badge_id) DO NOTHING",
                (user_id, badge_id, _ts(now)),
            )
            if cur.rowcount == 1:
                awarded.append(badge_id)
        return tuple(awarded)

    async def _answer_rows(
        self,
        asked_id: int,
        user_id: int,
        choice: int,
        correct: bool,
        now: datetime,
        box: int,
        due: date | None,
    ) -> bool:
        cur = await self._db.execute(
            "UPDATE answers SET answered_at = ?, choice = ?, correct = ?"
            " WHERE id = ? AND user_id = ? AND answered_at IS NULL",
            (_ts(now), choice, int(correct), asked_id, user_id),
        )
        if cur.rowcount != 1:
            return False
        await self._db.execute(
            "INSERT INTO boosters"
            " (user_id, question_id, answered, answered_right, last_asked, box, due_day)"
            " SELECT user_id, question_id, 1, ?, asked_at, ?, ? FROM answers WHERE id = ?"
            " ON CONFLICT (user_id, question_id) DO UPDATE SET"
            " answered = boosters.answered + 1,"
            " answered_right = boosters.answered_right + excluded.answered_right,"
            " box = excluded.box, due_day = excluded.due_day",
            (int(correct), box, due.isoformat() if due else None, asked_id),
        )
        return True

    async def _answer_rows_at_once(
        self,
        asked_id: int,
        user_id: int,
        choice: int,
        correct: bool,
        now: datetime,
        box: int,
        due: date | None,
        day: date | None,
    ) -> bool:
        """`_answer_rows` and the activity day, on PostgreSQL, as one statement: the answer,
        the question's summary and the day were a round trip each there (with the BEGIN and
        the COMMIT, four for every answer, the slowest reply on PostgreSQL). The summary and
        the day are written only from the answer's row as this statement records it, so an
        answer already recorded writes nothing, as `_answer_rows` does."""
        rows = await self._db.execute_fetchall(
            "WITH recorded AS (UPDATE answers SET answered_at = ?, choice = ?, correct = ?"
            "  WHERE id = ? AND user_id = ? AND answered_at IS NULL"
            "  RETURNING user_id, question_id, asked_at),"
            " summary AS (INSERT INTO boosters"
            "  (user_id, question_id, answered, answered_right, last_asked, box, due_day)"
            "  SELECT user_id, question_id, 1, ?, asked_at, ?, ? FROM recorded"
            "  ON CONFLICT (user_id, question_id) DO UPDATE SET"
            "  answered = boosters.answered + 1,"
            "  answered_right = boosters.answered_right + excluded.answered_right,"
            "  box = excluded.box, due_day = excluded.due_day),"
            " active AS (INSERT INTO activity_days (user_id, day)"
            "  SELECT user_id, ? FROM recorded WHERE ? = 1 ON CONFLICT (user_id, day) DO NOTHING)"
            " SELECT COUNT(*) FROM recorded",
            (_ts(now), choice, int(correct), asked_id, user_id,
             int(correct), box, due.isoformat() if due else None,
             day.isoformat() if day else None, int(day is not None)),
        )  # fmt: skip
        return int(next(iter(rows))[0]) == 1

    @writes_at_once
    async def rate_answer(
        self, asked_id: int, user_id: int, confidence: int | None, now: datetime
    ) -> bool:
        """Record how sure a person was of an answer they gave (None: they skipped); once
        only. Return whether this was the first rating (the result is shown now)."""
        cur = await self._db.execute(
            "UPDATE answers SET confidence = ?, rated_at = ?"
            " WHERE id = ? AND user_id = ? AND answered_at IS NOT NULL AND rated_at IS NULL",
            (confidence, _ts(now), asked_id, user_id),
        )
        return cur.rowcount == 1

    async def learner_record(self, user_id: int) -> LearnerRecord:
        """Return a person's tips read, scores, active days and badges, in one query. The
        scores are the running totals of impact_people (migration m020: kept by triggers in
        the answer's own transaction), one row, where counting the person's answers read
        every answer they ever gave, on every answer (274 us at 1,000). The totals count
        answers given and changed: an answer is deleted only with its person, whose totals go
        with them (a deletion of answers alone would have to take them off the totals too)."""
        found = await self._rows(_LEARNER_RECORD, (user_id,) * (len(_SCORE_COLUMNS) + 3))
        rows = list(found)
        scores = sorted(
            (CompetencyScore(r[1], *unpack(int(r[2]))) for r in rows if r[0] == "score"),
            key=lambda s: s.competency,
        )
        badges = sorted((r for r in rows if r[0] == "badge"), key=lambda r: (r[3], r[1]))
        return LearnerRecord(
            tips_read=next((int(r[2]) for r in rows if r[0] == "tips"), 0),
            scores=tuple(scores),
            days=tuple(sorted(date.fromisoformat(r[1]) for r in rows if r[0] == "day")),
            badges={r[1]: _dt(r[3]) for r in badges},
        )

    # -- streaks and badges --------------------------------------------------------------

    @writes_at_once
    async def add_activity_day(self, user_id: int, day: date) -> None:
        """Record that a person learned something on this (local) day."""
        await self._db.execute(
            "INSERT INTO activity_days (user_id, day) VALUES (?, ?)"
            " ON CONFLICT (user_id, day) DO NOTHING",
            (user_id, day.isoformat()),
        )

    @writes_at_once
    async def award_badge(self, user_id: int, badge_id: str, now: datetime) -> bool:
        """Give a person a badge; return False if they already had it."""
        cur = await self._db.execute(
            "INSERT INTO badges (user_id, badge_id, earned_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id, badge_id) DO NOTHING",
            (user_id, badge_id, _ts(now)),
        )
        return cur.rowcount == 1


# The person's answers and right answers in each competency, packed as impact_people keeps
# them (answers * 2**32 + right), for those they answered in.
_SCORE_COLUMNS = {c: column for c, column in IMPACT_COLUMNS.items() if column.startswith("c_")}
_LEARNER_RECORD = " UNION ALL ".join(
    [
        *(
            f"SELECT 'score', '{competency}', {column}, NULL FROM impact_people"
            f" WHERE user_id = ? AND {column} <> 0"
            for competency, column in _SCORE_COLUMNS.items()
        ),
        "SELECT 'day', day, NULL, NULL FROM activity_days WHERE user_id = ?",
        "SELECT 'tips', NULL, COUNT(*), NULL FROM seen_tips WHERE user_id = ?",
        "SELECT 'badge', badge_id, NULL, earned_at FROM badges WHERE user_id = ?",
    ]
)

_ASKED_COLUMNS = (
    "a.id, a.user_id, a.question_id, a.competency, a.topic, a.fingerprint, a.option_order,"
    " a.asked_at, a.answered_at, a.choice, a.correct, a.confidence, a.rated_at"
)
_ASKED_COUNT = 13


def _asked(row: Any) -> Asked:
    return Asked(
        row[0],
        row[1],
        row[2],
        row[3],
        row[4],
        row[5],
        tuple(int(i) for i in row[6].split(",")),
        _dt(row[7]),
        _dt(row[8]) if row[8] else None,
        row[9],
        None if row[10] is None else bool(row[10]),
        row[11],
        _dt(row[12]) if row[12] else None,
    )

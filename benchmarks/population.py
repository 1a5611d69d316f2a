"""Build a database that looks like a campaign's real use, quickly, and cache it by size.

The schema is made by `clicksbot.store.Store.open` itself, up to the baseline below (the schema
this mix was written for); the rows are then written in bulk (plain executemany in large
transactions, synchronous and journal off while building); then `Store.open` again brings the
file up to the current schema, as an upgrade in production would (so a later migration that
adds an index or keeps a running total derives it from these rows, as it would from real ones).

The mix (per person unless said; deterministic for a seed; times before a fixed reference day,
2026-11-01 UTC, since the bot was launched 330 days earlier):

- users: 13 languages (en 20 %, id 14, ms 10, fil 10, vi 8, th 7, ru 6, km 5, kk 4, uz 4, pt 4,
  ar 4, sr 4), the country and time zone that go with them (Indonesia's three zones, whole-hour
  offsets for some English speakers) for 85 %, 35 % subscribed to the daily tip at a time of
  their choosing (quarter hours, most around 07:00, 12:00 and 19:00-21:00), 3 % unreachable
  (blocked the bot), 25 % with an invitation code, 15 % invited by someone earlier; last seen
  within the past 300 days, except exactly `inactive_count(n)` people (min(1000, n/10)) last
  seen 400-700 days ago: the ones retention deletes;
- answers: 20 % none, most 1-15, 1 % with 100-400 (a heavy tail), real question ids and
  fingerprints of the packs in their language, 96 % answered, 62 % right, a third with a
  confidence; tips read: 0-20 (a tail to 150); activity days: up to 60; the badges earned by
  those figures;
- pledges: 12 % pledged (70 % with a country, 60 % with a name on the certificate, half with
  its Telegram file id, invited people's with `via`), 5 % of them withdrawn, 8 % of them also
  an older version; the notices an inviter got (`invite:joined:<id>`, `invite:pledged:<id>`);
- the outbox: the daily tips of the last 8 days for each subscriber (one job per slot and day,
  sent; unreachable once blocked; 1 % failed), two broadcasts to everyone (the first done, the
  second under way: its last 10 % of people still pending), streak reminders (10 % turned on,
  a delivery each of the last 2 days, some cancelled);
- checkups: 8 % finished one, 1 % one under way; rounds: 5 % have one open;
- groups: one per 3,000 people (at least 3), 90 % with a daily quiz at a local time, 30
  questions posted each, 10-60 members on the leaderboard, each answering half the questions;
- moderators 5, audit log 200 entries, campaigns 3, anonymous totals of earlier /forget.

About 2.6 KB a person on disk, as measured on a real-looking database in issue 18.

The rows are produced once, by table, and a `Filler` writes them. PostgreSQL (issue 19) gets
the built file's rows the way an organisation's own data gets there, by `clicksbot
migrate-store`'s code (benchmarks/pg_population.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import sqlite3
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

from clicksbot.content import Content, load_content
from clicksbot.services.places import ZONES, offset_zone
from clicksbot.store import Store
from clicksbot.store.migrations import MIGRATIONS

REPO = Path(__file__).resolve().parent.parent
MIX_VERSION = 1  # bump when the mix changes: cached databases of another mix are rebuilt
# The schema this mix writes: the migrations up to m015. Newer ones run on the built file.
BASELINE = 15
BASELINE_LAST = "m015_confidence"
REFERENCE = datetime(2026, 11, 1, tzinfo=UTC)  # "now" of the built database
LAUNCH_DAYS = 330  # the bot was launched this many days before the reference
FIRST_ID = 1_000_000_000  # people's Telegram ids: FIRST_ID + 0 .. n - 1
FIRST_GROUP = -1_002_000_000_000  # groups' chat ids: FIRST_GROUP - 0 .. - (groups - 1)
BATCH = 200_000  # rows a transaction
DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"

LANGUAGES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    # (language, share of people, countries they are in)
    ("en", 20, ("SG", "PH", "MY", "+")),  # "+": a whole-hour offset zone
    ("id", 14, ("ID",)),
    ("ms", 10, ("MY", "BN", "SG")),
    ("fil", 10, ("PH",)),
    ("vi", 8, ("VN",)),
    ("th", 7, ("TH",)),
    ("ru", 6, ("RU", "KG", "TJ", "KZ")),
    ("km", 5, ("KH",)),
    ("kk", 4, ("KZ",)),
    ("uz", 4, ("UZ",)),
    ("pt", 4, ("PT", "BR")),
    ("ar", 4, ("EG", "MA", "JO", "SA", "AE")),
    ("sr", 4, ("RS",)),
)
POPULAR_TIMES = ("07:00", "07:30", "08:00", "12:00", "19:00", "20:00", "21:00")
BADGE_RULES = ("first_answer", "streak_3", "tips_10", "correct_10", "streak_7", "correct_50")
BLOCKED = "Forbidden: bot was blocked by the user"


def inactive_count(people: int) -> int:
    """How many people of a population were last seen long ago (retention deletes them)."""
    return min(1000, people // 10)


def person_id(index: int) -> int:
    """The Telegram id of the `index`th person of a population."""
    return FIRST_ID + index


def group_count(people: int) -> int:
    """How many groups a population has."""
    return max(3, people // 3000)


def stamp(days_ago: float) -> str:
    """A moment `days_ago` days before the reference, as the store writes it."""
    moment = REFERENCE - timedelta(seconds=int(days_ago * 86400))
    return moment.isoformat(timespec="seconds")


def day_of(days_ago: float) -> str:
    return (REFERENCE - timedelta(days=days_ago)).date().isoformat()


Rows = Iterable[Sequence[Any]]


class Filler(Protocol):
    """Where the rows go (a SQLite file; PostgreSQL is filled from it by migrate-store)."""

    def create_schema(self) -> None:
        """Make the baseline schema, empty."""

    def insert(self, table: str, columns: Sequence[str], rows: Rows) -> int:
        """Write rows into a table; return how many."""

    def finish(self) -> None:
        """Make the store ready for the bot (journal back on, schema brought up to date)."""


class SQLiteFiller:
    """Fill a new SQLite file with plain sqlite3 in large transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None

    def create_schema(self) -> None:
        names = [name for name, _ in MIGRATIONS[:BASELINE]]
        assert names[-1] == BASELINE_LAST, f"migration {BASELINE} is {names[-1]}, not the baseline"
        with mock.patch("clicksbot.store.db.MIGRATIONS", MIGRATIONS[:BASELINE]):
            asyncio.run(_open_and_close(self.path))
        self.db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144",
                       "temp_store=MEMORY", "foreign_keys=OFF"):  # fmt: skip
            self.db.execute(f"PRAGMA {pragma}")

    def insert(self, table: str, columns: Sequence[str], rows: Rows) -> int:
        assert self.db is not None
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        count = 0
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                count += self._write(sql, batch)
                batch = []
        return count + self._write(sql, batch)

    def _write(self, sql: str, batch: list[Sequence[Any]]) -> int:
        assert self.db is not None
        if batch:
            self.db.execute("BEGIN")
            self.db.executemany(sql, batch)
            self.db.execute("COMMIT")
        return len(batch)

    def finish(self) -> None:
        assert self.db is not None
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.close()
        self.db = None
        asyncio.run(_open_and_close(self.path))  # the newer migrations, as an upgrade


async def _open_and_close(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


@dataclass
class Person:
    """What pass one keeps of a person for the outbox and the groups."""

    language: int
    slot: int  # index into the slots, -1: not subscribed
    zone: str | None
    blocked_day: float  # days ago they blocked the bot; -1: reachable
    reminder: bool


class Population:
    """The rows of a population of `people`, table by table, for a seed."""

    def __init__(self, people: int, seed: int = 18) -> None:
        self.people = people
        self.seed = seed
        content, _ = load_content(REPO / "quizzes")
        self.content: Content = content
        self.languages = [code for code, _, _ in LANGUAGES]
        self.weights = [w for _, w, _ in LANGUAGES]
        self.questions = {
            code: [q for q in content.questions(code)] or list(content.questions("en"))
            for code in self.languages
        }
        self.tips = {
            code: [t.id for t in content.tips(code)] or [t.id for t in content.tips("en")]
            for code in self.languages
        }
        self.checkup_items = {
            code: [c.id for c in content.checkup_items(code)]
            or [c.id for c in content.checkup_items("en")]
            for code in self.languages
        }
        self.slots: list[tuple[str, str]] = []  # (zone, HH:MM) with someone subscribed
        self._slot_index: dict[tuple[str, str], int] = {}
        # Per person, packed: slot (-1 none), blocked (days ago * 10, -1 reachable), reminder.
        self.slot_of = array("i")
        self.blocked_of = array("i")
        self.reminder_of = array("b")
        self.language_of = array("b")
        self.inactive = set(self._inactive_indexes())

    def _inactive_indexes(self) -> list[int]:
        rng = random.Random(self.seed * 7 + 1)
        return rng.sample(range(self.people), inactive_count(self.people))

    def inactive_ids(self) -> list[int]:
        """The people retention deletes (last seen 400-700 days before the reference)."""
        return sorted(person_id(i) for i in self.inactive)

    # -- pass one: people and what is theirs ---------------------------------------------

    def _slot(self, zone: str, at: str) -> int:
        key = (zone, at)
        found = self._slot_index.get(key)
        if found is None:
            found = self._slot_index[key] = len(self.slots)
            self.slots.append(key)
        return found

    def people_rows(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Yield (table, row) for every person's own rows, person after person."""
        rng = random.Random(self.seed)
        answer_id = 0
        checkup_id = 0
        pledge_id = 0
        for i in range(self.people):
            uid = person_id(i)
            lang_index = rng.choices(range(len(self.languages)), self.weights)[0]
            language = self.languages[lang_index]
            created = rng.uniform(1, LAUNCH_DAYS)
            if i in self.inactive:
                created = rng.uniform(700, 800)
                last = rng.uniform(400, 700)
            else:
                last = min(created, rng.expovariate(1 / 30), 300)
            country = zone = None
            if rng.random() < 0.85:
                country = rng.choice(LANGUAGES[lang_index][2])
                if country == "+":
                    country = None
                    zone = offset_zone(rng.randint(-10, 12))
                else:
                    zone = rng.choice(ZONES[country])
            tip_time = None
            slot = -1
            if zone is not None and rng.random() < 0.41:  # 35 % of everyone
                if rng.random() < 0.7:
                    tip_time = rng.choice(POPULAR_TIMES)
                else:
                    tip_time = f"{rng.randint(5, 22):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                slot = self._slot(zone, tip_time)
            blocked = -1.0
            if rng.random() < 0.03:
                blocked = rng.uniform(0, last)
            invited_by = None
            if i > 10 and rng.random() < 0.15:
                invited_by = person_id(rng.randrange(i))
            code = hashlib.blake2b(f"{self.seed}:{i}".encode(), digest_size=8).hexdigest()
            self.slot_of.append(slot)
            self.blocked_of.append(int(blocked * 10) if blocked >= 0 else -1)
            reminder = rng.random() < 0.10
            self.reminder_of.append(int(reminder))
            self.language_of.append(lang_index)
            yield "users", (
                uid, language, int(rng.random() < 0.8), stamp(created), stamp(last), zone,
                country, tip_time, day_of(rng.uniform(0, 2)) if slot >= 0 else None,
                stamp(blocked) if blocked >= 0 else None, BLOCKED if blocked >= 0 else None,
                code if rng.random() < 0.25 else None, invited_by, stamp(created),
                stamp(rng.uniform(last, created)) if rng.random() < 0.4 else None,
            )  # fmt: skip

            # Answers: a heavy tail.
            roll = rng.random()
            if roll < 0.20:
                n_answers = 0
            elif roll < 0.99:
                n_answers = int(rng.triangular(1, 16, 3))
            else:
                n_answers = rng.randint(100, 400)
            questions = self.questions[language]
            correct_total = 0
            first_answer = None
            for k in range(n_answers):
                q = rng.choice(questions)
                asked = created - (created - last) * (k + 1) / (n_answers + 1)
                order = list(range(len(q.options)))
                rng.shuffle(order)
                answered = k < n_answers - 1 or rng.random() < 0.7
                choice = q.answer if rng.random() < 0.62 else rng.randrange(len(q.options))
                right = int(choice == q.answer)
                correct_total += right if answered else 0
                answer_id += 1
                first_answer = first_answer or asked
                yield "answers", (
                    answer_id, uid, q.id, str(q.competency),
                    rng.choice(("any", str(q.competency))), q.fingerprint,
                    ",".join(map(str, order)), stamp(asked),
                    stamp(asked - 0.0002) if answered else None,
                    choice if answered else None, right if answered else None,
                    rng.randint(1, 3) if answered and rng.random() < 0.33 else None,
                )  # fmt: skip
            # Tips read.
            tips = self.tips[language]
            n_tips = min(len(tips), int(rng.expovariate(1 / 5)) if rng.random() < 0.99 else 150)
            for tip in rng.sample(tips, n_tips):
                yield "seen_tips", (uid, tip, stamp(rng.uniform(last, created)),
                                    1 if rng.random() < 0.9 else 2)  # fmt: skip
            # Days with something learned.
            n_days = min(60, int(created - last) + 1, (n_answers + n_tips + 2) // 3)
            days = sorted({int(rng.uniform(last, created)) for _ in range(n_days)})
            for d in days:
                yield "activity_days", (uid, day_of(d))
            streak = min(len(days), rng.randint(1, 8))
            earned = {
                "first_answer": n_answers >= 1,
                "streak_3": streak >= 3,
                "tips_10": n_tips >= 10,
                "correct_10": correct_total >= 10,
                "streak_7": streak >= 7,
                "correct_50": correct_total >= 50,
            }
            for badge in BADGE_RULES:
                if earned[badge]:
                    yield "badges", (uid, badge, stamp(rng.uniform(last, created)))
            # Pledges.
            if rng.random() < 0.12:
                versions = (1, 2) if rng.random() < 0.08 else (1,)
                for version in versions:
                    pledge_id += 1
                    withdrawn = rng.random() < 0.05 or (len(versions) == 2 and version == 1)
                    named = not withdrawn and rng.random() < 0.6
                    yield "pledges", (
                        pledge_id, uid, version, language,
                        (country or rng.choice(LANGUAGES[lang_index][2]).replace("+", "SG"))
                        if rng.random() < 0.7 else None,
                        f"Learner {uid % 100000}" if named else None, invited_by,
                        stamp(rng.uniform(last, created)),
                        stamp(rng.uniform(0, last)) if withdrawn else None,
                        f"AgACAgIAAxkDAAI{code}{pledge_id:012d}Q" if named and rng.random() < 0.5
                        else None,
                    )  # fmt: skip
            # Checkups and rounds.
            if rng.random() < 0.09:
                checkup_id += 1
                items = rng.sample(self.checkup_items[language],
                                   min(10, len(self.checkup_items[language])))  # fmt: skip
                finished = rng.random() < 0.9
                real = rng.randint(3, 7)
                yield "checkups", (
                    checkup_id, uid, language, ",".join(items),
                    "" if finished else "rf" * rng.randint(0, 4),
                    stamp(rng.uniform(last, created)),
                    stamp(last) if finished else None,
                    real if finished else None, 10 - real if finished else None,
                    rng.randint(0, real) if finished else None,
                    rng.randint(0, 10 - real) if finished else None,
                )  # fmt: skip
            if n_answers and rng.random() < 0.05:
                yield "rounds", (uid, "any", 0, 5, str(answer_id), stamp(last))
            if reminder:
                usual = f"{rng.randint(6, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                yield "reminders", (uid, usual, day_of(rng.randint(0, 3)))

    # -- pass two: the outbox ------------------------------------------------------------

    def job_rows(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Yield jobs and their deliveries job by job (after pass one)."""
        rng = random.Random(self.seed + 2)
        job_id = 0
        by_slot: dict[int, list[int]] = {}
        for i, slot in enumerate(self.slot_of):
            if slot >= 0:
                by_slot.setdefault(slot, []).append(i)
        for days_ago in range(8, 0, -1):
            for slot, indexes in by_slot.items():
                zone, at = self.slots[slot]
                job_id += 1
                when = days_ago - int(at[:2]) / 24
                yield "jobs", (job_id, f"tip:{day_of(days_ago)}:{zone}:{at}", "tip", "{}",
                               stamp(when), None)  # fmt: skip
                for i in indexes:
                    yield "deliveries", self._delivery(rng, job_id, i, when)
        for number, days_ago in ((1, 20.0), (2, 0.05)):
            job_id += 1
            payload = json.dumps({"html": f"Campaign news {number}", "broadcast": number})
            yield "jobs", (job_id, f"broadcast:{number}", "message", payload, stamp(days_ago),
                           None)  # fmt: skip
            yield "broadcasts", (
                number, person_id(0), json.dumps({"kind": "all"}), payload, stamp(days_ago),
                "queued", job_id, stamp(days_ago + 1),
            )  # fmt: skip
            pending_from = int(self.people * 0.9) if number == 2 else self.people
            for i in range(self.people):
                blocked = self.blocked_of[i]
                if blocked >= 0 and blocked / 10 > days_ago:
                    continue  # unreachable before the broadcast: not queued
                if i >= pending_from:
                    yield "deliveries", (job_id, person_id(i), "pending", 0, None, None,
                                         stamp(days_ago))  # fmt: skip
                else:
                    yield "deliveries", self._delivery(rng, job_id, i, days_ago)
        for days_ago in (2, 1):
            job_id += 1
            yield "jobs", (job_id, f"remind:{day_of(days_ago)}:Asia/Jakarta:19:00", "reminder",
                           "{}", stamp(days_ago), None)  # fmt: skip
            for i in range(self.people):
                if self.reminder_of[i] and rng.random() < 0.5:
                    row = list(self._delivery(rng, job_id, i, days_ago))
                    if row[2] == "sent" and rng.random() < 0.3:
                        row[2:6] = ["cancelled", 1, None, "played since"]
                    yield "deliveries", tuple(row)
        self.last_job = job_id

    def _delivery(
        self, rng: random.Random, job_id: int, i: int, days_ago: float
    ) -> tuple[Any, ...]:
        blocked = self.blocked_of[i]
        if blocked >= 0 and blocked / 10 >= days_ago:
            return (job_id, person_id(i), "unreachable", 1, None, BLOCKED, stamp(days_ago))
        if rng.random() < 0.01:
            return (job_id, person_id(i), "failed", 5, None, "Bad Gateway", stamp(days_ago))
        return (job_id, person_id(i), "sent", 1, rng.randrange(10, 10**6), None, stamp(days_ago))

    def notice_rows(
        self, invited: Iterable[tuple[int, int, bool]]
    ) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Yield the notices inviters got: a job and a delivery per friend (and pledge)."""
        job_id = self.last_job
        for friend, inviter, pledged in invited:
            for what in ("joined", "pledged") if pledged else ("joined",):
                job_id += 1
                yield "jobs", (job_id, f"invite:{what}:{friend}", "notice", "{}", stamp(3), None)
                yield "deliveries", (job_id, inviter, "sent", 1, 1234, None, stamp(3))
        self.last_job = job_id

    # -- pass three: groups and the rest -------------------------------------------------

    def group_rows(self) -> Iterator[tuple[str, tuple[Any, ...]]]:
        """Yield groups, their questions, members and answers; moderators and the rest."""
        rng = random.Random(self.seed + 3)
        question_row = 0
        questions = self.questions["en"]
        for g in range(group_count(self.people)):
            chat = FIRST_GROUP - g
            zone = rng.choice(ZONES[rng.choice(("MY", "ID", "PH", "KZ", "UZ", "VN"))])
            daily = (
                f"{rng.randint(7, 20):02d}:{rng.choice((0, 30)):02d}"
                if rng.random() < 0.9
                else None
            )
            yield "group_settings", (chat, rng.choice(self.languages), daily, zone, stamp(60))
            members = rng.sample(range(self.people), min(self.people, rng.randint(10, 60)))
            for m in members:
                yield "group_members", (chat, person_id(m), f"Member {m % 1000}",
                                        stamp(rng.uniform(0, 60)))  # fmt: skip
            for k in range(30):
                question_row += 1
                q = rng.choice(questions)
                asked = 30 - k
                yield "group_questions", (question_row, chat, q.id, str(q.competency),
                                          stamp(asked), rng.randrange(10, 10**6))  # fmt: skip
                for m in members:
                    if rng.random() < 0.5:
                        yield "group_answers", (question_row, person_id(m), chat,
                                                str(q.competency), int(rng.random() < 0.6),
                                                stamp(asked - 0.01))  # fmt: skip
        for k in range(5):
            yield "moderators", (person_id(k * 7 % self.people), person_id(0), stamp(200))
        for k in range(200):
            yield "audit_log", (k + 1, stamp(200 - k), person_id(0), "broadcast.sent",
                                str(k), json.dumps({"audience": "all"}))  # fmt: skip
        for k in range(3):
            yield "campaigns", (
                k + 1, f"Campaign {k + 1}", ("active", "done", "paused")[k],
                json.dumps({"kind": "all"}), json.dumps(self.tips["en"][:5]),
                day_of(90 - 30 * k), "08:00", "Asia/Kuala_Lumpur", "weekly", k, None, "bot",
                person_id(0), stamp(100), stamp(10),
            )  # fmt: skip
        for key, count in (("answers", self.people // 20), ("pledges", self.people // 400),
                           ("messages_sent", self.people // 10)):  # fmt: skip
            yield "forgotten_totals", (key, count)


COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        "id", "language", "language_chosen", "created_at", "last_seen_at", "time_zone",
        "country", "tip_time", "tip_day", "unreachable_since", "unreachable_reason",
        "invite_code", "referred_by", "greeted_at", "checkup_offered_at",
    ),
    "answers": (
        "id", "user_id", "question_id", "competency", "topic", "fingerprint", "option_order",
        "asked_at", "answered_at", "choice", "correct", "confidence",
    ),
    "seen_tips": ("user_id", "tip_id", "seen_at", "times"),
    "activity_days": ("user_id", "day"),
    "badges": ("user_id", "badge_id", "earned_at"),
    "pledges": (
        "id", "user_id", "version", "language", "country", "display_name", "via", "pledged_at",
        "withdrawn_at", "certificate_file_id",
    ),
    "checkups": (
        "id", "user_id", "language", "items", "answers", "started_at", "finished_at", "n_real",
        "n_fake", "hits", "false_alarms",
    ),
    "rounds": ("user_id", "topic", "english", "size", "asked", "started_at"),
    "reminders": ("user_id", "usual", "last_day"),
    "jobs": ("id", "key", "kind", "payload", "created_at", "cancelled_at"),
    "deliveries": (
        "job_id", "user_id", "state", "attempts", "message_id", "error", "updated_at",
    ),
    "broadcasts": (
        "id", "created_by", "audience", "payload", "send_at", "status", "job_id", "created_at",
    ),
    "group_settings": ("chat_id", "language", "daily_time", "time_zone", "updated_at"),
    "group_members": ("chat_id", "user_id", "display_name", "joined_at"),
    "group_questions": ("id", "chat_id", "question_id", "competency", "asked_at", "message_id"),
    "group_answers": (
        "group_question_id", "user_id", "chat_id", "competency", "correct", "answered_at",
    ),
    "moderators": ("user_id", "granted_by", "granted_at"),
    "audit_log": ("id", "at", "actor", "action", "target", "details"),
    "campaigns": (
        "id", "name", "status", "audience", "tips", "start_day", "send_time", "time_zone",
        "repeat", "position", "last_run_at", "origin", "created_by", "created_at", "updated_at",
    ),
    "forgotten_totals": ("key", "count"),
}  # fmt: skip


def fill(population: Population, filler: Filler) -> dict[str, int]:
    """Write a population through a filler; return the rows written per table."""
    filler.create_schema()
    counts: dict[str, int] = {}
    # Pass one streams people; their rows go to several tables, which are written as they
    # come, table by table in batches (each table's rows arrive in key order).
    pending: dict[str, list[tuple[Any, ...]]] = {}
    invited: list[tuple[int, int, bool]] = []
    pledged_people: set[int] = set()

    def flush(table: str) -> None:
        rows = pending.pop(table, [])
        counts[table] = counts.get(table, 0) + filler.insert(table, COLUMNS[table], rows)

    def stream(source: Iterator[tuple[str, tuple[Any, ...]]]) -> None:
        for table, row in source:
            if table == "users" and row[12] is not None:
                invited.append((row[0], row[12], False))
            elif table == "pledges" and row[8] is None:
                pledged_people.add(row[1])
            rows = pending.setdefault(table, [])
            rows.append(row)
            if len(rows) >= BATCH:
                flush(table)
        for table in list(pending):
            flush(table)

    stream(population.people_rows())
    stream(population.job_rows())
    stream(population.notice_rows((f, i, f in pledged_people) for f, i, _ in invited))
    stream(population.group_rows())
    filler.finish()
    return counts


@dataclass(frozen=True)
class Built:
    """A built database in the cache, and what is known about it."""

    path: Path
    people: int
    seed: int
    build_seconds: float
    rows: dict[str, int]
    inactive: list[int]
    largest_slot: tuple[str, str, int]  # (zone, HH:MM, subscribers) of the biggest daily slot


def cached(people: int, cache: Path = DEFAULT_CACHE, seed: int = 18,
           log: Any = print) -> Built:  # fmt: skip
    """Return the cached database of this size, building it the first time."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"people-{people}-seed{seed}-mix{MIX_VERSION}.sqlite3"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        info = json.loads(meta.read_text())
        before = time.perf_counter()
        asyncio.run(_open_and_close(path))  # migrations newer than the cached file, if any
        upgraded = time.perf_counter() - before
        if upgraded > 1:
            log(f"  cached {path.name}: brought up to the current schema in {upgraded:.1f} s")
        return Built(
            path,
            people,
            seed,
            info["build_seconds"],
            info["rows"],
            info["inactive"],
            tuple(info["largest_slot"]),
        )  # type: ignore[arg-type]
    partial = path.with_suffix(".building")
    for leftover in (partial, partial.with_name(partial.name + "-wal"),
                     partial.with_name(partial.name + "-shm")):  # fmt: skip
        leftover.unlink(missing_ok=True)
    log(f"  building a population of {people:,} people (once; cached in {cache}) ...")
    began = time.perf_counter()
    population = Population(people, seed)
    rows = fill(population, SQLiteFiller(partial))
    seconds = time.perf_counter() - began
    for suffix in ("-wal", "-shm"):
        extra = partial.with_name(partial.name + suffix)
        if extra.exists():
            extra.unlink()
    shutil.move(partial, path)
    inactive = population.inactive_ids()
    sizes = Counter(s for s in population.slot_of if s >= 0)
    biggest, count = sizes.most_common(1)[0] if sizes else (-1, 0)
    largest = (*population.slots[biggest], count) if count else ("Etc/UTC", "07:00", 0)
    meta.write_text(json.dumps({"people": people, "seed": seed, "mix": MIX_VERSION,
                                "build_seconds": seconds, "rows": rows, "inactive": inactive,
                                "largest_slot": largest,
                                "reference": REFERENCE.isoformat()}))  # fmt: skip
    log(f"  built in {seconds:.1f} s: {path.stat().st_size / people:.0f} bytes a person, "
        f"{sum(rows.values()):,} rows")  # fmt: skip
    return Built(path, people, seed, seconds, rows, inactive, largest)


def copy(built: Built, target: Path) -> Path:
    """Copy a built database to where a bot will change it."""
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    shutil.copyfile(built.path, target)
    target.chmod(0o600)  # as the bot makes its database: its owner's only
    # On disk before the bot starts, as a server's database is: left in the page cache (2 GB
    # dirty at 1M), the bot's first checkpoints would wait for the whole copy to be written
    # out, and every reply with them (seconds; not the bot's cost).
    with target.open("rb+") as written:
        os.fsync(written.fileno())
    return target


def sample_people(built: Built, count: int, seed: int) -> list[tuple[int, str]]:
    """Return (id, language) of `count` people chosen at random among the active ones."""
    rng = random.Random(seed)
    inactive = set(built.inactive)
    chosen: list[int] = []
    while len(chosen) < min(count, built.people - len(inactive)):
        uid = person_id(rng.randrange(built.people))
        if uid not in inactive and uid not in chosen:
            chosen.append(uid)
    db = sqlite3.connect(f"file:{built.path}?mode=ro", uri=True)
    try:
        found = dict(
            db.execute(
                f"SELECT id, language FROM users WHERE id IN ({','.join('?' * len(chosen))})",
                chosen,
            ).fetchall()
        )
    finally:
        db.close()
    return [(uid, found[uid]) for uid in chosen if uid in found]


def groups_to_add(have: int, total: int, seed: int = 18) -> list[tuple[Any, ...]]:
    """The group_settings rows that bring `have` groups with a daily quiz up to `total`."""
    rng = random.Random(seed)
    return [
        (FIRST_GROUP - 10_000_000 - g, rng.choice([c for c, _, _ in LANGUAGES]),
         f"{rng.randint(7, 20):02d}:{rng.choice((0, 15, 30, 45)):02d}",
         rng.choice(ZONES[rng.choice(("MY", "ID", "PH", "KZ", "UZ", "VN", "TH"))]), stamp(30))
        for g in range(max(0, total - have))
    ]  # fmt: skip


def add_groups(path: Path, total: int, seed: int = 18) -> int:
    """Give a database `total` groups with a daily quiz (adding groups); return how many added."""
    db = sqlite3.connect(path)
    try:
        (have,) = db.execute(
            "SELECT COUNT(*) FROM group_settings WHERE daily_time IS NOT NULL"
        ).fetchone()
        rows = groups_to_add(have, total, seed)
        with db:
            db.executemany(
                "INSERT INTO group_settings (chat_id, language, daily_time, time_zone, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)
    finally:
        db.close()

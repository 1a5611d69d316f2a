"""Time `clicksbot impact` on a large database: by default 1,000,000 people.

Builds (or takes, with `--database`) a database of people across languages, countries and
weeks, with answers and how sure people were, checkups, some class groups and a campaign; then
runs `clicksbot impact` on it as a subprocess, as a moderator's server would, and prints how
long it took, on which machine, and the database's size. The target is under 10 s.

    python benchmarks/impact.py [--people 1000000] [--database PATH] [--by language] [--keep]

The database is built fast: the schema by `Store.open` (every migration), then plain sqlite3
`executemany` in large transactions. Figures are drawn from a fixed seed, so two runs build
the same file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from clicksbot.store import Store

LANGUAGES = {  # share of people by interface language
    "en": 0.30, "id": 0.14, "ms": 0.10, "fil": 0.09, "vi": 0.08, "th": 0.07, "ru": 0.06,
    "pt": 0.05, "ar": 0.04, "kk": 0.03, "uz": 0.02, "km": 0.015, "sr": 0.005,
}  # fmt: skip
COUNTRIES = {
    None: 0.25, "ID": 0.14, "MY": 0.10, "PH": 0.09, "VN": 0.08, "TH": 0.07, "KZ": 0.05,
    "BR": 0.05, "GB": 0.04, "US": 0.04, "EG": 0.03, "UZ": 0.02, "KH": 0.015, "RS": 0.005,
    "MV": 0.0004,  # a few people: merged into "other"
}  # fmt: skip
COMPETENCIES = (
    "critical-thinking", "creativity", "literacy", "intercultural", "citizenship",
    "knowledge", "sustainability",
)  # fmt: skip
WEEKS = 26  # people joined over the last half year
GROUPS = 400  # class groups, ~25 members each
CAMPAIGN_SHARE = 0.10  # of people, sent a three-step campaign
TODAY = date(2026, 11, 23)


def _pick(rng: random.Random, shares: dict[str | None, float]) -> list[str | None]:
    keys, weights = list(shares), list(shares.values())
    return rng.choices(keys, weights, k=1)  # type: ignore[return-value]


def _stamp(day: date, seconds: int) -> str:
    return (datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)
            ).strftime("%Y-%m-%dT%H:%M:%S+00:00")  # fmt: skip


def build(path: Path, people: int, seed: int = 17) -> None:
    """Create the database at `path` (which must not exist) with `people` people."""

    async def schema() -> None:
        store = await Store.open(path)
        await store.close()

    asyncio.run(schema())
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA journal_mode=WAL")
    started = time.perf_counter()
    lang_keys, lang_w = list(LANGUAGES), list(LANGUAGES.values())
    country_keys, country_w = list(COUNTRIES), list(COUNTRIES.values())
    first = TODAY - timedelta(weeks=WEEKS)
    batch = 200_000

    def rows() -> Iterator[tuple[list[tuple[object, ...]], ...]]:
        users: list[tuple[object, ...]] = []
        days: list[tuple[object, ...]] = []
        answers: list[tuple[object, ...]] = []
        checkups: list[tuple[object, ...]] = []
        for n in range(people):
            uid = 1_000_000 + n
            joined = first + timedelta(days=int(rng.random() ** 0.7 * WEEKS * 7))
            language = rng.choices(lang_keys, lang_w)[0]
            country = rng.choices(country_keys, country_w)[0]
            created = _stamp(joined, rng.randrange(86_400))
            # Most people come once; some return, a few often (a long tail of active days).
            active = [joined]
            span = (TODAY - joined).days
            extra = min(int(rng.expovariate(1 / 2.2)), span)
            if extra:
                active += sorted({joined + timedelta(days=rng.randint(1, span))
                                  for _ in range(extra)})  # fmt: skip
            last = active[-1]
            users.append((uid, language, 1, created, _stamp(last, 80_000), country))
            skill = rng.random()
            for k, day in enumerate(active):
                days.append((uid, day.isoformat()))
                for q in range(rng.randint(1, 4)):
                    at = _stamp(day, 3_600 + q * 60)
                    competency = rng.choice(COMPETENCIES)
                    learned = min(0.95, 0.45 + 0.3 * skill + 0.02 * k)
                    correct = int(rng.random() < learned)
                    roll = rng.random()
                    confidence = None if roll < 0.3 else 1 if roll < 0.5 else 2 if roll < 0.8 else 3
                    answers.append((uid, f"q{rng.randrange(400)}", competency, competency,
                                    "f", "0,1,2", at, at, rng.randrange(3), correct,
                                    confidence))  # fmt: skip
            if rng.random() < 0.22:
                for c, day in enumerate(active[:1] + active[-1:] if len(active) > 1 else active):
                    if c and rng.random() < 0.5:
                        break
                    d = 0.25 * c + skill
                    hits = min(5, max(0, round(rng.gauss(2.5 + 1.6 * d, 0.8))))
                    fa = min(5, max(0, round(rng.gauss(2.5 - 1.6 * d, 0.8))))
                    at = _stamp(day, 7_200)
                    checkups.append((uid, language, "c1,c2,c3,c4,c5,c6,c7,c8,c9,c10", "", at,
                                     at, 5, 5, hits, fa))  # fmt: skip
            if len(answers) >= batch:
                yield users, days, answers, checkups
                users, days, answers, checkups = [], [], [], []
        yield users, days, answers, checkups

    for users, days, answers, checkups in rows():
        with db:
            db.executemany(
                "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at,"
                " country) VALUES (?, ?, ?, ?, ?, ?)",
                users,
            )
            db.executemany("INSERT INTO activity_days (user_id, day) VALUES (?, ?)", days)
            db.executemany(
                "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
                " option_order, asked_at, answered_at, choice, correct, confidence)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                answers,
            )
            db.executemany(
                "INSERT INTO checkups (user_id, language, items, answers, started_at,"
                " finished_at, n_real, n_fake, hits, false_alarms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                checkups,
            )
    with db:
        now = _stamp(TODAY, 0)
        members = []
        for g in range(GROUPS):
            chat = -1_000_000_000 - g
            db.execute(
                "INSERT INTO group_settings (chat_id, language, time_zone, updated_at)"
                " VALUES (?, 'en', 'UTC', ?)",
                (chat, now),
            )
            for uid in rng.sample(range(1_000_000, 1_000_000 + people), min(people, 25)):
                members.append((chat, uid, f"p{uid}", now))
        db.executemany(
            "INSERT OR IGNORE INTO group_members (chat_id, user_id, display_name, joined_at)"
            " VALUES (?, ?, ?, ?)",
            members,
        )
        db.execute(
            "INSERT INTO campaigns (id, name, status, audience, tips, start_day, send_time,"
            " time_zone, repeat, position, origin, created_at, updated_at) VALUES (1,"
            ' \'Verify before you share\', \'done\', \'{"kind": "all"}\', \'["t1","t2","t3"]\','
            " ?, '09:00', 'UTC', 'weekly', 3, 'bot', ?, ?)",
            ((TODAY - timedelta(weeks=4)).isoformat(), now, now),
        )
        reached = rng.sample(range(1_000_000, 1_000_000 + people), int(people * CAMPAIGN_SHARE))
        for step in range(3):
            cur = db.execute(
                "INSERT INTO jobs (key, kind, payload, created_at) VALUES (?, 'campaign', '{}', ?)",
                (f"campaign:1:{step}", now),
            )
            db.executemany(
                "INSERT INTO deliveries (job_id, user_id, state, attempts, updated_at)"
                " VALUES (?, ?, 'sent', 1, ?)",
                ((cur.lastrowid, uid, now) for uid in reached),
            )
        # What the outbox writes as it sends the steps (and keeps once their rows are folded).
        db.executemany(
            "INSERT INTO campaign_people (user_id, campaign_id) VALUES (?, 1)",
            ((uid,) for uid in sorted(reached)),
        )
    db.execute("ANALYZE")
    db.close()
    print(f"built {path} with {people:,} people in {time.perf_counter() - started:.0f} s",
          flush=True)  # fmt: skip


def answer_path(path: Path, samples: int) -> str:
    """Time what one answer writes (the answer, its rating, the active day: three writes, as
    the bot makes them), for `samples` people drawn at random, with the impact summary's
    triggers (migration m020) and without them; return p50 and p99 of each."""
    db = sqlite3.connect(path)
    first, last = db.execute("SELECT MIN(id), MAX(id) FROM users").fetchone()
    triggers = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'impact_%'"
    ).fetchall()
    db.close()
    rng = random.Random(3)
    start = datetime(2026, 11, 24, 9, tzinfo=UTC)

    async def timed(offset: int) -> list[float]:
        store = await Store.open(path)
        try:
            times = []
            for i in range(samples):
                uid = rng.randint(first, last)
                now = start + timedelta(days=offset, seconds=i)
                asked = await store.ask(uid, f"b{i}", "literacy", "literacy", "f", (0, 1), now)
                began = time.perf_counter()
                await store.record_answer(asked, uid, 1, i % 2 == 0, now, box=1, due=None)
                await store.rate_answer(asked, uid, 1 + i % 3, now)
                await store.add_activity_day(uid, now.date())
                times.append(time.perf_counter() - began)
            return sorted(times)
        finally:
            await store.close()

    def spread(times: list[float]) -> str:
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
        return f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"

    with_triggers = asyncio.run(timed(0))
    db = sqlite3.connect(path)
    for name, _ in triggers:
        db.execute(f"DROP TRIGGER {name}")
    db.commit()
    try:
        without = asyncio.run(timed(1))
    finally:
        for _, sql in triggers:
            db.execute(sql)
        db.commit()
        db.close()
    return (
        f"an answer's writes (answer, rating, active day; {samples} people at random):"
        f" {spread(with_triggers)} with the impact summary kept;"
        f" {spread(without)} without it"
    )


def counts(path: Path) -> str:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        parts = []
        for table in ("users", "answers", "activity_days", "checkups", "group_members",
                      "deliveries"):  # fmt: skip
            parts.append(f"{table} {db.execute(f'SELECT COUNT(*) FROM {table}').fetchone()[0]:,}")
        return ", ".join(parts)
    finally:
        db.close()


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores,"
            f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
            f" load average {load}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database", type=Path, help="use this database instead of building one")
    parser.add_argument("--by", default="language", help="the cohort (default language)")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--runs", type=int, default=3, help="timed runs (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the database built")
    parser.add_argument(
        "--answers", type=int, default=1000, help="answers timed on the answer path (0: none)"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clicksbot-impact-"))
    path = args.database or folder / "impact.sqlite3"
    if args.database is None:
        build(path, args.people)
    config = folder / "config.yaml"
    config.write_text(f"database: {path}\n", encoding="utf-8")
    out = folder / "report"
    command = [sys.executable, "-m", "clicksbot", "impact", "--config", str(config),
               "--out", str(out), "--by", args.by, "--weeks", str(args.weeks)]  # fmt: skip
    load_before = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    times, cpu = [], []
    for _ in range(args.runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
            return 1
    print(done.stdout.strip())
    size = path.stat().st_size + sum(p.stat().st_size for p in path.parent.glob(path.name + "-wal"))
    print(f"database: {counts(path)}; {size / 1e6:,.0f} MB")
    print(f"machine: {machine()} (before the runs: {load_before})")
    runs = ", ".join(f"{t:.2f}" for t in times)
    used = ", ".join(f"{t:.2f}" for t in cpu)
    print(f"clicksbot impact --by {args.by} --weeks {args.weeks}: {runs} s"
          f" (best {min(times):.2f} s, target < 10 s); CPU time {used} s (user + system, all"
          " threads: on a loaded machine the wall time is this shared with others)")  # fmt: skip
    if args.answers:
        print(answer_path(path, args.answers), flush=True)
    if args.database is None and not args.keep:
        path.unlink()
        for extra in path.parent.glob(path.name + "-*"):
            extra.unlink()
    elif args.database is None:
        print(f"kept {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

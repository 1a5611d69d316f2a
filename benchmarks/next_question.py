"""Time picking the next question (due boosters first) for a person with many answers, in a
database of many people.

Builds a database (`Store.open` creates the schema; plain sqlite3 `executemany` fills it) of
`--people` people, most with few answers as in real use (70% none, 25% 1-10, 4.5% 10-60,
0.5% 60-300), and one person with `--answers` answers spread over 200 days of the English
questions, some of their boosters due today. Then times, over `--picks` picks each:

- pick: `services.learning.pick`, the choice alone (what must stay under 2 ms at p99);
- ask: `services.learning.ask`, the choice and its write (the asked row and the summary);
- before: the query the pick made before boosters, a GROUP BY over all the person's answers.

Prints p50/p99 of each, the build time, the file size and the machine (cores, load).

    python benchmarks/next_question.py [--people 1000000] [--answers 5000] [--picks 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clicksbot.content import Content, load_content
from clicksbot.services import learning
from clicksbot.store import Store

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
TARGET = 500_000_000  # the person with many answers (an id among the others')
BATCH = 50_000


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def answers_of(rng: random.Random) -> int:
    """How many answers a person has, in a realistic spread: most few."""
    roll = rng.random()
    if roll < 0.70:
        return 0
    if roll < 0.95:
        return rng.randint(1, 10)
    if roll < 0.995:
        return rng.randint(10, 60)
    return rng.randint(60, 300)


def rows_for(
    user: int, count: int, ids: list[str], rng: random.Random
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Return a person's answer rows and their per-question summary rows (boosters)."""
    answers: list[tuple[object, ...]] = []
    summary: dict[str, list[object]] = {}
    start = NOW - timedelta(days=200)
    span = 200 * 86400
    moments = sorted(rng.randrange(span) for _ in range(count))
    for i, offset in enumerate(moments):
        qid = ids[i % len(ids)] if count > len(ids) else rng.choice(ids)
        asked = start + timedelta(seconds=offset)
        correct = int(rng.random() < 0.7)
        answers.append(
            (user, qid, "knowledge", "any", "f" * 16, "0,1,2,3", stamp(asked),
             stamp(asked + timedelta(seconds=20)), 0, correct, rng.choice((None, 1, 2, 3)))
        )  # fmt: skip
        entry = summary.setdefault(qid, [user, qid, 0, 0, "", 0, None])
        entry[2] = int(str(entry[2])) + 1
        entry[3] = int(str(entry[3])) + correct
        entry[4] = stamp(asked)
        box = rng.randint(1, 5)
        due = None if box == 5 else (TODAY + timedelta(days=rng.randint(-5, 21))).isoformat()
        entry[5], entry[6] = box, due
    return answers, [tuple(v) for v in summary.values()]


def build(path: Path, people: int, target_answers: int, ids: list[str], seed: int) -> None:
    """Fill the database: users, answers and summaries, in batches."""
    rng = random.Random(seed)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    created = stamp(NOW - timedelta(days=300))

    def people_ids() -> Iterator[int]:
        step = max(1, 1_000_000_000 // max(people, 1))
        for n in range(people - 1):
            yield 1 + n * step
        yield TARGET

    users: list[tuple[object, ...]] = []
    answers: list[tuple[object, ...]] = []
    summaries: list[tuple[object, ...]] = []

    def flush() -> None:
        db.executemany(
            "INSERT OR IGNORE INTO users (id, language, language_chosen, created_at,"
            " last_seen_at, time_zone) VALUES (?, 'en', 1, ?, ?, 'Asia/Manila')",
            users,
        )
        db.executemany(
            "INSERT INTO answers (user_id, question_id, competency, topic, fingerprint,"
            " option_order, asked_at, answered_at, choice, correct, confidence)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            answers,
        )
        db.executemany(
            "INSERT INTO boosters (user_id, question_id, answered, answered_right, last_asked,"
            " box, due_day) VALUES (?, ?, ?, ?, ?, ?, ?)",
            summaries,
        )
        db.commit()
        users.clear()
        answers.clear()
        summaries.clear()

    for user in people_ids():
        users.append((user, created, created))
        count = target_answers if user == TARGET else answers_of(rng)
        if count:
            a, s = rows_for(user, count, ids, rng)
            answers += a
            summaries += s
        if len(users) >= BATCH:
            flush()
    flush()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


async def timed(label: str, runs: int, step: Callable[[], Awaitable[object]]) -> None:
    for _ in range(min(100, runs)):  # warm the cache, as a running bot's is
        await step()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await step()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"{label:<8} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   ({runs} runs)")


async def measure(path: Path, content: Content, picks: int) -> None:
    store = await Store.open(path)
    try:
        user = await store.get_user(TARGET)
        assert user is not None
        rng = random.Random(1)
        summaries = await store.question_summaries(TARGET)
        due = sum(1 for s in summaries.values() if s.due is not None and s.due <= TODAY)
        print(f"the person: {len(summaries)} summary rows, {due} due today")

        async def pick() -> object:
            chosen = await learning.pick(store, content, user, None, NOW, rng)
            assert chosen is not None
            return chosen

        async def ask() -> object:
            return await learning.ask(store, content, user, None, NOW, rng)

        async def before() -> object:
            # What `ask` read before boosters: every answer of the person, grouped.
            async with store._db.execute(
                "SELECT question_id, MAX(asked_at), MAX(answered_at), COUNT(answered_at)"
                " FROM answers WHERE user_id = ? GROUP BY question_id",
                (TARGET,),
            ) as cur:
                return await cur.fetchall()

        await timed("pick", picks, pick)
        await timed("ask", picks, ask)
        await timed("before", picks, before)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--answers", type=int, default=5000, help="answers of the one person")
    parser.add_argument("--picks", type=int, default=2000)
    parser.add_argument("--db", type=Path, help="where to build it (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    if args.picks < 2000:
        parser.error("--picks: at least 2000, for a p99 worth quoting")

    content, _ = load_content(REPO / "quizzes")
    ids = [q.id for q in content.questions("en")]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load}")
    print(f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"{len(ids)} English questions in the packs")
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        asyncio.run(_create(path))
        build(path, args.people, args.answers, ids, args.seed)
        built = time.perf_counter() - started
        size = path.stat().st_size
        print(f"built {args.people:,} people in {built:.1f} s; file {size / 2**20:,.0f} MiB")
        asyncio.run(measure(path, content, args.picks))
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average after: {load}")


async def _create(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


if __name__ == "__main__":
    main()

"""Start-up, audience counts, the daily-slot enqueue and retention at a million people.

Builds (once, then reuses) a database that looks like real use where these four care: PEOPLE
people over the bot's 13 languages and many countries and zones, a fifth subscribed to the
daily tip (one slot holding SLOT_PEOPLE of them), a third with a pledge, a tenth with a streak
reminder, INACTIVE people unseen for two years, yesterday's sent tips in the outbox, and GROUPS
groups with a daily post. Rows are written with plain sqlite3 after `Store.open` made the
schema, so a million people take a minute or two, not an hour. Then prints:

1. start-up: from `initialize` to the first poll of the real Application against the emulator
   (and, with --profile, where post_init spent its time);
2. audience sizes: the broadcast picker's counts, and one country's, each timed;
3. the enqueue of one daily-tip slot of SLOT_PEOPLE people: total time, and the longest the
   store's write lock was held at once (what a reply waits at worst), measured by a writer
   that takes the lock every 5 ms meanwhile;
4. retention: people deleted per second over INACTIVE people, and the longest a new person's
   write waited meanwhile.

    python benchmarks/startup.py [--people 1000000] [--groups 3000] [--db PATH] [--profile]

Figures depend on the machine: it is printed with them (cores, load average).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import os
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Secret, Settings
from clicksbot.content import load_content
from clicksbot.sandbox import Emulator, EmulatorServer
from clicksbot.store import Store
from clicksbot.store.delivery import audience_filter

REPO = Path(__file__).resolve().parent.parent
TOKEN = "4242:startup-benchmark-token"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LANGUAGES = ("en", "ms", "id", "fil", "th", "vi", "km", "my", "lo", "kk", "uz", "ar", "zh")
COUNTRIES = ("MY", "ID", "PH", "TH", "VN", "KH", "MM", "LA", "KZ", "UZ", "EG", "SG", "BN")
ZONES = (
    "Asia/Kuala_Lumpur", "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Manila",
    "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Phnom_Penh", "Asia/Yangon", "Asia/Vientiane",
    "Asia/Almaty", "Asia/Tashkent", "Africa/Cairo", "Asia/Singapore", "Asia/Brunei",
    "Europe/London", "Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Tokyo",
)  # fmt: skip
TIP_TIMES = tuple(f"{h:02d}:{m:02d}" for h in range(6, 23) for m in (0, 30))
SLOT = ("Asia/Kuala_Lumpur", "20:00")  # the slot the enqueue measure queues
SLOT_PEOPLE = 100_000
INACTIVE = 1_000
FIRST_ID = 10_000_000


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def build(path: Path, people: int, groups: int) -> None:
    """Write the population (see the module's docstring) into a new database at `path`."""
    asyncio.run(_schema(path))
    rng = random.Random(18)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA foreign_keys=OFF")
    recent, old = stamp(NOW - timedelta(days=3)), stamp(NOW - timedelta(days=730))
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    db.execute(
        "INSERT INTO jobs (id, key, kind, payload, created_at) VALUES (1, ?, 'tip', '{}', ?)",
        (f"tip:{yesterday}:{SLOT[0]}:{SLOT[1]}", recent),
    )
    chunk = 50_000
    for start in range(0, people, chunk):
        users, pledges, reminders, sent = [], [], [], []
        for i in range(start, min(people, start + chunk)):
            uid = FIRST_ID + i
            zone = rng.choice(ZONES) if rng.random() < 0.7 else None
            if i < SLOT_PEOPLE:
                zone, tip = SLOT
            elif zone is not None and rng.random() < 0.15:
                tip = rng.choice(TIP_TIMES)
            else:
                tip = None
            country = rng.choice(COUNTRIES) if rng.random() < 0.6 else None
            seen = old if people - i <= INACTIVE else recent
            users.append((uid, rng.choice(LANGUAGES), recent, seen, zone, country, tip,
                          None if rng.random() > 0.02 else recent, recent))  # fmt: skip
            if rng.random() < 0.33:
                pledges.append((uid, 1, "en", country or rng.choice(COUNTRIES), recent))
            if rng.random() < 0.1:
                reminders.append((uid, "19:00"))
            if tip is not None and rng.random() < 0.5:
                sent.append((1, uid, "sent", recent))
        db.executemany(
            "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at,"
            " time_zone, country, tip_time, unreachable_since, greeted_at)"
            " VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
            users,
        )
        db.executemany(
            "INSERT INTO pledges (user_id, version, language, country, pledged_at)"
            " VALUES (?, ?, ?, ?, ?)",
            pledges,
        )
        db.executemany("INSERT INTO reminders (user_id, usual) VALUES (?, ?)", reminders)
        db.executemany(
            "INSERT INTO deliveries (job_id, user_id, state, updated_at) VALUES (?, ?, ?, ?)",
            sent,
        )
        db.commit()
    db.executemany(
        "INSERT INTO group_settings (chat_id, language, daily_time, time_zone, updated_at)"
        " VALUES (?, 'en', ?, ?, ?)",
        [(-1000 - g, rng.choice(TIP_TIMES), rng.choice(ZONES), recent) for g in range(groups)],
    )
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


async def _schema(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}, Python {sys.version.split()[0]}"


def settings_for(path: Path) -> Settings:
    return Settings(
        token=Secret(TOKEN),
        database=path,
        packs_dir=REPO / "quizzes",
        admins=frozenset({42}),
        retention_days=365,
    )


async def startup(path: Path, profile: bool) -> float:
    """Return seconds from `initialize` to the first poll of the real bot on `path`."""
    content, _ = load_content(REPO / "quizzes")
    async with EmulatorServer(Emulator(token=TOKEN)) as server:
        app = build_application(
            settings_for(path), content, clock=lambda: NOW, base_url=server.api_url
        )
        runtime_of(app).settings = settings_for(path)
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        async with polling(app, poll_timeout=1):
            took = time.perf_counter() - started
            if profiler is not None:
                profiler.disable()
            assert app.job_queue is not None
            jobs = len(app.job_queue.jobs())
        print(f"  start-up to first poll: {took:.2f} s ({jobs} scheduled jobs)")
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
        return took


async def audiences(path: Path) -> None:
    """Time the picker's counts, and one country's."""
    store = await Store.open(path)
    keys: list[dict[str, str]] = [{"kind": k} for k in ("all", "subscribers", "pledged")]
    keys += [{"kind": "unpledged"}, {"kind": "language", "value": "en"}]
    keys += [{"kind": "country", "value": "MY"}]
    for audience in keys:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            size = await store.audience_size(audience)
            times.append(time.perf_counter() - t0)
        where, args = audience_filter(audience)
        t0 = time.perf_counter()
        async with store._db.execute(f"SELECT COUNT(*) FROM users WHERE {where}", args) as cur:
            row = await cur.fetchone()
        scan = time.perf_counter() - t0
        real = int(row[0]) if row else -1
        print(f"  audience {audience}: {size} in {min(times) * 1000:.1f} ms"
              f" (counting the rows: {real} in {scan * 1000:.0f} ms)")  # fmt: skip
    await store.close()


async def _watch_lock(store: Store, stop: asyncio.Event, waits: list[float]) -> None:
    """Take the write lock every 5 ms, as a reply's write would, and note each wait."""
    while not stop.is_set():
        t0 = time.perf_counter()
        async with store._write_lock:
            waits.append(time.perf_counter() - t0)
        await asyncio.sleep(0.005)


def _report_waits(waits: list[float]) -> str:
    if not waits:
        return "no writes measured"
    waits = sorted(waits)
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    median, top = statistics.median(waits) * 1000, waits[-1] * 1000
    return (f"a writer's wait: median {median:.1f} ms, p99 {p99 * 1000:.1f} ms,"
            f" max {top:.1f} ms over {len(waits)}")  # fmt: skip


async def enqueue(path: Path) -> None:
    """Queue today's SLOT for SLOT_PEOPLE people while a writer measures its waits."""
    store = await Store.open(path)
    stop, waits = asyncio.Event(), []  # type: list[float]
    watcher = asyncio.create_task(_watch_lock(store, stop, waits))
    await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    queued = await store.queue_tip_slot(SLOT[0], SLOT[1], NOW.date(), NOW)
    took = time.perf_counter() - t0
    stop.set()
    await watcher
    people = queued[1] if queued else 0
    print(f"  enqueue of slot {SLOT[1]} {SLOT[0]}: {people} people in {took:.2f} s;"
          f" {_report_waits(waits)}")  # fmt: skip
    await store.close()


async def retention(path: Path, budget: float) -> None:
    """Delete the INACTIVE people as the retention pass does (for at most `budget` seconds),
    while a writer measures its waits."""
    store = await Store.open(path)
    stop, waits = asyncio.Event(), []  # type: list[float]
    watcher = asyncio.create_task(_watch_lock(store, stop, waits))
    before = NOW - timedelta(days=365)
    t0 = time.perf_counter()
    gone = 0
    try:
        from clicksbot.services.retention import expire
    except ImportError:  # the code before batches: one person at a time
        for person in await store.inactive_people(before, frozenset({42})):
            gone += await store.forget(person)
            if time.perf_counter() - t0 > budget:
                break
    else:
        gone = await expire(store, before, frozenset({42}),
                            lambda: time.perf_counter() - t0 > budget)  # fmt: skip
    took = time.perf_counter() - t0
    stop.set()
    await watcher
    rate = gone / took if took else 0.0
    print(f"  retention: {gone} people in {took:.1f} s ({rate:.0f} a second);"
          f" {_report_waits(waits)}")  # fmt: skip
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=3_000)
    parser.add_argument("--db", type=Path, help="keep (and reuse) the built database here")
    parser.add_argument("--profile", action="store_true", help="profile the start-up")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds of retention at most")  # fmt: skip
    parser.add_argument(
        "--only", nargs="*", default=["startup", "audiences", "enqueue", "retention"]
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.environ["PTB_TIMEDELTA"] = "1"
    print(f"Machine: {machine()}")
    folder = Path(tempfile.mkdtemp(prefix="clicksbot-startup-"))
    base = args.db or folder / "base.sqlite3"
    try:
        if not base.exists():
            t0 = time.perf_counter()
            build(base, args.people, args.groups)
            size = base.stat().st_size / 2**20
            print(f"Built {args.people} people, {args.groups} groups in "
                  f"{time.perf_counter() - t0:.0f} s: {size:.0f} MiB")  # fmt: skip
        work = folder / "work.sqlite3"
        for name in args.only:
            shutil.copyfile(base, work)
            print(f"{name} ({args.people} people, {args.groups} groups):")
            asyncio.run(_schema(work))  # a migration the code brings is not start-up time
            if name == "startup":
                asyncio.run(startup(work, args.profile))
                asyncio.run(startup(work, False))  # a restart: the file now in the page cache
            elif name == "audiences":
                asyncio.run(audiences(work))
            elif name == "enqueue":
                asyncio.run(enqueue(work))
            elif name == "retention":
                asyncio.run(retention(work, args.budget))
            for suffix in ("-wal", "-shm"):
                Path(f"{work}{suffix}").unlink(missing_ok=True)
        print(f"Machine after: {machine()}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

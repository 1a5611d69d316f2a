"""Fan one message out to many subscribers through the outbox and the emulator; print the figures.

The emulator runs in a process of its own (benchmarks/fanout_emulator.py, as Telegram's servers
are elsewhere), and each fan-out runs in a fresh process of its own too, so that the peak memory
reported is that of a process running the outbox. Every fan-out starts from a new SQLite
database holding PEOPLE subscribers, queues one message for all of them with
`Store.queue_message`, and sends it with clicksbot's `Outbox`, `Pacer` and `AiohttpRequest`.
Prints:

1. messages/s with the rate limit off (`Pacer(rate=0)`), for each `--in-flight` value;
2. the fraction of the configured rate achieved with it on (`Pacer(rate=30)`, `--sample`
   people, about 20 s), measured by the emulator from the first message to the last;
3. duplicates and losses: messages the emulator accepted twice for one person, and people
   queued who got nothing, over every fan-out;
4. the peak RSS of the process running the outbox;
5. the time `Store.queue_message` takes for 10%, 25%, 50% and 100% of PEOPLE subscribers.

    python benchmarks/fanout.py [--people 100000] [--quick] [--in-flight 8 16 32] [--sample 600]

`--quick` is 10,000 people and the default in-flight only: a check that takes about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fanout_emulator import peak_rss_mb  # the same measure for both processes
from telegram.ext import ExtBot

from clicksbot.content import load_content
from clicksbot.delivery import Composer, Lane, Outbox, Pacer
from clicksbot.i18n import Catalogs
from clicksbot.store import Store
from clicksbot.transport import AiohttpRequest

TOKEN = "4242:fanout-benchmark-token"
FIRST_ID = 1_000_000  # the emulator's people are FIRST_ID, FIRST_ID + 1, ...
DEFAULT_IN_FLIGHT = 8  # the Outbox's default
RATE = 30.0
PAYLOAD = {
    "text": {"en": "A new CLICKS tip is out: check who is behind a claim before you share it."}
}
REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
ENQUEUE_FRACTIONS = (0.1, 0.25, 0.5, 1.0)
ENQUEUE_TRIALS = 5
POLL = 0.01  # seconds between looks at whether the fan-out is over


def utcnow() -> datetime:
    return datetime.now(UTC)


async def add_people(store: Store, count: int) -> None:
    """Insert `count` users at once (straight SQL on the store's connection: benchmark only)."""
    now = utcnow().isoformat(timespec="seconds")
    await store._db.executemany(
        "INSERT INTO users (id, language, language_chosen, created_at, last_seen_at)"
        " VALUES (?, 'en', 0, ?, ?)",
        ((user_id, now, now) for user_id in range(FIRST_ID, FIRST_ID + count)),
    )
    await store._db.commit()
    # As if they had joined over months: nothing of theirs is left in the write-ahead log.
    await store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# -- the fan-out, in a process of its own ---------------------------------------------------


async def fan_out(api_url: str, people: int, rate: float, in_flight: int) -> dict[str, Any]:
    """Queue one message for `people` subscribers and send it; return what happened."""
    logging.basicConfig(level=logging.WARNING)
    content, _ = load_content(REPO / "quizzes")  # as in the bot: the packs are in memory
    catalogs = Catalogs.load()
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "fanout.sqlite3")
        try:
            await add_people(store, people)
            queued = await store.queue_message("fanout", PAYLOAD, utcnow())
            assert queued is not None
            job_id, count = queued
            pacer = Pacer(rate)
            bot: ExtBot[Lane] = ExtBot(
                TOKEN,
                base_url=api_url,
                request=AiohttpRequest(64),
                get_updates_request=AiohttpRequest(1),
                rate_limiter=pacer,
            )
            async with bot:  # getMe
                composer = Composer(store, content, catalogs, bot.username)
                outbox = Outbox(store, bot, composer, pacer, utcnow, in_flight=in_flight)
                ready_rss = peak_rss_mb()
                began = time.perf_counter()
                give_up = began + 60 + people / (rate or 100)  # a stuck outbox ends the run
                outbox.start()
                while True:
                    # job_progress counts every row of the job (30 ms for 100,000 rows, in the
                    # thread the outbox writes through): ask only once nothing is on its way.
                    await asyncio.sleep(POLL)
                    late = time.perf_counter() > give_up
                    if outbox.idle or late:
                        progress = await store.job_progress(job_id)
                        if not progress.pending or late:
                            break
                elapsed = time.perf_counter() - began
                await outbox.stop()
            async with store._db.execute(  # benchmark only: rows that needed a second attempt
                "SELECT COUNT(*) FROM deliveries WHERE job_id = ? AND attempts > 1", (job_id,)
            ) as cursor:
                retried = (await cursor.fetchone() or (0,))[0]
        finally:
            await store.close()
    return {
        "queued": count,
        "elapsed_s": elapsed,
        "pending": progress.pending,
        "sent": progress.sent,
        "failed": progress.failed,
        "unreachable": progress.unreachable,
        "retried": retried,
        "ready_rss_mb": ready_rss,
        "peak_rss_mb": peak_rss_mb(),
    }


def worker_main(argv: list[str]) -> int:
    api_url, people, rate, in_flight = argv[0], int(argv[1]), float(argv[2]), int(argv[3])
    result = asyncio.run(fan_out(api_url, people, rate, in_flight))
    print(json.dumps(result), flush=True)
    return 0


# -- the harness ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One fan-out as the bot and the emulator saw it."""

    people: int
    rate: float
    in_flight: int
    elapsed_s: float
    pending: int  # left unsent when the run gave up (0 unless the outbox got stuck)
    sent: int
    failed: int
    unreachable: int
    retried: int  # rows with more than one attempt recorded (a retry, or a second send)
    ready_rss_mb: float
    peak_rss_mb: float
    duplicates: int
    twice: list[int]  # the places in the queue (0: first) of people who got it more than once
    losses: int
    errors: dict[str, int]
    refused: int
    emulator_span_s: float  # first message to last, as the emulator saw them
    busiest_second: int
    emulator_setup_s: float
    emulator_rss_mb: float

    @property
    def per_second(self) -> float:
        return self.people / self.elapsed_s

    @property
    def emulator_rate(self) -> float:
        """Messages a second between the first and the last to arrive."""
        return (self.sent - 1) / self.emulator_span_s if self.emulator_span_s else 0.0


def child_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(REPO) + (os.pathsep + path if path else "")}


def run_fan_out(people: int, rate: float, in_flight: int) -> Run:
    """Start an emulator with `people` people, fan out to them from a fresh process, compare."""
    emulator = subprocess.Popen(
        [sys.executable, str(HERE / "fanout_emulator.py"), TOKEN, str(people), str(FIRST_ID)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    assert emulator.stdin is not None and emulator.stdout is not None
    try:
        hello = json.loads(emulator.stdout.readline())
        command = [sys.executable, __file__, "--worker", hello["api_url"]]
        command += [str(people), str(rate), str(in_flight)]
        worker = subprocess.run(
            command, stdout=subprocess.PIPE, text=True, env=child_env(), check=True
        )
        bot = json.loads(worker.stdout.splitlines()[-1])
        emulator.stdin.write("report\n")
        emulator.stdin.flush()
        seen = json.loads(emulator.stdout.readline())
    finally:
        emulator.stdin.close()
        emulator.wait(30)
    received = {int(chat): n for chat, n in seen["received"].items()}
    everyone = range(FIRST_ID, FIRST_ID + people)  # whoever was not queued is lost too
    return Run(
        people=people,
        rate=rate,
        in_flight=in_flight,
        elapsed_s=bot["elapsed_s"],
        pending=bot["pending"],
        sent=bot["sent"],
        failed=bot["failed"],
        unreachable=bot["unreachable"],
        retried=bot["retried"],
        ready_rss_mb=bot["ready_rss_mb"],
        peak_rss_mb=bot["peak_rss_mb"],
        duplicates=sum(n - 1 for n in received.values() if n > 1),
        twice=sorted(user_id - FIRST_ID for user_id, n in received.items() if n > 1),
        losses=sum(1 for user_id in everyone if user_id not in received),
        errors=seen["errors"],
        refused=seen["refused"],
        emulator_span_s=(seen["last"] - seen["first"]) if seen["first"] is not None else 0.0,
        busiest_second=seen["busiest_second"],
        emulator_setup_s=hello["setup_s"],
        emulator_rss_mb=seen["peak_rss_mb"],
    )


async def enqueue_seconds(people: int) -> float:
    """Return the best of a few timings of `queue_message` for `people` subscribers."""
    timings = []
    for _ in range(ENQUEUE_TRIALS):
        with tempfile.TemporaryDirectory() as tmp:
            store = await Store.open(Path(tmp) / "enqueue.sqlite3")
            try:
                await add_people(store, people)
                began = time.perf_counter()
                queued = await store.queue_message("enqueue", PAYLOAD, utcnow())
                timings.append(time.perf_counter() - began)
                assert queued is not None and queued[1] == people
            finally:
                await store.close()
    return min(timings)


def describe(run: Run) -> str:
    return (
        f"  {run.people} people, rate {run.rate:g}/s, in flight {run.in_flight}:"
        f" {run.elapsed_s:.1f} s, {run.per_second:.0f} msg/s"
        f" (emulator saw {run.emulator_rate:.0f}/s, at most {run.busiest_second} in a second);"
        f" sent {run.sent}, failed {run.failed}, unreachable {run.unreachable},"
        + (f" LEFT PENDING {run.pending}," if run.pending else "")
        + f" retried {run.retried}, duplicates {run.duplicates}"
        + (f" (places {run.twice[:10]})" if run.twice else "")
        + f", losses {run.losses}, errors {dict(run.errors) or 0},"
        f" refused {run.refused}; RSS {run.ready_rss_mb:.0f} MB ready,"
        f" {run.peak_rss_mb:.0f} MB peak; emulator: setup {run.emulator_setup_s:.1f} s,"
        f" peak RSS {run.emulator_rss_mb:.0f} MB"
    )


def main() -> int:
    if sys.argv[1:2] == ["--worker"]:
        return worker_main(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000, help="subscribers to fan out to")
    parser.add_argument("--quick", action="store_true", help="10,000 people, default in-flight")
    parser.add_argument(
        "--in-flight",
        type=int,
        nargs="+",
        default=None,
        help="sends on their way at once, one fan-out each (default: 8 16 32; --quick: 8)",
    )
    parser.add_argument("--sample", type=int, default=600, help=f"people for the run at {RATE:g}/s")
    args = parser.parse_args()
    people = 10_000 if args.quick else args.people
    in_flights = args.in_flight or ([DEFAULT_IN_FLIGHT] if args.quick else [8, 16, 32])
    began = time.perf_counter()

    sizes = [max(1, round(people * f)) for f in ENQUEUE_FRACTIONS]
    enqueue = {n: asyncio.run(enqueue_seconds(n)) for n in sizes}

    runs: list[Run] = []
    print(f"Fan-out of one message to {people} people (emulator in its own process)")
    for in_flight in in_flights:
        runs.append(run_fan_out(people, 0, in_flight))
        print(describe(runs[-1]), flush=True)
    paced = run_fan_out(min(args.sample, people), RATE, DEFAULT_IN_FLIGHT)
    print(describe(paced))
    runs.append(paced)

    fast = [r for r in runs if r.rate == 0]
    best = max(fast, key=lambda r: r.per_second)
    default = next((r for r in fast if r.in_flight == DEFAULT_IN_FLIGHT), None)
    line = f"1. rate off: {best.per_second:.0f} msg/s at in_flight {best.in_flight} (best)"
    if default is not None and default is not best:
        line += f", {default.per_second:.0f} msg/s at the default {DEFAULT_IN_FLIGHT}"
    print(line + " (target >= 1000)")
    fraction = paced.emulator_rate / RATE
    print(
        f"2. rate on ({RATE:g}/s, {paced.people} messages): {paced.emulator_rate:.2f}/s ="
        f" {fraction:.3f} of the rate, at most {paced.busiest_second} in any second"
        " (target >= 0.95)"
    )
    duplicates = sum(r.duplicates for r in runs)
    losses = sum(r.losses for r in runs)
    total = sum(r.people for r in runs)
    print(
        f"3. duplicates {duplicates}, losses {losses} over {len(runs)} fan-outs, {total} people"
        " (target 0 and 0)"
    )
    peak = max(runs, key=lambda r: (r.peak_rss_mb, r.people))
    print(
        f"4. peak RSS of the outbox's process: {peak.peak_rss_mb:.0f} MB ({peak.people} people,"
        f" in_flight {peak.in_flight}; {peak.ready_rss_mb:.0f} MB before sending)"
        " (target < 200)"
    )
    costs = {n: 1e6 * s / n for n, s in enqueue.items()}
    steps = ", ".join(f"{n}: {enqueue[n]:.3f} s = {costs[n]:.2f} µs each" for n in sizes)
    growth = costs[sizes[-1]] / costs[sizes[0]]
    print(
        f"5. enqueue (queue_message, best of {ENQUEUE_TRIALS}): {steps};"
        f" µs per subscriber {sizes[-1]} vs {sizes[0]}: x{growth:.2f} (target linear: ~1)"
    )
    spread = statistics.pstdev(costs.values()) / statistics.mean(costs.values())
    print(f"   µs per subscriber varies by {100 * spread:.0f}% across sizes")
    print(f"Whole benchmark: {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

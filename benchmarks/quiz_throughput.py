"""Drive simulated people through quizzes via the emulator; compare with a bare PTB echo bot.

Each bot runs in a process of its own (as against Telegram, whose servers are elsewhere);
`--in-process` runs it in the harness's own event loop instead. Prints, for clicksbot and for an
echo bot on the same emulator: updates handled per second with
every person acting as soon as they see the reply (closed loop), and p50/p99 reply latency at a
steady offered load (open loop, default 100 updates/s). The ratio of the two is what counts.

    python benchmarks/quiz_throughput.py [--people 50] [--seconds 10] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from clicksbot.app import build_application, polling, runtime_of
from clicksbot.config import Secret, Settings
from clicksbot.content import load_content
from clicksbot.sandbox import BotMessage, Emulator, EmulatorServer, Limits, Person

TOKEN = "4242:benchmark-token"
REPO = Path(__file__).resolve().parent.parent
Step = Callable[[], Awaitable[None]]


@asynccontextmanager
async def process_running(command: list[str], env: dict[str, str]) -> AsyncIterator[None]:
    """Run a bot as a child process until the block ends (SIGTERM, as a service manager would)."""
    process = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


@asynccontextmanager
async def clicksbot_process(server: EmulatorServer, db: Path) -> AsyncIterator[None]:
    config = db.with_suffix(".yaml")
    # Simulated people tap at machine speed: flood control (a policy, not a cost) is opened.
    config.write_text(
        f"database: {db}\npacks_dir: {REPO / 'quizzes'}\nlog_level: WARNING\n"
        "flood_burst: 1000\nflood_rate: 100\n"
    )
    env = {"CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url,
           "PYTHONPATH": str(REPO)}  # fmt: skip
    # The emulator enforces no Telegram limits here, so the bot's own pacing is lifted too.
    script = str(Path(__file__).with_name("unpaced_bot.py"))
    command = [sys.executable, script, "run", "--config", str(config)]
    async with process_running(command, env):
        yield


@asynccontextmanager
async def echo_process(
    server: EmulatorServer, db: Path, transport: str = "httpx"
) -> AsyncIterator[None]:
    script = str(Path(__file__).with_name("echo_bot.py"))
    command = [sys.executable, script, server.api_url, TOKEN, transport]
    async with process_running(command, {"PYTHONPATH": str(REPO)}):
        yield


@asynccontextmanager
async def echo_aiohttp_process(server: EmulatorServer, db: Path) -> AsyncIterator[None]:
    async with echo_process(server, db, "aiohttp"):
        yield


@asynccontextmanager
async def clicksbot_running(server: EmulatorServer, db: Path) -> AsyncIterator[None]:
    content, _ = load_content(REPO / "quizzes")
    settings = Settings(
        token=Secret(TOKEN),
        database=db,
        packs_dir=REPO / "quizzes",
        flood_burst=1000,
        flood_rate=100,
        checkup_offer=False,  # the question itself is measured, not the checkup offered first
    )
    app = build_application(settings, content, base_url=server.api_url)
    pacer = runtime_of(app).pacer
    assert pacer is not None
    pacer.chat_burst, pacer.rate = 10**9, 0  # no Telegram limits in this emulator: none here
    pacer.overall_burst(10**9)
    async with polling(app, poll_timeout=1):
        yield


@asynccontextmanager
async def echo_running(server: EmulatorServer, db: Path) -> AsyncIterator[None]:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(update.effective_message.text or "")

    app = ApplicationBuilder().token(TOKEN).base_url(server.api_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(lambda u, c: u.callback_query.answer()))  # type: ignore[union-attr,arg-type,return-value]
    async with polling(app, poll_timeout=1):  # type: ignore[arg-type]
        yield


async def next_message(person: Person, want: Callable[[BotMessage], bool]) -> BotMessage:
    while True:
        message = await person.receive(timeout=30)
        if want(message):
            return message


def is_question(m: BotMessage) -> bool:
    return bool(m.button_texts) and m.button_texts[0].startswith("A. ")


class QuizPerson:
    """A person who keeps answering questions: each step is one update and its reply."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.message: BotMessage | None = None

    async def step(self) -> None:
        p = self.person
        if self.message is None:
            p.send("/quiz")
            topics = await p.receive(timeout=30)
            self.message = topics
            await p.press(topics, "Any topic", timeout=30)
            self.message = await next_message(p, is_question)
        elif is_question(self.message):
            picture = bool(self.message.raw.get("photo"))
            await p.press(self.message, 0, timeout=30)
            if picture:  # the picture stays (its options go); the result follows it
                await p.receive_edit(timeout=30)
                self.message = await p.receive(timeout=30)
            else:
                self.message = await p.receive_edit(timeout=30)  # the result replaces it
        else:
            await p.press(self.message, "Next question", timeout=30)
            self.message = await next_message(p, is_question)


class EchoPerson:
    def __init__(self, person: Person) -> None:
        self.person = person
        self.n = 0

    async def step(self) -> None:
        self.n += 1
        self.person.send(f"hello {self.n}")
        await self.person.receive(timeout=30)


async def closed_loop(steppers: list[Step], seconds: float) -> float:
    """Return updates handled per second with everyone acting as soon as they are answered."""
    count = 0
    deadline = time.perf_counter() + seconds

    async def run(step: Step) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            await step()
            count += 1

    start = time.perf_counter()
    await asyncio.gather(*(run(s) for s in steppers))
    return count / (time.perf_counter() - start)


async def open_loop(steppers: list[Step], rate: float, seconds: float) -> list[float]:
    """Offer `rate` updates a second, spread over the people; return each reply's latency."""
    latencies: list[float] = []
    busy: set[int] = set()
    tasks = []
    interval = 1 / rate
    start = time.perf_counter()
    i = 0
    while time.perf_counter() - start < seconds:
        index = i % len(steppers)
        i += 1
        if index in busy:  # this person is still waiting for their last reply
            await asyncio.sleep(interval)
            continue

        async def one(index: int = index) -> None:
            busy.add(index)
            began = time.perf_counter()
            await steppers[index]()
            latencies.append(time.perf_counter() - began)
            busy.discard(index)

        tasks.append(asyncio.create_task(one()))
        target = start + i * interval
        await asyncio.sleep(max(0.0, target - time.perf_counter()))
    await asyncio.gather(*tasks)
    return latencies


async def measure(
    kind: str, people: int, seconds: float, rate: float, in_process: bool
) -> dict[str, float]:
    emulator = Emulator(token=TOKEN, limits=Limits(enforce=False))
    with tempfile.TemporaryDirectory() as tmp:
        async with EmulatorServer(emulator) as server:
            if in_process:
                running = clicksbot_running if kind == "clicksbot" else echo_running
            else:
                running = {
                    "clicksbot": clicksbot_process,
                    "echo": echo_process,
                    "echo-aio": echo_aiohttp_process,
                }[kind]
            async with running(server, Path(tmp) / "bench.sqlite3"):
                made = [emulator.person(f"P{i}") for i in range(people)]
                actors = [QuizPerson(p) if kind == "clicksbot" else EchoPerson(p) for p in made]
                for actor in actors:  # warm up: everyone has started
                    await actor.step()
                throughput = await closed_loop([a.step for a in actors], seconds)
                latencies = await open_loop([a.step for a in actors], rate, seconds)
        refused = len(emulator.refused)
    latencies.sort()
    return {
        "updates_per_s": throughput,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "samples": len(latencies),
        "refused": refused,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="offered updates/s (open loop)")
    parser.add_argument(
        "--in-process", action="store_true", help="run each bot in the harness's event loop"
    )
    args = parser.parse_args()
    # "echo-aio" is the echo bot on clicksbot's transport (aiohttp): the ratio against it shows
    # what the bot's own work costs; the target is against bare PTB ("echo").
    kinds = ("echo", "clicksbot") if args.in_process else ("echo", "echo-aio", "clicksbot")
    results = {
        kind: asyncio.run(measure(kind, args.people, args.seconds, args.rate, args.in_process))
        for kind in kinds
    }
    where = "in the harness's process" if args.in_process else "each in its own process"
    print(
        f"{args.people} people, {args.seconds:g} s per phase, open loop at {args.rate:g}/s, "
        f"bots {where}"
    )
    print(
        f"{'bot':<10} {'updates/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'samples':>8} {'refused':>8}"
    )
    for kind, r in results.items():
        print(
            f"{kind:<10} {r['updates_per_s']:>10.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f}"
            f" {r['samples']:>8.0f} {r['refused']:>8.0f}"
        )
    ratio = results["clicksbot"]["updates_per_s"] / results["echo"]["updates_per_s"]
    print(f"throughput ratio clicksbot/echo: {ratio:.2f} (target >= 0.5)")
    if "echo-aio" in results:
        same = results["clicksbot"]["updates_per_s"] / results["echo-aio"]["updates_per_s"]
        print(f"throughput ratio clicksbot/echo on the same transport: {same:.2f}")
    print(
        f"clicksbot p99 at {args.rate:g}/s: {results['clicksbot']['p99_ms']:.1f} ms (target < 100)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A class arriving at once, under Telegram's real limits.

The bot runs in a process of its own with its default settings (flood control and send rate
included), against the emulator enforcing Telegram's limits: a short burst then about one
message a second per private chat, 20 a minute per group, about 30 a second overall. Prints:

1. for 60 and 300 people sending /start within one second: how many were greeted, the time
   until the last greeting, and that time against what 30 messages a second allows (target:
   all greeted, within 1.2x);
2. the delay of a private /tip while 30 members of one group send /quiz and /top (target < 2 s).

`--trip` puts the bot far from Telegram: every call (the long poll aside) takes that many
seconds, as 0.1-0.3 s do from a server on another continent. What 30 messages a second allow
is then one trip longer (the last message's own).

    python benchmarks/class_burst.py [--classes 60,300] [--group 30] [--trip 0.25]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

os.environ.setdefault("PTB_TIMEDELTA", "1")

from clicksbot.sandbox import Emulator, EmulatorServer, Limits, Person

TOKEN = "4343:class-burst-token"
REPO = Path(__file__).resolve().parent.parent
TELEGRAM_RATE = 30.0  # messages a second Telegram takes from one bot


@asynccontextmanager
async def bot_process(server: EmulatorServer, folder: Path) -> AsyncIterator[None]:
    """Run `clicksbot run` at its default settings against the emulator."""
    config = folder / "config.yaml"
    config.write_text(f"database: {folder / 'bot.sqlite3'}\nlog_level: WARNING\n")
    env = {**os.environ, "CLICKSBOT_TOKEN": TOKEN, "CLICKSBOT_API_URL": server.api_url}
    command = [sys.executable, "-m", "clicksbot", "run", "--config", str(config)]
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        await ready(server.emulator)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


async def ready(emulator: Emulator) -> None:
    """Wait until the bot answers a first person (it is polling)."""
    probe = emulator.person("Probe")
    probe.send("/start")
    await probe.receive(timeout=60)


async def arrive(emulator: Emulator, count: int, trip: float) -> tuple[int, float]:
    """`count` new people send /start within one second; return (greeted, seconds to last)."""
    if trip:
        emulator.fail(None, 0, delay=trip, times=10**9)  # every call slowed down, none failed
    people = [emulator.person(f"Pupil {i}") for i in range(count)]
    began = time.monotonic()
    for i, person in enumerate(people):
        person.send("/start")
        await asyncio.sleep(max(0.0, began + (i + 1) / count - time.monotonic()))

    async def greeted(person: Person) -> float | None:
        try:
            await person.receive(timeout=120)
        except AssertionError:
            return None
        return time.monotonic() - began

    times = await asyncio.gather(*(greeted(p) for p in people))
    done = [t for t in times if t is not None]
    return len(done), max(done, default=float("nan"))


async def group_rush(emulator: Emulator, members: int, trip: float) -> float:
    """Members of one group send /quiz and /top at once; return a private /tip's delay."""
    people = [emulator.person(f"Member {i}") for i in range(members)]
    chat = emulator.group("Class 10A", *people)
    outsider = emulator.person("Outsider")
    outsider.send("/start")
    await outsider.receive(timeout=30)
    if trip:
        emulator.fail(None, 0, delay=trip, times=10**9)
    for person in people:
        person.send("/quiz", chat)
        person.send("/top", chat)
    await asyncio.sleep(0.2)
    began = time.monotonic()
    outsider.send("/tip")
    await outsider.receive(timeout=120)
    return time.monotonic() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", default="60,300", help="class sizes, comma-separated")
    parser.add_argument("--group", type=int, default=30, help="members in the group rush")
    parser.add_argument(
        "--trip", type=float, default=0.0, metavar="SECONDS",
        help="how long every call to the Bot API takes (the long poll aside)",
    )  # fmt: skip
    args = parser.parse_args()
    sizes = [int(x) for x in args.classes.split(",")]
    far = f", every call taking {args.trip:g} s" if args.trip else ""
    print(f"A class arriving at once (bot in its own process, Telegram's limits enforced{far})")
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            async with EmulatorServer(Emulator(token=TOKEN, limits=Limits())) as server:
                async with bot_process(server, Path(folder)):
                    greeted, last = await arrive(server.emulator, size, args.trip)
                throttled = sum(
                    1 for c in server.emulator.calls if c.error and c.error.error_code == 429
                )
        allowed = max(size / TELEGRAM_RATE, 1.0) + args.trip
        print(
            f"  {size} people: {greeted}/{size} greeted, last greeting after {last:.2f} s "
            f"(30 msg/s allows {allowed:.2f} s: {last / allowed:.2f}x; target all, <= 1.2x); "
            f"429s met: {throttled}"
        )
    with tempfile.TemporaryDirectory() as folder:
        async with (
            EmulatorServer(Emulator(token=TOKEN, limits=Limits())) as server,
            bot_process(server, Path(folder)),
        ):
            delay = await group_rush(server.emulator, args.group, args.trip)
    print(f"  a private /tip during a {args.group}-member group rush: answered after "
          f"{delay:.2f} s (target < 2 s)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())

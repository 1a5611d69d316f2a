"""The emulator side of benchmarks/fanout.py: a Bot API emulator with many people, in a process.

    fanout_emulator.py TOKEN PEOPLE FIRST_ID

Creates PEOPLE private chats (user ids FIRST_ID, FIRST_ID + 1, ...) whose people have all
started the bot, so it may write to them; serves them on a loopback port with the flood limits
off; prints one JSON line `{"api_url": ..., "setup_s": ...}`. Then, for each line `report` on
stdin, prints one JSON line with what it received: how many sendMessage calls it accepted per
chat, the calls it answered with an error, when the first and the last message arrived (and the
most that arrived within any one second), and its own peak memory. It stops at the end of stdin.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections import Counter, deque
from typing import Any

from clicksbot.sandbox import Emulator, EmulatorServer, Limits
from clicksbot.sandbox.emulator import ChatState


def peak_rss_mb() -> float:
    """Return this process's peak resident memory, in MB.

    Linux keeps `ru_maxrss` across execve(2): a child started by a big parent reports the
    parent's peak. VmHWM belongs to the process's own memory map, so it starts afresh.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


class Arrivals:
    """When each message reached the emulator (an emulator listener)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def __call__(self, kind: str, chat: ChatState, message: dict[str, Any]) -> None:
        if kind == "message":
            self.times.append(time.monotonic())

    def busiest_second(self) -> int:
        """Return the most messages that arrived within any one second."""
        window: deque[float] = deque()
        most = 0
        for at in self.times:
            window.append(at)
            while at - window[0] >= 1.0:
                window.popleft()
            most = max(most, len(window))
        return most


def report(emulator: Emulator, arrivals: Arrivals) -> dict[str, Any]:
    """Return what the emulator received, per chat, and when."""
    received: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    for call in emulator.calls:
        if call.method.lower() != "sendmessage":
            continue
        if call.ok:
            received[int(call.params["chat_id"])] += 1
        else:
            errors[call.error.description if call.error else "?"] += 1
    times = arrivals.times
    return {
        "received": received,
        "errors": errors,
        "refused": len(emulator.refused),
        "first": times[0] if times else None,
        "last": times[-1] if times else None,
        "busiest_second": arrivals.busiest_second(),
        "peak_rss_mb": peak_rss_mb(),
    }


async def serve(token: str, people: int, first_id: int) -> None:
    began = time.perf_counter()
    emulator = Emulator(token=token, limits=Limits(enforce=False))
    # `person()` is the only public way to make a chat; it costs about 20 µs and 7 kB a person
    # (two asyncio queues each), so 100,000 people take 2 s and 0.75 GB here.
    for user_id in range(first_id, first_id + people):
        emulator.person(f"P{user_id}", user_id=user_id)
    emulator.started.update(range(first_id, first_id + people))  # they have all written first
    arrivals = Arrivals()
    emulator.listeners.append(arrivals)
    async with EmulatorServer(emulator) as server:
        setup = time.perf_counter() - began
        print(json.dumps({"api_url": server.api_url, "setup_s": setup}), flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            if line.strip() == "report":
                print(json.dumps(report(emulator, arrivals)), flush=True)


def main() -> None:
    token, people, first_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    asyncio.run(serve(token, people, first_id))


if __name__ == "__main__":
    main()

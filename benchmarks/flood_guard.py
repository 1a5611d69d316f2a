"""What flood control costs per update when many people write: the guard's `allow`, timed.

    python benchmarks/flood_guard.py [--people 100000] [--updates 20000]

`--people` wrote in the last ten minutes (spread evenly over them, on a simulated clock); then
`--updates` more come at 200 a second from people of that crowd, each timed. Printed for the
default limits (a burst of 12, one a second), the benchmark's open limits (1000, 100 a second)
and the strictest allowed (1, one in 100 seconds), with how many buckets the guard keeps.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

from clicksbot.handlers.flood import FloodGuard

WINDOW = 600.0  # seconds over which the crowd wrote
RATE = 200.0  # updates a second while timed


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def measure(burst: int, rate: float, people: int, updates: int) -> tuple[list[float], int]:
    """Return each timed update's cost in seconds, and the buckets kept at the end."""
    clock = SimulatedClock()
    guard = FloodGuard(burst, rate, monotonic=clock)
    for person in range(people):
        clock.now += WINDOW / people
        guard.allow(person)
    rng = random.Random(18)
    costs = []
    for _ in range(updates):
        clock.now += 1 / RATE
        person = rng.randrange(people)
        began = time.perf_counter()
        guard.allow(person)
        costs.append(time.perf_counter() - began)
    return costs, len(guard)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--updates", type=int, default=20_000)
    args = parser.parse_args()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average {load}")
    print(f"{args.people} people wrote in the last {WINDOW:g} s; {args.updates} updates timed")
    print(f"{'limits':<16} {'mean µs':>8} {'p50 µs':>8} {'p99 µs':>8} {'max µs':>8} {'kept':>8}")
    for burst, rate in ((12, 1.0), (1000, 100.0), (1, 0.01)):
        costs, kept = measure(burst, rate, args.people, args.updates)
        costs.sort()
        print(
            f"{f'{burst}, {rate:g}/s':<16} {1e6 * statistics.mean(costs):>8.1f}"
            f" {1e6 * costs[len(costs) // 2]:>8.1f} {1e6 * costs[int(0.99 * len(costs))]:>8.1f}"
            f" {1e6 * costs[-1]:>8.1f} {kept:>8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

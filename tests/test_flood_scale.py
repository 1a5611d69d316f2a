"""Flood control among a crowd: each person's limit holds exactly, whoever else writes."""

from __future__ import annotations

import random

from conftest import Running, started
from test_privacy import drain_inbox

from clicksbot.app import runtime_of
from clicksbot.config import Settings
from clicksbot.handlers.flood import FloodGuard

CROWD = 100_000  # people who wrote in the last ten minutes
SLOW_DOWN = "slow down"
HELP = "What I can do"


class Monotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ExactBuckets:
    """The token bucket as promised, with nobody ever forgotten: what FloodGuard must match."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.buckets: dict[int, tuple[float, float]] = {}
        self.warned: set[int] = set()

    def allow(self, person: int, now: float) -> bool:
        tokens, when = self.buckets.get(person, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - when) * self.rate)
        if tokens >= 1:
            self.buckets[person] = (tokens - 1, now)
            if tokens >= self.burst / 2:
                self.warned.discard(person)
            return True
        self.buckets[person] = (tokens, now)
        return False

    def first_warning(self, person: int) -> bool:
        if person in self.warned:
            return False
        self.warned.add(person)
        return True


def test_the_guard_answers_as_exact_buckets_would_while_forgetting() -> None:
    """Forgetting the buckets of people who stopped changes no answer: at the default limits,
    the loosest and the strictest allowed, every update is let through or dropped (and warned
    about) exactly as by buckets kept for ever, through floods, pauses and long absences."""
    for burst, rate in ((12, 1.0), (1000, 100.0), (1, 0.01), (3, 0.7)):
        clock = Monotonic()
        guard = FloodGuard(burst, rate, monotonic=clock)
        exact = ExactBuckets(burst, rate)
        rng = random.Random(f"{burst}/{rate}")
        for _ in range(40_000):
            clock.now += rng.choice((0.0, 0.0, 0.01, 0.3, 1.0, 5.0, guard.forget_after / 50))
            if rng.random() < 0.001:  # a quiet spell longer than any bucket takes to fill
                clock.now += guard.forget_after * rng.choice((0.5, 1.0, 3.0))
            person = rng.randrange(300)
            allowed = guard.allow(person)
            assert allowed == exact.allow(person, clock.now), (burst, rate, person)
            if not allowed:
                assert guard.first_warning(person) == exact.first_warning(person)
        assert len(guard) <= len(exact.buckets)


async def test_a_persons_limit_holds_exactly_among_a_hundred_thousand_others(
    bot: Running,
) -> None:
    """At the default limits (a burst of 12, one more a second), with 100,000 other people
    having written in the last ten minutes: a flooder gets exactly 12 answers and one "slow
    down"; 3 seconds later exactly 3 more; once their bucket has filled again, 12 again. The
    guard keeps only the people who wrote within the time a bucket takes to fill."""
    defaults = Settings()
    clock = Monotonic()
    guard = FloodGuard(defaults.flood_burst, defaults.flood_rate, monotonic=clock)
    runtime_of(bot.app).flood = guard
    flooder = await started(bot, "Flood")  # before the crowd: the guard was not yet set
    for n in range(CROWD):  # the crowd, spread over ten minutes
        clock.now += 600 / CROWD
        guard.allow(10**9 + n)
    assert len(guard) <= guard.forget_after * CROWD / 600 + 1

    for _ in range(20):
        flooder.send("/help")
    texts = [m.text for m in await drain_inbox(flooder)]
    assert sum(HELP in t for t in texts) == defaults.flood_burst == 12
    assert sum(SLOW_DOWN in t for t in texts) == 1

    clock.now += 3.0
    for _ in range(5):
        flooder.send("/help")
    texts = [m.text for m in await drain_inbox(flooder)]
    assert sum(HELP in t for t in texts) == 3
    assert sum(SLOW_DOWN in t for t in texts) == 0  # the same spell: told once already

    clock.now += guard.forget_after
    for _ in range(13):
        flooder.send("/help")
    texts = [m.text for m in await drain_inbox(flooder)]
    assert sum(HELP in t for t in texts) == 12
    assert sum(SLOW_DOWN in t for t in texts) == 1  # a new spell: told again
    assert len(guard) == 1  # the crowd's buckets, all full again, are gone

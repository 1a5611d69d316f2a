"""The leader lease in the store (take, renew, expire, give up, fence), outbox claims under it,
and `Leadership` stepping down before its lease can pass to anyone else.

Two `Store` objects on one database stand for two instances (two connections, as two
processes have). The store's expiry is checked with short leases here, so the tests do not
wait ten seconds each; tests/test_leader_takeover.py runs two real instances at the real
settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clicksbot.leader import Leadership
from clicksbot.store import Store
from clicksbot.store.leases import LEADER

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
async def two(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    """Two instances' connections to one database."""
    first = await Store.open(tmp_path / "bot.sqlite3")
    second = await Store.open(tmp_path / "bot.sqlite3")
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_take_renew_expire_and_take_over(two: tuple[Store, Store]) -> None:
    """A free lease is taken (term 1); its holder renews it, another cannot take it; once it
    expires the other takes it (term 2), and the old holder's renewal is refused."""
    a, b = two
    assert await a.lease(LEADER) is None
    taken = await a.hold_lease(LEADER, "a", 10)
    assert taken is not None and (taken.holder, taken.term) == ("a", 1)
    assert 9 < taken.expires_in <= 10
    assert await b.hold_lease(LEADER, "b", 10) is None  # held: refused
    renewed = await a.hold_lease(LEADER, "a", 10)
    assert renewed is not None and renewed.term == 1  # a renewal is the same term
    seen = await b.lease(LEADER)
    assert seen is not None and seen.holder == "a"

    assert await a.hold_lease(LEADER, "a", 0.3) is not None  # a short lease, left to expire
    assert await b.hold_lease(LEADER, "b", 10) is None
    await asyncio.sleep(0.4)
    over = await b.hold_lease(LEADER, "b", 10)
    assert over is not None and (over.holder, over.term) == ("b", 2)
    assert await a.hold_lease(LEADER, "a", 10) is None  # fenced: a renews no more


async def test_a_lease_given_up_is_taken_at_once(two: tuple[Store, Store]) -> None:
    a, b = two
    assert await a.hold_lease(LEADER, "a", 10) is not None
    assert not await b.give_up_lease(LEADER, "a-impostor")
    assert await a.give_up_lease(LEADER, "a")
    taken = await b.hold_lease(LEADER, "b", 10)
    assert taken is not None and taken.term == 2
    assert not await a.give_up_lease(LEADER, "a")  # no longer theirs


async def test_only_the_leader_claims_and_claims_hold_until_they_expire(
    two: tuple[Store, Store],
) -> None:
    """The outbox claims rows only while it leads; a new leader leaves the rows the old one
    claimed until those claims expire, then takes them; none is claimed twice at once."""
    a, b = two
    for person in range(1, 7):
        await a.touch_user(person, "en", NOW)
    queued = await a.queue_message("m:1", {"key": "x"}, NOW)
    assert queued is not None and queued[1] == 6
    assert await a.claim_deliveries("a", None, 100, 10) is None  # nobody leads yet

    assert await a.hold_lease(LEADER, "a", 0.5) is not None
    mine = await a.claim_deliveries("a", None, 4, 0.5)
    assert mine is not None and [d.user_id for d in mine] == [1, 2, 3, 4]
    again = await a.claim_deliveries("a", None, 100, 0.5)  # its own claims are its own
    assert again is not None and [d.user_id for d in again] == [1, 2, 3, 4, 5, 6]
    assert await b.claim_deliveries("b", None, 100, 10) is None  # b does not lead

    await asyncio.sleep(0.3)
    assert await a.claim_deliveries("a", None, 2, 10) is not None  # 1 and 2: claimed on
    await asyncio.sleep(0.3)  # a's lease has expired; so have its claims of 3 to 6
    assert await b.hold_lease(LEADER, "b", 10) is not None
    assert await a.claim_deliveries("a", None, 100, 10) is None  # fenced in the statement
    taken = await b.claim_deliveries("b", None, 100, 10)
    assert taken is not None and [d.user_id for d in taken] == [3, 4, 5, 6]
    await a.deliveries_sent([(d, 100 + d.user_id, None) for d in taken[:1]], NOW)
    later = await b.claim_deliveries("b", None, 100, 10)
    assert later is not None and [d.user_id for d in later] == [4, 5, 6]  # sent: gone


async def test_claims_go_in_order_after_a_cursor(two: tuple[Store, Store]) -> None:
    a, _ = two
    for person in range(1, 6):
        await a.touch_user(person, "en", NOW)
    queued = await a.queue_message("m:1", {"key": "x"}, NOW)
    assert queued is not None
    assert await a.hold_lease(LEADER, "a", 10) is not None
    first = await a.claim_deliveries("a", None, 2, 10)
    assert first is not None and [d.user_id for d in first] == [1, 2]
    rest = await a.claim_deliveries("a", first[-1].position, 10, 10)
    assert rest is not None and [d.user_id for d in rest] == [3, 4, 5]


class Failing:
    """A store whose database stops answering the lease (the rest is the real store)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    async def hold_lease(self, name: str, holder: str, seconds: float) -> object:
        if self.down:
            await asyncio.sleep(3600)  # a connection that hangs
        return await self.store.hold_lease(name, holder, seconds)


async def test_a_leader_that_cannot_renew_steps_down_before_its_lease_ends(
    two: tuple[Store, Store],
) -> None:
    """The database stops answering the leader: it stops its work `lease - renew` seconds
    after its last renewal asked, while the database still shows its lease unexpired, so
    nobody else can have taken over yet; the standby takes over once it has expired."""
    a, b = two
    events: list[tuple[str, float]] = []

    async def lead(term: int) -> None:
        events.append(("lead", time.monotonic()))

    async def step_down(hurry: bool) -> None:
        lease = await b.lease(LEADER)
        assert lease is not None and lease.holder == "a" and lease.expires_in > 0
        events.append(("down", time.monotonic()))

    flaky = Failing(a)
    leader = Leadership(flaky, lead=lead, step_down=step_down, lease=3, renew=1,  # type: ignore[arg-type]
                        standby=0.5, holder="a")  # fmt: skip
    standby = Leadership(b, lead=lead, step_down=step_down, lease=3, renew=1, standby=0.5,
                         holder="b")  # fmt: skip
    leader.start()
    await asyncio.wait_for(leader.first_look.wait(), 10)
    assert leader.leading and leader.term == 1
    standby.start()
    await asyncio.wait_for(standby.first_look.wait(), 10)
    assert not standby.leading
    await asyncio.sleep(1.5)  # a few renewals
    flaky.down = True
    cut = time.monotonic()
    try:
        deadline = time.monotonic() + 10
        # The lease is taken first; the work starts in a task of its own just after.
        while not (standby.leading and len(events) >= 3):
            assert time.monotonic() < deadline, events
            await asyncio.sleep(0.05)
        assert not leader.leading
        assert [kind for kind, _ in events] == ["lead", "down", "lead"]
        down_at, took_at = events[1][1], events[2][1]
        assert down_at - cut <= 2.2  # fenced at most lease - renew after its last renewal
        assert took_at > down_at
        assert standby.term == 2
    finally:
        flaky.down = False
        await standby.stop()
        await leader.stop()


async def test_a_leader_whose_lease_was_taken_steps_down_at_its_next_renewal(
    two: tuple[Store, Store],
) -> None:
    """Another instance holds the row (this one was paused past its expiry, say): at its
    next renewal the leader is refused and stops its work."""
    a, b = two
    downs: list[bool] = []

    async def lead(term: int) -> None:
        return None

    async def step_down(hurry: bool) -> None:
        downs.append(hurry)

    leader = Leadership(a, lead=lead, step_down=step_down, lease=3, renew=1, standby=0.5,
                        holder="a")  # fmt: skip
    leader.start()
    await asyncio.wait_for(leader.first_look.wait(), 10)
    try:
        assert leader.leading
        # As if a's lease had expired and b had taken it meanwhile.
        async with b._write_lock:
            await b._db.execute(
                "UPDATE leases SET holder = 'b', term = term + 1 WHERE name = 'leader'"
            )
            await b._db.commit()
        deadline = time.monotonic() + 5
        while leader.leading:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert downs == [True]
    finally:
        await leader.stop()
    lease = await b.lease(LEADER)
    assert lease is not None and lease.holder == "b"  # a's stop did not give b's lease up


def test_the_lease_settings_are_checked(tmp_path: Path) -> None:
    """The renew interval fits at least three times in the lease; each key says what it wants."""
    from clicksbot.config import ConfigError, load_settings

    config = tmp_path / "c.yaml"
    config.write_text("leader_lease_seconds: 30\nleader_renew_seconds: 10\n")
    settings = load_settings(config, {}, require_token=False)
    assert (settings.leader_lease_seconds, settings.leader_renew_seconds) == (30, 10)
    assert settings.standby_check_seconds == 2
    config.write_text("leader_renew_seconds: 4\n")  # the default lease is 10
    with pytest.raises(ConfigError, match="leader_renew_seconds: 4 is not .* a third"):
        load_settings(config, {}, require_token=False)
    config.write_text("standby_check_seconds: 0\n")
    with pytest.raises(ConfigError, match="standby_check_seconds"):
        load_settings(config, {}, require_token=False)


async def test_a_leader_whose_work_cannot_start_gives_way(two: tuple[Store, Store]) -> None:
    """Its work fails to start (Telegram unreachable, say): it stands by, gives the lease up
    and rests a lease's length, so a healthy standby takes over meanwhile."""
    a, b = two
    started: list[str] = []

    async def broken(term: int) -> None:
        raise RuntimeError("no Telegram")

    async def works(term: int) -> None:
        started.append("b")

    async def step_down(hurry: bool) -> None:
        return None

    sick = Leadership(a, lead=broken, step_down=step_down, lease=3, renew=1, standby=0.5,
                      holder="a")  # fmt: skip
    sick.start()
    await asyncio.wait_for(sick.first_look.wait(), 10)
    healthy = Leadership(b, lead=works, step_down=step_down, lease=3, renew=1, standby=0.5,
                         holder="b")  # fmt: skip
    healthy.start()
    try:
        deadline = time.monotonic() + 5
        while not (healthy.leading and started):  # the lease, then its work's start
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert not sick.leading and started == ["b"]
        await asyncio.sleep(1.5)
        assert healthy.leading and not sick.leading
    finally:
        await healthy.stop()
        await sick.stop()
